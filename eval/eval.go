// Package eval scores a simulated play (package sim) against the truth:
// how much each attack scenario got away with and how soon mamori acted,
// how much friction honest customers met, how well the scores rank
// attacks above honest events, and whether the seed story's attacker got
// anything. It checks the results against the detection targets.
package eval

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sim"
)

// Report is the evaluation of one play.
type Report struct {
	Seed      uint64           `json:"seed"`
	Accounts  int              `json:"accounts"`
	Days      int              `json:"days"`
	Events    int              `json:"events"`          // decided in the scored days
	History   int              `json:"history_events"`  // recorded before them
	Elapsed   float64          `json:"elapsed_seconds"` // wall time of the play
	Scenarios []ScenarioResult `json:"scenarios"`
	Attacks   ScenarioResult   `json:"attacks"` // all scenarios together
	Legit     LegitResult      `json:"legit"`
	Cohorts   []LegitResult    `json:"cohorts"`
	Ranking   []Ranking        `json:"ranking"`
	SeedStory *SeedResult      `json:"seed_story,omitempty"`
	Targets   []Target         `json:"targets"`
	Scores    Scores           `json:"-"`
}

// ScenarioResult is what one attack scenario got.
type ScenarioResult struct {
	Scenario  string `json:"scenario"`
	Victims   int    `json:"victims"`
	Reached   int    `json:"victims_reached"` // victims the attackers acted on
	Attempted int64  `json:"value_attempted"` // yen of the orders the attackers placed
	Lost      int64  `json:"value_lost"`      // yen they got: cards not voided in time, goods shipped to them
	// NoGiftCardLoss is the share of victims who lost no gift card.
	NoGiftCardLoss float64 `json:"share_no_gift_card_lost"`
	// Protected is how many reached victims got a protective decision
	// (anything but allow, or an action) on an attacker's event.
	Protected int `json:"victims_protected"`
	// MedianToProtect is the median time from the attacker's first event
	// to that decision, over the protected victims, in seconds.
	MedianToProtect Num `json:"median_seconds_to_protect"`
}

// LossShare is the value lost over the value attempted.
func (s ScenarioResult) LossShare() float64 {
	if s.Attempted == 0 {
		return 0
	}
	return float64(s.Lost) / float64(s.Attempted)
}

// LegitResult is the friction honest customers met in the scored days.
type LegitResult struct {
	Cohort   string `json:"cohort"`
	Accounts int    `json:"accounts"`
	Events   int    `json:"events"`
	SignIns  int    `json:"sign_ins"`
	// Challenged: sign-ins answered with challenge or deny.
	Challenged int `json:"sign_ins_challenged"`
	Orders     int `json:"orders"`
	// Held: orders held (review, or a hold action) or refused.
	Held       int `json:"orders_held"`
	GiftBuyers int `json:"gift_card_buyers"`
	// GiftBuyersHeld: buyers with a gift-card order held or refused.
	GiftBuyersHeld int `json:"gift_card_buyers_held"`
	Denies         int `json:"denies"`
	// Voided: gift cards of theirs cancelled by void_gift_cards.
	Voided   int `json:"gift_cards_voided"`
	Locked   int `json:"accounts_locked"`
	Notified int `json:"accounts_notified"`
}

// Shares of the counts, in percent.
func (l LegitResult) ChallengedPct() float64 { return pct(l.Challenged, l.SignIns) }
func (l LegitResult) HeldPct() float64       { return pct(l.Held, l.Orders) }
func (l LegitResult) GiftHeldPct() float64   { return pct(l.GiftBuyersHeld, l.GiftBuyers) }
func (l LegitResult) DeniesPct() float64     { return pct(l.Denies, l.Events) }

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// Ranking is how well the scores separate attackers' events from honest
// customers' events of one kind.
type Ranking struct {
	Kind      string `json:"kind"` // sign_ins, orders, all
	Attacks   int    `json:"attack_events"`
	Legit     int    `json:"legit_events"`
	AUC       Num    `json:"auc"`
	Recall    Num    `json:"recall_at_1pct_fpr"`
	Threshold Num    `json:"threshold_at_1pct_fpr"`
}

