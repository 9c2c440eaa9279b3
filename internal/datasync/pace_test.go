package datasync_test

import (
	"testing"
	"time"

	"github.com/mamori-dev/mamori/internal/datasync"
)

// TestPacerWaitsOnlyAfterASharedSync calls Wait twice in a row. After a
// sync of several records the second call must have held on until the
// interval passed; after a lone record, with no interval, or with stop
// closed, it must return though the interval is an hour.
func TestPacerWaitsOnlyAfterASharedSync(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	tests := []struct {
		name     string
		interval time.Duration
		carried  int
		stop     chan struct{}
		waits    bool
	}{
		{"shared sync", 60 * time.Millisecond, 2, nil, true},
		{"large shared sync", 60 * time.Millisecond, 4096, nil, true},
		{"lone record", time.Hour, 1, nil, false},
		{"nothing carried", time.Hour, 0, nil, false},
		{"no interval", 0, 100, nil, false},
		{"stopped", time.Hour, 100, closed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := datasync.Pacer{Interval: tt.interval}
			p.Wait(0, nil) // the first sync never waits
			first := time.Now()
			done := make(chan time.Duration, 1)
			go func() {
				p.Wait(tt.carried, tt.stop)
				done <- time.Since(first)
			}()
			select {
			case took := <-done:
				if tt.waits && took < tt.interval {
					t.Errorf("returned after %s, want at least %s", took, tt.interval)
				}
			case <-time.After(30 * time.Second):
				if !tt.waits {
					t.Fatal("still waiting after 30s")
				}
			}
		})
	}
}
