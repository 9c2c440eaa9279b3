package statepack

import (
	"slices"
	"strings"
	"sync"
)

// Strings is the table of strings many accounts share (user agents,
// network and browser keys, countries, currencies, descriptors,
// statuses, action names...). Packed states refer to its entries by
// index, so it only grows: entries are never removed or renumbered. Past
// its limit, new strings are written inline in the packed state instead.
// Safe for concurrent use; lookups are the common case.
//
// Entry 0 is the empty string, so that an empty field costs one byte; it
// is not one of the limit.
type Strings struct {
	limit int
	// scratch keeps Append's buffers for inline strings (*[]byte)
	// between calls.
	scratch sync.Pool

	mu    sync.RWMutex
	list  []string
	index map[string]int
}

// NewStrings returns a table holding only the empty string, which learns
// up to limit more strings.
func NewStrings(limit int) *Strings {
	return &Strings{limit: limit, list: []string{""}, index: map[string]int{"": 0}}
}

// LoadStrings rebuilds a table from List's result (as a snapshot stored
// it), so that states packed against the old table unpack against the
// new one. Every entry of list is kept, even past limit.
func LoadStrings(list []string, limit int) *Strings {
	if len(list) == 0 {
		return NewStrings(limit)
	}
	t := &Strings{limit: limit, list: make([]string, len(list)), index: make(map[string]int, len(list))}
	for i, s := range list {
		// A copy, so that the table does not keep alive the snapshot the
		// list was decoded from.
		s = strings.Clone(s)
		t.list[i] = s
		// A list from List holds no duplicates; should one be there, the
		// first keeps its place and the later is only read.
		if _, dup := t.index[s]; !dup {
			t.index[s] = i
		}
	}
	return t
}

// List returns a copy of the entries in index order. A snapshot stores
// it after the states it packed: entries learnt since are harmless,
// missing ones are not.
func (t *Strings) List() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.list)
}

// Len returns the number of entries, the empty string's included.
func (t *Strings) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.list)
}

// entries returns the entries as they stand. Entries are only ever
// appended, so the slice stays valid without the lock.
func (t *Strings) entries() []string {
	if t == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.list
}

// learn adds s to the table if it has room, and returns its index. The
// caller holds the read lock, and holds it again on return.
func (t *Strings) learn(s string) (int, bool) {
	t.mu.RUnlock()
	defer t.mu.RLock()
	t.mu.Lock()
	defer t.mu.Unlock()
	// Another packer may have added it between the locks.
	if i, ok := t.index[s]; ok {
		return i, true
	}
	if len(t.list) > t.limit {
		return 0, false
	}
	// A copy, so that the table does not keep alive the larger string s
	// may be part of (the event it was decoded from).
	s = strings.Clone(s)
	t.index[s] = len(t.list)
	t.list = append(t.list, s)
	return len(t.list) - 1, true
}

// copyOf returns the table's copy of s if it holds one: shared strings a
// full table made Append write inline are still shared when a table
// loaded with a higher limit learnt them since.
func (t *Strings) copyOf(s string) string {
	if t == nil {
		return s
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if i, ok := t.index[s]; ok {
		return t.list[i]
	}
	return s
}

// getScratch returns a buffer for Append's inline strings.
func (t *Strings) getScratch() *[]byte {
	if t != nil {
		if b, ok := t.scratch.Get().(*[]byte); ok {
			return b
		}
	}
	return new([]byte)
}

// maxScratch bounds the buffers kept for reuse: a rare huge account does
// not keep its buffer alive.
const maxScratch = 64 << 10

func (t *Strings) putScratch(b *[]byte) {
	if t != nil && cap(*b) <= maxScratch {
		t.scratch.Put(b)
	}
}