// SeedResult is the seed story played against the same service.
type SeedResult struct {
	Attempted     int64  `json:"value_attempted"`
	Lost          int64  `json:"value_lost"`
	FirstGiftCard string `json:"first_gift_card"`
	CaseID        string `json:"case_id,omitempty"`
}

// Scores are the scores of attack and honest events, by kind.
type Scores struct {
	SignIns, Orders, All ScorePair
}

// ScorePair holds the scores of both sides.
type ScorePair struct {
	Attack, Legit []float64
}

// Kinds of events ranked.
const (
	KindSignIns = "sign_ins"
	KindOrders  = "orders"
	KindAll     = "all"
)

// Evaluate scores a play.
func Evaluate(res *sim.Result) *Report {
	rep := &Report{
		Seed: res.Config.Seed, Accounts: len(res.World.Customers), Days: res.Config.Days,
		Events: len(res.Records), History: res.History, Elapsed: res.Elapsed.Seconds(),
	}
	rep.Scenarios, rep.Attacks = scenarios(res)
	rep.Legit, rep.Cohorts = legit(res)
	rep.Scores = scores(res.Records)
	rep.Ranking = []Ranking{
		rank(KindSignIns, rep.Scores.SignIns), rank(KindOrders, rep.Scores.Orders), rank(KindAll, rep.Scores.All),
	}
	rep.Targets = Check(rep.Metrics())
	return rep
}

// AddSeedStory puts the seed story's outcome in the report and checks the
// targets again.
func (r *Report) AddSeedStory(o sim.SeedOutcome) {
	r.SeedStory = &SeedResult{Attempted: o.ValueAttempted, Lost: o.ValueLost, FirstGiftCard: string(o.FirstGiftCard), CaseID: o.CaseID}
	if r.SeedStory.FirstGiftCard == "" {
		r.SeedStory.FirstGiftCard = "never placed"
	}
	r.Targets = Check(r.Metrics())
}

func scenarios(res *sim.Result) ([]ScenarioResult, ScenarioResult) {
	type victim struct {
		scenario       string
		first, protect time.Time
		giftLost       int64
	}
	victims := make(map[string]*victim) // attack id + account
	key := func(attack, account string) string { return attack + "\x00" + account }
	by := make(map[string]*ScenarioResult)
	total := ScenarioResult{Scenario: "all"}
	for _, s := range sim.Scenarios {
		by[s] = &ScenarioResult{Scenario: s}
	}
	for _, a := range res.World.Attacks {
		for _, c := range a.Victims {
			victims[key(a.ID, c.ID)] = &victim{scenario: a.Scenario}
			by[a.Scenario].Victims++
		}
	}
	for i := range res.Records {
		r := &res.Records[i]
		if r.Truth.Source != sim.SourceAttacker || r.Truth.Victim == "" {
			continue
		}
		v := victims[key(r.Truth.Attack, r.Truth.Victim)]
		if v == nil {
			continue
		}
		if v.first.IsZero() {
			v.first = r.Time
		}
		if v.protect.IsZero() && r.Protective() {
			v.protect = r.Time
		}
	}
	for _, o := range res.Orders {
		if o.Truth.Source != sim.SourceAttacker {
			continue
		}
		s := by[o.Truth.Scenario]
		s.Attempted += o.Amount
		s.Lost += o.Lost()
		if v := victims[key(o.Truth.Attack, o.Truth.Victim)]; v != nil && o.GiftCard {
			v.giftLost += o.Lost()
		}
	}
	waits := make(map[string][]float64)
	clean := make(map[string]int)
	for _, v := range victims {
		s := by[v.scenario]
		if v.giftLost == 0 {
			clean[v.scenario]++
		}
		if v.first.IsZero() {
			continue
		}
		s.Reached++
		if !v.protect.IsZero() {
			s.Protected++
			waits[v.scenario] = append(waits[v.scenario], v.protect.Sub(v.first).Seconds())
			waits["all"] = append(waits["all"], v.protect.Sub(v.first).Seconds())
		}
	}
	var out []ScenarioResult
	for _, name := range sim.Scenarios {
		s := by[name]
		s.NoGiftCardLoss = share(clean[name], s.Victims)
		s.MedianToProtect = Num(median(waits[name]))
		out = append(out, *s)
		total.Victims += s.Victims
		total.Reached += s.Reached
		total.Protected += s.Protected
		total.Attempted += s.Attempted
		total.Lost += s.Lost
		clean["all"] += clean[name]
	}
	total.NoGiftCardLoss = share(clean["all"], total.Victims)
	total.MedianToProtect = Num(median(waits["all"]))
	return out, total
}

