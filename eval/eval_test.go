package eval

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sim"
)

// handBuilt is a play small enough to count by hand: a relay attack that
// mamori stopped after its first gift card was delivered (voided in time)
// and a crew attack it never saw, next to a few honest customers.
func handBuilt() *sim.Result {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	victim1 := &sim.Customer{ID: "c1", Cohort: sim.CohortRegular}
	victim2 := &sim.Customer{ID: "c2", Cohort: sim.CohortRegular}
	buyer := &sim.Customer{ID: "c3", Cohort: sim.CohortGiftBuyer}
	locked := &sim.Customer{ID: "c4", Cohort: sim.CohortRegular}
	relay := &sim.Attack{ID: "a1", Scenario: sim.ScenarioRelay, Victims: []*sim.Customer{victim1}}
	crew := &sim.Attack{ID: "a2", Scenario: sim.ScenarioCrew, Victims: []*sim.Customer{victim2}}
	atk := func(a *sim.Attack) sim.Truth {
		return sim.Truth{Source: sim.SourceAttacker, Fraud: true, Scenario: a.Scenario, Attack: a.ID, Victim: a.Victims[0].ID}
	}
	own := func(c *sim.Customer) sim.Truth { return sim.Truth{Source: sim.SourceCustomer, Cohort: c.Cohort} }
	rec := func(m int, typ, account string, o mamori.Outcome, score float64, t sim.Truth) sim.Record {
		return sim.Record{Type: typ, Time: at(m), Account: account, Decision: o, Score: score, Truth: t}
	}
	return &sim.Result{
		Config: sim.Config{Seed: 9, Start: start, HistoryDays: -1, Days: 1},
		World:  &sim.World{Customers: []*sim.Customer{victim1, victim2, buyer, locked}, Attacks: []*sim.Attack{relay, crew}},
		Records: []sim.Record{
			rec(0, mamori.LoginSucceeded, "c1", mamori.Allow, 0.3, atk(relay)),
			rec(1, mamori.OrderPlaced, "c1", mamori.Allow, 0.1, atk(relay)),
			rec(2, mamori.OrderPlaced, "c1", mamori.Review, 0.9, atk(relay)),
			rec(10, mamori.LoginSucceeded, "c2", mamori.Allow, 0.2, atk(crew)),
			rec(11, mamori.OrderPlaced, "c2", mamori.Allow, 0.4, atk(crew)),
			rec(20, mamori.LoginSucceeded, "c3", mamori.Allow, 0.0, own(buyer)),
			rec(21, mamori.LoginSucceeded, "c3", mamori.Challenge, 0.7, own(buyer)),
			rec(22, mamori.OrderPlaced, "c3", mamori.Review, 0.8, own(buyer)),
			rec(23, mamori.LoginSucceeded, "c4", mamori.Deny, 1, own(locked)),
			rec(24, mamori.OrderPlaced, "c4", mamori.Allow, 0.05, own(locked)),
			rec(25, mamori.SessionActivity, "c4", mamori.Allow, 0, own(locked)),
			rec(26, mamori.PaymentSettled, "c4", mamori.Allow, 0, sim.Truth{Source: sim.SourceStore}),
		},
		Orders: []*sim.Order{
			{Account: "c1", Truth: atk(relay), Placed: at(1), Amount: 500, Ship: true, Shipped: true},
			{Account: "c1", Truth: atk(relay), Placed: at(2), Amount: 5000, GiftCard: true, ToAttacker: true, Delivered: true, Voided: true},
			{Account: "c2", Truth: atk(crew), Placed: at(11), Amount: 10000, GiftCard: true, ToAttacker: true, Delivered: true, Redeemed: true},
			{Account: "c2", Truth: atk(crew), Placed: at(12), Amount: 30000, Ship: true, ToAttacker: true, Shipped: true},
			{Account: "c2", Truth: atk(crew), Placed: at(13), Amount: 8000, Ship: true, ToAttacker: true, Held: true, Cancelled: true},
			{Account: "c3", Truth: own(buyer), Placed: at(22), Amount: 5000, GiftCard: true, Held: true, Delivered: true},
			{Account: "c4", Truth: own(locked), Placed: at(24), Amount: 2000, Ship: true, Shipped: true},
		},
		Locks: []sim.Lock{{Account: "c4", Time: at(23)}, {Account: "c1", Time: at(3), Victim: true}},
	}
}

