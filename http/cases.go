package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/mamori-dev/mamori"
)

// caseRoutes registers the calls analysts use to work fraud cases.
func (s *Server) caseRoutes() {
	if s.cfg.Cases == nil {
		return
	}
	s.api("GET /v1/cases", "cases", s.handleCases)
	s.api("GET /v1/cases/{case_id}", "case", s.handleCase)
	s.api("PATCH /v1/cases/{case_id}", "case_update", s.handleCaseUpdate)
	s.api("POST /v1/cases/{case_id}/notes", "case_note", s.handleCaseNote)
	s.api("POST /v1/orders/{order_id}/release", "order_release", s.handleOrder(s.cfg.Cases.ReleaseOrder))
	s.api("POST /v1/orders/{order_id}/cancel", "order_cancel", s.handleOrder(s.cfg.Cases.CancelOrder))
	if s.cfg.Labels != nil {
		s.api("GET /v1/labels", "labels", s.handleLabels)
	}
}

// LabelList is the answer to GET /v1/labels.
type LabelList struct {
	Labels []mamori.Label `json:"labels"`
	// Next is the sequence to pass as after for the next page.
	Next uint64 `json:"next"`
}

func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) *result {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fail(mamori.FieldError("after", "must be a log sequence (a whole number)"))
		}
		after = n
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return fail(mamori.FieldError("limit", "must be a whole number from 1 to 10000"))
		}
		limit = n
	}
	labels, next, err := s.cfg.Labels.Labels(r.Context(), after, limit)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: LabelList{Labels: labels, Next: next}}
}

// CaseList is the answer to GET /v1/cases.
type CaseList struct {
	Cases []mamori.Case `json:"cases"`
}

func (s *Server) handleCases(w http.ResponseWriter, r *http.Request) *result {
	cases, err := s.cfg.Cases.Cases(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		return fail(err)
	}
	if cases == nil {
		cases = []mamori.Case{}
	}
	return &result{status: http.StatusOK, body: CaseList{Cases: cases}}
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) *result {
	c, err := s.cfg.Cases.Case(r.Context(), r.PathValue("case_id"))
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &c}
}

func (s *Server) handleCaseUpdate(w http.ResponseWriter, r *http.Request) *result {
	var patch mamori.CasePatch
	if err := decodeBody(w, r, &patch); err != nil {
		return fail(err)
	}
	c, err := s.cfg.Cases.UpdateCase(r.Context(), r.PathValue("case_id"), patch)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &c}
}

// NoteRequest is the body of POST /v1/cases/{id}/notes.
type NoteRequest struct {
	Text string `json:"text"`
	By   string `json:"by"`
}

func (s *Server) handleCaseNote(w http.ResponseWriter, r *http.Request) *result {
	var note NoteRequest
	if err := decodeBody(w, r, &note); err != nil {
		return fail(err)
	}
	c, err := s.cfg.Cases.AddCaseNote(r.Context(), r.PathValue("case_id"), note.By, note.Text)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusCreated, body: &c}
}

// OrderDecision is the optional body of the release and cancel calls.
type OrderDecision struct {
	By string `json:"by"`
}

func (s *Server) handleOrder(do func(ctx context.Context, orderID, by string) (mamori.Account, error)) func(http.ResponseWriter, *http.Request) *result {
	return func(w http.ResponseWriter, r *http.Request) *result {
		var req OrderDecision
		if err := decodeBody(w, r, &req); err != nil {
			return fail(err)
		}
		a, err := do(r.Context(), r.PathValue("order_id"), req.By)
		if err != nil {
			return fail(err)
		}
		return &result{status: http.StatusOK, body: &a}
	}
}

// decodeBody reads an optional JSON object body into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" {
				return mamori.Errorf(mamori.EInvalidEvent, "body must be a JSON object")
			}
			return mamori.FieldError(typeErr.Field, "has the wrong type")
		}
		return mamori.Errorf(mamori.EInvalidJSON, "body is not valid JSON: %v", err)
	}
	return nil
}
