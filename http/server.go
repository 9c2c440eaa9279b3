// Package http serves mamori's JSON API (the wire contract) over
// net/http, with authentication, limits, metrics and request logs.
package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/seclink"
	"github.com/mamori-dev/mamori/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBody is the largest request body accepted; larger gets 413.
const MaxBody = 1 << 20

// Config holds what a Server needs; Service and APIKey (or Insecure)
// are required.
type Config struct {
	Service mamori.RiskService
	// APIKey is compared in constant time with each request's bearer key.
	APIKey string
	// Insecure accepts requests without a key (development only).
	Insecure bool
	// Healthy reports whether the service accepts events (nil: always).
	Healthy func() error
	// MaxInFlight caps concurrent API requests; more get 429 (default 4096).
	MaxInFlight int
	// Registry receives the server's metrics (nil: a new one).
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// OpenAPI is the API document served at /openapi.yaml.
	OpenAPI []byte
	// Webhooks, when set, serves the webhook API (docs/webhooks.md).
	Webhooks *webhook.Service
	// Cases serves the case calls (nil: they answer 404).
	Cases mamori.CaseService
	// Labels serves GET /v1/labels (nil: it answers 404).
	Labels mamori.LabelService
	// Messages serves the customer's message center (nil: it answers 404).
	Messages mamori.MessageService
	// Networks names the networks in evidence packs (nil: left out).
	Networks *enrich.Networks
	// Links makes the links to the customer's security center (nil:
	// POST /v1/accounts/{id}/security-link answers 404).
	Links *seclink.Issuer
}

// Server is the HTTP face of mamori.
type Server struct {
	cfg      Config
	keyHash  [32]byte
	slots    chan struct{}
	mux      *http.ServeMux
	metrics  *metrics
	logger   *slog.Logger
	registry *prometheus.Registry
}

// New builds a Server from cfg.
func New(cfg Config) *Server {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4096
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		keyHash:  sha256.Sum256([]byte(cfg.APIKey)),
		slots:    make(chan struct{}, cfg.MaxInFlight),
		mux:      http.NewServeMux(),
		metrics:  newMetrics(cfg.Registry),
		logger:   cfg.Logger,
		registry: cfg.Registry,
	}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /openapi.yaml", s.handleOpenAPI)
	s.api("POST /v1/risk", "risk", s.handleRisk)
	s.api("POST /v1/events", "events", s.handleEvents)
	s.api("GET /v1/accounts/{account_id}", "account", s.handleAccount)
	s.api("POST /v1/accounts/{account_id}/lockdown", "lockdown", s.handleLockdown)
	s.webhookRoutes()
	s.caseRoutes()
	s.messageRoutes()
	s.evidenceRoutes()
	s.linkRoutes()
	s.api("/v1/", "unknown", s.handleUnknown)
}

// handleUnknown answers the API paths no route took: 405 with the methods
// the path takes, or 404.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) *result {
	if allow := allowedMethod(r.URL.Path); allow != "" {
		w.Header().Set("Allow", allow)
		return fail(mamori.Errorf(mamori.EMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, allow, r.Method))
	}
	return fail(mamori.Errorf(mamori.ENotFound, "no such call: %s %s", r.Method, r.URL.Path))
}

// allowedMethod returns the methods an API path takes, "" for no such path.
func allowedMethod(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")
	switch {
	case path == "/v1/webhooks" || strings.HasPrefix(path, "/v1/webhooks/"):
		return webhookMethods(path)
	case path == "/v1/risk", path == "/v1/events":
		return http.MethodPost
	case path == "/v1/cases":
		return http.MethodGet
	case len(parts) == 2 && parts[0] == "cases" && parts[1] != "":
		return "GET, PATCH"
	case len(parts) == 3 && parts[0] == "cases" && parts[2] == "evidence":
		return http.MethodGet
	case len(parts) == 3 && parts[0] == "cases" && parts[2] == "notes",
		len(parts) == 3 && parts[0] == "orders" && (parts[2] == "release" || parts[2] == "cancel"):
		return http.MethodPost
	case strings.HasPrefix(path, "/v1/accounts/"):
		rest := strings.TrimPrefix(path, "/v1/accounts/")
		if id, ok := strings.CutSuffix(rest, "/lockdown"); ok && id != "" && !strings.Contains(id, "/") {
			return http.MethodPost
		}
		if rest != "" && !strings.Contains(rest, "/") {
			return http.MethodGet
		}
	}
	return ""
}

