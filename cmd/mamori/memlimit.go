package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/dustin/go-humanize"
)

// minMemoryLimit is the smallest --memory-limit taken: below it the
// network tables and an empty store alone would keep the collector
// running without a pause.
const minMemoryLimit = 256 << 20

// memoryLimit is the --memory-limit flag: a size such as "4GiB", or
// "" for none.
//
// Under load every garbage collection slows the answers given while it
// marks (tens of milliseconds on two cores), and by default one starts
// each time the heap has doubled since the last: at 70% of the maximum
// rate, about every second with a few thousand accounts. With a limit,
// collections start only as the process's memory nears it, so they come
// as often as the limit's headroom over the live heap allows
// (BENCHMARKS.md, "What sets the paced p99").
type memoryLimit struct{ bytes int64 }

func (m *memoryLimit) String() string {
	if m == nil || m.bytes == 0 {
		return ""
	}
	return humanize.IBytes(uint64(m.bytes))
}

func (m *memoryLimit) Set(s string) error {
	if s == "" || s == "0" {
		m.bytes = 0
		return nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("want a size such as 4GiB: %w", err)
	}
	if n < minMemoryLimit {
		return fmt.Errorf("%s is below the smallest limit, %s", s, humanize.IBytes(minMemoryLimit))
	}
	m.bytes = int64(min(n, math.MaxInt64))
	return nil
}

// apply makes the limit the runtime's (Go's GOMEMLIMIT, with GOGC off)
// and returns what undoes it. Without a limit it changes nothing.
func (m memoryLimit) apply() (restore func()) {
	if m.bytes == 0 {
		return func() {}
	}
	limit := debug.SetMemoryLimit(m.bytes)
	percent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// nearLimit says when the live heap comes near the limit: past three
// quarters of it, collections come ever more often, up to half the CPU
// once the live heap reaches it. It tells once per approach: it is near
// again only after falling back below half.
type nearLimit struct {
	limit uint64
	near  bool
}

// see takes a reading of the live heap and returns whether it has just
// come near the limit.
func (n *nearLimit) see(live uint64) bool {
	switch {
	case !n.near && live > n.limit/4*3:
		n.near = true
		return true
	case n.near && live < n.limit/2:
		n.near = false
	}
	return false
}

// watch logs a warning each time the live heap comes near the limit,
// reading it every period until ctx ends.
func (m memoryLimit) watch(ctx context.Context, log *slog.Logger, period time.Duration) {
	if m.bytes == 0 {
		return
	}
	n := nearLimit{limit: uint64(m.bytes)}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(live)
		if v := live[0].Value.Uint64(); n.see(v) {
			log.Warn("the live heap is near the memory limit: collections will come more and more often; raise --memory-limit",
				"live", humanize.IBytes(v), "limit", m.String())
		}
	}
}
