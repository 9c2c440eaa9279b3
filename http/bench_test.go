package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mamori-dev/mamori/engine"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sim"
)

// BenchmarkRiskRequest serves POST /v1/risk in-process, the events of a
// simulated world one by one through mamori's handler and engine over a
// log kept in memory, so that allocs/op and B/op are what the server
// allocates for a request (every allocation adds to how often the
// garbage collector runs, and each collection slows the answers given
// while it marks: BENCHMARKS.md, "What sets the paced p99"). "harness"
// is the same requests at a handler that only reads the body and
// answers: the part of the figures that the benchmark's own requests
// and recorders make.
func BenchmarkRiskRequest(b *testing.B) {
	ctx := context.Background()
	// Every id of the world starts with slot, which each replay of the
	// world overwrites with its own number: every request is an event
	// new to the engine (a repeat would be answered from the log).
	const slot = "~~~~~~-"
	evs, err := sim.Events(ctx, sim.Config{Seed: 3, Accounts: 300, HistoryDays: 20, Days: 1, Prefix: slot})
	if err != nil {
		b.Fatal(err)
	}
	world := make([][]byte, len(evs))
	for i, ev := range evs {
		if world[i], err = json.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
	serve := func(b *testing.B, h http.Handler) {
		var bodies [][]byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if i%len(world) == 0 {
				b.StopTimer()
				bodies = bodies[:0]
				prefix := fmt.Appendf(nil, "%06d-", i/len(world))
				for _, w := range world {
					bodies = append(bodies, bytes.ReplaceAll(w, []byte(slot), prefix))
				}
				b.StartTimer()
			}
			req := httptest.NewRequest(http.MethodPost, "/v1/risk", bytes.NewReader(bodies[i%len(world)]))
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("event %d: status %d: %s", i, w.Code, w.Body)
			}
		}
	}
	b.Run("mamori", func(b *testing.B) {
		eng, err := engine.Open(ctx, memlog.New(false), "", engine.Options{Networks: networks(b), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		serve(b, mhttp.New(mhttp.Config{Service: eng, APIKey: testKey}))
	})
	b.Run("harness", func(b *testing.B) {
		serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"decision":"allow"}`))
		}))
	})
}
