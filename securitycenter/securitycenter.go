// Package securitycenter is the customer's security center at /me:
// server-rendered pages, in Japanese or English, where a customer sent
// from the store with a signed link (package seclink) sees her recent
// sign-ins, sessions, trusted devices, orders (hidden ones too) and
// messages, signs out everywhere, removes her trusted devices, or says
// "this wasn't me". A session is bound to the one account its link
// named: handlers never take an account id from the request.
package securitycenter

import (
	"crypto/subtle"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/pageguard"
	"github.com/mamori-dev/mamori/seclink"
)

//go:embed templates/*.tmpl static/*
var assets embed.FS

// Prefix is where the security center is mounted; Path is its page.
const (
	Prefix = "/me/"
	Path   = "/me"
)

// CookieName is the security center's session cookie.
const CookieName = "mamori_me"

// LockdownReason is the reason of a lockdown the customer asked for.
const LockdownReason = "customer: this wasn't me"

// Config is what the security center needs; all but Networks, Logger,
// Now and SessionTTL are required.
type Config struct {
	Links    *seclink.Signer
	Accounts mamori.RiskService
	Security mamori.SecurityService
	Messages mamori.MessageService
	// Networks words where a sign-in came from (nil: left out).
	Networks *enrich.Networks
	Logger   *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// SessionTTL is how long a session lasts (default 30 minutes).
	SessionTTL time.Duration
}

// Server serves the security center; an http.Handler for Path and the
// paths under Prefix.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	sessions map[string]*session  // id hash -> session
	used     map[string]time.Time // link nonces opened -> their expiry
}

type session struct {
	account string
	csrf    string
	lang    string
	expires time.Time
}

// New returns the security center.
func New(cfg Config) (*Server, error) {
	if cfg.Links == nil || cfg.Accounts == nil || cfg.Security == nil || cfg.Messages == nil {
		return nil, errors.New("securitycenter: Links, Accounts, Security and Messages are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 30 * time.Minute
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), sessions: map[string]*session{}, used: map[string]time.Time{}}
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /me/static/", http.StripPrefix("/me/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /me", s.home)
	s.mux.HandleFunc("POST /me/sign-out-everywhere", s.signedIn(s.signOutEverywhere))
	s.mux.HandleFunc("POST /me/remove-trusted-devices", s.signedIn(s.removeTrustedDevices))
	s.mux.HandleFunc("POST /me/not-me", s.signedIn(s.notMe))
	s.mux.HandleFunc("POST /me/messages/{id}/read", s.signedIn(s.markRead))
	s.mux.HandleFunc("POST /me/leave", s.signedIn(s.leave))
	s.mux.HandleFunc("/me/", func(w http.ResponseWriter, r *http.Request) {
		s.plain(w, r, http.StatusNotFound, langOf(r, nil), "notfound")
	})
	return s, nil
}

// ServeHTTP implements http.Handler: every answer is uncached and carries
// a strict Content-Security-Policy (no script at all).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pageguard.Headers(w.Header())
	s.mux.ServeHTTP(w, r)
}

// home opens a link (?t=) or shows the page of the session's account.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if t := r.URL.Query().Get("t"); t != "" {
		s.open(w, r, t)
		return
	}
	sess, ok := s.session(r)
	if !ok {
		s.plain(w, r, http.StatusForbidden, langOf(r, nil), "open_from_store")
		return
	}
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		s.mu.Lock()
		sess.lang = l
		s.mu.Unlock()
	}
	s.page(w, r, sess)
}