// result is what an API handler answers: a status and a body, or an error.
type result struct {
	status int
	body   any
	raw    []byte // a body already encoded
	// contentType, when set, sends raw as it is under this type.
	contentType string
	err         error
	decision    mamori.Outcome
}

func fail(err error) *result { return &result{err: err} }

// api registers an authenticated, limited, measured API route.
func (s *Server) api(pattern, route string, h func(http.ResponseWriter, *http.Request) *result) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var res *result
		switch {
		case !s.authorized(r):
			res = fail(mamori.Errorf(mamori.EUnauthorized, "missing or wrong API key (Authorization: Bearer KEY)"))
		default:
			select {
			case s.slots <- struct{}{}:
				res = h(w, r)
				<-s.slots
			default:
				w.Header().Set("Retry-After", "1")
				res = fail(mamori.Errorf(mamori.ERateLimited, "too many requests in flight; retry shortly"))
			}
		}
		status := s.write(w, r, res)
		s.metrics.observe(route, status, res.decision, time.Since(start))
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Insecure && s.cfg.APIKey == "" {
		return true
	}
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return subtle.ConstantTimeCompare(given[:], s.keyHash[:]) == 1
}

// statusOf maps application error codes to HTTP statuses.
var statusOf = map[string]int{
	mamori.EInvalidJSON:      http.StatusBadRequest,
	mamori.EInvalidEvent:     http.StatusBadRequest,
	mamori.EUnauthorized:     http.StatusUnauthorized,
	mamori.ENotFound:         http.StatusNotFound,
	mamori.ETooLarge:         http.StatusRequestEntityTooLarge,
	mamori.ERateLimited:      http.StatusTooManyRequests,
	mamori.EInternal:         http.StatusInternalServerError,
	mamori.EMethodNotAllowed: http.StatusMethodNotAllowed,
	mamori.EUnavailable:      http.StatusServiceUnavailable,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, res *result) int {
	w.Header().Set("Content-Type", "application/json")
	if res.err != nil {
		code := mamori.ErrorCode(res.err)
		if errors.Is(res.err, context.Canceled) || errors.Is(res.err, context.DeadlineExceeded) {
			code = mamori.EUnavailable
		}
		status := statusOf[code]
		detail := errorDetail{Code: code, Message: mamori.ErrorMessage(res.err)}
		var me *mamori.Error
		if errors.As(res.err, &me) {
			detail.Field = me.Field
		}
		if status >= 500 {
			s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", res.err)
			if code == mamori.EInternal {
				detail.Message = "internal error; see the server's log"
			}
		}
		body, _ := json.Marshal(errorBody{Error: detail})
		w.WriteHeader(status)
		w.Write(append(body, '\n'))
		return status
	}
	if res.contentType != "" {
		// A page, not JSON: written as it is.
		w.Header().Set("Content-Type", res.contentType)
		w.WriteHeader(res.status)
		w.Write(res.raw)
		return res.status
	}
	body := res.raw
	if body == nil {
		var err error
		if body, err = json.Marshal(res.body); err != nil {
			return s.write(w, r, fail(err))
		}
	}
	w.WriteHeader(res.status)
	// Two writes, not an append: raw bodies may be shared between
	// answers. The response is buffered, so this costs no extra packet.
	w.Write(body)
	io.WriteString(w, "\n")
	return res.status
}

// readBody reads at most MaxBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limited := http.MaxBytesReader(w, r.Body, MaxBody)
	var body []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= MaxBody {
		// The length is known: one buffer of that size, where ReadAll
		// would grow one from 512 bytes, leaving garbage on the way (the
		// body is kept, as the event sent, until the log has it).
		body = make([]byte, n)
		_, err = io.ReadFull(limited, body)
	} else {
		body, err = io.ReadAll(limited)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, mamori.Errorf(mamori.ETooLarge, "body is larger than %d bytes", MaxBody)
		}
		return nil, mamori.Errorf(mamori.EInvalidJSON, "could not read the body: %v", err)
	}
	return body, nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s.cfg.Healthy != nil {
		if err := s.cfg.Healthy(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "error": mamori.ErrorMessage(err)})
			return
		}
	}
	json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(s.cfg.OpenAPI)
}

