package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sqlite"
)

func open(t testing.TB, dir string, opts engine.Options) *engine.Engine {
	t.Helper()
	e, _ := openWithLog(t, dir, opts)
	return e
}

// openWithLog is open that also returns the engine's log.
func openWithLog(t testing.TB, dir string, opts engine.Options) (*engine.Engine, *sqlite.Log) {
	t.Helper()
	log, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), log, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, log
}

// traffic makes n events over accounts: sign-ins from a few devices and
// networks, activity, orders, a gift card now and then.
func traffic(n, accounts int, prefix string, from time.Time) []mamori.Event {
	evs := make([]mamori.Event, 0, n)
	for i := 0; i < n; i++ {
		acct := fmt.Sprintf("acct-%d", i%accounts)
		round := i / accounts
		session := fmt.Sprintf("%s-s-%d-%d", prefix, i%accounts, round/4)
		ctx := mamori.Context{IP: fmt.Sprintf("153.%d.%d.9", (i%accounts)%250, (i%accounts)/250+round%3), DeviceID: fmt.Sprintf("d-%d", round%5)}
		ev := mamori.Event{ID: fmt.Sprintf("%s-%d", prefix, i), AccountID: acct, SessionID: session, Context: ctx,
			Time: from.Add(time.Duration(round) * time.Minute)}
		switch round % 4 {
		case 0:
			ev.Type, ev.Properties.MFA = mamori.LoginSucceeded, "totp"
		case 1:
			ev.Type, ev.Properties.Page = mamori.SessionActivity, "orders"
		case 2:
			amt := int64(500 + 1000*(i%7))
			ev.Type = mamori.OrderPlaced
			ev.Properties = mamori.Properties{OrderID: fmt.Sprintf("o-%s-%d", prefix, i), Amount: &amt, Currency: "JPY",
				Items:    []mamori.Item{{SKU: "x", GiftCard: i%5 == 0}},
				Delivery: &mamori.Delivery{Type: "email", RecipientEmail: fmt.Sprintf("r%d@example.com", i%11)}}
		case 3:
			ev.Type = mamori.Logout
		}
		evs = append(evs, ev)
	}
	return evs
}

