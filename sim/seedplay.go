package sim

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
)

// SeedOutcome is what the seed story's attacker got, as the store saw it.
type SeedOutcome struct {
	GiftCardsAttempted int
	GiftCardsDelivered int   // e-mailed to the attacker's recipient and not voided
	ValueAttempted     int64 // yen of gift cards the attacker ordered
	ValueLost          int64 // yen of gift cards the attacker could spend
	FirstGiftCard      mamori.Outcome
	TeaShipped         bool
	CaseID             string
	Steps              []Step
}

// Step is one event of the attack with mamori's decision.
type Step struct {
	Title    string
	Event    mamori.Event
	Decision mamori.Decision
}

// seedStore is the store of the story: it obeys mamori's decisions and
// actions as the contract says, and charges the customer's debit card.
type seedStore struct {
	svc     mamori.RiskService
	out     io.Writer
	b       *builder
	balance int64
	session string // the attacker's live session, "" when signed out
	clock   time.Time
	// held: a hold reached the store before the morning's shipping run.
	held   bool
	result SeedOutcome
	cards  []*giftCard
}

type giftCard struct {
	order     string
	amount    int64
	delivered bool
	redeemed  bool
	voided    bool
}

// PlaySeed records the customer's history, then plays the attacker of the
// seed story against svc, printing each step with mamori's decision to
// out (nil: print nothing).
func PlaySeed(ctx context.Context, svc mamori.RiskService, out io.Writer) (SeedOutcome, error) {
	if out == nil {
		out = io.Discard
	}
	history := SeedHistory(SeedAttackTime)
	if _, err := svc.Record(ctx, history); err != nil {
		return SeedOutcome{}, fmt.Errorf("record seed history: %w", err)
	}
	fmt.Fprintf(out, "history: %d events over six weeks for %s (laptop at home, iPhone on the move, TOTP, a trusted laptop)\n\n",
		len(history), SeedAccount)
	st := &seedStore{svc: svc, out: out, b: &builder{account: SeedAccount, prefix: "atk"},
		balance: seedBalance, clock: SeedAttackTime}
	if err := st.attack(ctx); err != nil {
		return st.result, err
	}
	for _, c := range st.cards {
		if c.delivered && !c.voided {
			st.result.GiftCardsDelivered++
			st.result.ValueLost += c.amount
		}
	}
	return st.result, nil
}

func (s *seedStore) attack(ctx context.Context) error {
	if ok, err := s.signIn(ctx); err != nil || !ok {
		return err
	}
	if _, err := s.send(ctx, "attacker opens the order history", mamori.SessionActivity, mamori.Properties{Page: "orders"}); err != nil {
		return err
	}
	tea, err := s.order(ctx, "card test: ¥530 of tea shipped to the customer's own address", "ord-9001", seedTeaPrice, false)
	if err != nil {
		return err
	}
	defer func() { s.result.TeaShipped = tea == mamori.Allow && !s.held }()
	for i := 1; i <= seedGiftCards; i++ {
		if s.session == "" {
			ok, err := s.signIn(ctx)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(s.out, "        the attacker cannot sign in again; %d gift cards never ordered\n", seedGiftCards-i+1)
				break
			}
		}
		title := fmt.Sprintf("gift card %d of %d: ¥5,000 e-mailed to %s", i, seedGiftCards, seedStranger)
		o, err := s.order(ctx, title, fmt.Sprintf("ord-%d", 9001+i), seedGiftValue, true)
		if err != nil {
			return err
		}
		if i == 1 {
			s.result.FirstGiftCard = o
		}
	}
	return nil
}

// signIn plays a sign-in with the phished password and a relayed one-time
// code; a challenge is met by relaying the next code as well.
func (s *seedStore) signIn(ctx context.Context) (bool, error) {
	s.session = s.b.session()
	d, err := s.send(ctx, "attacker signs in: new device, hosting network, relayed one-time code",
		mamori.LoginSucceeded, mamori.Properties{MFA: "totp"})
	if err != nil {
		return false, err
	}
	switch d.Decision {
	case mamori.Deny:
		s.session = ""
		return false, nil
	case mamori.Challenge:
		d, err = s.send(ctx, "attacker relays the step-up code too", mamori.ChallengeSucceeded, mamori.Properties{Method: "email"})
		if err != nil {
			return false, err
		}
		if d.Decision == mamori.Deny {
			s.session = ""
			return false, nil
		}
	}
	return true, nil
}

