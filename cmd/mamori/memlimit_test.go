package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMemoryLimitFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"4GiB", 4 << 30, false},
		{"512MiB", 512 << 20, false},
		{"2GB", 2_000_000_000, false},
		{"256MiB", 256 << 20, false},
		{"255MiB", 0, true}, // below the smallest limit
		{"1KiB", 0, true},
		{"lots", 0, true},
		{"-1GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m memoryLimit
			err := m.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v, want an error: %t", tt.in, err, tt.wantErr)
			}
			if err == nil && m.bytes != tt.want {
				t.Errorf("Set(%q): %d bytes, want %d", tt.in, m.bytes, tt.want)
			}
		})
	}
}

// TestMemoryLimitApplies checks that a limit turns the heap-doubling
// trigger off and sets the runtime's limit, and that restoring puts both
// back; without a limit nothing changes.
func TestMemoryLimitApplies(t *testing.T) {
	limit0 := debug.SetMemoryLimit(-1)
	percent0 := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent0)

	memoryLimit{}.apply()()
	if got := debug.SetMemoryLimit(-1); got != limit0 {
		t.Errorf("no limit changed the runtime's limit to %d", got)
	}

	restore := memoryLimit{bytes: 3 << 30}.apply()
	gotLimit := debug.SetMemoryLimit(-1)
	gotPercent := debug.SetGCPercent(-1) // reading it turns it off, as it already is
	restore()
	if gotLimit != 3<<30 || gotPercent != -1 {
		t.Errorf("with a 3 GiB limit: runtime limit %d, GC percent %d; want %d and -1 (off)", gotLimit, gotPercent, int64(3<<30))
	}
	if got := debug.SetMemoryLimit(-1); got != limit0 {
		t.Errorf("restored limit %d, want %d", got, limit0)
	}
	if got := debug.SetGCPercent(percent0); got != percent0 {
		t.Errorf("restored GC percent %d, want %d", got, percent0)
	}
}

func TestNearLimitTellsOncePerApproach(t *testing.T) {
	const limit = 1000
	tests := []struct {
		name  string
		lives []uint64
		want  []bool
	}{
		{"far below", []uint64{100, 400, 700}, []bool{false, false, false}},
		{"past three quarters, once", []uint64{700, 800, 900, 990}, []bool{false, true, false, false}},
		{"down a little, then up: still near", []uint64{800, 600, 800}, []bool{true, false, false}},
		{"back below half, then near again", []uint64{800, 400, 800}, []bool{true, false, true}},
		{"at three quarters exactly is not near", []uint64{750, 751}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := nearLimit{limit: limit}
			for i, live := range tt.lives {
				if got := n.see(live); got != tt.want[i] {
					t.Errorf("reading %d (%d of %d): near %t, want %t", i, live, limit, got, tt.want[i])
				}
			}
		})
	}
}

// TestWatchWarnsNearTheLimit watches a limit of 1 MiB, which the test
// process's live heap is always past: the warning comes once, with the
// live heap and the limit.
func TestWatchWarnsNearTheLimit(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &out}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		memoryLimit{bytes: 1 << 20}.watch(ctx, log, time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := out.String()
		mu.Unlock()
		if strings.Contains(got, "near the memory limit") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning in 10 s; logged:\n%s", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // more readings, all still near
	cancel()
	<-done
	got := out.String()
	if n := strings.Count(got, "near the memory limit"); n != 1 || !strings.Contains(got, "limit=\"1.0 MiB\"") {
		t.Errorf("want one warning naming the 1 MiB limit, got %d:\n%s", n, got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
