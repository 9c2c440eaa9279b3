package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
)

// Options tune a Service; the zero value is good.
type Options struct {
	// Clock is the wall clock (default: the system's).
	Clock  Clock
	Logger *slog.Logger
	// Committed signals that the log has new records, to dispatch them at
	// once (wire it from sqlite.Options.OnIndexed); without a signal the
	// dispatcher finds them by polling.
	Committed <-chan struct{}
	// PollInterval is how often the log is polled (default 1 s).
	PollInterval time.Duration
	// Batch caps the records dispatched in one transaction (default 500).
	Batch int
	// MaxAttempts is how many attempts a delivery gets before it is dead
	// (default 8).
	MaxAttempts int
	// Backoff is the delay before each retry: Backoff[i] caps the wait
	// after attempt i+1 and the last element caps every later one; each
	// wait is drawn uniformly from [0, cap] (full jitter). Default 5 s,
	// 30 s, 2 min, 10 min, 1 h, 4 h, 12 h.
	Backoff []time.Duration
	// Timeout bounds each HTTP attempt (default 10 s).
	Timeout time.Duration
	// GapTimeout is how long the dispatcher waits for a sequence missing
	// in the log before it takes the gap as permanent (default 1 min).
	// The engine numbers events before they are committed, so a record
	// may become visible after one with a higher sequence.
	GapTimeout time.Duration
	// Client sends the deliveries (default: one that follows no
	// redirects, as the specification asks).
	Client *http.Client
	// Retention is how long delivered deliveries stay listed (default 7
	// days); pending, failed and dead ones stay until delivered or their
	// endpoint is deleted.
	Retention time.Duration
}

// DefaultBackoff is the retry schedule by default.
var DefaultBackoff = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	time.Hour, 4 * time.Hour, 12 * time.Hour,
}

