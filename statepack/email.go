package statepack

import (
	"fmt"
	"time"
)

// Email returns the e-mail of a packed state, as the part of b that
// holds it (empty if the account has none), without unpacking the rest:
// a search by e-mail reads it from every account of a shard, and
// unpacking each would hold up the shard's events for as long.
func Email(b []byte) ([]byte, error) {
	fields, strs, err := split(b)
	if err != nil {
		return nil, fmt.Errorf("read e-mail of account state: %w", err)
	}
	// The fields before the e-mail, as state reads them: the times are
	// read only to be skipped, the strings only for their lengths.
	d := decoder{b: fields, loc: time.UTC, section: "account"}
	_, last := d.time(0)
	at := 0
	skip := func() (int, int) {
		switch c := d.uvarint(); c {
		case stringEmpty, stringSame:
			return at, at
		default:
			start := at
			if c-1 > uint64(len(strs)-at) {
				d.fail(fmt.Errorf("string of %d bytes: %w", c-1, errTruncated))
				return at, at
			}
			at += int(c - 1)
			return start, at
		}
	}
	skip() // the account id
	d.time(last)
	start, end := skip()
	if d.err != nil {
		return nil, fmt.Errorf("read e-mail of account state: %w", d.err)
	}
	return strs[start:end:end], nil
}
