package http_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sim"
	"github.com/mamori-dev/mamori/webhook"
)

// TestSeedStoryEndToEnd plays the story mamori exists for through the
// API with everything on: the attack is held, voided and signed out, the
// customer gets a Japanese message, the case's timeline shows the hidden
// orders, and the store receives every step as a signed webhook.
func TestSeedStoryEndToEnd(t *testing.T) {
	a := startAPI(t, func(a *api) { a.hookOpts = &webhook.Options{PollInterval: 20 * time.Millisecond} })
	rc := newHookReceiver(t)
	secret := webhook.NewSecret()
	status, body := a.call("POST", "/v1/webhooks", map[string]any{"url": rc.srv.URL,
		"events": []string{"decision.created", "action.requested", "case.opened", "case.updated"}, "secret": secret})
	if status != 201 {
		t.Fatalf("subscribe: %d %s", status, body)
	}

	out, err := sim.PlaySeed(context.Background(), &mhttp.Client{BaseURL: a.url, APIKey: testKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.ValueLost != 0 || out.FirstGiftCard != mamori.Review || out.TeaShipped {
		t.Fatalf("outcome: %s", out.Summary())
	}

	// The attack is held, voided and signed out at the first gift card.
	var first *sim.Step
	for i := range out.Steps {
		if s := &out.Steps[i]; s.Event.Type == mamori.OrderPlaced && s.Event.Properties.HasGiftCard() {
			first = s
			break
		}
	}
	for _, want := range []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions, mamori.NotifyCustomer} {
		if !first.Decision.Has(want) {
			t.Errorf("first gift card: no %s in %v", want, first.Decision.Actions)
		}
	}

	// The customer is told in Japanese, with no link to click.
	msgs := a.messages(sim.SeedAccount, "")
	if len(msgs) == 0 {
		t.Fatal("no message for the customer")
	}
	m := msgs[len(msgs)-1] // the first, oldest
	if m.Lang != "ja" || !strings.Contains(m.Body, "ord-9002") || !strings.Contains(m.Body, "5,000円") || !strings.Contains(m.Body, out.CaseID) {
		t.Fatalf("first message: %+v", m)
	}
	assertPlain(t, m)

	// The case's timeline holds the hidden orders, marked.
	status, body = a.call("GET", "/v1/cases/"+out.CaseID, nil)
	c := decodeCase(t, status, body, 200)
	hidden := map[string]bool{}
	for _, e := range c.Timeline {
		if e.Hidden {
			hidden[e.Event.Properties.OrderID] = true
		}
	}
	if !hidden["ord-9001"] {
		t.Fatalf("the hidden card-test order is not marked in the timeline: %v", hidden)
	}

	// Every decision that was not allow, every action and the case reach
	// the store, signed.
	var nonAllow, actions int
	for _, s := range out.Steps {
		if s.Decision.Decision != mamori.Allow {
			nonAllow++
		}
		actions += len(s.Decision.Actions)
	}
	seen := map[string]int{}
	waitFor(t, "the webhooks", func() bool {
		seen = map[string]int{}
		for _, r := range rc.accepted() {
			var msg hookMessage
			if json.Unmarshal(r.body, &msg) == nil {
				seen[msg.Type]++
			}
		}
		return seen["decision.created"] >= nonAllow && seen["action.requested"] >= actions && seen["case.opened"] == 1
	})
	ids := map[string]bool{}
	for _, r := range rc.accepted() {
		verifyHook(t, secret, r)
		id := r.header.Get("webhook-id")
		if ids[id] {
			t.Errorf("message %s delivered twice", id)
		}
		ids[id] = true
	}
	if seen["decision.created"] != nonAllow || seen["action.requested"] != actions || seen["case.updated"] == 0 {
		t.Fatalf("webhooks %v; want %d decisions, %d actions, the case opened and updated", seen, nonAllow, actions)
	}
}
