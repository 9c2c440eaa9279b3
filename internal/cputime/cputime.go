// Package cputime reads how much CPU the process has used, user and
// system together: what the benchmarks report per request or per
// operation, since on a shared machine wall time says little about cost.
package cputime

import (
	"syscall"
	"time"
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
