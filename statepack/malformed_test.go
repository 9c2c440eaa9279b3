package statepack

import (
	"encoding/binary"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mamori-dev/mamori/risk"
)

// packed builds a packed state by hand: the version, fields, and no
// inline strings.
func packed(fields ...[]byte) []byte {
	b := []byte{version}
	for _, f := range fields {
		b = append(b, f...)
	}
	return appendBackwardUvarint(b, 0)
}

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

// The fields of a zero state up to the sessions' count, a table's entry 0
// standing for the empty shared strings.
var (
	zeroHead      = make([]byte, 10) // LastTime ... SignIns
	zeroSeenLists = make([]byte, 9)  // Devices ... Suspect
)

func TestMalformedInputIsRefused(t *testing.T) {
	tab := NewStrings(1 << 10)
	valid := Append(nil, filledState(t), tab)
	zero := Append(nil, &risk.State{}, tab)
	tests := []struct {
		name  string
		in    []byte
		table *Strings
		want  string // in the error
	}{
		{"empty", nil, tab, "unexpected end"},
		{"version 0", []byte{0}, tab, "format version 0"},
		{"version 2", append([]byte{2}, valid[1:]...), tab, "format version 2"},
		{"no strings length", []byte{version}, tab, "strings length"},
		{"strings length past the start", appendBackwardUvarint([]byte{version}, 100), tab, "strings length"},
		{"strings length of 6 bytes", append([]byte{version}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), tab, "strings length"},
		{"huge count", packed(zeroHead, uv(1<<40)), tab, "devices: 1099511627776 elements"},
		{"count past the end", packed(zeroHead, uv(3), make([]byte, 11)), tab, "devices: 3 elements of at least 4 bytes in 11"},
		{"huge session count", packed(zeroHead, zeroSeenLists, uv(1<<62)), tab, "sessions: 4611686018427387904 elements"},
		{"string past the strings", packed(uv(0), uv(50)), tab, "account: string of 49 bytes: unexpected end"},
		{"entry not in the table", valid, NewStrings(1 << 10), "is not in the table of 1"},
		{"no table", valid, nil, "is not in the table of 0"},
		{"unknown flags", packed(make([]byte, 5), uv(4)), tab, "account: unknown flags 0x4"},
		{"varint of 11 bytes", packed(make([]byte, 7), slices.Repeat([]byte{0xff}, 11)), tab, "account: varint overflows"},
		{"float of 9 bytes", packed(make([]byte, 8), uv(18)), tab, "account: float of 9 bytes"},
		{"float cut short", packed(make([]byte, 8), uv(16), []byte{1, 2}), tab, "account: unexpected end"},
		{"nanoseconds past a second", packed(uv(nanosFixed+1), []byte{0xff, 0xff, 0xff, 0xff}), tab, "last time: 4294967295 nanoseconds"},
		{"milliseconds past a second", packed(uv(nanosMilli+1), uv(1000)), tab, "last time: 1000000000 nanoseconds"},
		{"time too far", packed(uv(1<<63 + 1)), tab, "last time: time 576460752303423488 seconds from 1970"},
		{"zone offset of years", packed(uv(timeZone+1), uv(1<<40)), tab, "last time: zone offset"},
		{"order of a session not kept", packed(zeroHead, zeroSeenLists, uv(0), uv(0), uv(0), uv(1),
			uv(0), uv(0), uv(0), uv(3), make([]byte, 10)), tab, "orders: reference to the 1th key from the end of 0"},
		{"bytes left over", append(slices.Clone(zero[:len(zero)-1]), 0, 0), tab, "1 bytes left over"},
		{"strings left over", appendBackwardUvarint(append(slices.Clone(zero[:len(zero)-1]), "abc"...), 3), tab, "3 bytes of strings left over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Unpack(tt.in, tt.table)
			if err == nil {
				t.Fatalf("unpacked %+v", st)
			}
			if !strings.HasPrefix(err.Error(), "unpack account state: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one with %q", err, tt.want)
			}
		})
	}
}

func TestTruncatedStatesAreRefused(t *testing.T) {
	tab := NewStrings(1 << 10)
	for _, st := range []*risk.State{filledState(t), testStates(t)[0], {}} {
		b := Append(nil, st, tab)
		for n := range len(b) {
			if _, err := Unpack(b[:n], tab); err == nil {
				t.Errorf("account %q cut to %d of %d bytes unpacked", st.AccountID, n, len(b))
			}
		}
	}
}

// Any byte of a packed state may be damaged on disk: Unpack must not
// panic, whether it notices or not.
func TestDamagedStatesDoNotPanic(t *testing.T) {
	tab := NewStrings(1 << 10)
	b := Append(nil, filledState(t), tab)
	for i := range b {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, b[i] ^ 1} {
			d := slices.Clone(b)
			d[i] = v
			Unpack(d, tab)
		}
	}
}

// Garbage must not make Unpack allocate much more than its size: counts
// are checked against the bytes left before lists are allocated.
func TestGarbageAllocatesLittle(t *testing.T) {
	tab := NewStrings(1 << 10)
	const n = 10000
	tests := []struct {
		name string
		in   []byte
	}{
		{"many sessions", packed(zeroHead, zeroSeenLists, uv(n), make([]byte, 10*n))},
		{"many devices", packed(zeroHead, uv(n), make([]byte, 4*n))},
		{"many failures", packed(zeroHead, make([]byte, 6), uv(n), make([]byte, n))},
		{"huge count", packed(zeroHead, zeroSeenLists, uv(1<<60), make([]byte, 1000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			const runs = 10
			for range runs {
				Unpack(tt.in, tab)
			}
			runtime.ReadMemStats(&after)
			per := (after.TotalAlloc - before.TotalAlloc) / runs
			if limit := 32*uint64(len(tt.in)) + 4096; per > limit {
				t.Errorf("%d bytes allocated for %d bytes of input, want at most %d", per, len(tt.in), limit)
			}
		})
	}
}
