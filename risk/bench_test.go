package risk_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// decideCase is one kind of event decided on an account with a month of
// history.
type decideCase struct {
	name string
	in   *risk.Input
}

// decideCases returns the account with a month of history and a live
// session, and one event of each kind to decide on it.
func decideCases(tb testing.TB) (*pure, *risk.State, []decideCase) {
	p := newPure(tb)
	if _, err := p.Record(context.Background(), history()); err != nil {
		tb.Fatal(err)
	}
	live := signIn("s-live", home, 0)
	live.ID, live.AccountID = "live", "a-1"
	if d, err := p.Decide(context.Background(), live); err != nil || d.Decision != mamori.Allow {
		tb.Fatalf("live session: %v %+v", err, d)
	}
	events := []struct {
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
	var cases []decideCase
	for _, e := range events {
		ev := e.ev
		ev.ID, ev.AccountID = "bench", "a-1"
		cases = append(cases, decideCase{e.name, risk.NewInput(&ev, 1000, p.nets, nil)})
	}
	return p, p.states["a-1"], cases
}

// BenchmarkDecide times one decision, and the state change after it, for
// each kind of event on an account with a month of history.
//
//	go test ./risk -run '^$' -bench Decide -benchmem
func BenchmarkDecide(b *testing.B) {
	p, warm, cases := decideCases(b)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := risk.Decide(warm, c.in)
				_ = d
			}
		})
	}
	b.Run("enrich-decide-apply-activity", func(b *testing.B) {
		ev := activityEvent()
		b.ReportAllocs()
		for b.Loop() {
			enrichDecideApply(p, warm, &ev)
		}
	})
}

func activityEvent() mamori.Event {
	return mamori.Event{ID: "bench", AccountID: "a-1", Type: mamori.SessionActivity, Time: at(5), SessionID: "s-live", Context: home}
}

func enrichDecideApply(p *pure, st *risk.State, ev *mamori.Event) {
	in := risk.NewInput(ev, 1000, p.nets, nil)
	d := risk.Decide(st, in)
	risk.Apply(st, in, &d)
}

// BenchmarkReplay applies a decided stream of events to fresh account
// states, as a restart or a backtest does once the log is read: the
// in-process replay rate of the risk core.
//
//	go test ./risk -run '^$' -bench Replay
func BenchmarkReplay(b *testing.B) {
	p := newPure(b)
	type decided struct {
		in *risk.Input
		d  mamori.Decision
	}
	var stream []decided
	hist := history()
	for a := 0; a < 200; a++ {
		for _, e := range hist {
			e.ID = fmt.Sprintf("%s-%d", e.ID, a)
			e.AccountID = fmt.Sprintf("acct-%d", a)
			ev := e
			st := p.state(&ev)
			in := risk.NewInput(&ev, uint64(len(stream)+1), p.nets, nil)
			d := risk.Decide(st, in)
			risk.Apply(st, in, &d)
			stream = append(stream, decided{in, d})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		states := make(map[string]*risk.State, 200)
		for i := range stream {
			x := &stream[i]
			st := states[x.in.Event.AccountID]
			if st == nil {
				st = &risk.State{AccountID: x.in.Event.AccountID}
				states[x.in.Event.AccountID] = st
			}
			risk.Apply(st, x.in, &x.d)
		}
	}
	b.ReportMetric(float64(len(stream))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
