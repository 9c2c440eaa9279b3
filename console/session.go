package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mamori-dev/mamori/pageguard"
)

// CookieName is the session cookie of the console.
const CookieName = "mamori_console"

// dummyHash is checked for unknown user names, so that they take as
// long as known ones.
var dummyHash, _ = HashPassword("mamori: no such user")

// signedIn wraps a handler that needs an analyst: without a live session
// it redirects to the sign-in page; a POST must come from the console's
// own origin and carry the session's CSRF token.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			clearCookie(w, r)
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if !pageguard.SameOrigin(r) {
				s.fail(w, r, http.StatusForbidden, msg(r, "err_origin"))
				return
			}
			token := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
				s.cfg.Logger.Warn("console: CSRF token mismatch", "user", sess.User, "path", r.URL.Path)
				s.fail(w, r, http.StatusForbidden, msg(r, "err_csrf"))
				return
			}
		}
		h(w, r, sess)
	}
}

// sameOrigin wraps a POST handler that has no session yet (sign-in).
func (s *Server) sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !pageguard.SameOrigin(r) {
			s.fail(w, r, http.StatusForbidden, msg(r, "err_origin"))
			return
		}
		h(w, r)
	}
}

// session returns the request's live session.
func (s *Server) session(r *http.Request) (Session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Session{}, false
	}
	idHash := pageguard.HashToken(c.Value)
	sess, err := s.cfg.Store.Session(r.Context(), idHash)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.cfg.Logger.Error("console: read session", "err", err)
		}
		return Session{}, false
	}
	if !s.cfg.Now().Before(sess.Expires) {
		if err := s.cfg.Store.DeleteSession(r.Context(), idHash); err != nil {
			s.cfg.Logger.Error("console: delete expired session", "err", err)
		}
		return Session{}, false
	}
	return sess, true
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", pageData{Title: msg(r, "title_signin")})
}

// login checks the user name, password and TOTP code, all three every
// time, and answers any failure with the same message.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	code := strings.TrimSpace(r.PostFormValue("code"))
	now := s.cfg.Now()

	locked := s.lockedOut(name, now)
	usr, err := s.cfg.Store.User(r.Context(), name)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.cfg.Logger.Error("console: read user", "err", err)
	}
	hash, secret := dummyHash, "JBSWY3DPEHPK3PXP"
	if known {
		hash, secret = usr.PasswordHash, usr.TOTPSecret
	}
	passOK, err := VerifyPassword(hash, password)
	if err != nil {
		s.cfg.Logger.Error("console: stored password hash", "user", name, "err", err)
	}
	codeOK := CheckTOTP(secret, code, now)
	if !known || !passOK || !codeOK || locked {
		s.cfg.Logger.Warn("console: sign-in failed", "user", name, "locked", locked)
		s.recordFailure(name, now)
		if s.cfg.FailureDelay > 0 {
			time.Sleep(s.cfg.FailureDelay)
		}
		s.render(w, r, http.StatusUnauthorized, "login", pageData{Title: msg(r, "title_signin"),
			Error: msg(r, "err_signin"), Username: name})
		return
	}
	s.clearFailures(name)

	id, csrf := pageguard.NewToken(), pageguard.NewToken()
	sess := Session{IDHash: pageguard.HashToken(id), User: usr.Name, CSRF: csrf, Created: now, Expires: now.Add(s.cfg.SessionTTL)}
	if err := s.cfg.Store.CreateSession(r.Context(), sess); err != nil {
		s.cfg.Logger.Error("console: create session", "err", err)
		s.fail(w, r, http.StatusInternalServerError, msg(r, "err_wrong"))
		return
	}
	if err := s.cfg.Store.DeleteExpiredSessions(r.Context(), now); err != nil {
		s.cfg.Logger.Warn("console: delete expired sessions", "err", err)
	}
	s.cfg.Logger.Info("console: signed in", "user", usr.Name)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: Prefix, Expires: sess.Expires,
		MaxAge: int(s.cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess Session) {
	if err := s.cfg.Store.DeleteSession(r.Context(), sess.IDHash); err != nil {
		s.cfg.Logger.Error("console: delete session", "err", err)
	}
	clearCookie(w, r)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(CookieName); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// lockedOut reports whether a user name has had too many failures lately.
func (s *Server) lockedOut(name string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.failures[name]
	if f == nil || now.Sub(f.since) > s.cfg.LockoutWindow {
		return false
	}
	return f.n >= s.cfg.MaxFailures
}

func (s *Server) recordFailure(name string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 10000 { // bound memory under a spray of names
		for k, f := range s.failures {
			if now.Sub(f.since) > s.cfg.LockoutWindow {
				delete(s.failures, k)
			}
		}
	}
	f := s.failures[name]
	if f == nil || now.Sub(f.since) > s.cfg.LockoutWindow {
		f = &failures{since: now}
		s.failures[name] = f
	}
	f.n++
}

func (s *Server) clearFailures(name string) {
	s.mu.Lock()
	delete(s.failures, name)
	s.mu.Unlock()
}
