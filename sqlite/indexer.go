package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// indexBatch caps how many records one indexing transaction writes.
const indexBatch = 4096

// chunk is the records of one group commit, durable in the journal up to
// end, on their way into the tables.
type chunk struct {
	recs []Record
	end  position
	gen  uint64 // the commit's number; commits are numbered from 1
}

// indexer writes committed records into the events table, a few
// commits to a transaction, and moves the journal position with them in
// the same transaction, so that a restart knows exactly which records
// the tables lack. Readers that must see every acknowledged record wait
// for it (wait); the tables then answer as if each commit had written
// them directly.
type indexer struct {
	l       *Log
	in      chan chunk
	urgent  chan struct{} // a reader is waiting: flush without delay
	stopped chan struct{}
	oldest  uint64 // the lowest journal segment that may still be on disk

	mu      sync.Mutex
	gen     uint64 // the last commit in the tables
	err     error  // why indexing stopped, if it did
	flushed chan struct{}
}

func newIndexer(l *Log, oldest uint64) *indexer {
	// The queue is deep so that a slow transaction (a checkpoint, a
	// burst) delays the tables, not the commits: the committer blocks
	// only when this many commits wait.
	return &indexer{l: l, in: make(chan chunk, 4096), urgent: make(chan struct{}, 1),
		stopped: make(chan struct{}), oldest: oldest, flushed: make(chan struct{})}
}

// run indexes until in is closed and drained. It waits up to the index
// delay after a commit for more to join it: one transaction for many
// commits writes each touched index page once.
func (x *indexer) run() {
	defer close(x.stopped)
	var recs []Record
	for {
		first, ok := <-x.in
		if !ok {
			return
		}
		recs = append(recs[:0], first.recs...)
		last, open := first, true
		// take adds the next commit, unless in is closed and drained.
		take := func(c chunk, ok bool) {
			if open = ok; ok {
				recs, last = append(recs, c.recs...), c
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
		x.flush(recs, last)
		clear(recs) // let the events' bytes go
	}
}

func (x *indexer) flush(recs []Record, last chunk) {
	if x.failed() != nil {
		return // the tables stop where they failed; a restart indexes the rest from the journal
	}
	start := time.Now()
	err := x.l.writeTables(context.Background(), recs, last.end)
	x.mu.Lock()
	if err != nil {
		x.err = err
	} else {
		x.gen = last.gen
	}
	close(x.flushed)
	x.flushed = make(chan struct{})
	x.mu.Unlock()
	if err != nil {
		return
	}
	x.removeBefore(last.end.segment)
	if x.l.opts.OnIndexed != nil {
		x.l.opts.OnIndexed(len(recs), time.Since(start))
	}
}

// removeBefore removes the journal segments before segment n: the tables
// hold all their records.
func (x *indexer) removeBefore(n uint64) {
	for ; x.oldest < n; x.oldest++ {
		if err := os.Remove(segmentPath(x.l.journalDir, x.oldest)); err != nil && !errors.Is(err, os.ErrNotExist) {
			// Harmless but worth knowing: Open removes it next time.
			x.l.opts.Logger.Warn("remove indexed journal segment", "segment", x.oldest, "err", err)
		}
	}
}

// indexed returns the last commit in the tables.
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

// wait returns once commit gen and those before it are in the tables.
func (x *indexer) wait(ctx context.Context, gen uint64) error {
	for {
		x.mu.Lock()
		indexed, err, flushed := x.gen >= gen, x.err, x.flushed
		x.mu.Unlock()
		if err != nil {
			return fmt.Errorf("event log tables: %w", err)
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