func views(t testing.TB, e *engine.Engine, accounts int) []byte {
	t.Helper()
	var all []mamori.Account
	for i := 0; i < accounts; i++ {
		a, err := e.Account(context.Background(), fmt.Sprintf("acct-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, a)
	}
	b, _ := json.Marshal(all)
	return b
}

func TestRestartRebuildsTheSameState(t *testing.T) {
	const accounts = 40
	dir := t.TempDir()
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	live, liveLog := openWithLog(t, dir, engine.Options{Shards: 4})
	evs := traffic(4000, accounts, "a", start)
	if _, err := live.Record(ctx, evs[:2000]); err != nil {
		t.Fatal(err)
	}
	if err := live.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := live.Record(ctx, evs[2000:3800]); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs[3800:] {
		if _, err := live.Decide(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	want := views(t, live, accounts)

	// As after a crash: the live engine never closed; a second one opens
	// a copy of its files, loads the snapshot and replays the log after
	// it. (A store's files are locked by the process that opened them;
	// the journal's own recovery after a crash is tested in package
	// sqlite.)
	if err := liveLog.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), "crashed")
	if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	crashed := open(t, copied, engine.Options{Shards: 7})
	if got := views(t, crashed, accounts); string(got) != string(want) {
		t.Fatalf("state after snapshot and replay differs from the live state")
	}
	if err := crashed.Close(); err != nil {
		t.Fatal(err)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}

	// Without any snapshot, the whole log is replayed to the same state.
	if err := os.Remove(filepath.Join(dir, "state.snapshot")); err != nil {
		t.Fatal(err)
	}
	replayed := open(t, dir, engine.Options{Shards: 3})
	defer replayed.Close()
	if got := views(t, replayed, accounts); string(got) != string(want) {
		t.Fatalf("state after a full replay differs from the live state")
	}
	d, err := replayed.Decide(ctx, evs[3999])
	if err != nil {
		t.Fatal(err)
	}
	if d.EventID != evs[3999].ID {
		t.Fatalf("repeat answered for %s", d.EventID)
	}
	a, _ := replayed.Account(ctx, "acct-0")
	if a.EventCount != 100 {
		t.Fatalf("acct-0 has %d events, want 100", a.EventCount)
	}
}

// TestAnUnreadableSnapshotFallsBackToTheLog damages the snapshot of a
// clean stop: replaced, or cut short after some or all of its accounts,
// which a restart has then already put in the shards. The restart must
// forget them and rebuild every account from the log, each event once.
func TestAnUnreadableSnapshotFallsBackToTheLog(t *testing.T) {
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"replaced", func([]byte) []byte { return []byte("torn") }},
		{"cut among its accounts", func(b []byte) []byte { return b[:min(len(b), 1500)] }},
		{"cut at its end", func(b []byte) []byte { return b[:len(b)-100] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			e := open(t, dir, engine.Options{})
			evs := traffic(200, 5, "b", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
			if _, err := e.Record(ctx, evs); err != nil {
				t.Fatal(err)
			}
			want := views(t, e, 5)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "state.snapshot")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			e = open(t, dir, engine.Options{})
			defer e.Close()
			if got := views(t, e, 5); string(got) != string(want) {
				t.Fatalf("state differs after falling back to the log:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestCallsAfterCloseAreRefused(t *testing.T) {
	e := open(t, t.TempDir(), engine.Options{})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	ev := traffic(1, 1, "z", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))[0]
	if _, err := e.Decide(context.Background(), ev); mamori.ErrorCode(err) != mamori.EUnavailable {
		t.Fatalf("Decide after Close: %v", err)
	}
	if _, err := e.Account(context.Background(), "acct-0"); mamori.ErrorCode(err) != mamori.EUnavailable {
		t.Fatalf("Account after Close: %v", err)
	}
	if _, err := e.Record(context.Background(), []mamori.Event{ev}); mamori.ErrorCode(err) != mamori.EUnavailable {
		t.Fatalf("Record after Close: %v", err)
	}
}

func TestAnEngineInMemoryDecidesLikeOneOnDisk(t *testing.T) {
	ctx := context.Background()
	disk := open(t, t.TempDir(), engine.Options{})
	defer disk.Close()
	mem, err := engine.Open(ctx, memlog.New(false), "", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, ev := range traffic(400, 8, "m", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		a, err := disk.Decide(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		b, err := mem.Decide(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("decisions differ on %s:\n%s\n%s", ev.ID, ja, jb)
		}
	}
	if a, b := views(t, disk, 8), views(t, mem, 8); string(a) != string(b) {
		t.Fatal("account views differ")
	}
	again, _ := mem.Decide(ctx, traffic(1, 8, "m", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))[0])
	if a, _ := mem.Account(ctx, "acct-0"); a.EventCount != 50 || again.EventID != "m-0" {
		t.Fatalf("a repeat in memory was recorded again: %d events", a.EventCount)
	}
}

// The API answers /v1/risk with the bytes DecideJSON returns: they must
// be the decision it returns, encoded, and the same bytes every time the
// event is sent again, also after a restart.
func TestDecideJSONIsTheStoredDecision(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := open(t, dir, engine.Options{})
	defer func() { e.Close() }()
	evs := traffic(60, 6, "j", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	first := map[string][]byte{}
	for _, ev := range evs {
		d, raw, err := e.DecideJSON(ctx, &ev)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(&d)
		if string(raw) != string(want) {
			t.Fatalf("%s: bytes %s, decision %s", ev.ID, raw, want)
		}
		first[ev.ID] = raw
	}
	for _, again := range []struct {
		name    string
		restart bool
	}{
		{"repeat", false},
		{"repeat after restart", true},
	} {
		t.Run(again.name, func(t *testing.T) {
			if again.restart {
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				e = open(t, dir, engine.Options{})
			}
			for _, ev := range evs {
				d, raw, err := e.DecideJSON(ctx, &ev)
				if err != nil {
					t.Fatal(err)
				}
				if string(raw) != string(first[ev.ID]) {
					t.Fatalf("%s: %s, first answered %s", ev.ID, raw, first[ev.ID])
				}
				if j, _ := json.Marshal(&d); string(j) != string(raw) {
					t.Fatalf("%s: decision %s, bytes %s", ev.ID, j, raw)
				}
			}
		})
	}
}

// The log keeps an event decoded from JSON as the store sent it (its
// unknown fields and spacing included), keeps an event made in Go as
// its encoding, and a replay of those bytes rebuilds the same account.
func TestTheLogKeepsTheEventAsSent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, log := openWithLog(t, dir, engine.Options{})
	sent := []byte(`{ "id": "raw-1", "type": "login.succeeded", "time": "2026-11-25T18:30:00.5+09:00",
		"account_id": "a-raw", "session_id": "s-1", "store_extra": {"kept": true},
		"context": {"ip": "153.156.78.12", "device_id": "dev-1", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"} }`)
	ev, err := mamori.DecodeEvent(sent)
	if err != nil {
		t.Fatal(err)
	}
	made := mamori.Event{ID: "raw-2", Type: mamori.Logout, Time: ev.Time.Add(time.Minute), AccountID: "a-raw", SessionID: "s-1"}
	for _, ev := range []mamori.Event{ev, made} {
		if _, err := e.Decide(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := log.AccountEvents(ctx, "a-raw", 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records of a-raw: %d, %v", len(recs), err)
	}
	if !bytes.Equal(recs[1].Event, sent) {
		t.Errorf("the decoded event was stored as\n%s\nwant it as sent\n%s", recs[1].Event, sent)
	}
	if want, _ := json.Marshal(made); !bytes.Equal(recs[0].Event, want) {
		t.Errorf("the event made in Go was stored as\n%s\nwant\n%s", recs[0].Event, want)
	}
	before, err := e.Account(ctx, "a-raw")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "state.snapshot")); err != nil {
		t.Fatal(err)
	}
	replayed := open(t, dir, engine.Options{})
	after, err := replayed.Account(ctx, "a-raw")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if !bytes.Equal(a, b) {
		t.Errorf("account after replaying the log\n%s\nwant\n%s", a, b)
	}
}
