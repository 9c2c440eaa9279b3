package mamori

import (
	"context"
	"time"
)

// LogRecord is one entry of the event log: an event with the decision
// mamori gave it, in log order. The log is the source of truth; every
// other state is derived from it.
type LogRecord struct {
	Seq      uint64
	ID       string
	Account  string // the key that orders the event (Event.RouteKey)
	Type     string
	Time     time.Time
	Event    []byte // the event as JSON
	Decision []byte // the decision as JSON
	// Order is the order id of an order.placed event, when its writer
	// has it decoded, so that the log need not decode Event to index it;
	// the log does not keep it, and a record read back leaves it empty.
	Order string
}

// EventLog stores the event log. Append and the readers may be called
// concurrently.
type EventLog interface {
	// Append queues a record; done is called once the record is durable
	// or has failed. Records become durable in the order appended. A
	// record with an empty ID is a barrier and is not stored.
	Append(rec LogRecord, done func(error))
	// Barrier returns once everything appended before it is durable and
	// seen by every read.
	Barrier(ctx context.Context) error
	// Decision returns the stored decision of event id, if recorded.
	Decision(ctx context.Context, id string) ([]byte, bool, error)
	// Count returns how many events the log holds.
	Count(ctx context.Context) (int64, error)
	// AccountEvents returns the newest records of one account (by the
	// Account key), at most limit, newest first.
	AccountEvents(ctx context.Context, account string, limit int) ([]LogRecord, error)
	// OrderAccount returns the account key of the order.placed event of
	// an order id, if there is one.
	OrderAccount(ctx context.Context, orderID string) (string, bool, error)
	// Records returns up to limit records after sequence after, in order;
	// with types, only records of those event types.
	Records(ctx context.Context, after uint64, limit int, types ...string) ([]LogRecord, error)
	// Replay calls fn for every record after sequence after, in order.
	// The record's byte slices are valid only during the call.
	Replay(ctx context.Context, after uint64, fn func(LogRecord) error) error
	// Close makes everything appended durable and releases the log.
	Close() error
}
