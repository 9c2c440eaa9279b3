package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/mamori-dev/mamori/webhook"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func openLog(t *testing.T, dir string) *sqlite.Log {
	t.Helper()
	l, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// appendDecided appends events of account with decisions naming caseIDs
// ("" for none), numbered from seq.
func appendDecided(t *testing.T, l *sqlite.Log, seq uint64, account string, caseIDs ...string) {
	t.Helper()
	for i, c := range caseIDs {
		id := account + "-" + strconv.FormatUint(seq+uint64(i), 10)
		ev, _ := json.Marshal(mamori.Event{ID: id, Type: mamori.LoginSucceeded, Time: now, AccountID: account})
		d, _ := json.Marshal(mamori.Decision{EventID: id, Decision: mamori.Deny, Actions: []mamori.Action{}, CaseID: c})
		l.Append(mamori.LogRecord{Seq: seq + uint64(i), ID: id, Account: account, Type: mamori.LoginSucceeded, Time: now,
			Event: ev, Decision: d}, func(err error) {
			if err != nil {
				t.Error(err)
			}
		})
	}
	if err := l.Barrier(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookCursorStartsAtTheLogEnd(t *testing.T) {
	ctx := context.Background()
	if c, err := openLog(t, t.TempDir()).Webhooks().Cursor(ctx); err != nil || c != 0 {
		t.Errorf("cursor of a new log: %d, %v", c, err)
	}

	// A log written before webhooks existed: only migration 0001, three
	// events.
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("migrations/0001_events.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`,
		string(schema),
		`INSERT INTO schema_migrations VALUES (1, '0001_events.sql', '2026-11-01T00:00:00Z')`,
		`INSERT INTO events VALUES (1, 'e1', 'a', 'logout', '2026-11-01T00:00:00Z', '{}', '{}'),
			(2, 'e2', 'a', 'logout', '2026-11-01T00:00:00Z', '{}', '{}'),
			(7, 'e7', 'a', 'logout', '2026-11-01T00:00:00Z', '{}', '{}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if c, err := openLog(t, dir).Webhooks().Cursor(ctx); err != nil || c != 7 {
		t.Errorf("cursor after migrating an older log: %d, %v; want 7, its end", c, err)
	}
}

func TestEnqueueStoresDeliveriesWithTheCursor(t *testing.T) {
	ctx := context.Background()
	w := openLog(t, t.TempDir()).Webhooks()
	ep := webhook.Endpoint{ID: "wh_1", URL: "https://store.example/hooks", Events: webhook.Types, Created: now,
		Secrets: []webhook.Secret{{N: 1, Created: now, Value: webhook.NewSecret()}}}
	if err := w.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	delivery := func(endpoint, id string) webhook.Delivery {
		return webhook.Delivery{ID: id, Endpoint: endpoint, Type: webhook.DecisionCreated, Seq: 1, Status: webhook.Pending,
			NextAttempt: &now, Created: now, Payload: json.RawMessage(`{}`)}
	}
	tests := []struct {
		name     string
		from, to uint64
		ds       []webhook.Delivery
		ok       bool
		cursor   uint64
		stored   int
	}{
		{"from where the cursor is not", 5, 6, []webhook.Delivery{delivery("wh_1", "m1")}, false, 0, 0},
		{"deliveries and the cursor together", 0, 3, []webhook.Delivery{delivery("wh_1", "m1"), delivery("wh_1", "m2")}, true, 3, 2},
		{"a delivery stored before is not stored twice", 3, 4, []webhook.Delivery{delivery("wh_1", "m2"), delivery("wh_1", "m3")}, true, 4, 3},
		{"a failure stores nothing and keeps the cursor", 4, 5, []webhook.Delivery{delivery("wh_1", "m4"), delivery("wh_gone", "m5")}, false, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []webhook.Endpoint
			err := w.Enqueue(ctx, tt.from, tt.to, func(eps []webhook.Endpoint) []webhook.Delivery {
				seen = eps
				return tt.ds
			})
			if (err == nil) != tt.ok {
				t.Errorf("enqueue: %v, want ok %v", err, tt.ok)
			}
			if c, _ := w.Cursor(ctx); c != tt.cursor {
				t.Errorf("cursor %d, want %d", c, tt.cursor)
			}
			if ds, _ := w.Deliveries(ctx, "wh_1", "", 100); len(ds) != tt.stored {
				t.Errorf("%d deliveries stored, want %d", len(ds), tt.stored)
			}
			if tt.ok && (len(seen) != 1 || seen[0].ID != "wh_1" || len(seen[0].Events) != len(webhook.Types)) {
				t.Errorf("fan saw endpoints %+v", seen)
			}
		})
	}

	next, ok, err := w.NextDelivery(ctx, "wh_1")
	if err != nil || !ok || next.ID != "m1" {
		t.Fatalf("next delivery: %+v %v %v", next, ok, err)
	}
	delivered := now.Add(time.Second)
	next.Status, next.Attempts, next.NextAttempt, next.LastAttempt, next.DeliveredAt = webhook.Delivered, 1, nil, &delivered, &delivered
	next.LastStatusCode = 204
	if err := w.UpdateDelivery(ctx, next); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.Delivery(ctx, "wh_1", "m1"); got.Status != webhook.Delivered || got.Attempts != 1 || got.LastStatusCode != 204 ||
		!got.DeliveredAt.Equal(delivered) || got.NextAttempt != nil || string(got.Payload) != `{}` {
		t.Errorf("after update: %+v", got)
	}
	if next, _, _ := w.NextDelivery(ctx, "wh_1"); next.ID != "m2" {
		t.Errorf("next delivery after m1: %s, want m2", next.ID)
	}
	if ds, _ := w.Deliveries(ctx, "wh_1", webhook.Delivered, 100); len(ds) != 1 {
		t.Errorf("%d delivered, want 1", len(ds))
	}
	if ds, _ := w.Deliveries(ctx, "wh_1", "", 100); ds[0].ID != "m3" {
		t.Errorf("deliveries are not newest first: %s", ds[0].ID)
	}
	if n, err := w.Prune(ctx, delivered.Add(time.Millisecond)); n != 1 || err != nil {
		t.Errorf("pruned %d, %v; want the one delivered", n, err)
	}

	if err := w.DeleteEndpoint(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := w.Deliveries(ctx, "wh_1", "", 100); len(ds) != 0 {
		t.Errorf("%d deliveries left after deleting their endpoint", len(ds))
	}
	if _, err := w.Endpoint(ctx, "wh_1"); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("deleted endpoint: %v", err)
	}
	if err := w.DeleteEndpoint(ctx, "wh_1"); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestSecretsAreNumberedAndExpire(t *testing.T) {
	ctx := context.Background()
	w := openLog(t, t.TempDir()).Webhooks()
	ep := webhook.Endpoint{ID: "wh_1", URL: "https://store.example/hooks", Events: webhook.Types, Created: now,
		Secrets: []webhook.Secret{{N: 1, Created: now, Value: "whsec_one"}}}
	if err := w.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	later := now.Add(24 * time.Hour)
	if s, err := w.AddSecret(ctx, "wh_1", webhook.Secret{Created: now, Value: "whsec_two"}, &later); err != nil || s.N != 2 {
		t.Fatalf("second secret: %+v, %v", s, err)
	}
	if err := w.RemoveSecret(ctx, "wh_1", 2); err != nil {
		t.Fatal(err)
	}
	if s, err := w.AddSecret(ctx, "wh_1", webhook.Secret{Created: now, Value: "whsec_three"}, nil); err != nil || s.N != 3 {
		t.Errorf("a number is never reused: %+v, %v", s, err)
	}
	e, err := w.Endpoint(ctx, "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secrets) != 2 || e.Secrets[0].Value != "whsec_one" || e.Secrets[0].Expires == nil || !e.Secrets[0].Expires.Equal(later) ||
		e.Secrets[1].N != 3 || e.Secrets[1].Expires != nil {
		t.Errorf("secrets %+v", e.Secrets)
	}
	if _, err := w.AddSecret(ctx, "wh_x", webhook.Secret{Created: now, Value: "whsec_x"}, nil); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("secret for an unknown webhook: %v", err)
	}
	if err := w.RemoveSecret(ctx, "wh_1", 9); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("removing an unknown secret: %v", err)
	}
}

func TestCaseSeen(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, t.TempDir())
	appendDecided(t, l, 1, "a-1", "", "c-2", "c-2", "c-20")
	appendDecided(t, l, 5, "a-2", "c-2")
	w := l.Webhooks()
	tests := []struct {
		account, id string
		seq         uint64
		want        bool
	}{
		{"a-1", "c-2", 2, false}, // the record that names it first
		{"a-1", "c-2", 3, true},
		{"a-1", "c-20", 4, false}, // not c-2 with a suffix
		{"a-1", "c-20", 5, true},
		{"a-2", "c-2", 5, false}, // another account's case
	}
	for _, tt := range tests {
		if got, err := w.CaseSeen(ctx, tt.account, tt.id, tt.seq); err != nil || got != tt.want {
			t.Errorf("CaseSeen(%s, %s, before %d) = %v, %v; want %v", tt.account, tt.id, tt.seq, got, err, tt.want)
		}
	}
}
