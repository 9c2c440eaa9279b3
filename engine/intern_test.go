package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/risk"
)

func TestTheInternerSharesAndStaysBounded(t *testing.T) {
	in := newInterner()
	a := in.intern(string([]byte("Chrome/Windows")))
	b := in.intern(string([]byte("Chrome/Windows")))
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("two equal strings were not given one copy")
	}
	for i := range maxInterned + 10 {
		in.intern("ua-" + strconv.Itoa(i))
	}
	if n := len(in.strings); n > maxInterned {
		t.Errorf("the interner holds %d strings, more than %d", n, maxInterned)
	}
}

// sharedStrings lists the strings of a state that all accounts signing in
// from the same browser and network should share.
func sharedStrings(st *risk.State) map[string]string {
	s := st.Sessions[0]
	return map[string]string{
		"Sessions[0].UserAgent": s.UserAgent, "Sessions[0].Browser": s.Browser, "Sessions[0].ASN": s.ASN,
		"Agents[0]": st.Agents[0].Key, "Browsers[0]": st.Browsers[0].Key, "ASNs[0]": st.ASNs[0].Key,
		"Orders[0].Currency": st.Orders[0].Currency, "Changes[0].Type": st.Changes[0].Type,
	}
}

// TestAccountsShareTheirCommonStrings guards the memory shape of many
// accounts: events decoded from JSON each hold their own copy of every
// string, and the states built from them, or restored from a snapshot,
// share one.
func TestAccountsShareTheirCommonStrings(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// The log in memory keeps the events, so that a restart could replay
	// them; it finds the snapshot instead.
	log := memlog.New(true)
	openEngine := func() *Engine {
		e, err := Open(ctx, log, dir, Options{Shards: 1, Networks: testNetworks(t), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	check := func(e *Engine, when string) {
		t.Helper()
		a, b := peekState(t, e.shards[0], "acct-0"), peekState(t, e.shards[0], "acct-1")
		for _, st := range []*risk.State{a, b} {
			seen := e.crowd.c.Devices[st.Sessions[0].DeviceID]
			if len(seen) == 0 || unsafe.StringData(seen[0].Who) != unsafe.StringData(storedKey(e.shards[0], st.AccountID)) {
				t.Errorf("%s: the counters keep their own copy of the id of %s", when, st.AccountID)
			}
		}
		sa, sb := sharedStrings(a), sharedStrings(b)
		for name, x := range sa {
			y := sb[name]
			if x == "" || x != y {
				t.Fatalf("%s: %s is %q and %q; the test means them equal", when, name, x, y)
			}
			if unsafe.StringData(x) != unsafe.StringData(y) {
				t.Errorf("%s: the accounts keep two copies of %s %q", when, name, x)
			}
		}
	}

	e := openEngine()
	var evs []mamori.Event
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for a := range 2 {
		acct := fmt.Sprintf("acct-%d", a)
		c := mamori.Context{IP: fmt.Sprintf("153.156.78.%d", 10+a), DeviceID: "dev-" + acct,
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
		amt := int64(3000)
		s := acct + "-s"
		evs = append(evs,
			mamori.Event{Type: mamori.AccountCreated, Time: t0, Context: c, Properties: mamori.Properties{Email: acct + "@example.jp"}},
			mamori.Event{Type: mamori.LoginSucceeded, Time: t0.Add(48 * time.Hour), SessionID: s, Context: c},
			mamori.Event{Type: mamori.MFAChanged, Time: t0.Add(48*time.Hour + time.Minute), SessionID: s, Context: c},
			mamori.Event{Type: mamori.OrderPlaced, Time: t0.Add(48*time.Hour + 2*time.Minute), SessionID: s, Context: c,
				Properties: mamori.Properties{OrderID: acct + "-o", Amount: &amt, Currency: "JPY",
					Items: []mamori.Item{{SKU: "b", Category: "books"}}, Delivery: &mamori.Delivery{Type: "ship"}}},
		)
	}
	for i := range evs {
		evs[i].ID, evs[i].AccountID = fmt.Sprintf("e-%d", i), fmt.Sprintf("acct-%d", i/4)
	}
	body, err := json.Marshal(map[string][]mamori.Event{"events": evs})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := mamori.DecodeEvents(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Record(ctx, decoded); err != nil {
		t.Fatal(err)
	}
	check(e, "live")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshotFile)); err != nil {
		t.Fatalf("no snapshot to restore from: %v", err)
	}
	e = openEngine()
	defer e.Close()
	check(e, "restored from the snapshot")
}

func TestAReplayedLogSharesCommonStrings(t *testing.T) {
	// Without a data directory there is no snapshot: a restart would
	// replay the log, which this engine keeps in memory.
	log := memlog.New(true)
	ctx := context.Background()
	e, err := Open(ctx, log, "", Options{Shards: 1, Networks: testNetworks(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for a := range 2 {
		acct := fmt.Sprintf("acct-%d", a)
		ev := mamori.Event{ID: acct + "-1", Type: mamori.LoginSucceeded, AccountID: acct, SessionID: acct + "-s", Time: t0,
			Context: mamori.Context{IP: "153.156.78.10", DeviceID: "dev-" + acct, UserAgent: string([]byte("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"))}}
		if _, err := e.Record(ctx, []mamori.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	e.Close()
	replayed, err := Open(ctx, log, "", Options{Shards: 1, Networks: testNetworks(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer replayed.Close()
	a, b := peekState(t, replayed.shards[0], "acct-0"), peekState(t, replayed.shards[0], "acct-1")
	if len(a.Agents) == 0 || len(b.Agents) == 0 {
		t.Fatal("the replay did not rebuild the accounts")
	}
	if unsafe.StringData(a.Agents[0].Key) != unsafe.StringData(b.Agents[0].Key) {
		t.Error("the replayed accounts keep two copies of their user agent")
	}
}

// peekState returns the state of an account the shard must hold.
func peekState(t *testing.T, s *shard, key string) *risk.State {
	t.Helper()
	st, err := s.peek(key)
	if err != nil || st == nil {
		t.Fatalf("account %s: %v, %v", key, st, err)
	}
	return st
}

// storedKey returns the shard's own copy of an account's key, as its map
// holds it.
func storedKey(s *shard, key string) string {
	for k := range s.accounts {
		if k == key {
			return k
		}
	}
	return ""
}

var loadTestNetworks = sync.OnceValues(enrich.LoadNetworks)

func testNetworks(t *testing.T) *enrich.Networks {
	t.Helper()
	nets, err := loadTestNetworks()
	if err != nil {
		t.Fatal(err)
	}
	return nets
}