// Service manages webhook endpoints and dispatches messages to them.
// Its methods may be called concurrently; the dispatcher runs between
// Start and Close.
type Service struct {
	store Store
	opts  Options

	// mu serialises changes of endpoints and secrets, and guards workers.
	mu      sync.Mutex
	workers map[string]*worker
	ctx     context.Context
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// New returns a Service over store. It dispatches nothing until Start.
func New(store Store, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if len(opts.Backoff) == 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.GapTimeout <= 0 {
		opts.GapTimeout = time.Minute
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.Client == nil {
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return &Service{store: store, opts: opts, workers: map[string]*worker{}}
}

// NewEndpoint is what registers an endpoint.
type NewEndpoint struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Secret is optional: without one, a new secret is made and returned.
	Secret string `json:"secret"`
}

// Created answers a registration: the endpoint, and its secret when
// mamori made it.
type Created struct {
	Endpoint
	Secret string `json:"secret,omitempty"`
}

// Create validates and registers an endpoint. It receives the messages
// of every record dispatched after it. Errors: EInvalidEvent naming the
// field at fault.
func (s *Service) Create(ctx context.Context, req NewEndpoint) (Created, error) {
	if err := checkURL(req.URL); err != nil {
		return Created{}, err
	}
	events, err := checkEvents(req.Events)
	if err != nil {
		return Created{}, err
	}
	secret, made, err := givenOrNewSecret(req.Secret)
	if err != nil {
		return Created{}, err
	}
	now := s.now()
	e := Endpoint{ID: "wh_" + randomHex(12), URL: req.URL, Events: events, Created: now,
		Secrets: []Secret{{N: 1, Created: now, Value: secret}}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.store.CreateEndpoint(ctx, e); err != nil {
		return Created{}, err
	}
	out := Created{Endpoint: s.view(e)}
	if made {
		out.Secret = secret
	}
	return out, nil
}

// Endpoints lists the endpoints, oldest first, without secret values.
func (s *Service) Endpoints(ctx context.Context) ([]Endpoint, error) {
	eps, err := s.store.Endpoints(ctx)
	if err != nil {
		return nil, err
	}
	for i := range eps {
		eps[i] = s.view(eps[i])
	}
	return eps, nil
}

// Endpoint returns one endpoint without secret values; ENotFound.
func (s *Service) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	e, err := s.store.Endpoint(ctx, id)
	if err != nil {
		return Endpoint{}, err
	}
	return s.view(e), nil
}

// Delete removes an endpoint, its secrets and its deliveries; ENotFound.
func (s *Service) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.store.DeleteEndpoint(ctx, id); err != nil {
		return err
	}
	if w := s.workers[id]; w != nil {
		w.cancel()
		delete(s.workers, id)
	}
	return nil
}

// DefaultSecretOverlap is how long the other secrets keep signing after
// a new one is added, unless the request says otherwise.
const DefaultSecretOverlap = 24 * time.Hour

// NewSecretRequest adds a secret for rotation.
type NewSecretRequest struct {
	// Secret is optional: without one, a new secret is made and returned.
	Secret string `json:"secret"`
	// ExpirePreviousAfter is how many seconds the endpoint's other
	// secrets keep signing (those without an expiry yet); 0 keeps them
	// until removed; absent means a day.
	ExpirePreviousAfter *int64 `json:"expire_previous_after"`
}

// SecretAdded answers a new secret: its number, and its value when
// mamori made it.
type SecretAdded struct {
	Secret
	Value string `json:"secret,omitempty"`
}

// AddSecret adds a signing secret to an endpoint. Errors: ENotFound,
// EInvalidEvent.
func (s *Service) AddSecret(ctx context.Context, id string, req NewSecretRequest) (SecretAdded, error) {
	secret, made, err := givenOrNewSecret(req.Secret)
	if err != nil {
		return SecretAdded{}, err
	}
	overlap := DefaultSecretOverlap
	if p := req.ExpirePreviousAfter; p != nil {
		if *p < 0 || *p > 365*24*3600 {
			return SecretAdded{}, mamori.FieldError("expire_previous_after", "must be 0 (keep until removed) to %d seconds", 365*24*3600)
		}
		overlap = time.Duration(*p) * time.Second
	}
	now := s.now()
	var expires *time.Time
	if overlap > 0 {
		t := now.Add(overlap)
		expires = &t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	added, err := s.store.AddSecret(ctx, id, Secret{Created: now, Value: secret}, expires)
	if err != nil {
		return SecretAdded{}, err
	}
	added.Active = added.ActiveAt(now)
	out := SecretAdded{Secret: added}
	if made {
		out.Value = secret
	}
	return out, nil
}

// RemoveSecret removes secret n of an endpoint: it signs no more. The
// last active secret cannot be removed. Errors: ENotFound, EInvalidEvent.
func (s *Service) RemoveSecret(ctx context.Context, id string, n int) (Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.store.Endpoint(ctx, id)
	if err != nil {
		return Endpoint{}, err
	}
	now := s.opts.Clock.Now()
	i := slices.IndexFunc(e.Secrets, func(x Secret) bool { return x.N == n })
	if i < 0 {
		return Endpoint{}, mamori.Errorf(mamori.ENotFound, "webhook %s has no secret %d", id, n)
	}
	removed := e.Secrets[i]
	e.Secrets = slices.Delete(e.Secrets, i, i+1)
	if removed.ActiveAt(now) && len(e.Active(now)) == 0 {
		return Endpoint{}, mamori.Errorf(mamori.EInvalidEvent, "secret %d is the only active secret of webhook %s; add a new one first", n, id)
	}
	if err := s.store.RemoveSecret(ctx, id, n); err != nil {
		return Endpoint{}, err
	}
	return s.view(e), nil
}

// DeliveryQuery filters a delivery listing.
type DeliveryQuery struct {
	Status Status // "" for every status
	Limit  int    // 1 to 1000, default 100
}

// Deliveries lists an endpoint's deliveries, newest first. Errors:
// ENotFound, EInvalidEvent.
func (s *Service) Deliveries(ctx context.Context, id string, q DeliveryQuery) ([]Delivery, error) {
	switch q.Status {
	case "", Pending, Delivered, Failed, Dead:
	default:
		return nil, mamori.FieldError("status", "must be pending, delivered, failed or dead")
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, mamori.FieldError("limit", "must be 1 to 1000")
	}
	if _, err := s.store.Endpoint(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Deliveries(ctx, id, q.Status, q.Limit)
}

// Delivery returns one delivery of an endpoint; ENotFound.
func (s *Service) Delivery(ctx context.Context, id, message string) (Delivery, error) {
	return s.store.Delivery(ctx, id, message)
}

// Retry queues a delivery again, due now and with a fresh set of
// attempts, whatever its status: a dead or failed one is retried, a
// delivered one sent again (under the same id). ENotFound.
func (s *Service) Retry(ctx context.Context, id, message string) (Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.store.Delivery(ctx, id, message)
	if err != nil {
		return Delivery{}, err
	}
	now := s.now()
	d.Status, d.Attempts, d.NextAttempt, d.DeliveredAt = Pending, 0, &now, nil
	if err := s.store.UpdateDelivery(ctx, d); err != nil {
		return Delivery{}, err
	}
	if w := s.workers[id]; w != nil {
		w.poke()
	} else {
		s.startWorkerLocked(id)
	}
	return d, nil
}

// now is the wall-clock time at the precision the store keeps.
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Millisecond) }

// view returns e as shown: secrets without values, marked active or not.
func (s *Service) view(e Endpoint) Endpoint {
	now := s.opts.Clock.Now()
	secrets := make([]Secret, len(e.Secrets))
	for i, x := range e.Secrets {
		x.Value, x.Active = "", x.ActiveAt(now)
		secrets[i] = x
	}
	e.Secrets = secrets
	return e
}

// givenOrNewSecret checks a secret given, or makes one (made is true).
func givenOrNewSecret(given string) (secret string, made bool, err error) {
	if given == "" {
		return NewSecret(), true, nil
	}
	return given, false, CheckSecret("secret", given)
}

func checkURL(raw string) error {
	if raw == "" {
		return mamori.FieldError("url", "is required")
	}
	if len(raw) > 2048 {
		return mamori.FieldError("url", "is longer than 2048 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return mamori.FieldError("url", "must be an absolute http or https URL, such as https://store.example/hooks/mamori")
	}
	return nil
}

func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, mamori.FieldError("events", "must list at least one of %v", Types)
	}
	var out []string
	for i, t := range events {
		if !slices.Contains(Types, t) {
			return nil, mamori.FieldError("events["+strconv.Itoa(i)+"]", "%q is not a message type; the types are %v", t, Types)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// isNotFound reports whether err is an ENotFound application error.
func isNotFound(err error) bool {
	var e *mamori.Error
	return errors.As(err, &e) && e.Code == mamori.ENotFound
}
