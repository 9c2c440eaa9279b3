package risk_test

import (
	"context"
	"testing"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// BenchmarkDecide times one decision, and the state change after it, for
// each kind of event on an account with a month of history.
//
//	go test ./risk -run '^$' -bench Decide -benchmem
func BenchmarkDecide(b *testing.B) {
	p := newPure(b)
	if _, err := p.Record(context.Background(), history()); err != nil {
		b.Fatal(err)
	}
	live := signIn("s-live", home, 0)
	live.ID, live.AccountID = "live", "a-1"
	if d, err := p.Decide(context.Background(), live); err != nil || d.Decision != mamori.Allow {
		b.Fatalf("live session: %v %+v", err, d)
	}
	warm := p.states["a-1"]
	cases := []struct {
		name string
		ev   mamori.Event
	}{
		{"login", signIn("s-b", home, 1)},
		{"login-new-device", signIn("s-b", hosting, 1)},
		{"activity", mamori.Event{Type: mamori.SessionActivity, Time: at(1), SessionID: "s-live", Context: home}},
		{"order-gift-card", giftCard("s-live", home, 2, "g-b", "niece@example.jp")},
		{"email-changed", mamori.Event{Type: mamori.EmailChanged, Time: at(3), SessionID: "s-live", Context: home,
			Properties: mamori.Properties{NewEmail: "new@example.jp"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ev := c.ev
			ev.ID, ev.AccountID = "bench", "a-1"
			in := risk.NewInput(&ev, 1000, p.nets)
			b.ReportAllocs()
			for b.Loop() {
				d := risk.Decide(warm, in)
				_ = d
			}
		})
	}
	b.Run("enrich-decide-apply-activity", func(b *testing.B) {
		ev := mamori.Event{ID: "bench", AccountID: "a-1", Type: mamori.SessionActivity, Time: at(5), SessionID: "s-live", Context: home}
		b.ReportAllocs()
		for b.Loop() {
			in := risk.NewInput(&ev, 1000, p.nets)
			d := risk.Decide(warm, in)
			risk.Apply(warm, in, &d)
		}
	})
}
