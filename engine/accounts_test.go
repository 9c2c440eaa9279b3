package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sim"
)

// TestPackedAccountsDecideAsDecodedOnes plays the same simulated world
// into engines that keep every account decoded and that keep only one or
// a few, packing the others between their events, and then restarts each
// from its log: decisions, accounts, cases and searches by e-mail must
// not tell them apart.
func TestPackedAccountsDecideAsDecodedOnes(t *testing.T) {
	ctx := context.Background()
	evs, err := sim.Events(ctx, sim.Config{Seed: 5, Accounts: 60, HistoryDays: 10, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		decisions []string
		accounts  map[string]string
		cases     []string
		byEmail   map[string][]string
	}
	ids, emails := map[string]bool{}, map[string]bool{}
	for _, ev := range evs {
		if ev.AccountID != "" {
			ids[ev.AccountID] = true
		}
		if ev.Properties.Email != "" {
			// Upper case: the search ignores case.
			emails[strings.ToUpper(ev.Properties.Email)] = true
		}
	}
	search := func(e *Engine) map[string][]string {
		t.Helper()
		out := map[string][]string{}
		for email := range emails {
			found, err := e.AccountsByEmail(ctx, email)
			if err != nil {
				t.Fatalf("search %s: %v", email, err)
			}
			out[email] = found
		}
		return out
	}
	views := func(e *Engine) map[string]string { return accountViews(t, e, ids) }
	play := func(active, shards int) (outcome, outcome) {
		t.Helper()
		log := memlog.New(true)
		opts := Options{Shards: shards, ActiveAccounts: active, Networks: testNetworks(t), Logger: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return evs[len(evs)-1].Time }}
		e, err := Open(ctx, log, "", opts)
		if err != nil {
			t.Fatal(err)
		}
		var o outcome
		for _, ev := range evs {
			d, err := e.Decide(ctx, ev)
			if err != nil {
				t.Fatalf("decide %s: %v", ev.ID, err)
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			o.decisions = append(o.decisions, string(b))
		}
		o.accounts, o.cases, o.byEmail = views(e), caseIDs(t, e), search(e)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		replayed, err := Open(ctx, log, "", opts)
		if err != nil {
			t.Fatal(err)
		}
		defer replayed.Close()
		return o, outcome{accounts: views(replayed), cases: caseIDs(t, replayed), byEmail: search(replayed)}
	}
	want, wantReplayed := play(len(ids)+1, 1)
	if len(want.cases) == 0 {
		t.Fatal("the world opens no case; the test means to compare some")
	}
	found := 0
	for _, ids := range want.byEmail {
		found += len(ids)
	}
	if found == 0 {
		t.Fatal("no account found by its e-mail; the test means to compare some")
	}
	for _, tt := range []struct {
		name           string
		active, shards int
	}{
		{"one account decoded", 1, 1},
		{"a few decoded in each of 4 shards", 8, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, gotReplayed := play(tt.active, tt.shards)
			for i := range want.decisions {
				if got.decisions[i] != want.decisions[i] {
					t.Fatalf("event %s decided\n%s\nwant\n%s", evs[i].ID, got.decisions[i], want.decisions[i])
				}
			}
			for _, pair := range [][2]outcome{{got, want}, {gotReplayed, wantReplayed}} {
				if !reflect.DeepEqual(pair[0].accounts, pair[1].accounts) {
					for id := range ids {
						if pair[0].accounts[id] != pair[1].accounts[id] {
							t.Errorf("account %s:\n%s\nwant\n%s", id, pair[0].accounts[id], pair[1].accounts[id])
						}
					}
				}
				if !slices.Equal(pair[0].cases, pair[1].cases) {
					t.Errorf("cases %v, want %v", pair[0].cases, pair[1].cases)
				}
				if !reflect.DeepEqual(pair[0].byEmail, pair[1].byEmail) {
					t.Errorf("accounts by e-mail %v, want %v", pair[0].byEmail, pair[1].byEmail)
				}
			}
		})
	}
}

// accountViews returns the view of each of the accounts ids as JSON, for
// comparing engines.
func accountViews(t testing.TB, e *Engine, ids map[string]bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id := range ids {
		a, err := e.Account(context.Background(), id)
		if err != nil {
			t.Fatalf("account %s: %v", id, err)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = string(b)
	}
	return out
}
