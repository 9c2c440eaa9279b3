package http

import (
	"bytes"
	"net/http"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/evidence"
)

// evidencePolicy is the Content-Security-Policy of the printable pack:
// its styles are inline, and it loads and runs nothing.
const evidencePolicy = "default-src 'none'; style-src 'unsafe-inline'"

// evidenceRoutes registers GET /v1/cases/{case_id}/evidence: the evidence
// pack of a case, as JSON or (?format=html) as a printable page in
// English or Japanese (?lang=en|ja, else Accept-Language).
//
// The pack of a case not (yet) resolved as fraud is a draft: the same
// pack with "final": false, a draft banner on the page, and no charge
// claim-ready. Analysts use it while they work the case.
func (s *Server) evidenceRoutes() {
	if s.cfg.Cases == nil {
		return
	}
	s.api("GET /v1/cases/{case_id}/evidence", "case_evidence", s.handleEvidence)
}

// handleEvidence answers with the pack as JSON or as a printable page.
func (s *Server) handleEvidence(w http.ResponseWriter, r *http.Request) *result {
	res, page := s.evidence(r)
	if page == nil {
		return res
	}
	h := w.Header()
	h.Set("Content-Security-Policy", evidencePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	return &result{status: http.StatusOK, raw: page, contentType: "text/html; charset=utf-8"}
}

// evidence answers with the pack as JSON (a result) or as a page.
func (s *Server) evidence(r *http.Request) (*result, []byte) {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "html" {
		return fail(mamori.FieldError("format", "%q is not a format of the evidence pack (json, html)", format)), nil
	}
	lang := q.Get("lang")
	switch {
	case lang == "":
		lang = evidence.PickLang(r.Header.Get("Accept-Language"))
	case !evidence.IsLang(lang):
		return fail(mamori.FieldError("lang", "%q is not a language of the evidence pack (en, ja)", lang)), nil
	}
	c, err := s.cfg.Cases.Case(r.Context(), r.PathValue("case_id"))
	if err != nil {
		return fail(err), nil
	}
	pack := evidence.Build(c, s.cfg.Networks)
	if format != "html" {
		if lang != evidence.English {
			pack.Summary = evidence.Summary(pack, lang)
		}
		return &result{status: http.StatusOK, body: &pack}, nil
	}
	var buf bytes.Buffer
	if err := evidence.RenderHTML(&buf, pack, lang); err != nil {
		return fail(err), nil
	}
	return nil, buf.Bytes()
}
