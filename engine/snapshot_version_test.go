package engine

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/risk"
)

// TestSnapshotsOfEarlierVersionsAreStillRead restores the same state
// from a snapshot of the current version, which streams the accounts
// packed, and from snapshots as versions 2 to 4 wrote them: in one value,
// the accounts packed (4) or as gob-encoded states (2 and 3), and in
// version 2 the cross-account counters as two lists per key.
func TestSnapshotsOfEarlierVersionsAreStillRead(t *testing.T) {
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
	var ids []string
	for a := range 6 {
		acct := fmt.Sprintf("acct-%d", a)
		ids = append(ids, acct)
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
	// Decided rather than recorded, so that they open cases.
	reports := []mamori.Event{
		{ID: "r-0", Type: mamori.FraudReported, AccountID: "acct-0", Time: t0.Add(time.Hour), Properties: mamori.Properties{By: "bank"}},
		{ID: "r-3", Type: mamori.FraudReported, AccountID: "acct-3", Time: t0.Add(time.Hour), Properties: mamori.Properties{By: "customer"}},
	}
	for i := range evs {
		evs[i].ID = fmt.Sprintf("e-%d", i)
	}
	if _, err := e.Record(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for _, ev := range reports {
		if _, err := e.Decide(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, snapshotFile)
	packed := map[string][]byte{}
	current, err := readSnapshot(path, func(m map[string][]byte) { maps.Copy(packed, m) })
	if err != nil {
		t.Fatal(err)
	}
	if current.Version != snapshotVersion {
		t.Fatalf("the engine wrote a snapshot of version %d, want %d", current.Version, snapshotVersion)
	}
	fromCurrent := open()
	views := func(e *Engine) []string {
		t.Helper()
		var out []string
		for _, id := range ids {
			a, err := e.Account(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return out
	}
	// The states as versions 2 and 3 held them.
	states := map[string]*risk.State{}
	for _, s := range fromCurrent.shards {
		for key := range s.accounts {
			states[key] = peekState(t, s, key)
		}
	}
	wantViews, wantCases := views(fromCurrent), caseIDs(t, fromCurrent)
	if len(wantCases) == 0 {
		t.Fatal("the test means to open cases")
	}
	wantCrowd := fromCurrent.crowd.c
	if err := fromCurrent.Close(); err != nil {
		t.Fatal(err)
	}
	var accounts bytes.Buffer
	if err := gob.NewEncoder(&accounts).Encode(states); err != nil {
		t.Fatal(err)
	}
	var c crowdState
	if err := decodeCrowd(current.Version, current.Crowd, &c); err != nil {
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
	var crowdV2 bytes.Buffer
	if err := gob.NewEncoder(&crowdV2).Encode(&old); err != nil {
		t.Fatal(err)
	}

	// Version 4: the packed accounts as the current version holds them,
	// in one value.
	var packedV4 bytes.Buffer
	if err := gob.NewEncoder(&packedV4).Encode(packed); err != nil {
		t.Fatal(err)
	}

	for _, version := range []int{2, 3, 4} {
		t.Run(fmt.Sprintf("version %d", version), func(t *testing.T) {
			snap := snapshot{Version: version, Seq: current.Seq, Accounts: [][]byte{accounts.Bytes()},
				Filter: current.Filter, Crowd: current.Crowd}
			switch version {
			case 2:
				snap.Crowd = crowdV2.Bytes()
			case 4:
				snap.Accounts = [][]byte{packedV4.Bytes()}
				snap.Strings, snap.Cases = current.Strings, current.Cases
			}
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := gob.NewEncoder(f).Encode(&snap); err != nil {
				t.Fatal(err)
			}
			f.Close()
			fromOld := open()
			defer fromOld.Close()
			compareCrowds(t, wantCrowd, fromOld.crowd.c)
			if got := views(fromOld); !slices.Equal(got, wantViews) {
				t.Errorf("accounts from version %d:\n%s\nwant\n%s", version, got, wantViews)
			}
			if got := caseIDs(t, fromOld); !slices.Equal(got, wantCases) {
				t.Errorf("cases from version %d: %v, want %v", version, got, wantCases)
			}
		})
	}
}

func caseIDs(t *testing.T, e *Engine) []string {
	t.Helper()
	cs, err := e.Cases(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func compareCrowds(t *testing.T, want, got crowdState) {
	t.Helper()
	if len(want.IPFails) == 0 || len(want.Recipients) == 0 || len(want.Devices) == 0 || want.SignIns == 0 {
		t.Fatalf("the test means to fill the counters: %+v", want)
	}
	for name, pair := range map[string][2]map[string]recent{
		"IPFails": {want.IPFails, got.IPFails}, "PrefixFails": {want.PrefixFails, got.PrefixFails},
		"Recipients": {want.Recipients, got.Recipients}, "Devices": {want.Devices, got.Devices},
	} {
		if len(pair[0]) != len(pair[1]) {
			t.Errorf("%s: %d keys, want %d", name, len(pair[1]), len(pair[0]))
		}
		for k, w := range pair[0] {
			g := pair[1][k]
			if len(g) != len(w) {
				t.Errorf("%s[%s]: %d sightings, want %d", name, k, len(g), len(w))
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
		t.Errorf("counts differ: %v %d %v %d, want %v %d %v %d",
			got.SignIns, len(got.ASNs), got.Now, got.Touched, want.SignIns, len(want.ASNs), want.Now, want.Touched)
	}
}
