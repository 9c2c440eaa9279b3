package engine

import "strings"

// maxInterned bounds an interner. Past it the interner starts afresh:
// strings already handed out stay shared, and the values still in use
// are learnt again, while a stream of values never repeated (random user
// agents) cannot grow it without end.
const maxInterned = 1 << 14

// interner hands out one copy of each string it is given, so that the
// many account states holding the same user agent, network key or
// currency share it instead of each keeping the copy its event was
// decoded into. Each shard has its own, used only by its goroutine.
type interner struct {
	strings map[string]string
}

func newInterner() *interner { return &interner{strings: make(map[string]string)} }

func (in *interner) intern(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := in.strings[s]; ok {
		return c
	}
	if len(in.strings) >= maxInterned {
		in.strings = make(map[string]string)
	}
	// A copy, in case s is part of a larger string that the state should
	// not keep alive.
	c := strings.Clone(s)
	in.strings[c] = c
	return c
}
