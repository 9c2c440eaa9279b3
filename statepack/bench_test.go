package statepack

import (
	"testing"

	"github.com/mamori-dev/mamori/risk"
)

// benchSets are the simulated accounts with the most events, the
// long-lived ones the engine keeps packed, and 16 around the median.
func benchSets(b *testing.B) []struct {
	name   string
	states []*risk.State
} {
	b.Helper()
	all := testStates(b) // most events first
	mid := len(all) / 2
	return []struct {
		name   string
		states []*risk.State
	}{{"largest", all[:16]}, {"median", all[mid-8 : mid+8]}}
}

func BenchmarkAppend(b *testing.B) {
	for _, set := range benchSets(b) {
		b.Run(set.name, func(b *testing.B) {
			tab := NewStrings(1 << 16)
			size := 0
			for _, st := range set.states {
				size += len(Append(nil, st, tab))
			}
			buf := make([]byte, 0, 64<<10)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf = Append(buf[:0], set.states[i%len(set.states)], tab)
				i++
			}
			b.ReportMetric(float64(size)/float64(len(set.states)), "bytes/state")
		})
	}
}

func BenchmarkUnpack(b *testing.B) {
	for _, set := range benchSets(b) {
		b.Run(set.name, func(b *testing.B) {
			tab := NewStrings(1 << 16)
			packed := make([][]byte, len(set.states))
			size := 0
			for i, st := range set.states {
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
			b.ReportMetric(float64(size)/float64(len(set.states)), "bytes/state")
		})
	}
}