// open verifies a link, starts a session bound to its account and
// redirects to /me, so that the token stays out of the history. A link
// opens once.
func (s *Server) open(w http.ResponseWriter, r *http.Request, token string) {
	now := s.cfg.Now()
	tok, err := s.cfg.Links.Verify(token, now)
	if err == nil && !s.firstUse(tok, now) {
		err = errors.New("link opened before")
	}
	if err != nil {
		s.cfg.Logger.Warn("security center: link refused", "err", err)
		s.plain(w, r, http.StatusForbidden, langOf(r, nil), "link_invalid")
		return
	}
	if _, err := s.cfg.Accounts.Account(r.Context(), tok.AccountID); err != nil {
		s.cfg.Logger.Warn("security center: link for an unknown account", "err", err)
		s.plain(w, r, http.StatusForbidden, langOf(r, nil), "link_invalid")
		return
	}
	id := pageguard.NewToken()
	sess := &session{account: tok.AccountID, csrf: pageguard.NewToken(), lang: langOf(r, nil), expires: now.Add(s.cfg.SessionTTL)}
	s.mu.Lock()
	for k, v := range s.sessions {
		if !now.Before(v.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessions[pageguard.HashToken(id)] = sess
	s.mu.Unlock()
	s.cfg.Logger.Info("security center: opened", "account", tok.AccountID)
	// Lax, not Strict: the customer arrives from the store's site, and
	// Strict cookies are not sent on a redirect chain begun cross-site.
	// POSTs are guarded by the CSRF token and the origin check.
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: Path, Expires: sess.expires,
		MaxAge: int(s.cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

// firstUse records a link's nonce and reports whether it was new.
func (s *Server) firstUse(tok seclink.Token, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, exp := range s.used {
		if !now.Before(exp) {
			delete(s.used, n)
		}
	}
	if _, seen := s.used[tok.Nonce]; seen {
		return false
	}
	s.used[tok.Nonce] = tok.Expires
	return true
}

// session returns the request's live session.
func (s *Server) session(r *http.Request) (*session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[pageguard.HashToken(c.Value)]
	if sess == nil {
		return nil, false
	}
	if !s.cfg.Now().Before(sess.expires) {
		delete(s.sessions, pageguard.HashToken(c.Value))
		return nil, false
	}
	return sess, true
}

// signedIn wraps a POST handler: it needs a live session, a request from
// mamori's own origin and the session's CSRF token. The handler gets the
// session's account, the only one it may read or change.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			s.plain(w, r, http.StatusForbidden, langOf(r, nil), "open_from_store")
			return
		}
		if !pageguard.SameOrigin(r) {
			s.plain(w, r, http.StatusForbidden, sess.lang, "form_expired")
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.csrf)) != 1 {
			s.cfg.Logger.Warn("security center: CSRF token mismatch", "account", sess.account, "path", r.URL.Path)
			s.plain(w, r, http.StatusForbidden, sess.lang, "form_expired")
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.cfg.Security.SignOutEverywhere(r.Context(), sess.account); err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	s.cfg.Logger.Info("security center: signed out everywhere", "account", sess.account)
	http.Redirect(w, r, Path+"?done=signed_out", http.StatusSeeOther)
}

func (s *Server) removeTrustedDevices(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.cfg.Security.RemoveTrustedDevices(r.Context(), sess.account); err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	s.cfg.Logger.Info("security center: removed trusted devices", "account", sess.account)
	http.Redirect(w, r, Path+"?done=devices_removed", http.StatusSeeOther)
}

func (s *Server) notMe(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := s.cfg.Accounts.Lockdown(r.Context(), sess.account, LockdownReason); err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	s.cfg.Logger.Warn("security center: customer says this wasn't me; locked down", "account", sess.account)
	http.Redirect(w, r, Path+"?done=locked", http.StatusSeeOther)
}

// markRead marks one of the session account's messages read; a message
// id of another account is not found in this one.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := s.cfg.Messages.MarkRead(r.Context(), sess.account, r.PathValue("id")); err != nil {
		s.failErr(w, r, sess, err)
		return
	}
	http.Redirect(w, r, Path+"#messages", http.StatusSeeOther)
}

// leave ends the session here; the store's own sign-in is not touched.
func (s *Server) leave(w http.ResponseWriter, r *http.Request, sess *session) {
	if c, err := r.Cookie(CookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, pageguard.HashToken(c.Value))
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Path, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	s.plain(w, r, http.StatusOK, sess.lang, "left")
}
