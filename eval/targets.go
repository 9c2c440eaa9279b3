package eval

import (
	"encoding/json"
	"math"
	"strconv"
)

// Metric is one headline number of a report.
type Metric struct {
	Name  string `json:"name"`
	Value Num    `json:"value"`
}

// Num is a number that is written as null in JSON when it is not one
// (an AUC without attacks, a median of nothing).
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// Headline metric names.
const (
	MetricLossPct        = "loss_pct_of_attempted"
	MetricNoGiftLossPct  = "victims_no_gift_card_lost_pct"
	MetricProtectSeconds = "median_seconds_to_protect"
	MetricSeedLost       = "seed_story_lost_yen"
	MetricSeedFirstGift  = "seed_story_first_gift_card_allowed"
	MetricChallengedPct  = "legit_sign_ins_challenged_pct"
	MetricHeldPct        = "legit_orders_held_pct"
	MetricGiftHeldPct    = "legit_gift_card_buyers_held_pct"
	MetricDeniesPct      = "legit_denies_pct"
	MetricLocked         = "legit_accounts_locked"
	MetricAUCSignIns     = "auc_sign_ins"
	MetricAUCOrders      = "auc_orders"
	MetricAUCAll         = "auc_all"
	MetricRecallSignIns  = "recall_at_1pct_fpr_sign_ins"
	MetricRecallOrders   = "recall_at_1pct_fpr_orders"
	MetricRecallAll      = "recall_at_1pct_fpr_all"
)

// Metrics are the report's headline numbers, in a fixed order.
func (r *Report) Metrics() []Metric {
	seedLost, seedFirst := math.NaN(), math.NaN()
	if r.SeedStory != nil {
		seedLost = float64(r.SeedStory.Lost)
		seedFirst = 0
		if r.SeedStory.FirstGiftCard == "allow" {
			seedFirst = 1
		}
	}
	ms := []Metric{
		{MetricLossPct, Num(100 * r.Attacks.LossShare())},
		{MetricNoGiftLossPct, Num(100 * r.Attacks.NoGiftCardLoss)},
		{MetricProtectSeconds, Num(r.Attacks.MedianToProtect)},
		{MetricSeedLost, Num(seedLost)},
		{MetricSeedFirstGift, Num(seedFirst)},
		{MetricChallengedPct, Num(r.Legit.ChallengedPct())},
		{MetricHeldPct, Num(r.Legit.HeldPct())},
		{MetricGiftHeldPct, Num(r.Legit.GiftHeldPct())},
		{MetricDeniesPct, Num(r.Legit.DeniesPct())},
		{MetricLocked, Num(r.Legit.Locked)},
	}
	for _, rk := range r.Ranking {
		auc, rec := MetricAUCAll, MetricRecallAll
		switch rk.Kind {
		case KindSignIns:
			auc, rec = MetricAUCSignIns, MetricRecallSignIns
		case KindOrders:
			auc, rec = MetricAUCOrders, MetricRecallOrders
		}
		ms = append(ms, Metric{auc, Num(rk.AUC)}, Metric{rec, Num(rk.Recall)})
	}
	return ms
}

// Target is one goal of the detection, checked.
type Target struct {
	Name   string `json:"name"`
	Metric string `json:"metric"`
	Want   string `json:"want"`
	Got    Num    `json:"got"`
	Pass   bool   `json:"pass"`
}

type goal struct {
	name, metric, want string
	ok                 func(float64) bool
}

// goals are the targets.
var goals = []goal{
	{"loss ≤ 1% of the value attempted", MetricLossPct, "≤ 1", func(v float64) bool { return v <= 1 }},
	{"≥ 99% of victims lose no gift card", MetricNoGiftLossPct, "≥ 99", func(v float64) bool { return v >= 99 }},
	{"seed story: first gift card never allowed", MetricSeedFirstGift, "0", func(v float64) bool { return v == 0 }},
	{"seed story: ¥0 lost", MetricSeedLost, "0", func(v float64) bool { return v == 0 }},
	{"legit sign-ins challenged ≤ 2%", MetricChallengedPct, "≤ 2", func(v float64) bool { return v <= 2 }},
	{"legit orders held ≤ 0.5%", MetricHeldPct, "≤ 0.5", func(v float64) bool { return v <= 0.5 }},
	{"legit gift-card buyers held ≤ 2%", MetricGiftHeldPct, "≤ 2", func(v float64) bool { return v <= 2 }},
	{"0 legit accounts locked", MetricLocked, "0", func(v float64) bool { return v == 0 }},
}

// Check checks the targets on a set of metrics. A metric missing or not
// a number fails its target.
func Check(ms []Metric) []Target {
	byName := make(map[string]float64, len(ms))
	for _, m := range ms {
		byName[m.Name] = float64(m.Value)
	}
	out := make([]Target, 0, len(goals))
	for _, g := range goals {
		v, ok := byName[g.metric]
		if !ok {
			v = math.NaN()
		}
		out = append(out, Target{Name: g.name, Metric: g.metric, Want: g.want, Got: Num(v), Pass: !math.IsNaN(v) && g.ok(v)})
	}
	return out
}

// Passed reports whether every target passed.
func Passed(ts []Target) bool {
	for _, t := range ts {
		if !t.Pass {
			return false
		}
	}
	return true
}

// MedianMetrics is each headline metric's median over the reports,
// ignoring reports where it is not a number.
func MedianMetrics(reps []*Report) []Metric {
	if len(reps) == 0 {
		return nil
	}
	names := reps[0].Metrics()
	values := make(map[string][]float64)
	for _, r := range reps {
		for _, m := range r.Metrics() {
			if v := float64(m.Value); !math.IsNaN(v) {
				values[m.Name] = append(values[m.Name], v)
			}
		}
	}
	out := make([]Metric, len(names))
	for i, m := range names {
		out[i] = Metric{Name: m.Name, Value: Num(median(values[m.Name]))}
	}
	return out
}

func formatNum(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}
