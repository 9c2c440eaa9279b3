package sim

import (
	"context"
	"testing"
)

// BenchmarkPlay plays a small world against a service that allows
// everything: the cost of the simulator itself, without mamori's.
func BenchmarkPlay(b *testing.B) {
	cfg := Config{Seed: 1, Accounts: 200, HistoryDays: 20, Days: 10}
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Play(context.Background(), newScripted(nil), cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		events += res.History + len(res.Records)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
