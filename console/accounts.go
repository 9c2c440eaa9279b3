package console

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
)

// chartPoints is how many of an account's latest decisions the risk
// chart shows.
const chartPoints = 200

// accountView is the account page.
type accountView struct {
	Account  mamori.Account
	SignIns  []accessView
	Sessions []accessView
	Chart    chart
}

// accessView is a sign-in or a session in plain words.
type accessView struct {
	Time, LastSeen time.Time
	SessionID      string
	DeviceID       string
	IP             string
	Where          string
	Device         string
	Decision       mamori.Outcome
	Revoked        bool
	Verified       bool
}

// chart is an inline SVG of scores over time: markup, not script.
type chart struct {
	Width, Height int
	Line          string
	Points        []chartPoint
	From, To      time.Time
	Top           string
}

type chartPoint struct {
	X, Y  string
	Class string
	Title string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, sess Session) {
	if s.cfg.Risk == nil {
		s.fail(w, r, http.StatusNotFound, msg(r, "err_no_accounts"))
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	acct, err := s.cfg.Risk.Account(ctx, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	act, err := s.cfg.Risk.Activity(ctx, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	hist, err := s.cfg.Risk.AccountHistory(ctx, id, chartPoints)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	lang := langOf(r)
	v := &accountView{Account: acct, Chart: scoreChart(hist)}
	agents := map[string]string{}
	for _, si := range act.SignIns {
		v.SignIns = append(v.SignIns, accessView{Time: si.Time, SessionID: si.SessionID, DeviceID: si.DeviceID, IP: si.IP,
			Where: s.where(si.IP, lang), Device: device(si.UserAgent, lang), Decision: si.Decision})
		if _, ok := agents[si.SessionID]; !ok {
			agents[si.SessionID] = si.UserAgent
		}
	}
	for _, se := range acct.Sessions {
		ua, ok := agents[se.SessionID]
		dev := word(lang, "browser_unknown")
		if ok {
			dev = device(ua, lang)
		}
		v.Sessions = append(v.Sessions, accessView{Time: se.Started, LastSeen: se.LastSeen, SessionID: se.SessionID,
			DeviceID: se.DeviceID, IP: se.IP, Where: s.where(se.IP, lang), Device: dev, Revoked: se.Revoked, Verified: se.Verified})
	}
	d := pageData{Title: msg(r, "title_account", acct.AccountID), User: sess.User, CSRF: sess.CSRF, Acct: v}
	if r.URL.Query().Get("done") == "locked" {
		d.Notice = msg(r, "done_locked", acct.AccountID)
	}
	s.render(w, r, http.StatusOK, "account", d)
}

func (s *Server) lockdown(w http.ResponseWriter, r *http.Request, sess Session) {
	if s.cfg.Risk == nil {
		s.fail(w, r, http.StatusNotFound, msg(r, "err_no_accounts"))
		return
	}
	id := r.PathValue("id")
	if _, err := s.cfg.Risk.Lockdown(r.Context(), id, "analyst "+sess.User+": lockdown from the console"); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.cfg.Logger.Info("console: account locked down", "account", id, "by", sess.User)
	http.Redirect(w, r, "/console/accounts/"+url.PathEscape(id)+"?done=locked", http.StatusSeeOther)
}

// scoreChart draws the scores of decisions, oldest first.
func scoreChart(hist []engine.ScorePoint) chart {
	const w, h, pad = 640, 160, 12
	c := chart{Width: w, Height: h, Top: "1.00"}
	if len(hist) == 0 {
		return c
	}
	top := 1.0
	for _, p := range hist {
		top = max(top, p.Score)
	}
	c.Top = fmt.Sprintf("%.2f", top)
	c.From, c.To = hist[0].Time, hist[len(hist)-1].Time
	span := c.To.Sub(c.From)
	var line []string
	for i, p := range hist {
		fx := 0.5
		if span > 0 {
			fx = float64(p.Time.Sub(c.From)) / float64(span)
		} else if len(hist) > 1 {
			fx = float64(i) / float64(len(hist)-1)
		}
		x := pad + fx*(w-2*pad)
		y := h - pad - max(0, p.Score)/top*(h-2*pad)
		xs, ys := fmt.Sprintf("%.1f", x), fmt.Sprintf("%.1f", y)
		line = append(line, xs+","+ys)
		c.Points = append(c.Points, chartPoint{X: xs, Y: ys, Class: string(p.Decision),
			Title: fmt.Sprintf("%s · %s · %s %.2f", p.Time.In(jst).Format("2006-01-02 15:04 JST"), p.Type, p.Decision, p.Score)})
	}
	c.Line = strings.Join(line, " ")
	return c
}

// where words an address as its network: provider, country and kind.
func (s *Server) where(ip, lang string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || s.cfg.Networks == nil {
		return ""
	}
	n := s.cfg.Networks.Lookup(addr)
	var parts []string
	if n.Org != "" {
		parts = append(parts, n.Org)
	}
	if n.Country != "" {
		parts = append(parts, n.Country)
	}
	switch n.Type {
	case enrich.Hosting, enrich.Mobile, enrich.ISP:
		parts = append(parts, word(lang, "net_"+string(n.Type)))
	default:
		parts = append(parts, word(lang, "net_unknown"))
	}
	if lang == "ja" {
		return strings.Join(parts, "、")
	}
	return strings.Join(parts, ", ")
}

// device words a user agent: browser on OS.
func device(ua, lang string) string {
	a := enrich.ParseUserAgent(ua)
	b, o := a.Browser, a.OS
	switch {
	case b == "" && o == "":
		return word(lang, "browser_unknown")
	case b == "":
		return fmt.Sprintf(word(lang, "a_browser_on"), o)
	case o == "":
		return b
	}
	return fmt.Sprintf(word(lang, "browser_on"), b, o)
}

// searchView is the search page.
type searchView struct {
	Query    string
	Accounts []string
	ByEmail  bool // Accounts are those with the e-mail Query
}

// emailFinder finds the accounts whose profile e-mail is an address
// (engine.Engine); a Risk without it leaves e-mail out of search.
type emailFinder interface {
	AccountsByEmail(ctx context.Context, email string) ([]string, error)
}

// search finds what an analyst typed: a case id, an account id, an
// order id, an IP address among the accounts with cases, or the e-mail
// of accounts' profiles (case-insensitive).
func (s *Server) search(w http.ResponseWriter, r *http.Request, sess Session) {
	if s.cfg.Risk == nil {
		s.fail(w, r, http.StatusNotFound, msg(r, "err_no_search"))
		return
	}
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := &searchView{Query: q}
	if q != "" {
		if c, err := s.cfg.Cases.Case(ctx, q); err == nil {
			http.Redirect(w, r, "/console/cases/"+url.PathEscape(c.ID), http.StatusSeeOther)
			return
		} else if mamori.ErrorCode(err) != mamori.ENotFound {
			s.failErr(w, r, err)
			return
		}
		if a, err := s.cfg.Risk.Account(ctx, q); err == nil {
			http.Redirect(w, r, "/console/accounts/"+url.PathEscape(a.AccountID), http.StatusSeeOther)
			return
		} else if mamori.ErrorCode(err) != mamori.ENotFound {
			s.failErr(w, r, err)
			return
		}
		if a, err := s.cfg.Risk.OrderAccount(ctx, q); err == nil {
			http.Redirect(w, r, "/console/accounts/"+url.PathEscape(a)+"?order="+url.QueryEscape(q), http.StatusSeeOther)
			return
		} else if mamori.ErrorCode(err) != mamori.ENotFound {
			s.failErr(w, r, err)
			return
		}
		if strings.Contains(q, "@") {
			if f, ok := s.cfg.Risk.(emailFinder); ok {
				found, err := f.AccountsByEmail(ctx, q)
				if err != nil {
					s.failErr(w, r, err)
					return
				}
				v.Accounts, v.ByEmail = found, true
			}
		} else if addr, err := netip.ParseAddr(q); err == nil {
			found, err := s.accountsFromIP(r, addr.String())
			if err != nil {
				s.failErr(w, r, err)
				return
			}
			v.Accounts = found
		}
	}
	s.render(w, r, http.StatusOK, "search", pageData{Title: msg(r, "title_search"), User: sess.User, CSRF: sess.CSRF, Search: v})
}

// accountsFromIP lists the accounts with cases that have sign-ins or
// sessions from ip.
func (s *Server) accountsFromIP(r *http.Request, ip string) ([]string, error) {
	cases, err := s.cfg.Cases.Cases(r.Context(), "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cases {
		if seen[c.AccountID] {
			continue
		}
		seen[c.AccountID] = true
		act, err := s.cfg.Risk.Activity(r.Context(), c.AccountID)
		if err != nil {
			return nil, err
		}
		acct, err := s.cfg.Risk.Account(r.Context(), c.AccountID)
		if err != nil {
			return nil, err
		}
		hit := slices.ContainsFunc(act.SignIns, func(si mamori.SignIn) bool { return si.IP == ip }) ||
			slices.ContainsFunc(acct.Sessions, func(se mamori.Session) bool { return se.IP == ip })
		if hit {
			out = append(out, c.AccountID)
		}
	}
	sort.Strings(out)
	return out, nil
}
