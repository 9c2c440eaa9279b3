package http

import (
	"net/http"
	"time"
)

// SecurityLink is the answer to POST /v1/accounts/{id}/security-link:
// where to send the customer, and until when the link opens.
type SecurityLink struct {
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// linkRoutes registers the call stores make to send a signed-in customer
// to her security center (/me).
func (s *Server) linkRoutes() {
	if s.cfg.Links == nil {
		return
	}
	s.api("POST /v1/accounts/{account_id}/security-link", "security_link", s.handleSecurityLink)
	s.api("/v1/accounts/{account_id}/security-link", "security_link", methodNotAllowed(http.MethodPost))
}

// handleSecurityLink answers 201 with a fresh link for a known account,
// 404 for an account never seen. Without a configured base URL the link
// points at the host the store called.
func (s *Server) handleSecurityLink(w http.ResponseWriter, r *http.Request) *result {
	id, err := accountID(r)
	if err != nil {
		return fail(err)
	}
	if _, err := readBody(w, r); err != nil {
		return fail(err)
	}
	if _, err := s.cfg.Service.Account(r.Context(), id); err != nil {
		return fail(err)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	url, expires, err := s.cfg.Links.Link(id, scheme+"://"+r.Host)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusCreated, body: SecurityLink{URL: url, Expires: expires.UTC()}}
}
