package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEventsInTimeOrderAndDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"history and scored days", Config{Seed: 3, Accounts: 80, HistoryDays: 5, Days: 5}},
		{"scored days only, prefixed", Config{Seed: 4, Accounts: 50, HistoryDays: -1, Days: 6, Prefix: "x-", AttackRate: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			evs, err := Events(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) < tt.cfg.Accounts {
				t.Fatalf("%d events for %d accounts", len(evs), tt.cfg.Accounts)
			}
			last := map[string]time.Time{}
			ids := map[string]bool{}
			for i, ev := range evs {
				if err := ev.Validate(); err != nil {
					t.Fatalf("event %d (%s %s): %v", i, ev.Type, ev.ID, err)
				}
				if ids[ev.ID] {
					t.Fatalf("event %d: id %s twice", i, ev.ID)
				}
				ids[ev.ID] = true
				// Several streams replay against one server apart by their prefix.
				if !strings.HasPrefix(ev.ID, tt.cfg.Prefix) || (ev.AccountID != "" && !strings.HasPrefix(ev.AccountID, tt.cfg.Prefix)) {
					t.Fatalf("event %d: id %s, account %s without the prefix %q", i, ev.ID, ev.AccountID, tt.cfg.Prefix)
				}
				// A failed sign-in on an unknown account has only a username.
				key := ev.AccountID
				if key == "" {
					key = "username:" + ev.Properties.Username
				}
				if ev.Time.Before(last[key]) {
					t.Fatalf("event %d (%s): %s of %s comes after %s", i, ev.ID, ev.Time, key, last[key])
				}
				last[key] = ev.Time
			}
			if len(last) < tt.cfg.Accounts/2 {
				t.Errorf("only %d accounts have events, of %d", len(last), tt.cfg.Accounts)
			}

			again, err := Events(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := marshal(t, evs), marshal(t, again); !bytes.Equal(a, b) {
				t.Fatalf("two streams of seed %d differ (%d and %d bytes)", tt.cfg.Seed, len(a), len(b))
			}
			other := tt.cfg
			other.Seed++
			evsOther, err := Events(ctx, other)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(marshal(t, evs), marshal(t, evsOther)) {
				t.Fatalf("seeds %d and %d gave the same stream", tt.cfg.Seed, other.Seed)
			}
		})
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
