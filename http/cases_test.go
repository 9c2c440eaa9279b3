package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sim"
)

func decodeCase(t *testing.T, status int, body []byte, want int) mamori.Case {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	var c mamori.Case
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTheSeedStoryBecomesACaseAnAnalystCanWork(t *testing.T) {
	clock := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	a := startAPI(t, func(a *api) { a.now = func() time.Time { return clock } })
	out, err := sim.PlaySeed(context.Background(), &mhttp.Client{BaseURL: a.url, APIKey: testKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.CaseID == "" {
		t.Fatal("the attack opened no case")
	}

	status, body := a.call("GET", "/v1/cases?status=open", nil)
	var list mhttp.CaseList
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Cases) != 1 || list.Cases[0].ID != out.CaseID {
		t.Fatalf("open cases: %d %s", status, body)
	}
	if s, _ := a.call("GET", "/v1/cases?status=closed", nil); s != 400 {
		t.Fatalf("unknown status filter: %d", s)
	}

	status, body = a.call("GET", "/v1/cases/"+out.CaseID, nil)
	c := decodeCase(t, status, body, 200)
	if c.AccountID != sim.SeedAccount || c.Status != mamori.CaseOpen || c.Overdue {
		t.Fatalf("case %+v", c)
	}
	if acct := a.account(sim.SeedAccount); len(acct.Cases) != 1 || !acct.Cases[0].Deadline.Equal(c.Deadline) {
		t.Fatalf("the account view's case lacks its deadline: %+v", acct.Cases)
	}
	// Opened Friday 20 November 01:18 JST: Monday 23 November is Labour
	// Thanksgiving Day, so the three business days are Tuesday to
	// Thursday 26 November.
	if got := c.Deadline.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02 15:04"); got != "2026-11-26 23:59" {
		t.Fatalf("deadline %s", got)
	}
	var hiddenInTimeline, historyInTimeline int
	for _, e := range c.Timeline {
		if e.Decision == nil {
			t.Fatalf("timeline entry %s without its decision", e.Event.ID)
		}
		if e.Hidden {
			hiddenInTimeline++
		}
		if e.Event.Time.Before(sim.SeedAttackTime) {
			historyInTimeline++
		}
	}
	if hiddenInTimeline == 0 || historyInTimeline == 0 {
		t.Fatalf("timeline lacks hidden orders (%d) or the customer's own history (%d)", hiddenInTimeline, historyInTimeline)
	}
	orders := map[string]mamori.CaseOrder{}
	for _, o := range c.Orders {
		orders[o.OrderID] = o
	}
	if o := orders["ord-9001"]; o.Status != "held" || !o.Hidden {
		t.Fatalf("the card-test tea: %+v", o)
	}
	// The attacker was signed out before he could hide the gift card.
	if o := orders["ord-9002"]; o.Status != "voided" || !o.GiftCard || o.Hidden {
		t.Fatalf("the first gift card: %+v", o)
	}

	status, body = a.call("PATCH", "/v1/cases/"+out.CaseID, map[string]any{"status": "investigating", "assignee": "aiko", "by": "aiko"})
	c = decodeCase(t, status, body, 200)
	if c.Status != "investigating" || c.Assignee != "aiko" || len(c.History) != 2 || c.History[1].By != "aiko" {
		t.Fatalf("after PATCH: %+v", c.History)
	}
	status, body = a.call("POST", "/v1/cases/"+out.CaseID+"/notes", map[string]any{"text": "Customer confirmed by phone: not her.", "by": "aiko"})
	c = decodeCase(t, status, body, 201)
	if len(c.Notes) != 1 || c.Notes[0].Text != "Customer confirmed by phone: not her." {
		t.Fatalf("notes %+v", c.Notes)
	}

	// The tea was the customer's own address: support lets it ship.
	status, body = a.call("POST", "/v1/orders/ord-9001/release", map[string]any{"by": "aiko"})
	if status != 200 {
		t.Fatalf("release: %d %s", status, body)
	}
	if s, b := a.call("POST", "/v1/orders/ord-9002/cancel", nil); s != 200 {
		t.Fatalf("cancel: %d %s", s, b)
	}
	if s, _ := a.call("POST", "/v1/orders/no-such-order/release", nil); s != 404 {
		t.Fatalf("unknown order: %d", s)
	}
	status, body = a.call("PATCH", "/v1/cases/"+out.CaseID, map[string]any{"status": "resolved_fraud"})
	c = decodeCase(t, status, body, 200)

	// Each outcome is a label to learn from.
	status, body = a.call("GET", "/v1/labels", nil)
	var labels mhttp.LabelList
	if status != 200 || json.Unmarshal(body, &labels) != nil {
		t.Fatalf("labels: %d %s", status, body)
	}
	got := map[string]string{}
	for _, l := range labels.Labels {
		got[l.Kind+" "+l.ID] = l.Label + " by " + l.By
	}
	for key, want := range map[string]string{
		"order ord-9001": "legit by aiko", "order ord-9002": "fraud by analyst", "case " + out.CaseID: "fraud by analyst",
	} {
		if got[key] != want {
			t.Errorf("label of %s: %q, want %q (all: %v)", key, got[key], want, got)
		}
	}
	if status, body = a.call("GET", fmt.Sprintf("/v1/labels?after=%d", labels.Next), nil); status != 200 || !strings.Contains(string(body), `"labels":[]`) {
		t.Errorf("labels after the last: %d %s", status, body)
	}
	if status, _ = a.call("GET", "/v1/labels?limit=0", nil); status != 400 {
		t.Errorf("limit 0: %d", status)
	}
	clock = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a.restart()
	status, body = a.call("GET", "/v1/cases/"+out.CaseID, nil)
	c = decodeCase(t, status, body, 200)
	orders = map[string]mamori.CaseOrder{}
	for _, o := range c.Orders {
		orders[o.OrderID] = o
	}
	if c.Status != "resolved_fraud" || c.Overdue || len(c.Notes) != 1 || len(c.History) != 3 ||
		orders["ord-9001"].Status != "placed" || orders["ord-9002"].Status != "cancelled" {
		t.Fatalf("after restart: status %s overdue %v notes %d history %d orders %+v", c.Status, c.Overdue, len(c.Notes), len(c.History), orders)
	}
}

// lockedDownCase gives an account a short history, locks it down and
// returns the case the lockdown opened.
func (a *api) lockedDownCase(account string) string {
	a.t.Helper()
	a.call("POST", "/v1/events", map[string]any{"events": homeHistory(account, 3)})
	status, body := a.call("POST", "/v1/accounts/"+account+"/lockdown", map[string]any{"reason": "test"})
	var acct mamori.Account
	if err := json.Unmarshal(body, &acct); err != nil || status != 200 || len(acct.OpenCaseIDs) != 1 {
		a.t.Fatalf("lockdown: %d %s", status, body)
	}
	return acct.OpenCaseIDs[0]
}

func TestCaseErrors(t *testing.T) {
	a := startAPI(t)
	id := a.lockedDownCase("a-1")
	tests := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"unknown case", "GET", "/v1/cases/c-999999", nil, 404, ""},
		{"bad status", "PATCH", "/v1/cases/" + id, map[string]any{"status": "closed"}, 400, "status"},
		{"nothing to change", "PATCH", "/v1/cases/" + id, map[string]any{}, 400, ""},
		{"status of the wrong type", "PATCH", "/v1/cases/" + id, map[string]any{"status": 3}, 400, "status"},
		{"empty note", "POST", "/v1/cases/" + id + "/notes", map[string]any{"text": "  "}, 400, "text"},
		{"note on an unknown case", "POST", "/v1/cases/c-1/notes", map[string]any{"text": "x"}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := a.call(tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("%d, want %d: %s", status, tt.status, body)
			}
			if e := decodeError(t, body); e.Error.Field != tt.field {
				t.Fatalf("field %q, want %q", e.Error.Field, tt.field)
			}
		})
	}
	t.Run("overdue once the deadline passes", func(t *testing.T) {
		late := startAPI(t, func(a *api) { a.now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) } })
		late.call("POST", "/v1/events", map[string]any{"events": homeHistory("a-1", 3)})
		late.call("POST", "/v1/accounts/a-1/lockdown", map[string]any{"reason": "test"})
		status, body := late.call("GET", "/v1/cases?status=open", nil)
		var list mhttp.CaseList
		if json.Unmarshal(body, &list) != nil || status != 200 || len(list.Cases) != 1 || !list.Cases[0].Overdue {
			t.Fatalf("%d %s", status, body)
		}
	})
}
