// Package engine is mamori's risk service: it routes each event to the
// shard that owns its account, decides it with the pure risk core, and
// answers once the event and its decision are on disk. It implements
// mamori.RiskService on top of the sqlite event log.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/bizday"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/statepack"
)

// Options tune an Engine; the zero value is good.
type Options struct {
	// Shards is how many account shards run in parallel (default 16).
	Shards int
	// SnapshotEvery is how many events pass between state snapshots
	// (default 200,000); a restart replays at most about that many.
	SnapshotEvery int64
	Logger        *slog.Logger
	// Networks maps IP addresses to networks for the decisions (nil: no
	// network data, decisions use addresses alone).
	Networks *enrich.Networks
	// Playbook maps situations to actions (nil: the built-in one).
	Playbook *risk.Playbook
	// Now is the wall clock, for case deadlines (nil: time.Now).
	Now func() time.Time
	// ActiveAccounts is how many accounts are kept decoded, over all
	// shards (default 65,536); the others are kept packed until their
	// next event.
	ActiveAccounts int
}

// Engine is mamori's risk service on one machine.
type Engine struct {
	log    mamori.EventLog
	dir    string
	opts   Options
	logger *slog.Logger
	seed   maphash.Seed
	shards []*shard
	dedup  *dedup
	crowd  *crowd
	// table holds the strings the packed accounts share.
	table    *statepack.Strings
	cases    caseIndex
	calendar *bizday.Calendar
	seq      atomic.Uint64
	failure  atomic.Pointer[error]

	shardsDone sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error

	// closing is held for reading while a job is handed to a shard and
	// for writing while the shards' queues are closed.
	closing sync.RWMutex
	closed  atomic.Bool

	sinceSnapshot atomic.Int64
	snapshotting  sync.Mutex // held while a snapshot is taken
}

var _ mamori.RiskService = (*Engine)(nil)

// Open starts an engine over the event log, with its snapshots in dir:
// it loads the newest snapshot, replays the log after it and starts the
// shards. With dir "" no snapshots are read or written (a log kept in
// memory needs none).
func Open(ctx context.Context, log mamori.EventLog, dir string, opts Options) (*Engine, error) {
	if opts.Shards <= 0 {
		opts.Shards = 16
	}
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = 200_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ActiveAccounts <= 0 {
		opts.ActiveAccounts = defaultActive
	}
	e := &Engine{log: log, dir: dir, opts: opts, logger: opts.Logger, seed: maphash.MakeSeed(),
		crowd: newCrowd(), calendar: bizday.New(), table: statepack.NewStrings(tableLimit)}
	e.shards = make([]*shard, opts.Shards)
	for i := range e.shards {
		e.shards[i] = &shard{e: e, jobs: make(chan job, 1024), accounts: make(map[string]account), strings: newInterner(),
			active: activeSet{limit: max(1, opts.ActiveAccounts/opts.Shards)}}
	}
	start := time.Now()
	stats, err := e.restore(ctx)
	if err != nil {
		return nil, err
	}
	e.logger.Info("state restored", "snapshot_seq", stats.snapshotSeq, "replayed", stats.replayed,
		"accounts", stats.accounts, "took", time.Since(start).Round(time.Millisecond))
	for _, s := range e.shards {
		e.shardsDone.Add(1)
		go s.run()
	}
	return e, nil
}

func (e *Engine) shardOf(key string) *shard {
	return e.shards[maphash.String(e.seed, key)%uint64(len(e.shards))]
}

// Decide implements mamori.RiskService.
func (e *Engine) Decide(ctx context.Context, ev mamori.Event) (mamori.Decision, error) {
	d, _, err := e.DecideJSON(ctx, &ev)
	return d, err
}

// DecideJSON is Decide that also returns the decision as the JSON stored
// in the log: the API answers with those bytes, so that an answer is not
// encoded a second time and a repeat gets the first answer byte for byte.
// The bytes are shared; callers must not modify them. The caller hands
// ev over, so that it is not copied again on its way to its shard: the
// engine keeps it until it is decided and logged, and the caller must
// not change it.
func (e *Engine) DecideJSON(ctx context.Context, ev *mamori.Event) (mamori.Decision, []byte, error) {
	if err := ev.Validate(); err != nil {
		return mamori.Decision{}, nil, err
	}
	f, _, err := e.submit(&eventJob{ev: ev})
	if err != nil {
		return mamori.Decision{}, nil, err
	}
	return e.await(ctx, ev.ID, f)
}

// Record implements mamori.RiskService.
func (e *Engine) Record(ctx context.Context, evs []mamori.Event) (int, error) {
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			return 0, err
		}
	}
	type pending struct {
		id string
		f  *flight
	}
	waits := make([]pending, 0, len(evs))
	fresh := 0
	for i := range evs {
		f, isNew, err := e.submit(&eventJob{ev: &evs[i], observe: true})
		if err != nil {
			return 0, err
		}
		if isNew {
			fresh++
		}
		if f != nil {
			waits = append(waits, pending{evs[i].ID, f})
		}
	}
	for _, w := range waits {
		if _, _, err := e.await(ctx, w.id, w.f); err != nil {
			return 0, err
		}
	}
	return fresh, nil
}

