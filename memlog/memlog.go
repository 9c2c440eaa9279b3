// Package memlog is an event log kept in memory: nothing survives the
// process. It serves simulations and backtests, which replay months of
// events in seconds and need no durability.
package memlog

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/mamori-dev/mamori"
)

// Log is an in-memory mamori.EventLog. The zero value is not usable;
// call New.
type Log struct {
	mu        sync.Mutex
	decisions map[string][]byte
	orders    map[string]string  // order id -> account key
	records   []mamori.LogRecord // kept only with keepEvents
	keep      bool
}

var _ mamori.EventLog = (*Log)(nil)

// New returns an empty log. With keepEvents the events themselves are
// kept too, so that the log can be replayed; without, only each event's
// decision is kept, which is enough to answer repeats.
func New(keepEvents bool) *Log {
	return &Log{decisions: make(map[string][]byte), orders: make(map[string]string), keep: keepEvents}
}

// Append implements mamori.EventLog; done is called before it returns.
func (l *Log) Append(rec mamori.LogRecord, done func(error)) {
	if rec.ID != "" {
		l.mu.Lock()
		l.decisions[rec.ID] = rec.Decision
		if rec.Type == mamori.OrderPlaced {
			var ev mamori.Event
			if json.Unmarshal(rec.Event, &ev) == nil {
				l.orders[ev.Properties.OrderID] = rec.Account
			}
		}
		if l.keep {
			l.records = append(l.records, rec)
		}
		l.mu.Unlock()
	}
	done(nil)
}

// Barrier implements mamori.EventLog.
func (l *Log) Barrier(context.Context) error { return nil }

// Decision implements mamori.EventLog.
func (l *Log) Decision(_ context.Context, id string) ([]byte, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.decisions[id]
	return d, ok, nil
}

// Count implements mamori.EventLog.
func (l *Log) Count(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.decisions)), nil
}

// AccountEvents implements mamori.EventLog; without kept events it
// returns none.
func (l *Log) AccountEvents(_ context.Context, account string, limit int) ([]mamori.LogRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []mamori.LogRecord
	for i := len(l.records) - 1; i >= 0 && len(out) < limit; i-- {
		if l.records[i].Account == account {
			out = append(out, l.records[i])
		}
	}
	return out, nil
}

// Records implements mamori.EventLog; without kept events it returns
// none.
func (l *Log) Records(_ context.Context, after uint64, limit int, types ...string) ([]mamori.LogRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []mamori.LogRecord
	for _, r := range l.records {
		if r.Seq > after && (len(types) == 0 || slices.Contains(types, r.Type)) {
			if out = append(out, r); len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// OrderAccount implements mamori.EventLog.
func (l *Log) OrderAccount(_ context.Context, orderID string) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.orders[orderID]
	return a, ok, nil
}

// Replay implements mamori.EventLog. Without kept events there is
// nothing to replay.
func (l *Log) Replay(ctx context.Context, after uint64, fn func(mamori.LogRecord) error) error {
	l.mu.Lock()
	recs := l.records
	l.mu.Unlock()
	for _, r := range recs {
		if r.Seq <= after {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Close implements mamori.EventLog.
func (l *Log) Close() error { return nil }
