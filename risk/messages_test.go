package risk_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/sim"
)

// apply applies ev at seq with the given decision, as replay does.
func apply(st *risk.State, ev mamori.Event, seq uint64, d mamori.Decision) {
	risk.Apply(st, risk.NewInput(&ev, seq, nil, nil), &d)
}

func TestMessagesAreBoundedAndNamedByLogSequence(t *testing.T) {
	st := &risk.State{}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	notify := mamori.Decision{Decision: mamori.Allow, Actions: []mamori.Action{mamori.NotifyCustomer}, Reasons: []mamori.Reason{}}
	for i := 1; i <= risk.MaxMessages+10; i++ {
		apply(st, mamori.Event{ID: "e", Type: mamori.FraudReported, AccountID: "a-1", Time: t0.Add(time.Duration(i) * time.Minute),
			Properties: mamori.Properties{By: "customer"}}, uint64(i), notify)
	}
	if len(st.Messages) != risk.MaxMessages || st.Messages[0].ID != "m-11" || st.Messages[len(st.Messages)-1].ID != "m-60" {
		t.Fatalf("%d messages from %s to %s, want the last %d", len(st.Messages), st.Messages[0].ID, st.Messages[len(st.Messages)-1].ID, risk.MaxMessages)
	}
	if st.Message("m-60").Kind != risk.MessageFraudReported || st.Message("m-60").ReportedBy != "customer" {
		t.Fatalf("%+v", st.Message("m-60"))
	}
}

func TestOnlyHeldOrdersReleasedOrCancelledAreTold(t *testing.T) {
	p := newPure(t)
	if _, err := sim.PlaySeed(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	st := p.states[sim.SeedAccount]
	before := len(st.Messages)
	allow := mamori.Decision{Decision: mamori.Allow, Actions: []mamori.Action{}, Reasons: []mamori.Reason{}}
	tests := []struct {
		typ, order string
		kind       string // "" for no message
	}{
		{mamori.OrderReleased, "ord-9001", risk.MessageOrderReleased},   // the held tea
		{mamori.OrderCancelled, "ord-9003", risk.MessageOrderCancelled}, // a voided gift card
		{mamori.OrderCancelled, "ord-5000", ""},                         // an old order of hers, never held
		{mamori.OrderReleased, "ord-9001", ""},                          // released already
	}
	for i, tt := range tests {
		seq := uint64(10_000 + i)
		apply(st, mamori.Event{ID: "x", Type: tt.typ, AccountID: sim.SeedAccount, Time: st.LastTime,
			Properties: mamori.Properties{OrderID: tt.order}}, seq, allow)
		m := st.Message(risk.MessageID(seq))
		switch {
		case tt.kind == "" && m != nil:
			t.Errorf("%s %s wrote %+v", tt.typ, tt.order, m)
		case tt.kind != "" && (m == nil || m.Kind != tt.kind || len(m.Orders) != 1 || m.Orders[0].ID != tt.order || m.CaseID == ""):
			t.Errorf("%s %s wrote %+v, want a %s message", tt.typ, tt.order, m, tt.kind)
		}
	}
	if got := len(st.Messages) - before; got != 2 {
		t.Fatalf("%d messages written, want 2", got)
	}
	read := st.Messages[0].ID
	apply(st, mamori.Event{ID: "r", Type: mamori.MessageRead, AccountID: sim.SeedAccount, Time: st.LastTime,
		Properties: mamori.Properties{Note: read}}, 20_000, allow)
	if !st.Messages[0].Read || slices.ContainsFunc(st.Messages[1:], func(m risk.Message) bool { return m.Read }) {
		t.Fatal("message.read marked the wrong messages")
	}
}