// submit hands a new event to its shard and returns its flight, and
// whether it is new. For an event recorded before it returns the flight
// of the first copy while that is still on its way to disk, or a nil
// flight once it is on disk.
func (e *Engine) submit(j *eventJob) (*flight, bool, error) {
	if err := e.Err(); err != nil {
		return nil, false, err
	}
	id := j.ev.ID
	f, fresh := e.dedup.claim(id)
	if f == nil { // maybe recorded before
		_, found, err := e.log.Decision(context.Background(), id)
		if err != nil {
			return nil, false, err
		}
		if found {
			return nil, false, nil
		}
		f, fresh = e.dedup.start(id)
	}
	if !fresh {
		return f, false, nil
	}
	j.flight = f
	if err := e.send(j.ev.RouteKey(), job{event: j}); err != nil {
		e.dedup.finish(id, f, err)
		return nil, false, err
	}
	if e.sinceSnapshot.Add(1) >= e.opts.SnapshotEvery {
		e.sinceSnapshot.Store(0)
		go func() {
			if err := e.Snapshot(context.Background()); err != nil {
				e.logger.Error("snapshot", "err", err)
			}
		}()
	}
	return f, true, nil
}

// send hands a job to the shard that owns key, unless the engine is
// closed.
func (e *Engine) send(key string, j job) error {
	e.closing.RLock()
	defer e.closing.RUnlock()
	if e.closed.Load() {
		return mamori.Errorf(mamori.EUnavailable, "mamori is shutting down")
	}
	e.shardOf(key).jobs <- j
	return nil
}

// await waits for an event's flight and returns its decision, also as
// JSON; a nil flight means the event was on disk already, so the stored
// decision is read.
func (e *Engine) await(ctx context.Context, id string, f *flight) (mamori.Decision, []byte, error) {
	if f != nil {
		select {
		case <-f.done:
		case <-ctx.Done():
			return mamori.Decision{}, nil, ctx.Err()
		}
		if f.err != nil {
			return mamori.Decision{}, nil, f.err
		}
		return f.decision, f.raw, nil
	}
	raw, found, err := e.log.Decision(ctx, id)
	if err != nil {
		return mamori.Decision{}, nil, err
	}
	if !found {
		return mamori.Decision{}, nil, fmt.Errorf("event %s: recorded but not in the log", id)
	}
	var d mamori.Decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return mamori.Decision{}, nil, fmt.Errorf("decode decision of %s: %w", id, err)
	}
	return d, raw, nil
}

// Account implements mamori.RiskService.
func (e *Engine) Account(ctx context.Context, id string) (mamori.Account, error) {
	reply := make(chan viewReply, 1)
	if err := e.send(id, job{view: &viewJob{account: id, reply: reply}}); err != nil {
		return mamori.Account{}, err
	}
	select {
	case r := <-reply:
		if r.err != nil {
			return mamori.Account{}, fmt.Errorf("read account %s: %w", id, r.err)
		}
		if !r.found {
			return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "account %s was never seen", id)
		}
		now := e.now()
		for i := range r.account.Cases {
			r.account.Cases[i] = e.dressCase(r.account.Cases[i], now)
		}
		return r.account, nil
	case <-ctx.Done():
		return mamori.Account{}, ctx.Err()
	}
}

// Lockdown implements mamori.RiskService. The lockdown is an event of the
// log like any other, at the account's last event time.
func (e *Engine) Lockdown(ctx context.Context, id, reason string) (mamori.Account, error) {
	ev := mamori.Event{
		ID:         "lockdown-" + randomID(),
		Type:       mamori.AccountLockedDown,
		AccountID:  id,
		Properties: mamori.Properties{Reason: reason},
	}
	if err := e.record(ctx, ev); err != nil {
		return mamori.Account{}, err
	}
	return e.Account(ctx, id)
}

func (e *Engine) now() time.Time { return e.opts.Now() }

// Err returns why the engine stopped taking events, or nil. The cause
// itself is in the log, not in the error, which callers may show.
func (e *Engine) Err() error {
	if e.failure.Load() != nil {
		return mamori.Errorf(mamori.EUnavailable, "mamori is not taking events after a storage failure; see the server's log")
	}
	if e.closed.Load() {
		return mamori.Errorf(mamori.EUnavailable, "mamori is shutting down")
	}
	return nil
}

// fail stops the engine from taking events: its memory may be ahead of
// the log, and only a restart (replaying the log) makes them agree again.
func (e *Engine) fail(err error) {
	if e.failure.CompareAndSwap(nil, &err) {
		e.logger.Error("event log failed; refusing events until restart", "err", err)
	}
}

// Close stops the shards, flushes the log, writes a final snapshot and
// closes the store. Callers stop sending requests first.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.snapshotting.Lock() // no online snapshot may talk to a closed shard
		defer e.snapshotting.Unlock()
		e.closing.Lock()
		e.closed.Store(true)
		for _, s := range e.shards {
			close(s.jobs)
		}
		e.closing.Unlock()
		e.shardsDone.Wait()
		var err error
		if e.failure.Load() == nil {
			err = e.snapshotStopped()
		}
		e.closeErr = errors.Join(err, e.log.Close())
	})
	return e.closeErr
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
