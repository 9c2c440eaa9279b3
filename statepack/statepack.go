// Package statepack packs an account's state (risk.State) into a compact
// byte slice and back.
//
// A long-lived account costs about 5 KB of Go heap as a risk.State: its
// lists of sessions, orders and seen values are many small objects full
// of pointers, which the garbage collector scans at every cycle. Most
// accounts are idle most of the time, so the engine keeps idle accounts
// packed, a fifth of the size and one pointer-free slice, and unpacks an
// account when an event for it arrives.
//
// The encoding is hand-written: varints, times as differences from
// nearby times, and the strings many accounts share (user agents,
// network keys, currencies, statuses...) as indexes into a Strings
// table. Packed states are written into snapshot files, so the format is
// versioned and Unpack checks everything it reads.
//
// What is not kept:
//   - mamori.Case.Timeline and mamori.Case.Orders, filled only when one
//     case is read and always empty in a state;
//   - the names of time zones: a time unpacks in time.UTC if it was in
//     UTC, else in time.FixedZone("", offset) with its offset, the same
//     instant to the nanosecond;
//   - the monotonic clock reading of a time (event times have none);
//   - times beyond 2^58 seconds (9 billion years) of 1970, which Unpack
//     refuses: event times lie in the years 1970 to 9999.
package statepack

import (
	"errors"
	"fmt"

	"github.com/mamori-dev/mamori/risk"
)

// version is the format's first byte. It changes whenever the layout
// does; Unpack reads only its own.
const version = 1

// Layout:
//
//	version byte
//	fields       the state's fields in a fixed order (encode.go);
//	             a string kept inline is only its length here
//	strings      the bytes of the inline strings, one after the other
//	length       the length of strings, as a uvarint written backwards
//
// The inline strings are kept together so that Unpack copies them out
// of the packed state in one allocation (not one per id), which the
// unpacked state's strings all point into. The price: a string the
// account drops while unpacked (an old session's id) stays in memory
// until the account is packed again.

var (
	errTruncated = errors.New("unexpected end of data")
	errOverflow  = errors.New("varint overflows 64 bits")
)

// Append appends the packed form of st to dst. Strings shared by many
// accounts refer to t's entries, learning new ones while t has room; a
// nil t holds none, and every string is written inline.
func Append(dst []byte, st *risk.State, t *Strings) []byte {
	// The inline strings go to a scratch buffer, then after the fields.
	scratch := t.getScratch()
	e := encoder{buf: append(dst, version), strs: (*scratch)[:0], t: t}
	if t != nil {
		t.mu.RLock()
		e.emptyAt0 = len(t.list) > 0 && t.list[0] == ""
	}
	e.state(st)
	if t != nil {
		t.mu.RUnlock()
	}
	e.buf = append(e.buf, e.strs...)
	*scratch = e.strs
	t.putScratch(scratch)
	return appendBackwardUvarint(e.buf, uint64(len(e.strs)))
}

// Unpack decodes a packed state. It returns an error (never panics, never
// allocates more than a small multiple of len(b)) on malformed input:
// packed states are read back from snapshot files on disk. t must hold
// every entry it held when the state was packed.
func Unpack(b []byte, t *Strings) (*risk.State, error) {
	fields, strs, err := split(b)
	if err != nil {
		return nil, fmt.Errorf("unpack account state: %w", err)
	}
	d := decoder{b: fields, list: t.entries(), t: t}
	if len(strs) > 0 {
		d.strs = string(strs)
	}
	st := d.state()
	if d.err == nil && d.pos != len(d.b) {
		d.fail(fmt.Errorf("%d bytes left over", len(d.b)-d.pos))
	}
	if d.err == nil && d.spos != len(d.strs) {
		d.fail(fmt.Errorf("%d bytes of strings left over", len(d.strs)-d.spos))
	}
	if d.err != nil {
		return nil, fmt.Errorf("unpack account state: %w", d.err)
	}
	return st, nil
}

// split returns the two parts of a packed state: its fields and its
// inline strings.
func split(b []byte) (fields, strs []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errTruncated
	}
	if b[0] != version {
		return nil, nil, fmt.Errorf("format version %d, want %d", b[0], version)
	}
	n, size, ok := backwardUvarint(b[1:])
	if !ok || n > uint64(len(b)-1-size) {
		return nil, nil, fmt.Errorf("strings length: %w", errTruncated)
	}
	end := len(b) - size - int(n)
	return b[1:end], b[end : len(b)-size], nil
}

// appendBackwardUvarint appends v as a uvarint with its bytes in reverse
// order, to be read from the end of the buffer.
func appendBackwardUvarint(b []byte, v uint64) []byte {
	start := len(b)
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	b = append(b, byte(v))
	for i, j := start, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// backwardUvarint reads the uvarint at the end of b written by
// appendBackwardUvarint, and returns it with its length in bytes. It
// reads at most five bytes: more would be a string section of 32 GB.
func backwardUvarint(b []byte) (uint64, int, bool) {
	var v uint64
	for i := 0; i < 5 && i < len(b); i++ {
		c := b[len(b)-1-i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}
