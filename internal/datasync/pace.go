package datasync

import "time"

// Pacer spaces the syncs of a group committer at least Interval apart,
// start to start, while they are shared. A commit's write and sync cost
// the process 52 to 107 µs of CPU on mamori's machines
// (BenchmarkCommitSync), of the order of a whole request's CPU at the
// maximum rate, and a commit pays it once however many records it
// carries. So a committer that syncs as soon as anything waits spends,
// at a moderate rate, nearly a sync per request: 185 µs of CPU per
// request at a fifth of the maximum rate, against 64 to 88 µs at the
// maximum, where commits are shared (BENCHMARKS.md, "Group commits
// spaced"). Holding the next sync until Interval has passed lets the
// records that arrive meanwhile share it; a record waits at most
// Interval for that.
//
// A sync that carried one record is not followed by a wait: that is a
// lone writer waiting for each answer before it sends its next record,
// which a wait would only slow down, or a load so light that its syncs
// cost little CPU in all.
//
// The zero Pacer, or one with Interval 0 or less, never waits.
type Pacer struct {
	Interval time.Duration
	last     time.Time
	timer    *time.Timer
}

// Wait returns when the next sync may start: once Interval has passed
// since the previous Wait returned, if carried, the number of records
// the previous sync held, is more than one; at once otherwise; or when
// stop is closed (a nil stop never is).
func (p *Pacer) Wait(carried int, stop <-chan struct{}) {
	if p.Interval <= 0 {
		return
	}
	if d := p.Interval - time.Since(p.last); carried > 1 && d > 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d)
		}
		select {
		case <-p.timer.C:
		case <-stop:
			p.timer.Stop()
		}
	}
	p.last = time.Now()
}
