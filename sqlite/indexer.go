package sqlite

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// indexBatch caps how many records one indexing transaction writes.
const indexBatch = 4096

// chunk is the records of one group commit, durable in the journal up to
// end, their frames starting at starts, on their way into the index.
type chunk struct {
	recs   []Record
	starts []position
	end    position
	gen    uint64 // the commit's number; commits are numbered from 1
}

// indexer writes committed records into the index, a few commits to a
// batch, and moves the index's position in the journal with them in the
// same batch, so that a restart knows exactly which records the index
// lacks. Readers that must see every acknowledged record wait for it
// (wait); the index then answers as if each commit had written it
// directly.
type indexer struct {
	l       *Log
	in      chan chunk
	urgent  chan struct{} // a reader is waiting: flush without delay
	stopped chan struct{}

	mu      sync.Mutex
	gen     uint64    // the last commit in the index
	meta    indexMeta // how far the index goes
	err     error     // why indexing stopped, if it did
	flushed chan struct{}
}

func newIndexer(l *Log, meta indexMeta) *indexer {
	// The queue is deep so that a slow transaction (a checkpoint, a
	// burst) delays the index, not the commits: the committer blocks
	// only when this many commits wait.
	return &indexer{l: l, in: make(chan chunk, 4096), urgent: make(chan struct{}, 1),
		stopped: make(chan struct{}), meta: meta, flushed: make(chan struct{})}
}

// run indexes until in is closed and drained. It waits up to the index
// delay after a commit for more to join it: one transaction for many
// commits writes each touched index page once.
func (x *indexer) run() {
	defer close(x.stopped)
	var recs []Record
	var starts []position
	for {
		first, ok := <-x.in
		if !ok {
			return
		}
		recs, starts = append(recs[:0], first.recs...), append(starts[:0], first.starts...)
		last, open := first, true
		// take adds the next commit, unless in is closed and drained.
		take := func(c chunk, ok bool) {
			if open = ok; ok {
				recs, starts, last = append(recs, c.recs...), append(starts, c.starts...), c
			}
		}
		timer := time.NewTimer(x.l.opts.IndexDelay)
	gather:
		for open && len(recs) < indexBatch {
			select {
			case c, ok := <-x.in:
				take(c, ok)
			case <-x.urgent:
				break gather
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		// Commits already waiting join this transaction: a reader waiting
		// behind a backlog waits for one transaction, not one per commit.
	drain:
		for open && len(recs) < indexBatch {
			select {
			case c, ok := <-x.in:
				take(c, ok)
			default:
				break drain
			}
		}
		x.flush(recs, starts, last)
		clear(recs) // let the events' bytes go
	}
}

func (x *indexer) flush(recs []Record, starts []position, last chunk) {
	if x.failed() != nil {
		return // the index stops where it failed; a restart indexes the rest from the journal
	}
	start := time.Now()
	x.mu.Lock()
	meta := x.meta
	x.mu.Unlock()
	meta = meta.after(recs, last.end)
	err := x.l.index.add(recs, starts, meta)
	x.mu.Lock()
	if err != nil {
		x.err = err
	} else {
		x.gen, x.meta = last.gen, meta
	}
	close(x.flushed)
	x.flushed = make(chan struct{})
	x.mu.Unlock()
	if err == nil && x.l.opts.OnIndexed != nil {
		x.l.opts.OnIndexed(len(recs), time.Since(start))
	}
}

// after is m once recs, which end at end, are indexed too.
func (m indexMeta) after(recs []Record, end position) indexMeta {
	m.end = end
	m.count += uint64(len(recs))
	for i := range recs {
		m.last = max(m.last, recs[i].Seq)
	}
	return m
}

// state returns how far the index goes.
func (x *indexer) state() indexMeta {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.meta
}

// indexed returns the last commit in the index.
func (x *indexer) indexed() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.gen
}

// failed returns why indexing stopped, or nil.
func (x *indexer) failed() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

// wait returns once commit gen and those before it are in the index.
func (x *indexer) wait(ctx context.Context, gen uint64) error {
	for {
		x.mu.Lock()
		indexed, err, flushed := x.gen >= gen, x.err, x.flushed
		x.mu.Unlock()
		if err != nil {
			return fmt.Errorf("event log index: %w", err)
		}
		if indexed {
			return nil
		}
		select {
		case x.urgent <- struct{}{}:
		default:
		}
		select {
		case <-flushed:
		case <-x.stopped:
			x.mu.Lock()
			indexed = x.gen >= gen
			x.mu.Unlock()
			if !indexed {
				return ErrClosed
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