func (s *Server) handleRisk(w http.ResponseWriter, r *http.Request) *result {
	body, err := readBody(w, r)
	if err != nil {
		return fail(err)
	}
	ev, err := mamori.NewDecodedEvent(body)
	if err != nil {
		return fail(err)
	}
	if jd, ok := s.cfg.Service.(jsonDecider); ok {
		d, raw, err := jd.DecideJSON(r.Context(), ev)
		if err != nil {
			return fail(err)
		}
		s.metrics.decisions.WithLabelValues(ev.Type, string(d.Decision)).Inc()
		return &result{status: http.StatusOK, raw: raw, decision: d.Decision}
	}
	d, err := s.cfg.Service.Decide(r.Context(), *ev)
	if err != nil {
		return fail(err)
	}
	s.metrics.decisions.WithLabelValues(ev.Type, string(d.Decision)).Inc()
	return &result{status: http.StatusOK, body: &d, decision: d.Decision}
}

// jsonDecider is a RiskService that keeps each decision encoded as it
// stored it (the engine), so that the answer is those bytes rather than
// a second encoding of the same decision. The bytes are shared and must
// not be modified.
type jsonDecider interface {
	DecideJSON(ctx context.Context, ev *mamori.Event) (mamori.Decision, []byte, error)
}

// EventsAccepted is the answer to POST /v1/events.
type EventsAccepted struct {
	// Accepted counts the events of the request, all now recorded.
	Accepted int `json:"accepted"`
	// Duplicates counts those recorded before, by an earlier request.
	Duplicates int `json:"duplicates"`
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) *result {
	body, err := readBody(w, r)
	if err != nil {
		return fail(err)
	}
	evs, err := mamori.DecodeEvents(body)
	if err != nil {
		return fail(err)
	}
	fresh, err := s.cfg.Service.Record(r.Context(), evs)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusAccepted, body: EventsAccepted{Accepted: len(evs), Duplicates: len(evs) - fresh}}
}

func accountID(r *http.Request) (string, error) {
	id := r.PathValue("account_id")
	if id == "" || utf8.RuneCountInString(id) > 128 {
		return "", mamori.Errorf(mamori.ENotFound, "no account %q", id)
	}
	return id, nil
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) *result {
	id, err := accountID(r)
	if err != nil {
		return fail(err)
	}
	a, err := s.cfg.Service.Account(r.Context(), id)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &a}
}

// LockdownRequest is the body of POST /v1/accounts/{id}/lockdown.
type LockdownRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleLockdown(w http.ResponseWriter, r *http.Request) *result {
	id, err := accountID(r)
	if err != nil {
		return fail(err)
	}
	body, err := readBody(w, r)
	if err != nil {
		return fail(err)
	}
	var req LockdownRequest
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr) && typeErr.Field == "":
				return fail(mamori.Errorf(mamori.EInvalidEvent, "body must be a JSON object such as {\"reason\": \"...\"}"))
			case errors.As(err, &typeErr):
				return fail(mamori.FieldError(typeErr.Field, "must be a string"))
			}
			return fail(mamori.Errorf(mamori.EInvalidJSON, "body is not valid JSON: %v", err))
		}
	}
	if len(req.Reason) > 512 {
		return fail(mamori.FieldError("reason", "is longer than 512 bytes"))
	}
	a, err := s.cfg.Service.Lockdown(r.Context(), id, req.Reason)
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: &a}
}

type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	decisions *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mamori_http_requests_total", Help: "API requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mamori_http_request_duration_seconds",
			Help: "API request latency by route and decision (none for calls without one).",
			// 7.5 and 15 ms: the tail under load lies between the 5 ms target
			// and 25 ms, where fewer bounds could not tell a change.
			Buckets: []float64{.0002, .0005, .001, .002, .005, .0075, .01, .015, .025, .05, .1, .25, 1},
		}, []string{"route", "decision"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mamori_decisions_total", Help: "Decisions by event type and outcome.",
		}, []string{"type", "decision"}),
	}
	reg.MustRegister(m.requests, m.latency, m.decisions)
	return m
}

func (m *metrics) observe(route string, status int, decision mamori.Outcome, took time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	d := string(decision)
	if d == "" {
		d = "none"
	}
	m.latency.WithLabelValues(route, d).Observe(took.Seconds())
}
