package risk_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/sim"
)

// pure is the risk core with nothing around it: the smallest
// mamori.RiskService, so that the simulator's stories can run on it.
type pure struct {
	states map[string]*risk.State
	seq    uint64
	nets   *enrich.Networks
	// crowd is what other accounts show, given to every decision (the
	// engine's cross-account counters; none by default).
	crowd risk.Crowd
}

// loadNetworks parses the shipped network data once for the test binary.
var loadNetworks = sync.OnceValues(enrich.LoadNetworks)

func newPure(t testing.TB) *pure {
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	return &pure{states: map[string]*risk.State{}, nets: nets}
}

func (p *pure) state(ev *mamori.Event) *risk.State {
	st := p.states[ev.RouteKey()]
	if st == nil {
		st = &risk.State{AccountID: ev.AccountID}
		p.states[ev.RouteKey()] = st
	}
	return st
}

func (p *pure) Decide(_ context.Context, ev mamori.Event) (mamori.Decision, error) {
	if err := ev.Validate(); err != nil {
		return mamori.Decision{}, err
	}
	return p.decide(ev), nil
}

// decide decides ev unvalidated: a store's event once validated, or one
// of mamori's own (lockdown).
func (p *pure) decide(ev mamori.Event) mamori.Decision {
	st := p.state(&ev)
	p.seq++
	in := risk.NewInput(&ev, p.seq, p.nets, nil)
	in.Crowd = p.crowd
	d := risk.Decide(st, in)
	risk.Apply(st, in, &d)
	return d
}

func (p *pure) Record(ctx context.Context, evs []mamori.Event) (int, error) {
	for _, ev := range evs {
		st := p.state(&ev)
		p.seq++
		in := risk.NewInput(&ev, p.seq, p.nets, nil)
		d := risk.Decide(st, in)
		d.Decision, d.Actions, d.CaseID = mamori.Allow, nil, ""
		risk.Apply(st, in, &d)
	}
	return len(evs), nil
}

func (p *pure) Account(_ context.Context, id string) (mamori.Account, error) {
	if st := p.states[id]; st != nil {
		return st.View(), nil
	}
	return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "no account %s", id)
}

func (p *pure) Lockdown(ctx context.Context, id, reason string) (mamori.Account, error) {
	st := p.states[id]
	if st == nil {
		return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "no account %s", id)
	}
	p.decide(mamori.Event{ID: fmt.Sprintf("lock-%d", p.seq), Type: mamori.AccountLockedDown,
		AccountID: id, Time: st.LastTime, Properties: mamori.Properties{Reason: reason}})
	return st.View(), nil
}

