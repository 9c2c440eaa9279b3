package engine

import (
	"fmt"

	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/statepack"
)

// account is one account's entry in its shard. An account in use has its
// state decoded; an idle one has it packed (statepack): about a kilobyte
// in one slice without pointers, where the decoded state of a long-lived
// account is four to five kilobytes in dozens of objects that every
// garbage collection marks. Most of a store's accounts are idle at any
// moment, so most are packed.
type account struct {
	st     *risk.State // nil while packed
	packed []byte
}

// defaultActive is how many accounts are kept decoded across the shards
// when Options.ActiveAccounts is not set.
const defaultActive = 1 << 16

// tableLimit bounds the strings packed accounts share, user agents most
// of them; past the limit (a stream of made-up user agents can reach it)
// strings are packed inline.
const tableLimit = 1 << 16

// activeSet is the order in which a shard's accounts were decoded: the
// first decoded is the first packed again once the shard holds more than
// its limit. A busy account packed this way is decoded again at its next
// event, which costs a few microseconds once in every limit decodings,
// less than keeping track of recency on every event would.
type activeSet struct {
	keys  []string
	head  int
	limit int
}

func (a *activeSet) len() int { return len(a.keys) - a.head }

func (a *activeSet) push(key string) { a.keys = append(a.keys, key) }

func (a *activeSet) pop() string {
	k := a.keys[a.head]
	a.keys[a.head] = ""
	a.head++
	// Compacted when the popped half is the larger, so that the slice
	// does not grow with every account ever decoded.
	if a.head > 1024 && a.head*2 > len(a.keys) {
		n := copy(a.keys, a.keys[a.head:])
		clear(a.keys[n:])
		a.keys, a.head = a.keys[:n], 0
	}
	return k
}

// state returns the state of the account key for an event, decoded and
// counted as in use, or nil for an account the shard does not hold.
func (s *shard) state(key string) (*risk.State, error) {
	a, ok := s.accounts[key]
	if !ok {
		return nil, nil
	}
	if a.st != nil {
		return a.st, nil
	}
	st, err := s.unpack(key, a.packed)
	if err != nil {
		return nil, err
	}
	s.accounts[key] = account{st: st}
	s.activate(key)
	return st, nil
}

// add holds a new account's state, decoded.
func (s *shard) add(key string, st *risk.State) {
	s.accounts[key] = account{st: st}
	s.activate(key)
}

// activate counts key as decoded, packing the oldest decoded accounts
// past the shard's limit.
func (s *shard) activate(key string) {
	s.active.push(key)
	for s.active.len() > s.active.limit {
		// Only decoded accounts are in the set, each once.
		old := s.active.pop()
		s.accounts[old] = account{packed: s.pack(s.accounts[old].st)}
	}
}

// peek returns the state of the account key for reading, without
// counting it as in use: an idle account read by an analyst stays packed.
// The state must not be changed.
func (s *shard) peek(key string) (*risk.State, error) {
	a, ok := s.accounts[key]
	switch {
	case !ok:
		return nil, nil
	case a.st != nil:
		return a.st, nil
	}
	return s.unpack(key, a.packed)
}

// pack returns st packed, in a slice of its own size: it is kept for as
// long as the account stays idle.
func (s *shard) pack(st *risk.State) []byte {
	s.scratch = statepack.Append(s.scratch[:0], st, s.e.table)
	return append([]byte(nil), s.scratch...)
}

func (s *shard) unpack(key string, b []byte) (*risk.State, error) {
	st, err := statepack.Unpack(b, s.e.table)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", key, err)
	}
	if st.AccountID == key {
		// The caller's copy of the id (the map's, or the event's), not
		// one more held by the unpacked state alone.
		st.AccountID = key
	}
	return st, nil
}

// packedAccounts returns every account of the shard packed, for a
// snapshot; accounts in use stay decoded.
func (s *shard) packedAccounts() map[string][]byte {
	out := make(map[string][]byte, len(s.accounts))
	for key, a := range s.accounts {
		if a.st != nil {
			out[key] = statepack.Append(nil, a.st, s.e.table)
		} else {
			out[key] = a.packed
		}
	}
	return out
}