func TestEvaluateCountsByHand(t *testing.T) {
	rep := Evaluate(handBuilt())
	scenario := func(name string) ScenarioResult {
		for _, s := range rep.Scenarios {
			if s.Scenario == name {
				return s
			}
		}
		t.Fatalf("no scenario %s", name)
		return ScenarioResult{}
	}
	relay, crew := scenario(sim.ScenarioRelay), scenario(sim.ScenarioCrew)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"relay attempted", float64(relay.Attempted), 5500},
		{"relay lost (the card was voided)", float64(relay.Lost), 0},
		{"relay victims without card loss", relay.NoGiftCardLoss, 1},
		{"relay seconds to protect", float64(relay.MedianToProtect), 120},
		{"crew attempted", float64(crew.Attempted), 48000},
		{"crew lost (card redeemed, parcel shipped)", float64(crew.Lost), 40000},
		{"crew victims without card loss", crew.NoGiftCardLoss, 0},
		{"crew protected", float64(crew.Protected), 0},
		{"all victims", float64(rep.Attacks.Victims), 2},
		{"all lost share", rep.Attacks.LossShare(), 40000.0 / 53500},
		{"all without card loss", rep.Attacks.NoGiftCardLoss, 0.5},
		{"legit sign-ins", float64(rep.Legit.SignIns), 3},
		{"legit sign-ins challenged", float64(rep.Legit.Challenged), 2},
		{"legit orders held", rep.Legit.HeldPct(), 50},
		{"gift-card buyers held", rep.Legit.GiftHeldPct(), 100},
		{"legit denies", float64(rep.Legit.Denies), 1},
		{"legit events", float64(rep.Legit.Events), 6},
		{"accounts locked (victims aside)", float64(rep.Legit.Locked), 1},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !math.IsNaN(float64(crew.MedianToProtect)) {
		t.Errorf("crew median to protect %v, want none", crew.MedianToProtect)
	}
	// Ranking: attacks' sign-ins 0.3, 0.2 against honest 0, 0.7, 1.
	for _, r := range rep.Ranking {
		if r.Kind == KindSignIns && (r.Attacks != 2 || r.Legit != 3 || math.Abs(float64(r.AUC)-2.0/6) > 1e-9) {
			t.Errorf("sign-in ranking %+v, want AUC 1/3 over 2 and 3 events", r)
		}
	}
	// Book-keeping events are neither side.
	if n := len(rep.Scores.All.Attack) + len(rep.Scores.All.Legit); n != 11 {
		t.Errorf("%d events scored, want 11", n)
	}
}

func TestTargetsOnHandBuiltPlay(t *testing.T) {
	rep := Evaluate(handBuilt())
	rep.AddSeedStory(sim.SeedOutcome{ValueAttempted: 40000, ValueLost: 0, FirstGiftCard: mamori.Review})
	pass := map[string]bool{}
	for _, tg := range rep.Targets {
		pass[tg.Metric] = tg.Pass
	}
	want := map[string]bool{
		MetricLossPct: false, MetricNoGiftLossPct: false, MetricSeedFirstGift: true, MetricSeedLost: true,
		MetricChallengedPct: false, MetricHeldPct: false, MetricGiftHeldPct: false, MetricLocked: false,
	}
	for m, w := range want {
		if pass[m] != w {
			t.Errorf("target %s passed %v, want %v", m, pass[m], w)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report to JSON: %v", err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
}

func TestMedianMetrics(t *testing.T) {
	a, b, c := Evaluate(handBuilt()), Evaluate(handBuilt()), Evaluate(handBuilt())
	a.Legit.Locked, b.Legit.Locked, c.Legit.Locked = 0, 5, 1
	for _, m := range MedianMetrics([]*Report{a, b, c}) {
		if m.Name == MetricLocked && m.Value != 1 {
			t.Errorf("median locked %v, want 1", m.Value)
		}
	}
}
