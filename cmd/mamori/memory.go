package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/memlog"
)

// memoryReport loads n accounts into an in-process engine whose log is
// kept in memory without the events (only their decisions, for
// idempotency), each account with a sign-up and a short session, and
// prints the heap and the resident set per account.
func memoryReport(ctx context.Context, n int, out io.Writer) error {
	nets, err := enrich.LoadNetworks()
	if err != nil {
		return err
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := residentBytes()
	log := memlog.New(false)
	eng, err := engine.Open(ctx, log, "", engine.Options{Networks: nets, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]mamori.Event, 0, 1000)
			for a := w; a < n; a += writers {
				batch = append(batch, accountEvents(a)...)
				if len(batch) >= 996 {
					if _, err := eng.Record(ctx, batch); err != nil {
						errs <- err
						return
					}
					batch = batch[:0]
				}
			}
			if len(batch) > 0 {
				if _, err := eng.Record(ctx, batch); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	took := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	rss := float64(residentBytes()-rssBefore) / float64(n)
	fmt.Fprintf(out, "memory: %d accounts (4 events each, %s) heap %.0f B/account, RSS %.0f B/account (the log's decisions included: %.0f events kept for idempotency)\n",
		n, took.Round(time.Millisecond), heap, rss, float64(4*n))
	return nil
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
