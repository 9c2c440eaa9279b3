// Package webhook tells a store's own systems everything mamori decides
// and does, by Standard Webhooks (https://www.standardwebhooks.com).
//
// The outbox is the event log plus a cursor. A dispatcher tails the log
// in sequence order, turns each new record into messages (a decision, the
// actions it requests, the fraud case it opens or joins) and, in one
// transaction with moving its persisted cursor, stores a delivery for
// every endpoint subscribed to each message. A crash therefore never
// loses a message nor makes one twice; message ids are derived from the
// log position, so a message keeps its id across restarts and retries.
// One worker per endpoint sends its deliveries in log order, signed with
// every active secret, and retries failures with exponential backoff and
// full jitter until they are delivered or dead-lettered.
package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mamori-dev/mamori"
)

// Message types an endpoint may subscribe to.
const (
	// DecisionCreated: a decision other than allow.
	DecisionCreated = "decision.created"
	// ActionRequested: one per protective action of a decision.
	ActionRequested = "action.requested"
	// CaseOpened: a decision named a fraud case not seen before for its
	// account.
	CaseOpened = "case.opened"
	// CaseUpdated: a decision joined a case already open.
	CaseUpdated = "case.updated"
)

// Types lists the message types, in the order a record produces them.
var Types = []string{DecisionCreated, CaseOpened, CaseUpdated, ActionRequested}

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	// Pending: not attempted yet; it waits for the deliveries before it.
	Pending Status = "pending"
	// Delivered: the endpoint answered 2xx.
	Delivered Status = "delivered"
	// Failed: the last attempt failed; another is scheduled.
	Failed Status = "failed"
	// Dead: no attempt is left (or the endpoint answered 410 Gone); it
	// stays in the dead letter until retried by hand.
	Dead Status = "dead"
)

// Endpoint is a URL that receives messages of the types it subscribes to.
type Endpoint struct {
	ID      string    `json:"id"`
	URL     string    `json:"url"`
	Events  []string  `json:"events"`
	Created time.Time `json:"created"`
	// Secrets are shown without their values.
	Secrets []Secret `json:"secrets"`
}

// Subscribes reports whether the endpoint receives messages of type t.
func (e *Endpoint) Subscribes(t string) bool {
	for _, x := range e.Events {
		if x == t {
			return true
		}
	}
	return false
}

// Active returns the secrets that still sign at time now.
func (e *Endpoint) Active(now time.Time) []Secret {
	var out []Secret
	for _, s := range e.Secrets {
		if s.ActiveAt(now) {
			out = append(out, s)
		}
	}
	return out
}

// Secret is one signing secret of an endpoint. Every active secret signs
// each delivery, so that a receiver can switch to a new one at its pace.
type Secret struct {
	// N numbers the endpoint's secrets from 1, in the order added; it is
	// never reused.
	N       int       `json:"n"`
	Created time.Time `json:"created"`
	// Expires, when set, is when the secret stops signing.
	Expires *time.Time `json:"expires,omitempty"`
	// Active is computed when the endpoint is shown.
	Active bool `json:"active"`
	// Value is the secret itself (whsec_...), never shown after creation.
	Value string `json:"-"`
}

// ActiveAt reports whether the secret signs at time now.
func (s *Secret) ActiveAt(now time.Time) bool { return s.Expires == nil || now.Before(*s.Expires) }

// Message is one webhook message derived from the log.
type Message struct {
	// ID is "msg_<seq>_<type with _ for .>_<index>": the same for every
	// endpoint, every attempt and every restart.
	ID   string
	Seq  uint64
	Type string
	// Body is the JSON sent: {"type", "timestamp", "data"}.
	Body json.RawMessage
}

// Delivery is one message on its way to one endpoint.
type Delivery struct {
	// ID is the message id, unique within an endpoint.
	ID       string `json:"id"`
	Endpoint string `json:"webhook_id"`
	Type     string `json:"type"`
	// Seq is the position in the event log of the record behind it.
	Seq      uint64 `json:"seq"`
	Status   Status `json:"status"`
	Attempts int    `json:"attempts"`
	// NextAttempt is when the next attempt is due (pending or failed).
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	// LastStatusCode is the HTTP status of the last attempt, 0 when it got
	// no answer.
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	Created        time.Time  `json:"created"`
	DeliveredAt    *time.Time `json:"delivered,omitempty"`
	// Payload is the body sent, byte for byte.
	Payload json.RawMessage `json:"payload"`

	// Pos orders the deliveries of an endpoint (log order).
	Pos int64 `json:"-"`
}

// Store keeps endpoints, deliveries and the dispatcher's cursor next to
// the event log, in the same database (see sqlite.Webhooks). All methods
// may be called concurrently.
type Store interface {
	// Records returns up to limit log records with a sequence above
	// after, in sequence order.
	Records(ctx context.Context, after uint64, limit int) ([]mamori.LogRecord, error)
	// LogEnd returns the highest sequence in the log, 0 when empty.
	LogEnd(ctx context.Context) (uint64, error)
	// RecordsEnd returns the highest sequence Records can return now,
	// without waiting for records on their way; 0 when there is none.
	RecordsEnd(ctx context.Context) (uint64, error)
	// CaseSeen reports whether a record of account before sequence seq
	// named case id.
	CaseSeen(ctx context.Context, account, id string, seq uint64) (bool, error)

	// Cursor returns the sequence of the last record dispatched.
	Cursor(ctx context.Context) (uint64, error)
	// Enqueue, in one transaction: checks that the cursor is at from,
	// calls fan with the endpoints as they are in that transaction,
	// stores the deliveries it returns (ignoring those stored before) and
	// moves the cursor to to.
	Enqueue(ctx context.Context, from, to uint64, fan func([]Endpoint) []Delivery) error

	// CreateEndpoint stores a new endpoint with its first secret.
	CreateEndpoint(ctx context.Context, e Endpoint) error
	// Endpoints returns every endpoint, with secret values, oldest first.
	Endpoints(ctx context.Context) ([]Endpoint, error)
	// Endpoint returns one endpoint with secret values; ENotFound.
	Endpoint(ctx context.Context, id string) (Endpoint, error)
	// DeleteEndpoint removes an endpoint with its secrets and deliveries;
	// ENotFound.
	DeleteEndpoint(ctx context.Context, id string) error
	// AddSecret adds a secret, numbered next, and sets expires on every
	// other secret of the endpoint that has none (nil: leave them).
	// ENotFound.
	AddSecret(ctx context.Context, id string, s Secret, expires *time.Time) (Secret, error)
	// RemoveSecret removes secret n of an endpoint; ENotFound.
	RemoveSecret(ctx context.Context, id string, n int) error

	// Deliveries returns an endpoint's deliveries, newest first, those
	// with the given status only unless it is "".
	Deliveries(ctx context.Context, endpoint string, status Status, limit int) ([]Delivery, error)
	// Delivery returns one delivery; ENotFound.
	Delivery(ctx context.Context, endpoint, id string) (Delivery, error)
	// NextDelivery returns the endpoint's first delivery in log order
	// that is pending or failed, if any.
	NextDelivery(ctx context.Context, endpoint string) (Delivery, bool, error)
	// UpdateDelivery stores the outcome of an attempt or a retry: status,
	// attempts, times, last status code and error. A delivery gone with
	// its endpoint is ignored.
	UpdateDelivery(ctx context.Context, d Delivery) error
	// Prune removes the deliveries delivered before the given time and
	// returns how many.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// Clock tells the wall-clock time and waits. Retries, the
// webhook-timestamp header and secret expiry use it; message timestamps
// use the events' own time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// After waits for d to pass.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
