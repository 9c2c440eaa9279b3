package cputime_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/internal/cputime"
)

// spin keeps a core busy for d of wall time.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// spinCPU keeps a core busy until the process has used d more of CPU,
// however busy the machine is.
func spinCPU(d time.Duration) {
	for start := cputime.Process(); cputime.Process()-start < d; {
		spin(time.Millisecond)
	}
}

// TestProcessCountsWork spins for 50ms of wall time: the process's CPU
// time must grow by some of it, and never fall.
func TestProcessCountsWork(t *testing.T) {
	before := cputime.Process()
	if before <= 0 {
		t.Fatalf("CPU so far %s, want more than 0", before)
	}
	spin(50 * time.Millisecond)
	if after := cputime.Process(); after <= before {
		t.Fatalf("CPU %s after spinning, %s before", after, before)
	}
}

// TestOfReadsAnotherProcess reads the CPU time of this process through
// /proc, as a benchmark reads its server's: it must agree with what the
// process counts itself, to the clock tick /proc counts in, and grow
// with work. A process that is gone is an error, not 0.
func TestOfReadsAnotherProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	spinCPU(100 * time.Millisecond)
	self, err := cputime.Of(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	own := cputime.Process()
	// /proc counts whole ticks: up to one short per thread's user and
	// system time, so allow a few.
	if self > own+time.Millisecond || self < own-50*time.Millisecond {
		t.Fatalf("/proc says %s, the process says %s", self, own)
	}
	spinCPU(100 * time.Millisecond)
	if again, err := cputime.Of(os.Getpid()); err != nil || again < self+50*time.Millisecond {
		t.Fatalf("after 100ms more of CPU /proc says %s (%v), %s before", again, err, self)
	}

	// A child that has exited and been waited for no longer has an entry.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("no `true` to run: %v", err)
	}
	if got, err := cputime.Of(cmd.Process.Pid); err == nil {
		t.Fatalf("exited process %d: %s and no error", cmd.Process.Pid, got)
	}
}
