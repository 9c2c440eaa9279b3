package console

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
)

type page struct{ t *template.Template }

// pageData is what every page template sees.
type pageData struct {
	Lang     string // "ja" or "en"
	Other    string // the language the switch link offers
	Switch   string // the switch link
	Title    string
	User     string
	CSRF     string
	Nav      string
	Error    string
	Notice   string
	Username string

	Held   []engine.HeldOrder
	Cases  []mamori.Case
	Filter string
	Case   mamori.Case

	Acct   *accountView
	Search *searchView
	Dash   *dashView
}

var jst = time.FixedZone("JST", 9*3600)

var funcs = template.FuncMap{
	"yen":    formatYen,
	"amount": func(p mamori.Properties) string { return formatYen(p.AmountValue(), p.Currency) },
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jst).Format("2006-01-02 15:04 JST")
	},
}

func parsePages() (map[string]*page, error) {
	pages := map[string]*page{}
	for _, name := range []string{"login", "review", "cases", "case", "error", "account", "search", "dashboard"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.tmpl", "templates/"+name+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", name, err)
		}
		pages[name] = &page{t: t}
	}
	return pages, nil
}

// render writes a page whole or, if it fails, a plain error.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.Lang = langOf(r)
	d.Other = "ja"
	if d.Lang == "ja" {
		d.Other = "en"
	}
	d.Switch = switchURL(r, d.Other)
	rememberLang(w, r)
	var buf bytes.Buffer
	if err := s.pages[name].t.ExecuteTemplate(&buf, "layout", d); err != nil {
		s.cfg.Logger.Error("console: render", "page", name, "err", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page; msg is for people and must hold no internal
// detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	title := word(langOf(r), "http_"+strconv.Itoa(status))
	if strings.HasPrefix(title, "http_") {
		title = http.StatusText(status)
	}
	d := pageData{Title: title, Error: msg}
	if sess, ok := s.session(r); ok {
		d.User, d.CSRF = sess.User, sess.CSRF
	}
	s.render(w, r, status, "error", d)
}

// failErr maps an application error to a page.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch mamori.ErrorCode(err) {
	case mamori.ENotFound:
		s.fail(w, r, http.StatusNotFound, msg(r, "err_notfound", mamori.ErrorMessage(err)))
	case mamori.EInvalidEvent:
		s.fail(w, r, http.StatusBadRequest, mamori.ErrorMessage(err))
	default:
		s.cfg.Logger.Error("console", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, msg(r, "err_wrong"))
	}
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request, sess Session) {
	held, err := s.cfg.Review.HeldOrders(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d := pageData{Title: msg(r, "title_review"), User: sess.User, CSRF: sess.CSRF, Nav: "review", Held: held}
	q := r.URL.Query()
	if o := q.Get("order"); o != "" {
		switch q.Get("done") {
		case "released":
			d.Notice = msg(r, "done_released", o)
		case "cancelled":
			d.Notice = msg(r, "done_cancelled", o)
		}
	}
	s.render(w, r, http.StatusOK, "review", d)
}

func (s *Server) releaseOrder(w http.ResponseWriter, r *http.Request, sess Session) {
	s.orderOutcome(w, r, sess, "released", s.cfg.Cases.ReleaseOrder)
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request, sess Session) {
	s.orderOutcome(w, r, sess, "cancelled", s.cfg.Cases.CancelOrder)
}

func (s *Server) orderOutcome(w http.ResponseWriter, r *http.Request, sess Session, done string,
	act func(ctx context.Context, orderID, by string) (mamori.Account, error)) {
	id := r.PathValue("id")
	if _, err := act(r.Context(), id, sess.User); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.cfg.Logger.Info("console: order "+done, "order", id, "by", sess.User)
	back := "/console/review"
	if c := r.PostFormValue("case"); c != "" {
		back = "/console/cases/" + url.PathEscape(c)
	}
	http.Redirect(w, r, back+"?done="+done+"&order="+url.QueryEscape(id), http.StatusSeeOther)
}

func (s *Server) caseList(w http.ResponseWriter, r *http.Request, sess Session) {
	filter := r.URL.Query().Get("status")
	status := filter
	switch filter {
	case "", "open":
		filter, status = "open", mamori.CaseOpen
	case "all":
		status = ""
	case "investigating":
	default:
		s.fail(w, r, http.StatusBadRequest, msg(r, "err_case_status"))
		return
	}
	cases, err := s.cfg.Cases.Cases(r.Context(), status)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases", pageData{Title: msg(r, "title_cases"), User: sess.User, CSRF: sess.CSRF,
		Nav: "cases", Cases: cases, Filter: filter})
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, sess Session) {
	c, err := s.cfg.Cases.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	d := pageData{Title: msg(r, "title_case", c.ID), User: sess.User, CSRF: sess.CSRF, Nav: "cases", Case: c}
	q := r.URL.Query()
	if o := q.Get("order"); o != "" && (q.Get("done") == "released" || q.Get("done") == "cancelled") {
		d.Notice = msg(r, "done_"+q.Get("done"), o)
	}
	s.render(w, r, http.StatusOK, "case", d)
}

// formatYen writes an amount in its currency: yen with a thousands
// separator, other currencies with their code.
func formatYen(amount int64, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	digits := strconv.FormatInt(amount, 10)
	var b []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	out := string(b)
	if currency == "" || currency == "JPY" {
		out = "¥" + out
	} else {
		out += " " + currency
	}
	if neg {
		out = "-" + out
	}
	return out
}