func TestSeedStoryEndsAtTheFirstGiftCard(t *testing.T) {
	out, err := sim.PlaySeed(context.Background(), newPure(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.ValueLost != 0 || out.GiftCardsDelivered != 0 {
		t.Fatalf("attacker got ¥%d (%d gift cards)", out.ValueLost, out.GiftCardsDelivered)
	}
	if out.FirstGiftCard == mamori.Allow || out.FirstGiftCard == "" {
		t.Fatalf("first gift card: %q", out.FirstGiftCard)
	}
	if out.TeaShipped {
		t.Fatal("the card-test tea shipped although a hold came before the shipping run")
	}
	if out.CaseID == "" {
		t.Fatal("no case opened")
	}
	steps := map[string]mamori.Decision{}
	for _, s := range out.Steps {
		if _, seen := steps[s.Event.Type]; !seen {
			steps[s.Event.Type] = s.Decision
		}
	}
	if d := steps[mamori.LoginSucceeded]; d.Decision != mamori.Challenge || !hasCodes(d, risk.ReasonNewDevice, risk.ReasonNewNetwork) {
		t.Fatalf("attacker sign-in: %+v", d)
	}
	var gift mamori.Decision
	for _, s := range out.Steps {
		if s.Event.Type == mamori.OrderPlaced && s.Event.Properties.HasGiftCard() {
			gift = s.Decision
			break
		}
	}
	for _, a := range []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions, mamori.NotifyCustomer} {
		if !gift.Has(a) {
			t.Errorf("first gift card lacks %s: %+v", a, gift)
		}
	}
	if !hasCodes(gift, risk.ReasonRiskySession, risk.ReasonGiftCard, risk.ReasonNewRecipient, risk.ReasonCardTest) {
		t.Errorf("first gift card reasons: %+v", gift.Reasons)
	}
}

// playTo plays the scenario and checks that its last decision is want
// and gives the codes; it returns that decision.
func playTo(t *testing.T, scenario []ev, want mamori.Outcome, codes []string) mamori.Decision {
	t.Helper()
	ds := play(t, scenario)
	d := ds[len(ds)-1]
	if d.Decision != want {
		t.Fatalf("decision %s, want %s: %+v", d.Decision, want, d)
	}
	if !hasCodes(d, codes...) {
		t.Fatalf("reasons %+v lack %v", d.Reasons, codes)
	}
	return d
}

func hasCodes(d mamori.Decision, codes ...string) bool {
	for _, c := range codes {
		if !slices.ContainsFunc(d.Reasons, func(r mamori.Reason) bool { return r.Code == c }) {
			return false
		}
	}
	return true
}

var t0 = time.Date(2026, 10, 1, 20, 0, 0, 0, time.UTC)

type ev = mamori.Event

// history is a month of a customer on a home laptop: sign-ins every two
// days from one network, with TOTP, the laptop trusted, a few orders.
func history() []ev {
	var out []ev
	n := 0
	add := func(e ev) {
		n++
		e.ID = fmt.Sprintf("h-%d", n)
		e.AccountID = "a-1"
		out = append(out, e)
	}
	add(ev{Type: mamori.AccountCreated, Time: t0, Properties: mamori.Properties{Email: "a@example.jp"}})
	for day := 0; day < 30; day += 2 {
		at := t0.Add(time.Duration(day) * 24 * time.Hour)
		s := fmt.Sprintf("s-h%d", day)
		c := mamori.Context{IP: fmt.Sprintf("153.156.78.%d", 10+day%4), DeviceID: "laptop", UserAgent: "Chrome/131 Windows"}
		add(ev{Type: mamori.LoginSucceeded, Time: at, SessionID: s, Context: c, Properties: mamori.Properties{MFA: "totp"}})
		if day == 0 {
			add(ev{Type: mamori.DeviceTrusted, Time: at.Add(time.Minute), SessionID: s, Context: c})
		}
		if day%6 == 0 {
			amt := int64(2000 + day*100)
			add(ev{Type: mamori.OrderPlaced, Time: at.Add(5 * time.Minute), SessionID: s, Context: c, Properties: mamori.Properties{
				OrderID: fmt.Sprintf("o-%d", day), Amount: &amt, Currency: "JPY",
				Items: []mamori.Item{{SKU: "b", Category: "books"}}, Delivery: &mamori.Delivery{Type: "ship"}}})
		}
		add(ev{Type: mamori.Logout, Time: at.Add(20 * time.Minute), SessionID: s, Context: c})
	}
	return out
}

// play records the history as observed, then decides each event of
// the scenario in turn and returns the decisions.
func play(t *testing.T, scenario []ev) []mamori.Decision {
	t.Helper()
	p := newPure(t)
	if _, err := p.Record(context.Background(), history()); err != nil {
		t.Fatal(err)
	}
	var out []mamori.Decision
	for i, e := range scenario {
		e.ID = fmt.Sprintf("x-%d", i)
		if e.AccountID == "" {
			e.AccountID = "a-1"
		}
		d, err := p.Decide(context.Background(), e)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		out = append(out, d)
	}
	return out
}

var (
	later    = t0.Add(40 * 24 * time.Hour)
	home     = mamori.Context{IP: "153.156.78.77", DeviceID: "laptop", UserAgent: "Chrome/131 Windows"}
	newPhone = mamori.Context{IP: "153.156.78.30", DeviceID: "phone-2", UserAgent: "Safari iPhone"}
	abroad   = mamori.Context{IP: "81.2.69.160", DeviceID: "laptop", UserAgent: "Chrome/131 Windows"}
	// newPhoneAbroad: a new device on a mobile carrier the account never used.
	newPhoneAbroad = mamori.Context{IP: "49.98.141.30", DeviceID: "phone-9", UserAgent: "Safari iPhone"}
	hosting        = mamori.Context{IP: "45.76.210.33", DeviceID: "atk", UserAgent: "Chrome/130 Linux"}
)

func at(min int) time.Time { return later.Add(time.Duration(min) * time.Minute) }

func amount(v int64) *int64 { return &v }

func giftCard(session string, c mamori.Context, min int, id string, to string) ev {
	return ev{Type: mamori.OrderPlaced, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{
		OrderID: id, Amount: amount(5000), Currency: "JPY",
		Items:    []mamori.Item{{SKU: "gc", Category: "gift_cards", GiftCard: true, Digital: true}},
		Delivery: &mamori.Delivery{Type: "email", RecipientEmail: to}}}
}

func signIn(session string, c mamori.Context, min int) ev {
	return ev{Type: mamori.LoginSucceeded, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{MFA: "totp"}}
}

func TestDecisions(t *testing.T) {
	tests := []struct {
		name     string
		scenario []ev
		want     mamori.Outcome // of the last event
		codes    []string       // reasons the last decision must give
		actions  []mamori.Action
	}{
		{"owner at home is allowed", []ev{signIn("s1", home, 0)}, mamori.Allow, nil, nil},
		{"new phone on the home network is allowed", []ev{signIn("s1", newPhone, 0)}, mamori.Allow, []string{risk.ReasonNewDevice}, nil},
		{"known laptop abroad is allowed", []ev{signIn("s1", abroad, 0)}, mamori.Allow, []string{risk.ReasonNewNetwork}, nil},
		{"new device on a new network is challenged", []ev{signIn("s1", hosting, 0)}, mamori.Challenge,
			[]string{risk.ReasonNewDevice, risk.ReasonNewNetwork}, nil},
		{"a skipped code on an untrusted device is challenged", []ev{{Type: mamori.LoginSucceeded, Time: at(0), SessionID: "s1",
			Context: newPhone, Properties: mamori.Properties{RememberedDevice: true}}}, mamori.Challenge,
			[]string{risk.ReasonUntrustedRemembered}, nil},
		{"failures then a sign-in from a new phone at home", []ev{
			{Type: mamori.LoginFailed, Time: at(0), Context: hosting, Properties: mamori.Properties{Reason: "bad_password"}},
			{Type: mamori.LoginFailed, Time: at(1), Context: hosting, Properties: mamori.Properties{Reason: "bad_password"}},
			{Type: mamori.LoginFailed, Time: at(2), Context: hosting, Properties: mamori.Properties{Reason: "bad_password"}},
			signIn("s1", newPhoneAbroad, 3)}, mamori.Challenge, []string{risk.ReasonRecentFailures, risk.ReasonNewDevice}, nil},
		{"a known laptop abroad after the owner's typos is allowed", []ev{
			{Type: mamori.LoginFailed, Time: at(0), Context: abroad, Properties: mamori.Properties{Reason: "bad_password"}},
			signIn("s1", abroad, 1)}, mamori.Allow, []string{risk.ReasonNewCountry}, nil},
		{"activity before the challenge is met is denied", []ev{signIn("s1", hosting, 0),
			{Type: mamori.SessionActivity, Time: at(1), SessionID: "s1", Context: hosting}}, mamori.Deny,
			[]string{risk.ReasonSessionUnverified}, nil},
		{"a session used from another device is stolen", []ev{signIn("s1", home, 0),
			{Type: mamori.SessionActivity, Time: at(5), SessionID: "s1", Context: hosting}}, mamori.Deny,
			[]string{risk.ReasonSessionHijacked}, []mamori.Action{mamori.RevokeSessions}},
		{"a revoked session stays out", []ev{signIn("s1", home, 0),
			{Type: mamori.SessionActivity, Time: at(5), SessionID: "s1", Context: hosting},
			{Type: mamori.SessionActivity, Time: at(6), SessionID: "s1", Context: home}}, mamori.Deny,
			[]string{risk.ReasonSessionRevoked}, nil},
		{"two failed challenges end the session", []ev{signIn("s1", hosting, 0),
			{Type: mamori.ChallengeFailed, Time: at(1), SessionID: "s1", Context: hosting},
			{Type: mamori.ChallengeFailed, Time: at(2), SessionID: "s1", Context: hosting}}, mamori.Deny,
			[]string{risk.ReasonChallengeFailed}, []mamori.Action{mamori.RevokeSessions}},
		{"owner's gift card to a new recipient is allowed", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 3, "g1", "niece@example.jp")}, mamori.Allow, []string{risk.ReasonGiftCard, risk.ReasonNewRecipient}, nil},
		{"gift card after a card test in a relayed session is held", []ev{signIn("s1", hosting, 0),
			{Type: mamori.ChallengeSucceeded, Time: at(1), SessionID: "s1", Context: hosting},
			{Type: mamori.OrderPlaced, Time: at(2), SessionID: "s1", Context: hosting, Properties: mamori.Properties{
				OrderID: "tea", Amount: amount(530), Currency: "JPY", Items: []mamori.Item{{SKU: "tea", Category: "grocery"}},
				Delivery: &mamori.Delivery{Type: "ship"}}},
			giftCard("s1", hosting, 3, "g1", "stranger@mail.example")}, mamori.Review,
			[]string{risk.ReasonRiskySession, risk.ReasonGiftCard, risk.ReasonNewRecipient, risk.ReasonCardTest},
			[]mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions, mamori.NotifyCustomer}},
		{"the attacker's device is challenged as the case's once a case is open", []ev{signIn("s1", hosting, 0),
			{Type: mamori.ChallengeSucceeded, Time: at(1), SessionID: "s1", Context: hosting},
			giftCard("s1", hosting, 3, "g1", "stranger@mail.example"),
			signIn("s2", hosting, 4)}, mamori.Challenge, []string{risk.ReasonSuspectDevice}, nil},
		{"gift-card bursts from the owner's own laptop at home are allowed", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 1, "g1", "x1@mail.example"), giftCard("s1", home, 2, "g2", "x2@mail.example"),
			giftCard("s1", home, 3, "g3", "x3@mail.example")}, mamori.Allow,
			[]string{risk.ReasonGiftCardVelocity, risk.ReasonNewRecipient}, nil},
		{"a gift card to someone new from a device new to the account is held", []ev{signIn("s1", newPhone, 0),
			giftCard("s1", newPhone, 1, "g1", "x1@mail.example")}, mamori.Review,
			[]string{risk.ReasonNewDeviceSession, risk.ReasonNewRecipient}, nil},
		{"gift cards spent within minutes count against the next ones", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 1, "g1", "x1@mail.example"),
			{Type: mamori.GiftCardRedeemed, Time: at(5), Properties: mamori.Properties{OrderID: "g1", RedeemerAccount: "mule"}},
			giftCard("s1", home, 10, "g2", "x2@mail.example")}, mamori.Allow,
			[]string{risk.ReasonFastRedemption}, nil},
		{"orders in a session no sign-in started are held", []ev{giftCard("ghost", hosting, 0, "g1", "s@mail.example")},
			mamori.Review, []string{risk.ReasonSessionNoSignIn}, []mamori.Action{mamori.HoldPendingOrders}},
		{"a security change in a risky session is challenged", []ev{signIn("s1", hosting, 0),
			{Type: mamori.ChallengeSucceeded, Time: at(1), SessionID: "s1", Context: hosting},
			{Type: mamori.EmailChanged, Time: at(2), SessionID: "s1", Context: hosting, Properties: mamori.Properties{NewEmail: "x@mail.example"}}},
			mamori.Challenge, []string{risk.ReasonRiskySession}, nil},
		{"fraud reported opens a case", []ev{{Type: mamori.FraudReported, Time: at(0), Properties: mamori.Properties{By: "bank"}}},
			mamori.Allow, []string{risk.ReasonFraudReported}, []mamori.Action{mamori.HoldPendingOrders, mamori.NotifyCustomer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := playTo(t, tt.scenario, tt.want, tt.codes)
			for _, a := range tt.actions {
				if !d.Has(a) {
					t.Fatalf("actions %v lack %s", d.Actions, a)
				}
			}
			if d.Score < 0 || d.Score > 1 {
				t.Fatalf("score %v out of range", d.Score)
			}
			for i := 1; i < len(d.Reasons); i++ {
				if d.Reasons[i].Message == "" {
					t.Fatalf("reason %s has no message", d.Reasons[i].Code)
				}
			}
		})
	}
}

