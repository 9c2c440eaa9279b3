package engine

import (
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/mamori-dev/mamori"
)

// dedup knows which event ids were recorded, so that a repeated event is
// answered from the log instead of being applied twice. A Bloom filter
// answers "certainly new" for almost every fresh id without touching the
// disk; a "maybe" is settled by a look-up in the log. Events decided but
// not yet on disk are in flight: a repeat waits for the first.
type dedup struct {
	mu      sync.Mutex
	filter  *bloom.BloomFilter
	flights map[string]*flight
}

// flight is one event on its way to disk.
type flight struct {
	done     chan struct{}
	decision mamori.Decision
	raw      []byte // decision as stored in the log
	err      error
}

func newDedup(filter *bloom.BloomFilter) *dedup {
	return &dedup{filter: filter, flights: make(map[string]*flight)}
}

// filterFor sizes a filter for n ids with room to grow.
func filterFor(n int64) *bloom.BloomFilter {
	return bloom.NewWithEstimates(uint(max(4_000_000, 4*n)), 0.001)
}

// claim starts the flight of id if id is certainly new, and returns it
// with fresh set. Otherwise it returns the flight id is in, if any, or
// nil when id may have been recorded: the log settles that, and start
// then claims it. One lock and one pass of the filter's hashing serve
// the common case, a new id.
func (d *dedup) claim(id string) (f *flight, fresh bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.flights[id]; f != nil {
		return f, false
	}
	if d.filter.TestAndAddString(id) {
		return nil, false
	}
	f = &flight{done: make(chan struct{})}
	d.flights[id] = f
	return f, true
}

// start marks id as in flight, unless another request got there first,
// whose flight it then returns.
func (d *dedup) start(id string) (*flight, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.flights[id]; f != nil {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	d.flights[id] = f
	d.filter.AddString(id)
	return f, true
}

// finish lands a flight: repeats from now on find the id in the log.
func (d *dedup) finish(id string, f *flight, err error) {
	f.err = err
	d.mu.Lock()
	delete(d.flights, id)
	d.mu.Unlock()
	close(f.done)
}
