// Package pageguard holds what mamori's server-rendered pages (the
// analyst console and the customer security center) share to stay safe
// in a browser: strict headers on every answer, and the same-origin check
// that, with a per-session token, keeps other sites from posting forms.
package pageguard

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
)

// Headers sets the headers every page answer carries: no script, no
// framing, no sniffing, no caching, and the referrer only to the same
// origin (browsers send "Origin: null" on form posts under no-referrer).
func Headers(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// SameOrigin reports whether a request's Origin, or failing that its
// Referer, is the server's own scheme and host.
func SameOrigin(r *http.Request) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	want := scheme + "://" + r.Host
	if o := r.Header.Get("Origin"); o != "" {
		return o == want
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Host == "" {
		return false
	}
	return ref.Scheme+"://"+ref.Host == want
}

// NewToken returns 32 random bytes as base64url text: a session id or a
// CSRF token.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what is stored of a session id, so that a leaked store
// does not hand out live sessions.
func HashToken(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}
