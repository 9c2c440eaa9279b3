package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/sqlite"
)

// BenchmarkAppend measures durable appends with group commit: each
// writer waits for its record to be on disk before appending the next,
// as a request waits for its answer. The batch-size metric is how many
// records shared one commit.
//
//	go test ./sqlite -run '^$' -bench Append
func BenchmarkAppend(b *testing.B) {
	event := []byte(`{"id":"e","type":"session.activity","time":"2026-11-25T09:30:00Z","account_id":"a-1","context":{"ip":"153.156.78.12"},"properties":{"page":"orders"}}`)
	decision := []byte(`{"event_id":"e","decision":"allow","score":0.02,"reasons":[],"actions":[]}`)
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			var commits, records atomic.Int64
			log, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{OnCommit: func(n int, _ time.Duration) {
				commits.Add(1)
				records.Add(int64(n))
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			var seq atomic.Uint64
			var next atomic.Int64
			total := int64(b.N)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					done := make(chan error, 1)
					for next.Add(1) <= total {
						s := seq.Add(1)
						log.Append(sqlite.Record{Seq: s, ID: fmt.Sprintf("e-%d", s), Account: "a-1", Type: "session.activity",
							Time: time.Unix(int64(s), 0), Event: event, Decision: decision}, func(err error) { done <- err })
						if err := <-done; err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if c := commits.Load(); c > 0 {
				b.ReportMetric(float64(records.Load())/float64(c), "records/commit")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
