package sqlite

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/mamori-dev/mamori"
)

// BenchmarkIndexAdd indexes batches of 1,000 records as the indexer
// does (ns/op is a record's), ids random, accounts among 20,000, one event in ten an order:
//
//	go test ./sqlite -run '^$' -bench IndexAdd
func BenchmarkIndexAdd(b *testing.B) {
	x, err := openIndex(b.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer x.close()
	const batch = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, batch)
	starts := make([]position, batch)
	var m indexMeta
	seq := uint64(0)
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		b.StopTimer()
		for i := range recs {
			seq++
			r := Record{Seq: seq, ID: fmt.Sprintf("ev-%016x", rng.Uint64()), Account: fmt.Sprintf("acct-%05d", rng.IntN(20000)), Type: mamori.LoginSucceeded,
				Event: []byte(`{"type":"login.succeeded"}`)}
			if rng.IntN(10) == 0 {
				r.Type = mamori.OrderPlaced
				r.Order = fmt.Sprintf("o-%016x", rng.Uint64())
				r.Event = fmt.Appendf(nil, `{"type":"order.placed","properties":{"order_id":%q,"amount":5000,"currency":"JPY"}}`, r.Order)
			}
			recs[i], starts[i] = r, position{segment: 1, offset: int64(seq) * 700}
		}
		m = m.after(recs, starts[batch-1])
		b.StartTimer()
		if err := x.add(recs, starts, m); err != nil {
			b.Fatal(err)
		}
	}
}
