package cputime_test

import (
	"testing"
	"time"

	"github.com/mamori-dev/mamori/internal/cputime"
)

// TestProcessCountsWork spins for 50ms of wall time: the process's CPU
// time must grow by some of it, and never fall.
func TestProcessCountsWork(t *testing.T) {
	before := cputime.Process()
	if before <= 0 {
		t.Fatalf("CPU so far %s, want more than 0", before)
	}
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	if after := cputime.Process(); after <= before {
		t.Fatalf("CPU %s after spinning, %s before", after, before)
	}
}
