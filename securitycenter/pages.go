package securitycenter

import (
	"bytes"
	"html/template"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/notice"
)

var jst = time.FixedZone("JST", 9*3600)

var pages = template.Must(template.New("").ParseFS(assets, "templates/*.tmpl"))

// pageData is what the templates see.
type pageData struct {
	Lang, Other string
	Message     string // the key of a plain page's message
	CSRF        string
	Notice      string
	Locked      bool
	SignIns     []signInView
	Sessions    []sessionView
	Trusted     []deviceView
	Orders      []orderView
	Messages    []messageView
	Cases       []caseView
}

// T returns the page's words for key.
func (d pageData) T(key string) string { return word(d.Lang, key) }

type signInView struct{ When, Where, Device, Outcome string }
type sessionView struct{ Started, LastSeen, Where, Device string }
type deviceView struct{ Since, Device string }
type orderView struct {
	ID, When, Amount, Status string
	Hidden, GiftCard         bool
}
type messageView struct {
	ID, When, Title, Body string
	Read                  bool
}
type caseView struct {
	ID, Opened, Deadline, Status string
	Done                         []string
	Next                         string
	Overdue                      bool
}

// page renders the security center of the session's account.
func (s *Server) page(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	s.mu.Lock()
	account, lang, csrf := sess.account, sess.lang, sess.csrf
	s.mu.Unlock()
	acct, err := s.cfg.Accounts.Account(ctx, account)
	if err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	act, err := s.cfg.Security.Activity(ctx, account)
	if err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	msgs, err := s.cfg.Messages.Messages(ctx, account, lang)
	if err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	d := pageData{Lang: lang, Other: other(lang), CSRF: csrf, Locked: acct.Status == mamori.StatusLocked}
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = word(lang, "done_"+done)
	}
	agents := map[string]string{} // device and session id -> user agent
	for _, si := range act.SignIns {
		for _, k := range []string{"d:" + si.DeviceID, "s:" + si.SessionID} {
			if _, ok := agents[k]; !ok {
				agents[k] = si.UserAgent
			}
		}
		d.SignIns = append(d.SignIns, signInView{When: when(si.Time, lang), Where: s.where(si.IP, lang),
			Device: device(si.UserAgent, lang), Outcome: word(lang, "outcome_"+string(si.Decision))})
	}
	for _, se := range acct.Sessions { // newest first
		if se.Revoked || slices.Contains(act.LoggedOut, se.SessionID) {
			continue
		}
		ua := agents["s:"+se.SessionID]
		if ua == "" {
			ua = agents["d:"+se.DeviceID]
		}
		d.Sessions = append(d.Sessions, sessionView{Started: when(se.Started, lang), LastSeen: when(se.LastSeen, lang),
			Where: s.where(se.IP, lang), Device: device(ua, lang)})
	}
	for _, td := range acct.TrustedDevices {
		d.Trusted = append(d.Trusted, deviceView{Since: when(td.Since, lang), Device: device(agents["d:"+td.DeviceID], lang)})
	}
	for _, o := range act.Orders {
		d.Orders = append(d.Orders, orderView{ID: o.OrderID, When: when(o.Time, lang), Amount: money(o.Amount, o.Currency),
			Status: word(lang, "order_"+o.Status), Hidden: o.Hidden, GiftCard: o.GiftCard})
	}
	for _, m := range msgs {
		d.Messages = append(d.Messages, messageView{ID: m.ID, When: when(m.Time, lang), Title: m.Title, Body: m.Body, Read: m.Read})
	}
	for _, c := range acct.Cases {
		if c.Status != mamori.CaseOpen && c.Status != mamori.CaseInvestigating {
			continue
		}
		cv := caseView{ID: c.ID, Opened: when(c.Opened, lang), Deadline: day(c.Deadline, lang),
			Status: word(lang, "case_"+c.Status), Overdue: c.Overdue}
		seen := map[mamori.Action]bool{}
		for _, a := range acct.Actions {
			if a.CaseID == c.ID && !seen[a.Action] {
				seen[a.Action] = true
				cv.Done = append(cv.Done, word(lang, "action_"+string(a.Action)))
			}
		}
		cv.Next = strings.ReplaceAll(word(lang, "case_next"), "{deadline}", cv.Deadline)
		d.Cases = append(d.Cases, cv)
	}
	s.render(w, http.StatusOK, "me", d)
}

// plain shows a page with one message and nothing of any account.
func (s *Server) plain(w http.ResponseWriter, r *http.Request, status int, lang, msg string) {
	s.render(w, status, "plain", pageData{Lang: lang, Other: other(lang), Message: msg})
}

// failErr shows a plain page for an error; details go to the log only.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	if mamori.ErrorCode(err) == mamori.ENotFound {
		s.plain(w, r, http.StatusNotFound, sess.lang, "notfound")
		return
	}
	s.cfg.Logger.Error("security center", "path", r.URL.Path, "err", err)
	s.plain(w, r, http.StatusInternalServerError, sess.lang, "went_wrong")
}

func (s *Server) render(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name+".tmpl", d); err != nil {
		s.cfg.Logger.Error("security center: render", "page", name, "err", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// langOf is ?lang when given, else the browser's Accept-Language.
func langOf(r *http.Request, _ *session) string {
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		return l
	}
	return string(notice.LangOf(r.Header.Get("Accept-Language")))
}

func other(lang string) string {
	if lang == "ja" {
		return "en"
	}
	return "ja"
}

func when(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if lang == "ja" {
		return t.In(jst).Format("2006年1月2日 15:04")
	}
	return t.In(jst).Format("2 Jan 2006 15:04 JST")
}

func day(t time.Time, lang string) string {
	if lang == "ja" {
		return t.In(jst).Format("2006年1月2日")
	}
	return t.In(jst).Format("Monday 2 January 2006")
}

// where words an address as its country and kind of network.
func (s *Server) where(ip, lang string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || s.cfg.Networks == nil {
		return word(lang, "net_unknown")
	}
	n := s.cfg.Networks.Lookup(addr)
	kind := word(lang, "net_"+string(n.Type))
	if n.Org != "" {
		kind += " (" + n.Org + ")"
	}
	if n.Country == "" {
		return kind
	}
	country := word(lang, "country_"+n.Country)
	if strings.HasPrefix(country, "country_") {
		country = n.Country
	}
	if lang == "ja" {
		return country + "・" + kind
	}
	return country + ", " + kind
}

// device words a user agent: browser on OS.
func device(ua, lang string) string {
	a := enrich.ParseUserAgent(ua)
	if a.Browser == "" && a.OS == "" {
		return word(lang, "device_unknown")
	}
	b, o := a.Browser, a.OS
	if b == "" {
		b = word(lang, "browser_unknown")
	}
	if o == "" {
		return b
	}
	if lang == "ja" {
		return o + " の " + b
	}
	return b + " on " + o
}

func money(amount int64, currency string) string {
	digits := strconv.FormatInt(amount, 10)
	var b []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	if currency == "" || currency == "JPY" {
		return "¥" + string(b)
	}
	return string(b) + " " + currency
}
