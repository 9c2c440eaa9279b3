package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sim"
)

// memoryOptions say what the memory report loads.
type memoryOptions struct {
	accounts    int    // short accounts: a sign-up and one session each
	simAccounts int    // accounts of a simulated world after its history (0: none)
	heapProfile string // where to write a heap profile of the short accounts
}

// memoryReport measures what accounts cost in memory in an in-process
// engine. Events reach the engine as JSON decoded the way the HTTP API
// decodes them, so that every string is its own allocation as in
// production. The engine's log is kept in memory (it keeps every event's
// decision, to answer repeats); the production log is SQLite on disk, so
// the log is measured apart: the figures are taken with it, then again
// once it is dropped, leaving the account state (accounts, their
// risk.State, the cross-account counters and the dedup filter).
func memoryReport(ctx context.Context, opts memoryOptions, out io.Writer) error {
	nets, err := enrich.LoadNetworks()
	if err != nil {
		return err
	}
	if opts.heapProfile != "" {
		// Finer than the default of one sample per 512 KiB, so that small
		// per-account allocations show up by line.
		runtime.MemProfileRate = 4096
	}
	if opts.accounts > 0 {
		if err := shortAccountsReport(ctx, nets, opts, out); err != nil {
			return err
		}
	}
	if opts.simAccounts > 0 {
		if err := simAccountsReport(ctx, nets, opts, out); err != nil {
			return err
		}
	}
	return nil
}

// memUsage is the heap in use and the resident set at one moment, after a
// collection that also hands freed memory back to the system, so that
// the resident set follows the heap down as well as up. scan is the part
// of the heap that may hold pointers: every collection marks through it,
// so it sets how long a collection takes.
type memUsage struct{ heap, rss, scan uint64 }

func measure() memUsage {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	scan := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(scan)
	return memUsage{heap: m.HeapAlloc, rss: residentBytes(), scan: scan[0].Value.Uint64()}
}

// scanPer is the growth of the scanned heap from u to v per account.
func (u memUsage) scanPer(v memUsage, n int) float64 {
	return (float64(v.scan) - float64(u.scan)) / float64(n)
}

// per is the growth from u to v per account.
func (u memUsage) per(v memUsage, n int) (heap, rss float64) {
	return (float64(v.heap) - float64(u.heap)) / float64(n), (float64(v.rss) - float64(u.rss)) / float64(n)
}

