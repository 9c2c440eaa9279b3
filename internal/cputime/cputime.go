// Package cputime reads how much CPU a process has used, user and system
// together: what the benchmarks report per request or per operation,
// since on a shared machine wall time says little about cost.
package cputime

import (
	"fmt"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// Process returns the CPU time the process has used so far (0 if the
// system cannot tell).
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Of returns the CPU time process pid has used so far, as /proc counts
// it (in clock ticks, 10 ms on most systems): the cost of a server a
// benchmark runs in a process of its own.
func Of(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	return time.Duration(st.CPUTime() * float64(time.Second)), nil
}