func TestEveryReasonCodeHasAMessage(t *testing.T) {
	for code, msg := range risk.ReasonCodes() {
		if msg == "" {
			t.Errorf("%s has no message", code)
		}
	}
}

func TestTheREADMEListsEveryReasonCode(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for code := range risk.ReasonCodes() {
		if !strings.Contains(string(readme), "| `"+code+"` |") {
			t.Errorf("README lacks reason code %s", code)
		}
	}
}

func TestPlaybooks(t *testing.T) {
	def := risk.DefaultPlaybook()
	if got := def.Names(); len(got) != 5 {
		t.Fatalf("built-in situations %v", got)
	}
	tests := []struct {
		name    string
		file    string
		wantErr string
	}{
		{"override one situation", `{"version":"v2","situations":{"risky_order":{"actions":["hold_pending_orders"],"open_case":false}}}`, ""},
		{"unknown situation", `{"version":"v2","situations":{"risky_ordr":{"actions":[]}}}`, "unknown situation"},
		{"unknown action", `{"version":"v2","situations":{"lockdown":{"actions":["call_police"]}}}`, "unknown action"},
		{"no version", `{"situations":{}}`, "version"},
		{"unknown field", `{"version":"v2","situation":{}}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := risk.ParsePlaybook([]byte(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			acts, opens := p.Respond(risk.SituationRiskyOrder)
			if len(acts) != 1 || opens {
				t.Fatalf("override not applied: %v %v", acts, opens)
			}
			if acts, _ := p.Respond(risk.SituationLockdown); len(acts) != 7 {
				t.Fatalf("situations left out keep the built-in response: %v", acts)
			}
		})
	}
	t.Run("a playbook changes the decision", func(t *testing.T) {
		p, _ := risk.ParsePlaybook([]byte(`{"version":"v2","situations":{"fraud_reported":{"actions":["lock_account","notify_customer"],"open_case":true}}}`))
		st := &risk.State{AccountID: "a-1"}
		ev := &mamori.Event{ID: "f", Type: mamori.FraudReported, AccountID: "a-1", Time: t0}
		in := risk.NewInput(ev, 7, nil, nil)
		in.Playbook = p
		d := risk.Decide(st, in)
		if !d.Has(mamori.LockAccount) || d.Has(mamori.HoldPendingOrders) || d.CaseID != "c-7" {
			t.Fatalf("decision %+v", d)
		}
	})
}

func TestTheAttackersLanguageDoesNotBecomeTheCustomers(t *testing.T) {
	p := newPure(t)
	hist := history()
	for i := range hist {
		hist[i].Context.AcceptLanguage = "ja-JP"
	}
	if _, err := p.Record(context.Background(), hist); err != nil {
		t.Fatal(err)
	}
	atk := signIn("s-x", hosting, 0)
	atk.ID, atk.AccountID = "x-1", "a-1"
	atk.Context.AcceptLanguage = "en-US"
	if d, _ := p.Decide(context.Background(), atk); d.Decision != mamori.Challenge {
		t.Fatalf("attacker's sign-in: %+v", d)
	}
	if got := p.states["a-1"].AcceptLanguage; got != "ja-JP" {
		t.Fatalf("language %q after the attacker's sign-in, want ja-JP", got)
	}
}