func shortAccountsReport(ctx context.Context, nets *enrich.Networks, opts memoryOptions, out io.Writer) error {
	n := opts.accounts
	base := measure()
	log := &droppableLog{EventLog: memlog.New(false)}
	eng, err := engine.Open(ctx, log, "", engine.Options{Networks: nets, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer eng.Close()
	empty := measure()
	start := time.Now()
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			batch := make([]mamori.Event, 0, 1000)
			flush := func() error {
				evs, err := throughJSON(batch)
				if err != nil {
					return err
				}
				if _, err := eng.Record(ctx, evs); err != nil {
					return fmt.Errorf("record accounts: %w", err)
				}
				batch = batch[:0]
				return nil
			}
			for a := w; a < n; a += writers {
				batch = append(batch, accountEvents(a)...)
				if len(batch) >= 996 {
					if err := flush(); err != nil {
						errs <- err
						return
					}
				}
			}
			if len(batch) > 0 {
				if err := flush(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	took := time.Since(start)
	withLog := measure()
	if opts.heapProfile != "" {
		if err := writeProfile("heap", opts.heapProfile); err != nil {
			return err
		}
	}
	log.drop()
	state := measure()
	fmt.Fprintf(out, "memory: %d accounts of 4 events (a sign-up, a sign-in, a page, a sign-out), loaded in %s\n", n, took.Round(time.Millisecond))
	fmt.Fprintf(out, "  empty engine (shards, counters, a dedup filter for 4 M ids): heap %.1f MiB, included below\n",
		float64(empty.heap-base.heap)/(1<<20))
	h, r := base.per(state, n)
	fmt.Fprintf(out, "  account state (accounts, risk.State, cross-account counters, dedup filter): heap %.0f B/account (%.0f B of it scanned by every garbage collection), RSS %.0f B/account\n",
		h, base.scanPer(state, n), r)
	h, r = base.per(withLog, n)
	fmt.Fprintf(out, "  with the in-memory test log (%d decisions kept for repeats): heap %.0f B/account, RSS %.0f B/account\n", 4*n, h, r)
	return nil
}

// simAccountsReport plays a simulated world (its 60 days of history and
// one decided day) and reports what its accounts cost beyond the empty
// engine: accounts with a realistic history of sessions, devices,
// networks and orders. It plays the world twice: with every account kept
// decoded, as accounts in use are, and with every account but the last
// packed, as idle ones are, which at a million accounts is nearly all.
// The second play also shows the worst cost of packing in time: nearly
// every event unpacks its account and packs the one before.
func simAccountsReport(ctx context.Context, nets *enrich.Networks, opts memoryOptions, out io.Writer) error {
	n := opts.simAccounts
	// A first tiny play loads what the simulator and the parsers keep for
	// the whole process, so that it is not counted as the accounts'.
	if _, err := playSim(ctx, nets, sim.Config{Seed: 2, Accounts: 10, HistoryDays: 1, Days: 1, Prefix: "warm-"}, 1, ""); err != nil {
		return fmt.Errorf("warm up the simulator: %w", err)
	}
	cfg := sim.Config{Seed: 1, Accounts: n, HistoryDays: sim.DefaultHistoryDays, Days: 1}
	for i, active := range []int{n, 1} {
		profile := ""
		if opts.heapProfile != "" {
			profile = opts.heapProfile + ".sim" + strconv.Itoa(i+1)
		}
		p, err := playSim(ctx, nets, cfg, active, profile)
		if err != nil {
			return err
		}
		if i == 0 {
			fmt.Fprintf(out, "memory: %d simulated accounts (seed 1) after %d days of history and 1 decided day (%.0f events each on average)\n",
				p.accounts, sim.DefaultHistoryDays, float64(p.events)/float64(p.accounts))
		}
		how := "all decoded (accounts in use)"
		if active < n {
			how = "packed (idle accounts)"
		}
		fmt.Fprintf(out, "  %s: heap %.0f B/account beyond the empty engine (%.0f B of it scanned by every garbage collection); played in %s\n",
			how, p.heap, p.scanned, p.took.Round(time.Millisecond))
	}
	return nil
}

// simPlay is what one play of a simulated world measured.
type simPlay struct {
	accounts, events int
	heap, scanned    float64 // per account
	took             time.Duration
}

// playSim plays a world into an engine of one shard (as mamori simulate
// uses, so that the same seed gives the same accounts) that keeps at most
// active accounts decoded, and measures the accounts' memory.
func playSim(ctx context.Context, nets *enrich.Networks, cfg sim.Config, active int, heapProfile string) (simPlay, error) {
	log := &droppableLog{EventLog: memlog.New(false)}
	eng, err := engine.Open(ctx, log, "", engine.Options{Shards: 1, Networks: nets, ActiveAccounts: active, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return simPlay{}, err
	}
	defer eng.Close()
	empty := measure()
	start := time.Now()
	res, err := sim.Play(ctx, jsonService{eng}, cfg, sim.Options{})
	if err != nil {
		return simPlay{}, fmt.Errorf("play the world: %w", err)
	}
	p := simPlay{accounts: len(res.World.Customers), events: res.History + len(res.Records), took: time.Since(start)}
	res = nil
	log.drop()
	state := measure()
	if heapProfile != "" {
		if err := writeProfile("heap", heapProfile); err != nil {
			return simPlay{}, err
		}
	}
	// The resident set is left out: over a few thousand accounts it
	// follows the allocator's pages, not the accounts.
	p.heap, _ = empty.per(state, p.accounts)
	p.scanned = empty.scanPer(state, p.accounts)
	return p, nil
}

// throughJSON encodes events as a store sends them and decodes them as
// the HTTP API does.
func throughJSON(evs []mamori.Event) ([]mamori.Event, error) {
	body, err := json.Marshal(map[string][]mamori.Event{"events": evs})
	if err != nil {
		return nil, fmt.Errorf("encode events: %w", err)
	}
	out, err := mamori.DecodeEvents(body)
	if err != nil {
		return nil, fmt.Errorf("decode events: %w", err)
	}
	return out, nil
}

// jsonService passes the simulator's events through JSON on their way to
// the engine, as the HTTP API would.
type jsonService struct{ mamori.RiskService }

func (s jsonService) Decide(ctx context.Context, ev mamori.Event) (mamori.Decision, error) {
	evs, err := throughJSON([]mamori.Event{ev})
	if err != nil {
		return mamori.Decision{}, err
	}
	return s.RiskService.Decide(ctx, evs[0])
}

func (s jsonService) Record(ctx context.Context, evs []mamori.Event) (int, error) {
	evs, err := throughJSON(evs)
	if err != nil {
		return 0, err
	}
	return s.RiskService.Record(ctx, evs)
}

// droppableLog is an event log that can be let go once loading is done,
// so that what remains on the heap is the engine's own.
type droppableLog struct {
	mamori.EventLog
	dropped bool
}

func (l *droppableLog) drop() { l.EventLog, l.dropped = nil, true }

func (l *droppableLog) Close() error {
	if l.dropped {
		return nil
	}
	return l.EventLog.Close()
}

// accountEvents is one account's sign-up and first session.
func accountEvents(a int) []mamori.Event {
	acct := fmt.Sprintf("mem-acct-%d", a)
	t := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(a%86400) * time.Second)
	ctx := mamori.Context{IP: fmt.Sprintf("153.156.%d.%d", a%250, 1+a%200), DeviceID: "dev-" + acct,
		UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
	s := acct + "-s1"
	return []mamori.Event{
		{ID: acct + "-0", Type: mamori.AccountCreated, AccountID: acct, Time: t, Context: ctx, Properties: mamori.Properties{Email: acct + "@example.jp"}},
		{ID: acct + "-1", Type: mamori.LoginSucceeded, AccountID: acct, SessionID: s, Time: t.Add(time.Minute), Context: ctx, Properties: mamori.Properties{MFA: "totp"}},
		{ID: acct + "-2", Type: mamori.SessionActivity, AccountID: acct, SessionID: s, Time: t.Add(2 * time.Minute), Context: ctx, Properties: mamori.Properties{Page: "home"}},
		{ID: acct + "-3", Type: mamori.Logout, AccountID: acct, SessionID: s, Time: t.Add(3 * time.Minute), Context: ctx},
	}
}

// residentBytes reads the process's resident set from /proc (0 where
// there is none).
func residentBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