// order places an order paid with the saved debit card and, if it went
// through, hides it from the order history as the attacker did.
func (s *seedStore) order(ctx context.Context, title, id string, amount int64, gift bool) (mamori.Outcome, error) {
	p := mamori.Properties{
		OrderID: id, Amount: ptr(amount), Currency: "JPY",
		Payment: &mamori.Payment{MethodID: "pm-debit-4411", Type: "debit"},
	}
	if gift {
		p.Items = []mamori.Item{{SKU: "gc-5000", Name: "eGift card ¥5,000", Category: "gift_cards", Quantity: ptr(int64(1)), UnitPrice: ptr(amount), GiftCard: true, Digital: true}}
		p.Delivery = &mamori.Delivery{Type: "email", RecipientEmail: seedStranger}
		s.result.GiftCardsAttempted++
		s.result.ValueAttempted += amount
	} else {
		p.Items = []mamori.Item{{SKU: "tea-sencha-50", Name: "Sencha 50g", Category: "grocery", Quantity: ptr(int64(1)), UnitPrice: ptr(amount)}}
		p.Delivery = &mamori.Delivery{Type: "ship", AddressID: "addr-home"}
	}
	d, err := s.send(ctx, title, mamori.OrderPlaced, p)
	if err != nil {
		return "", err
	}
	switch d.Decision {
	case mamori.Deny:
		return d.Decision, nil
	case mamori.Allow:
		if s.balance < amount {
			if _, err := s.send(ctx, "the bank declines: balance too low", mamori.PaymentDeclined,
				mamori.Properties{OrderID: id, Reason: "insufficient_funds"}); err != nil {
				return "", err
			}
			return mamori.Deny, nil
		}
		s.balance -= amount
		if gift {
			s.cards = append(s.cards, &giftCard{order: id, amount: amount, delivered: true})
		}
	case mamori.Review:
		if gift {
			s.cards = append(s.cards, &giftCard{order: id, amount: amount})
		}
	}
	if s.session != "" {
		if _, err := s.send(ctx, "attacker hides the order from the history", mamori.OrderHidden, mamori.Properties{OrderID: id}); err != nil {
			return "", err
		}
	}
	if gift && d.Decision == mamori.Allow && !s.cards[len(s.cards)-1].voided {
		c := s.cards[len(s.cards)-1]
		if _, err := s.sendAs(ctx, "the recipient redeems the gift card", mamori.GiftCardRedeemed, "",
			mamori.Properties{OrderID: id, Amount: ptr(amount), Currency: "JPY", RedeemerAccount: "mule-5521"}); err != nil {
			return "", err
		}
		c.redeemed = true
	}
	return d.Decision, nil
}

func (s *seedStore) send(ctx context.Context, title, typ string, p mamori.Properties) (mamori.Decision, error) {
	return s.sendAs(ctx, title, typ, s.session, p)
}

// sendAs sends one event to mamori, prints the step and carries out the
// decision's actions as the store.
func (s *seedStore) sendAs(ctx context.Context, title, typ, session string, p mamori.Properties) (mamori.Decision, error) {
	s.clock = s.clock.Add(time.Minute)
	ip, dev := attackerIP, attacker
	if session == "" {
		ip, dev = "", Device{}
	}
	ev := s.b.make(s.clock, typ, session, dev, ip, p)
	d, err := s.svc.Decide(ctx, ev)
	if err != nil {
		return d, fmt.Errorf("%s: %w", title, err)
	}
	s.result.Steps = append(s.result.Steps, Step{Title: title, Event: ev, Decision: d})
	if d.CaseID != "" {
		s.result.CaseID = d.CaseID
	}
	s.print(ev, d, title)
	for _, a := range d.Actions {
		switch a {
		case mamori.RevokeSessions, mamori.LockAccount:
			s.session = ""
		case mamori.HoldPendingOrders:
			s.held = true
		case mamori.VoidGiftCards:
			for _, c := range s.cards {
				if !c.redeemed {
					c.voided = true
				}
			}
		}
	}
	if d.Decision == mamori.Deny && session != "" {
		s.session = ""
	}
	return d, nil
}

func (s *seedStore) print(ev mamori.Event, d mamori.Decision, title string) {
	codes := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		codes[i] = r.Code
	}
	fmt.Fprintf(s.out, "%s  %-20s %-9s %.2f  %s\n", ev.Time.In(SeedAttackTime.Location()).Format("15:04"),
		ev.Type, strings.ToUpper(string(d.Decision)), d.Score, title)
	if len(codes) > 0 {
		fmt.Fprintf(s.out, "        reasons: %s\n", strings.Join(codes, ", "))
	}
	if len(d.Actions) > 0 {
		acts := make([]string, len(d.Actions))
		for i, a := range d.Actions {
			acts[i] = string(a)
		}
		fmt.Fprintf(s.out, "        actions: %s\n", strings.Join(acts, ", "))
	}
	if d.CaseID != "" {
		fmt.Fprintf(s.out, "        case: %s\n", d.CaseID)
	}
}

// Summary is the one-line account of what the attacker got.
func (o SeedOutcome) Summary() string {
	tea := "held before shipping"
	if o.TeaShipped {
		tea = "shipped"
	}
	return fmt.Sprintf("attacker got ¥%s of gift cards (%d of %d delivered, ¥%s attempted); first gift card: %s; tea: %s; case %s",
		yen(o.ValueLost), o.GiftCardsDelivered, o.GiftCardsAttempted, yen(o.ValueAttempted), o.FirstGiftCard, tea, orDash(o.CaseID))
}

func yen(v int64) string {
	s := fmt.Sprint(v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
