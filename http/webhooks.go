package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/webhook"
)

// The webhook API (docs/webhooks.md): endpoints that receive what mamori
// decides and does, their signing secrets and their deliveries. Served
// when Config.Webhooks is set.

// WebhookList answers GET /v1/webhooks.
type WebhookList struct {
	Webhooks []webhook.Endpoint `json:"webhooks"`
}

// WebhookDeleted answers DELETE /v1/webhooks/{webhook_id}.
type WebhookDeleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// DeliveryList answers GET /v1/webhooks/{webhook_id}/deliveries.
type DeliveryList struct {
	Deliveries []webhook.Delivery `json:"deliveries"`
}

func (s *Server) webhookRoutes() {
	if s.cfg.Webhooks == nil {
		return
	}
	s.api("POST /v1/webhooks", "webhook_create", s.handleWebhookCreate)
	s.api("GET /v1/webhooks", "webhook_list", s.handleWebhookList)
	s.api("GET /v1/webhooks/{webhook_id}", "webhook", s.handleWebhook)
	s.api("DELETE /v1/webhooks/{webhook_id}", "webhook_delete", s.handleWebhookDelete)
	s.api("POST /v1/webhooks/{webhook_id}/secrets", "webhook_secret_add", s.handleWebhookSecretAdd)
	s.api("DELETE /v1/webhooks/{webhook_id}/secrets/{n}", "webhook_secret_remove", s.handleWebhookSecretRemove)
	s.api("GET /v1/webhooks/{webhook_id}/deliveries", "webhook_deliveries", s.handleWebhookDeliveries)
	s.api("GET /v1/webhooks/{webhook_id}/deliveries/{delivery_id}", "webhook_delivery", s.handleWebhookDelivery)
	s.api("POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", "webhook_retry", s.handleWebhookRetry)
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) *result {
	var req webhook.NewEndpoint
	if err := decodeWebhookBody(w, r, &req, false); err != nil {
		return fail(err)
	}
	created, err := s.cfg.Webhooks.Create(r.Context(), req)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusCreated, body: &created}
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) *result {
	eps, err := s.cfg.Webhooks.Endpoints(r.Context())
	if err != nil {
		return fail(err)
	}
	if eps == nil {
		eps = []webhook.Endpoint{}
	}
	return &result{status: http.StatusOK, body: WebhookList{Webhooks: eps}}
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) *result {
	e, err := s.cfg.Webhooks.Endpoint(r.Context(), r.PathValue("webhook_id"))
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &e}
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) *result {
	id := r.PathValue("webhook_id")
	if err := s.cfg.Webhooks.Delete(r.Context(), id); err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: WebhookDeleted{ID: id, Deleted: true}}
}

func (s *Server) handleWebhookSecretAdd(w http.ResponseWriter, r *http.Request) *result {
	var req webhook.NewSecretRequest
	if err := decodeWebhookBody(w, r, &req, true); err != nil {
		return fail(err)
	}
	added, err := s.cfg.Webhooks.AddSecret(r.Context(), r.PathValue("webhook_id"), req)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusCreated, body: &added}
}

func (s *Server) handleWebhookSecretRemove(w http.ResponseWriter, r *http.Request) *result {
	id := r.PathValue("webhook_id")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return fail(mamori.Errorf(mamori.ENotFound, "webhook %s has no secret %q", id, r.PathValue("n")))
	}
	e, err := s.cfg.Webhooks.RemoveSecret(r.Context(), id, n)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &e}
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) *result {
	q := webhook.DeliveryQuery{Status: webhook.Status(r.URL.Query().Get("status"))}
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return fail(mamori.FieldError("limit", "must be a whole number from 1 to 1000"))
		}
		q.Limit = n
	}
	ds, err := s.cfg.Webhooks.Deliveries(r.Context(), r.PathValue("webhook_id"), q)
	if err != nil {
		return fail(err)
	}
	if ds == nil {
		ds = []webhook.Delivery{}
	}
	return &result{status: http.StatusOK, body: DeliveryList{Deliveries: ds}}
}

func (s *Server) handleWebhookDelivery(w http.ResponseWriter, r *http.Request) *result {
	d, err := s.cfg.Webhooks.Delivery(r.Context(), r.PathValue("webhook_id"), r.PathValue("delivery_id"))
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &d}
}

func (s *Server) handleWebhookRetry(w http.ResponseWriter, r *http.Request) *result {
	d, err := s.cfg.Webhooks.Retry(r.Context(), r.PathValue("webhook_id"), r.PathValue("delivery_id"))
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &d}
}

// webhookMethods returns the methods a webhook API path takes, "" for no
// such path.
func webhookMethods(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/v1/webhooks"), "/")
	for _, p := range parts[1:] {
		if p == "" {
			return ""
		}
	}
	switch {
	case len(parts) == 1 && parts[0] == "":
		return "GET, POST"
	case len(parts) == 2:
		return "GET, DELETE"
	case len(parts) == 3 && parts[2] == "secrets":
		return http.MethodPost
	case len(parts) == 4 && parts[2] == "secrets":
		return http.MethodDelete
	case len(parts) == 3 && parts[2] == "deliveries", len(parts) == 4 && parts[2] == "deliveries":
		return http.MethodGet
	case len(parts) == 5 && parts[2] == "deliveries" && parts[4] == "retry":
		return http.MethodPost
	}
	return ""
}

// decodeWebhookBody reads a JSON object into v, with contract errors naming the
// field at fault; an empty body is allowed when optional.
func decodeWebhookBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 && optional {
		return nil
	}
	if len(body) == 0 || body[0] != '{' {
		if json.Valid(body) {
			return mamori.Errorf(mamori.EInvalidEvent, "body must be a JSON object")
		}
		return mamori.Errorf(mamori.EInvalidJSON, "body is not valid JSON")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return mamori.FieldError(typeErr.Field, "has the wrong type: %s, not %s", typeName(typeErr), typeErr.Value)
		}
		return mamori.Errorf(mamori.EInvalidJSON, "body is not valid JSON: %v", err)
	}
	return nil
}

func typeName(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind().String() {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "int64", "int":
		return "a whole number"
	case "ptr":
		return typeName(&json.UnmarshalTypeError{Type: e.Type.Elem()})
	}
	return e.Type.String()
}
