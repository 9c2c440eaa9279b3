package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/sim"
	"github.com/mamori-dev/mamori/sqlite"
)

// TestEventsFromManyCallersAtOnce plays a world's accounts from many
// goroutines at once, each account's events in order from one of them,
// while another reads accounts, messages, cases and searches and takes
// snapshots among them, with accounts packed and unpacked as they come
// and go (8 decoded over 4 shards). Every event must be decided once and
// be in the log, with no race (go test -race), and a restart from the
// snapshot and the log must find every account as the live engine left
// it.
func TestEventsFromManyCallersAtOnce(t *testing.T) {
	ctx := context.Background()
	evs, err := sim.Events(ctx, sim.Config{Seed: 9, Accounts: 80, HistoryDays: 6, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	const callers = 12
	lanes := make([][]mamori.Event, callers)
	lane := map[string]int{}
	ids := map[string]bool{}
	for _, ev := range evs {
		key := ev.RouteKey()
		l, ok := lane[key]
		if !ok {
			l = len(lane) % callers
			lane[key] = l
		}
		lanes[l] = append(lanes[l], ev)
		if ev.AccountID != "" {
			ids[ev.AccountID] = true
		}
	}
	dir := t.TempDir()
	opts := engine.Options{Shards: 4, ActiveAccounts: 8, SnapshotEvery: 300, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return evs[len(evs)-1].Time }}
	open := func() (*engine.Engine, *sqlite.Log) { return openWithLog(t, dir, opts) }
	e, _ := open()

	var decided, reads atomic.Int64
	var writers, readers sync.WaitGroup
	// Each caller waits halfway through its events for a few rounds of
	// reads, so that reads and a snapshot fall among the events however
	// the goroutines are scheduled.
	done, halfway := make(chan struct{}), make(chan struct{})
	for _, evs := range lanes {
		writers.Go(func() {
			for i, ev := range evs {
				if i == len(evs)/2 {
					<-halfway
				}
				if _, err := e.Decide(ctx, ev); err != nil {
					t.Errorf("decide %s: %v", ev.ID, err)
					return
				}
				decided.Add(1)
			}
		})
	}
	someIDs := make([]string, 0, len(ids))
	for id := range ids {
		someIDs = append(someIDs, id)
	}
	readers.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			id := someIDs[i%len(someIDs)]
			if _, err := e.Account(ctx, id); err != nil && mamori.ErrorCode(err) != mamori.ENotFound {
				t.Errorf("account %s: %v", id, err)
			}
			if _, err := e.Messages(ctx, id, "en"); err != nil && mamori.ErrorCode(err) != mamori.ENotFound {
				t.Errorf("messages %s: %v", id, err)
			}
			if _, err := e.AccountsByEmail(ctx, "nobody@example.com"); err != nil {
				t.Errorf("search: %v", err)
			}
			if _, err := e.Cases(ctx, ""); err != nil {
				t.Errorf("cases: %v", err)
			}
			if i%50 == 0 {
				if err := e.Snapshot(ctx); err != nil {
					t.Errorf("snapshot: %v", err)
				}
			}
			if reads.Add(1) == 3 {
				close(halfway)
			}
		}
	})
	writers.Wait()
	close(done)
	readers.Wait()
	if t.Failed() {
		return
	}
	if got := decided.Load(); got != int64(len(evs)) {
		t.Fatalf("%d events decided, want %d", got, len(evs))
	}
	if _, err := os.Stat(filepath.Join(dir, "state.snapshot")); err != nil {
		t.Fatalf("no snapshot was taken while the events were decided: %v", err)
	}
	t.Logf("%d events from %d callers, %d rounds of reads", len(evs), callers, reads.Load())
	live := engine.AccountViews(t, e, ids)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	again, log := open()
	defer again.Close()
	n := 0
	if err := log.Replay(ctx, 0, func(mamori.LogRecord) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(evs) {
		t.Errorf("the log holds %d events, want %d", n, len(evs))
	}
	restarted := engine.AccountViews(t, again, ids)
	for id, want := range live {
		if got := restarted[id]; got != want {
			t.Errorf("account %s after the restart:\n%s\nwant\n%s", id, got, want)
		}
	}
}
