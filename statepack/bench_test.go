package statepack

import (
	"testing"

	"github.com/mamori-dev/mamori/risk"
)

// benchAccounts are the simulated accounts with the most events: the
// long-lived ones the engine keeps packed.
func benchAccounts(b *testing.B) []*risk.State {
	b.Helper()
	return testStates(b)[:16]
}

func BenchmarkAppend(b *testing.B) {
	states := benchAccounts(b)
	tab := NewStrings(1 << 16)
	size := 0
	for _, st := range states {
		size += len(Append(nil, st, tab))
	}
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = Append(buf[:0], states[i%len(states)], tab)
		i++
	}
	b.ReportMetric(float64(size)/float64(len(states)), "bytes/state")
}

func BenchmarkUnpack(b *testing.B) {
	states := benchAccounts(b)
	tab := NewStrings(1 << 16)
	packed := make([][]byte, len(states))
	size := 0
	for i, st := range states {
		packed[i] = Append(nil, st, tab)
		size += len(packed[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Unpack(packed[i%len(packed)], tab); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(size)/float64(len(states)), "bytes/state")
}
