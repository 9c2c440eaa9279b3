package webhook

import (
	"context"
	"fmt"
	"time"
)

// Start runs the dispatcher until Close: it tails the log from the
// persisted cursor and starts a delivery worker per endpoint, which
// resumes the deliveries left pending by a previous run.
func (s *Service) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	cursor, err := s.store.Cursor(ctx)
	if err != nil {
		cancel()
		return err
	}
	// Gaps below the log's end now are permanent: whatever was numbered
	// but not committed before this start is lost with its process.
	horizon, err := s.store.LogEnd(ctx)
	if err != nil {
		cancel()
		return err
	}
	eps, err := s.store.Endpoints(ctx)
	if err != nil {
		cancel()
		return err
	}
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		cancel()
		return fmt.Errorf("webhook dispatcher started twice")
	}
	s.ctx, s.cancel = ctx, cancel
	for _, e := range eps {
		s.startWorkerLocked(e.ID)
	}
	s.mu.Unlock()
	t := &tailer{s: s, cursor: cursor, saved: cursor, horizon: horizon}
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		t.run(ctx)
	}()
	return nil
}

// Close stops the dispatcher and its workers and waits for them. An
// attempt in flight is abandoned, not recorded: it is made again, under
// the same id, after the next start.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	s.running.Wait()
	return nil
}

// cursorSaveEvery is how often the cursor is saved while the records it
// passes give no message. Those records are read again after a crash,
// and give no message again.
const cursorSaveEvery = 5 * time.Second

// tailer follows the log and turns its records into deliveries.
type tailer struct {
	s      *Service
	cursor uint64 // the last record dispatched
	// saved is the cursor as persisted, at savedAt: it lags behind cursor
	// only over records that give no message.
	saved   uint64
	savedAt time.Time
	// horizon is the log's end when the dispatcher started: gaps below it
	// are permanent.
	horizon uint64
	// gapAt and gapSince track a sequence awaited past the cursor.
	gapAt    uint64
	gapSince time.Time
	pruned   time.Time // when delivered deliveries were last pruned
}

func (t *tailer) run(ctx context.Context) {
	poll := time.NewTicker(t.s.opts.PollInterval)
	defer poll.Stop()
	for {
		full, err := t.pump(ctx)
		if err != nil && ctx.Err() == nil {
			t.s.opts.Logger.Error("webhook dispatch", "cursor", t.cursor, "err", err)
		}
		if full && err == nil {
			continue
		}
		t.prune(ctx)
		select {
		case <-ctx.Done():
			if err := t.save(context.Background()); err != nil {
				t.s.opts.Logger.Error("webhook dispatch: save cursor", "cursor", t.cursor, "err", err)
			}
			return
		case <-t.s.opts.Committed:
		case <-poll.C:
		}
	}
}

// pump dispatches the records after the cursor, up to the first gap and
// at most one batch, and reports whether the batch was full.
func (t *tailer) pump(ctx context.Context) (bool, error) {
	s := t.s
	if skipped, err := t.skipUnwatched(ctx); skipped || err != nil {
		return false, err
	}
	recs, err := s.store.Records(ctx, t.cursor, s.opts.Batch)
	if err != nil || len(recs) == 0 {
		return false, err
	}
	last, take := t.cursor, 0
	for _, r := range recs {
		if !t.follows(last, r.Seq) {
			break
		}
		last, take = r.Seq, take+1
	}
	if take == 0 {
		return false, nil
	}
	var msgs []Message
	for _, r := range recs[:take] {
		m, err := Messages(ctx, r, s.store)
		if err != nil {
			return false, err
		}
		msgs = append(msgs, m...)
	}
	now := s.now()
	full := take == s.opts.Batch
	if len(msgs) == 0 {
		t.cursor = last
		if now.Sub(t.savedAt) < cursorSaveEvery {
			return full, nil
		}
		return full, t.save(ctx)
	}
	targets := map[string]bool{}
	err = s.store.Enqueue(ctx, t.saved, last, func(eps []Endpoint) []Delivery {
		clear(targets)
		var ds []Delivery
		for _, m := range msgs {
			for i := range eps {
				if !eps[i].Subscribes(m.Type) {
					continue
				}
				targets[eps[i].ID] = true
				ds = append(ds, Delivery{ID: m.ID, Endpoint: eps[i].ID, Type: m.Type, Seq: m.Seq,
					Status: Pending, NextAttempt: &now, Created: now, Payload: m.Body})
			}
		}
		return ds
	})
	if err != nil {
		return false, err
	}
	t.cursor, t.saved, t.savedAt = last, last, now
	for id := range targets {
		s.wakeWorker(id)
	}
	return full, nil
}

// skipUnwatched moves the cursor to the end of the records when no
// endpoint exists, and reports whether it did: their messages would go to
// no one, and deriving them means reading and decoding every record.
// Create stores an endpoint holding s.mu, which is held here from the
// look at the endpoints to the read of the records' end; so every record
// skipped was numbered, hence decided, before the first endpoint existed.
// Records numbered before it but still on their way are skipped with it.
func (t *tailer) skipUnwatched(ctx context.Context) (bool, error) {
	s := t.s
	s.mu.Lock()
	eps, err := s.store.Endpoints(ctx)
	var end uint64
	if err == nil && len(eps) == 0 {
		end, err = s.store.RecordsEnd(ctx)
	}
	s.mu.Unlock()
	if err != nil || len(eps) > 0 {
		return false, err
	}
	if end > t.cursor {
		t.cursor = end
	}
	if s.now().Sub(t.savedAt) < cursorSaveEvery {
		return true, nil
	}
	return true, t.save(ctx)
}

// save persists the cursor if it moved.
func (t *tailer) save(ctx context.Context) error {
	if t.saved == t.cursor {
		return nil
	}
	if err := t.s.store.Enqueue(ctx, t.saved, t.cursor, func([]Endpoint) []Delivery { return nil }); err != nil {
		return err
	}
	t.saved, t.savedAt = t.cursor, t.s.now()
	return nil
}

// follows reports whether the record at seq may be dispatched after the
// one at last: it is the next one, or the sequences between are missing
// for good (below the horizon, or awaited longer than GapTimeout).
func (t *tailer) follows(last, seq uint64) bool {
	if seq == last+1 || seq-1 <= t.horizon {
		return true
	}
	now := t.s.opts.Clock.Now()
	if t.gapAt != last+1 {
		t.gapAt, t.gapSince = last+1, now
		return false
	}
	if now.Sub(t.gapSince) < t.s.opts.GapTimeout {
		return false
	}
	t.s.opts.Logger.Error("webhook dispatch: records missing from the log; skipping them",
		"from", last+1, "to", seq-1, "waited", now.Sub(t.gapSince).Round(time.Second))
	return true
}

// prune removes, at most once an hour, deliveries delivered longer ago
// than the retention.
func (t *tailer) prune(ctx context.Context) {
	now := t.s.opts.Clock.Now()
	if now.Sub(t.pruned) < time.Hour {
		return
	}
	t.pruned = now
	n, err := t.s.store.Prune(ctx, now.Add(-t.s.opts.Retention))
	if err != nil && ctx.Err() == nil {
		t.s.opts.Logger.Error("webhook prune", "err", err)
	}
	if n > 0 {
		t.s.opts.Logger.Info("webhook deliveries pruned", "delivered_before", now.Add(-t.s.opts.Retention), "count", n)
	}
}
