package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
)

// BenchmarkRestart fills a log with MAMORI_BENCH_EVENTS events (default
// 1,000,000) over 10,000 accounts, with a snapshot taken at 80%, then
// measures how long opening it takes: after a crash (the snapshot plus
// the last 20% replayed), from the snapshot a clean stop leaves, and by
// replaying the whole log when there is no snapshot.
//
//	go test ./engine -run '^$' -bench Restart -benchtime 1x
func BenchmarkRestart(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("MAMORI_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	ctx := context.Background()
	e, log := openWithLog(b, dir, engine.Options{SnapshotEvery: int64(n) * 2})
	all := traffic(n, 10_000, "r", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	start := time.Now()
	record(b, e, all[:n*8/10])
	if err := e.Snapshot(ctx); err != nil {
		b.Fatal(err)
	}
	record(b, e, all[n*8/10:])
	if err := log.Barrier(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("recorded %d events in %s (%.0f events/s, batches of 1000 from 4 writers)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	all = nil
	runtime.GC()

	measure := func(name string) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				t0 := time.Now()
				e, log := openWithLog(b, dir, engine.Options{SnapshotEvery: int64(n) * 2})
				took := time.Since(t0)
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(took.Seconds(), "s/restart")
				b.ReportMetric(float64(ms.HeapAlloc)/10_000, "heap-B/account")
				b.StopTimer()
				if name == "after-crash" {
					// Leave the files as the crash did: the engine is
					// abandoned, not closed, so no new snapshot is
					// written; only its log lets go of the files.
					if err := log.Close(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					continue
				}
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
				if name == "full-replay" {
					// Close wrote a snapshot; the next round must replay again.
					os.Remove(filepath.Join(dir, "state.snapshot"))
				}
				b.StartTimer()
			}
		})
	}
	// As after kill -9, the writing engine is abandoned: the last snapshot
	// is the one taken at 80%. Its log lets go of the files, which a
	// crash would leave with up to a memtable's worth (4 MiB) of index
	// entries to write again from the journal.
	if err := log.Close(); err != nil {
		b.Fatal(err)
	}
	measure("after-crash")
	// A clean stop writes the snapshot the next restart starts from.
	if err := open(b, dir, engine.Options{SnapshotEvery: int64(n) * 2}).Close(); err != nil {
		b.Fatal(err)
	}
	measure("from-snapshot")
	os.Remove(filepath.Join(dir, "state.snapshot"))
	measure("full-replay")
}

// record writes evs through four concurrent writers, each with a quarter
// of the accounts, so that every account's events stay in order.
func record(b *testing.B, e *engine.Engine, evs []mamori.Event) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]mamori.Event, 0, 1000)
			flush := func() {
				if _, err := e.Record(ctx, batch); err != nil && errs[w] == nil {
					errs[w] = err
				}
				batch = batch[:0]
			}
			for i := range evs {
				if (i%10_000)%4 == w {
					if batch = append(batch, evs[i]); len(batch) == cap(batch) {
						flush()
					}
				}
			}
			if len(batch) > 0 {
				flush()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAccountsByEmail searches 100,000 accounts by an e-mail none of
// them has, with every account decoded and with every account but one
// packed, in one run: what a search costs a shard's events, per account.
//
//	go test ./engine -run '^$' -bench AccountsByEmail
func BenchmarkAccountsByEmail(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	evs := make([]mamori.Event, n)
	for i := range evs {
		id := "acct-" + strconv.Itoa(i)
		evs[i] = mamori.Event{ID: "e-" + strconv.Itoa(i), Type: mamori.AccountCreated, AccountID: id, Time: t0,
			Context:    mamori.Context{IP: "153.156.78.10", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
			Properties: mamori.Properties{Email: id + "@example.jp"}}
	}
	for _, tt := range []struct {
		name   string
		active int
	}{{"decoded", n}, {"packed", 1}} {
		b.Run(tt.name, func(b *testing.B) {
			e := open(b, b.TempDir(), engine.Options{Shards: 1, ActiveAccounts: tt.active, Logger: slog.New(slog.DiscardHandler)})
			defer e.Close()
			for i := 0; i < n; i += 1000 {
				if _, err := e.Record(ctx, evs[i:i+1000]); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if ids, err := e.AccountsByEmail(ctx, "nobody@example.jp"); err != nil || len(ids) != 0 {
					b.Fatal(ids, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/account")
		})
	}
}