func share(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func legit(res *sim.Result) (LegitResult, []LegitResult) {
	cohortOf := make(map[string]string, len(res.World.Customers))
	by := make(map[string]*LegitResult)
	for _, c := range sim.Cohorts {
		by[c] = &LegitResult{Cohort: c}
	}
	for _, c := range res.World.Customers {
		cohortOf[c.ID] = c.Cohort
		by[c.Cohort].Accounts++
	}
	notified := make(map[string]bool)
	for i := range res.Records {
		r := &res.Records[i]
		if r.Truth.Source != sim.SourceCustomer {
			continue
		}
		l := by[cohortOf[r.Account]]
		if l == nil {
			continue
		}
		l.Events++
		if r.Decision == mamori.Deny {
			l.Denies++
		}
		if r.Type == mamori.LoginSucceeded {
			l.SignIns++
			if r.Decision != mamori.Allow {
				l.Challenged++
			}
		}
		if slices.Contains(r.Actions, mamori.NotifyCustomer) && !notified[r.Account] {
			notified[r.Account] = true
			l.Notified++
		}
	}
	from := res.Config.ScoredFrom()
	buyers := make(map[string]bool) // account -> a gift card held
	for _, o := range res.Orders {
		if o.Truth.Source != sim.SourceCustomer || o.Placed.Before(from) {
			continue
		}
		l := by[cohortOf[o.Account]]
		l.Orders++
		stopped := o.Held || o.Decision == mamori.Deny
		if stopped {
			l.Held++
		}
		if o.Voided {
			l.Voided++
		}
		if o.GiftCard {
			buyers[o.Account] = buyers[o.Account] || stopped
		}
	}
	for acct, held := range buyers {
		l := by[cohortOf[acct]]
		l.GiftBuyers++
		if held {
			l.GiftBuyersHeld++
		}
	}
	locked := make(map[string]bool)
	for _, lk := range res.Locks {
		if !lk.Victim && !locked[lk.Account] {
			locked[lk.Account] = true
			by[cohortOf[lk.Account]].Locked++
		}
	}
	total := LegitResult{Cohort: "all"}
	var out []LegitResult
	for _, c := range sim.Cohorts {
		l := by[c]
		out = append(out, *l)
		total.Accounts += l.Accounts
		total.Events += l.Events
		total.SignIns += l.SignIns
		total.Challenged += l.Challenged
		total.Orders += l.Orders
		total.Held += l.Held
		total.GiftBuyers += l.GiftBuyers
		total.GiftBuyersHeld += l.GiftBuyersHeld
		total.Denies += l.Denies
		total.Voided += l.Voided
		total.Locked += l.Locked
		total.Notified += l.Notified
	}
	return total, out
}

func scores(records []sim.Record) Scores {
	var s Scores
	for i := range records {
		r := &records[i]
		var side func(*ScorePair) *[]float64
		switch r.Truth.Source {
		case sim.SourceAttacker:
			side = func(p *ScorePair) *[]float64 { return &p.Attack }
		case sim.SourceCustomer:
			side = func(p *ScorePair) *[]float64 { return &p.Legit }
		default:
			continue
		}
		all := side(&s.All)
		*all = append(*all, r.Score)
		switch r.Type {
		case mamori.LoginSucceeded:
			p := side(&s.SignIns)
			*p = append(*p, r.Score)
		case mamori.OrderPlaced:
			p := side(&s.Orders)
			*p = append(*p, r.Score)
		}
	}
	return s
}

func rank(kind string, p ScorePair) Ranking {
	recall, threshold := RecallAtFPR(p.Attack, p.Legit, 0.01)
	return Ranking{Kind: kind, Attacks: len(p.Attack), Legit: len(p.Legit),
		AUC: Num(AUC(p.Attack, p.Legit)), Recall: Num(recall), Threshold: Num(threshold)}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
