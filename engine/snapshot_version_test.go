package engine

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/memlog"
)

// TestASnapshotOfVersion2IsStillRead restores the same state from a
// snapshot of the current version and from one of version 2, which held
// the cross-account counters as two lists per key.
func TestASnapshotOfVersion2IsStillRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := memlog.New(true)
	open := func() *Engine {
		t.Helper()
		e, err := Open(ctx, log, dir, Options{Networks: testNetworks(t), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := open()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var evs []mamori.Event
	for a := range 6 {
		acct := fmt.Sprintf("acct-%d", a)
		c := mamori.Context{IP: "153.156.78.10", DeviceID: fmt.Sprintf("dev-%d", a%2), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
		amt := int64(5000)
		evs = append(evs,
			mamori.Event{Type: mamori.LoginFailed, Time: t0, Context: c, Properties: mamori.Properties{Username: acct}},
			mamori.Event{Type: mamori.LoginSucceeded, AccountID: acct, SessionID: acct + "-s", Time: t0.Add(time.Minute), Context: c},
			mamori.Event{Type: mamori.OrderPlaced, AccountID: acct, SessionID: acct + "-s", Time: t0.Add(2 * time.Minute), Context: c,
				Properties: mamori.Properties{OrderID: acct + "-o", Amount: &amt, Currency: "JPY",
					Items:    []mamori.Item{{SKU: "gc", Category: "gift_cards", GiftCard: true, Digital: true}},
					Delivery: &mamori.Delivery{Type: "email", RecipientEmail: "shared@example.jp"}}},
		)
	}
	for i := range evs {
		evs[i].ID = fmt.Sprintf("e-%d", i)
	}
	if _, err := e.Record(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fromCurrent := open()
	fromCurrent.Close()

	// Rewrite the snapshot as version 2 wrote it.
	path := filepath.Join(dir, snapshotFile)
	snap, err := readSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	var c crowdState
	if err := decodeCrowd(snap.Version, snap.Crowd, &c); err != nil {
		t.Fatal(err)
	}
	back := func(m map[string]recent) map[string]*recentV2 {
		out := map[string]*recentV2{}
		for k, r := range m {
			o := &recentV2{}
			for _, s := range r {
				o.Who, o.When = append(o.Who, s.Who), append(o.When, s.When)
			}
			out[k] = o
		}
		return out
	}
	old := crowdStateV2{IPFails: back(c.IPFails), PrefixFails: back(c.PrefixFails), Recipients: back(c.Recipients),
		Devices: back(c.Devices), ASNs: c.ASNs, Countries: c.Countries, Browsers: c.Browsers,
		SignIns: c.SignIns, Now: c.Now, Touched: c.Touched}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&old); err != nil {
		t.Fatal(err)
	}
	snap.Version, snap.Crowd = 2, buf.Bytes()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewEncoder(f).Encode(snap); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fromV2 := open()
	defer fromV2.Close()

	want, got := fromCurrent.crowd.c, fromV2.crowd.c
	if len(want.IPFails) == 0 || len(want.Recipients) == 0 || len(want.Devices) == 0 || want.SignIns == 0 {
		t.Fatalf("the test means to fill the counters: %+v", want)
	}
	for name, pair := range map[string][2]map[string]recent{
		"IPFails": {want.IPFails, got.IPFails}, "PrefixFails": {want.PrefixFails, got.PrefixFails},
		"Recipients": {want.Recipients, got.Recipients}, "Devices": {want.Devices, got.Devices},
	} {
		if len(pair[0]) != len(pair[1]) {
			t.Errorf("%s: %d keys from version 2, want %d", name, len(pair[1]), len(pair[0]))
		}
		for k, w := range pair[0] {
			g := pair[1][k]
			if len(g) != len(w) {
				t.Errorf("%s[%s]: %d sightings from version 2, want %d", name, k, len(g), len(w))
				continue
			}
			for i := range w {
				if g[i].Who != w[i].Who || !g[i].When.Equal(w[i].When) {
					t.Errorf("%s[%s][%d] = %v, want %v", name, k, i, g[i], w[i])
				}
			}
		}
	}
	if got.SignIns != want.SignIns || len(got.ASNs) != len(want.ASNs) || !got.Now.Equal(want.Now) || got.Touched != want.Touched {
		t.Errorf("counts from version 2 differ: %v %d %v %d, want %v %d %v %d",
			got.SignIns, len(got.ASNs), got.Now, got.Touched, want.SignIns, len(want.ASNs), want.Now, want.Touched)
	}
	count := func(e *Engine) int {
		n := 0
		for _, s := range e.shards {
			n += len(s.accounts)
		}
		return n
	}
	if a, b := count(fromV2), count(fromCurrent); a != b || a == 0 {
		t.Errorf("%d accounts from version 2, want %d", a, b)
	}
}
