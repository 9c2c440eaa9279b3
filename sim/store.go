package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/mamori-dev/mamori"
)

// store is the shop between the customers, the attackers and mamori. It
// sends every step to mamori (recorded in the history days, decided in
// the scored days) and obeys the decisions and actions as the contract
// says. Its team releases held orders of honest customers and cancels the
// fraudulent ones, and unlocks accounts when their owners call.
type store struct {
	ctx        context.Context
	svc        mamori.RiskService
	s          *scheduler
	nets       *Networks
	scoredFrom time.Time
	end        time.Time
	prefix     string

	accounts map[string]*account
	buffer   []mamori.Event
	history  int
	records  []Record
	orders   []*Order
	locks    []Lock
	out      io.Writer
	enc      *json.Encoder
	unknownN int
}

// account is the store's view of one customer account.
type account struct {
	id    string
	c     *Customer
	email string
	rng   *rand.Rand

	locked        bool
	unlockAsked   bool
	epoch         int // the password's version: a leaked password works while it is unchanged
	resetRequired bool
	sessions      map[string]*session
	sessList      []*session // oldest first
	trusted       map[string]bool
	orders        []*Order
	cards         map[string]*cardState
	suspicious    map[string]bool // sessions mamori acted on
	reported      map[string]bool // orders reported as fraud
	breachChange  bool            // an attacker's account change went through
	nEv, nSess    int
	nOrd, nExtra  int
}

type session struct {
	id       string
	device   string
	ip       string
	truth    Truth
	signedIn bool
	ended    bool
	last     time.Time
}

type cardState struct {
	*Card
	spent int64
	month time.Month
}

const (
	maxBatch    = 1000
	sessionIdle = 30 * 24 * time.Hour
)

func newStore(ctx context.Context, svc mamori.RiskService, s *scheduler, cfg Config, out io.Writer) *store {
	st := &store{
		ctx: ctx, svc: svc, s: s, scoredFrom: cfg.ScoredFrom(), end: cfg.End(), prefix: cfg.Prefix,
		accounts: make(map[string]*account),
		out:      out,
	}
	if out != nil {
		st.enc = json.NewEncoder(out)
	}
	return st
}

func (st *store) open(c *Customer) *account {
	acct := &account{
		id: c.ID, c: c, email: c.Email,
		rng:        rand.New(rand.NewPCG(c.seed, 0x73746f7265)), // "store"
		sessions:   make(map[string]*session),
		trusted:    make(map[string]bool),
		cards:      make(map[string]*cardState),
		suspicious: make(map[string]bool),
		reported:   make(map[string]bool),
	}
	for _, card := range c.Cards {
		acct.cards[card.MethodID] = &cardState{Card: card}
	}
	st.accounts[c.ID] = acct
	return acct
}

// scored reports whether mamori decides events now.
func (st *store) scored() bool { return !st.s.now.Before(st.scoredFrom) }

// event makes an event of the account at the current time.
func (st *store) event(acct *account, typ, sess string, ctx mamori.Context, p mamori.Properties) mamori.Event {
	var id string
	if acct != nil {
		acct.nEv++
		id = fmt.Sprintf("%s-e%05d", acct.id, acct.nEv)
	} else {
		st.unknownN++
		id = fmt.Sprintf("%su-e%06d", st.prefix, st.unknownN)
	}
	ev := mamori.Event{ID: id, Type: typ, Time: st.s.now.UTC(), SessionID: sess, Context: ctx, Properties: p}
	if acct != nil {
		ev.AccountID = acct.id
	}
	return ev
}

// send hands an event to mamori: recorded in the history days (as if
// allowed), decided in the scored days. The store carries out the
// decision's actions before it returns.
func (st *store) send(acct *account, ev mamori.Event, t Truth) mamori.Decision {
	if s := acct.session(ev.SessionID); s != nil {
		s.last = st.s.now
	}
	if !st.scored() {
		st.buffer = append(st.buffer, ev)
		st.history++
		st.write(&ev, nil, t)
		if len(st.buffer) >= maxBatch {
			st.flush()
		}
		d := mamori.Decision{EventID: ev.ID, Decision: mamori.Allow}
		st.obey(acct, &ev, &d, t)
		return d
	}
	st.flush()
	d, err := st.svc.Decide(st.ctx, ev)
	if err != nil {
		panic(failure{fmt.Errorf("decide %s %s: %w", ev.Type, ev.ID, err)})
	}
	st.records = append(st.records, record(&ev, &d, t))
	st.write(&ev, &d, t)
	st.obey(acct, &ev, &d, t)
	return d
}

// flush records the history events waiting in the buffer.
func (st *store) flush() {
	if len(st.buffer) == 0 {
		return
	}
	if _, err := st.svc.Record(st.ctx, st.buffer); err != nil {
		panic(failure{fmt.Errorf("record %d history events: %w", len(st.buffer), err)})
	}
	st.buffer = st.buffer[:0]
}

// line is one event of the JSON Lines output.
type line struct {
	Phase    string           `json:"phase"`
	Event    *mamori.Event    `json:"event"`
	Decision *mamori.Decision `json:"decision,omitempty"`
	Truth    Truth            `json:"truth"`
}

func (st *store) write(ev *mamori.Event, d *mamori.Decision, t Truth) {
	if st.enc == nil {
		return
	}
	phase := "history"
	if d != nil {
		phase = "scored"
	}
	if err := st.enc.Encode(line{Phase: phase, Event: ev, Decision: d, Truth: t}); err != nil {
		panic(failure{fmt.Errorf("write events: %w", err)})
	}
}

func record(ev *mamori.Event, d *mamori.Decision, t Truth) Record {
	r := Record{
		EventID: ev.ID, Type: ev.Type, Time: ev.Time, Account: ev.AccountID, Session: ev.SessionID,
		OrderID: ev.Properties.OrderID, Decision: d.Decision, Score: d.Score, Truth: t,
	}
	if ev.Type == mamori.OrderPlaced {
		r.Amount = ev.Properties.AmountValue()
		r.GiftCard = ev.Properties.HasGiftCard()
	}
	if len(d.Actions) > 0 {
		r.Actions = d.Actions
	}
	if len(d.Reasons) > 0 {
		r.Reasons = make([]string, len(d.Reasons))
		for i, x := range d.Reasons {
			r.Reasons[i] = x.Code
		}
	}
	return r
}

// obey carries out what mamori said about an event of the account.
func (st *store) obey(acct *account, ev *mamori.Event, d *mamori.Decision, t Truth) {
	if acct == nil {
		return
	}
	s := acct.session(ev.SessionID)
	if s != nil && (d.Decision != mamori.Allow || len(d.Actions) > 0) {
		acct.suspicious[s.id] = true
	}
	if s != nil {
		switch d.Decision {
		case mamori.Deny:
			s.ended = true
		case mamori.Challenge:
			s.signedIn = false
		}
	}
	for _, a := range d.Actions {
		switch a {
		case mamori.LockAccount:
			if !acct.locked {
				st.locks = append(st.locks, Lock{Account: acct.id, Time: st.s.now, Event: ev.Type, Truth: t})
			}
			acct.locked = true
			acct.endSessions()
		case mamori.RevokeSessions:
			acct.endSessions()
		case mamori.RevokeTrustedDevices:
			clear(acct.trusted)
		case mamori.RequirePasswordReset:
			acct.resetRequired = true
			acct.epoch++
		case mamori.HoldPendingOrders:
			for _, o := range acct.orders {
				if o.Status == OrderPlaced {
					st.hold(acct, o)
				}
			}
		case mamori.VoidGiftCards:
			for _, o := range acct.orders {
				if o.GiftCard && !o.Redeemed && (acct.suspicious[o.Session] || o.Session == ev.SessionID) &&
					(o.Status == OrderPlaced || o.Status == OrderHeld || o.Status == OrderDelivered) {
					st.void(acct, o)
				}
			}
		case mamori.NotifyCustomer:
			st.notify(acct)
		}
	}
}

func (acct *account) session(id string) *session {
	if id == "" || acct == nil {
		return nil
	}
	return acct.sessions[id]
}

func (acct *account) endSessions() {
	for _, s := range acct.sessList {
		s.ended = true
		s.signedIn = false
	}
}

// live reports whether session id still counts as signed in at now.
func (acct *account) live(id string, now time.Time) bool {
	s := acct.session(id)
	return s != nil && s.signedIn && !s.ended && now.Sub(s.last) < sessionIdle
}

func (st *store) newSession(acct *account, device, ip string, t Truth) *session {
	acct.nSess++
	s := &session{id: fmt.Sprintf("%s-s%04d", acct.id, acct.nSess), device: device, ip: ip, truth: t, last: st.s.now}
	acct.sessions[s.id] = s
	acct.sessList = append(acct.sessList, s)
	return s
}

// liveSessions returns the account's signed-in sessions, oldest first.
func (acct *account) liveSessions(now time.Time) []*session {
	var out []*session
	for _, s := range acct.sessList {
		if acct.live(s.id, now) {
			out = append(out, s)
		}
	}
	return out
}

// charge takes an amount from a card's month; false if it has not enough.
func (st *store) charge(card *cardState, amount int64) bool {
	if m := st.s.now.Month(); m != card.month {
		card.month, card.spent = m, 0
	}
	if card.spent+amount > card.Limit {
		return false
	}
	card.spent += amount
	return true
}

func (st *store) refund(o *Order) {
	if o.card != nil {
		o.card.spent = max(0, o.card.spent-o.Amount)
		o.card = nil
	}
}

// storeTruth is the truth of a book-keeping event about order o.
func storeTruth(o *Order) Truth {
	t := o.Truth
	t.Source = SourceStore
	return t
}

func (st *store) sendStore(acct *account, typ string, p mamori.Properties, t Truth) mamori.Decision {
	return st.send(acct, st.event(acct, typ, "", mamori.Context{}, p), t)
}

// fulfil sends an allowed (or released) order on its way: e-mail goods at
// once, parcels after the warehouse's half day, the charge settled a day
// or two later.
func (st *store) fulfil(acct *account, o *Order) {
	now := st.s.now
	if o.Digital {
		o.Status, o.Delivered, o.DeliveredAt = OrderDelivered, true, now
		if o.GiftCard {
			st.scheduleRedemption(acct, o)
		}
	} else {
		st.s.at(now.Add(9*time.Hour+time.Duration(acct.rng.Int64N(int64(6*time.Hour)))), func() {
			if o.Status == OrderPlaced {
				o.Status, o.Shipped, o.ShippedAt = OrderShipped, true, st.s.now
			}
		})
	}
	st.s.at(now.Add(20*time.Hour+time.Duration(acct.rng.Int64N(int64(28*time.Hour)))), func() { st.settle(acct, o) })
}

func (st *store) settle(acct *account, o *Order) {
	switch o.Status {
	case OrderCancelled, OrderVoided, OrderDeclined, OrderDenied, OrderHeld:
		return
	}
	descriptor := "MAMORI-MART TOKYO"
	if o.GiftCard {
		descriptor = "MAMORI-MART EGIFT"
	}
	st.sendStore(acct, mamori.PaymentSettled, mamori.Properties{
		OrderID: o.ID, Amount: ptr(o.Amount), Currency: "JPY", Descriptor: descriptor}, storeTruth(o))
	if o.ToAttacker && !acct.reported[o.ID] && acct.rng.Float64() < 0.5 {
		// The owner sees the charge on the card statement.
		st.s.at(st.s.now.Add(2*24*time.Hour+time.Duration(acct.rng.Int64N(int64(5*24*time.Hour)))), func() { st.report(acct) })
	}
}

// scheduleRedemption spends a delivered gift card: a mule within minutes,
// a friend within days.
func (st *store) scheduleRedemption(acct *account, o *Order) {
	var delay time.Duration
	redeemer := ""
	switch {
	case o.ToAttacker:
		delay = 2*time.Minute + time.Duration(acct.rng.Int64N(int64(13*time.Minute)))
		redeemer = o.redeemer
	case o.Recipient == acct.c.Email:
		delay = time.Duration(acct.rng.Int64N(int64(3 * 24 * time.Hour)))
		redeemer = acct.id
	default:
		if acct.rng.Float64() < 0.3 {
			return // the friend keeps it for later
		}
		delay = 6*time.Hour + time.Duration(acct.rng.Int64N(int64(10*24*time.Hour)))
	}
	st.s.at(st.s.now.Add(delay), func() {
		if o.Status != OrderDelivered {
			return
		}
		o.Status, o.Redeemed, o.RedeemedAt = OrderRedeemed, true, st.s.now
		st.sendStore(acct, mamori.GiftCardRedeemed, mamori.Properties{
			OrderID: o.ID, Amount: ptr(o.Amount), Currency: "JPY", RedeemerAccount: redeemer}, storeTruth(o))
	})
}

// hold keeps an order back until the store's team looks at it, a few
// working hours later: they release an honest customer's order and cancel
// a fraudulent one (they call the owner).
func (st *store) hold(acct *account, o *Order) {
	o.Status, o.Held = OrderHeld, true
	delay := 2*time.Hour + time.Duration(acct.rng.Int64N(int64(10*time.Hour)))
	st.s.at(st.s.now.Add(delay), func() {
		if o.Status != OrderHeld {
			return
		}
		if o.Truth.Fraud {
			st.cancel(acct, o)
			return
		}
		o.Status = OrderPlaced
		st.sendStore(acct, mamori.OrderReleased, mamori.Properties{OrderID: o.ID}, storeTruth(o))
		if o.Status == OrderPlaced {
			st.fulfil(acct, o)
		}
	})
}

func (st *store) cancel(acct *account, o *Order) {
	o.Status, o.Cancelled = OrderCancelled, true
	st.refund(o)
	st.sendStore(acct, mamori.OrderCancelled, mamori.Properties{OrderID: o.ID}, storeTruth(o))
}

func (st *store) void(acct *account, o *Order) {
	o.Status, o.Voided = OrderVoided, true
	st.refund(o)
	st.sendStore(acct, mamori.OrderCancelled, mamori.Properties{OrderID: o.ID}, storeTruth(o))
}

// notify leaves a message in the account's message center; the owner
// reads it within hours and, if an attacker got something through, tells
// the store.
func (st *store) notify(acct *account) {
	st.s.at(st.s.now.Add(10*time.Minute+time.Duration(acct.rng.Int64N(int64(6*time.Hour)))), func() {
		if acct.breached() {
			st.s.at(st.s.now.Add(20*time.Minute+time.Duration(acct.rng.Int64N(int64(3*time.Hour)))), func() { st.report(acct) })
		}
	})
}

// breached reports whether an attacker got an order or a change through
// that the owner has not reported yet.
func (acct *account) breached() bool {
	if acct.breachChange {
		return true
	}
	for _, o := range acct.orders {
		if o.Truth.Fraud && o.through() && !acct.reported[o.ID] {
			return true
		}
	}
	return false
}

func (o *Order) through() bool {
	switch o.Status {
	case OrderPlaced, OrderShipped, OrderDelivered, OrderRedeemed:
		return true
	}
	return false
}

// report is the owner telling the store about the attacker's orders: the
// store sends fraud.reported and cancels what has not left yet.
func (st *store) report(acct *account) {
	var ids []string
	var unsent []*Order
	for _, o := range acct.orders {
		if o.Truth.Fraud && o.through() && !acct.reported[o.ID] {
			ids = append(ids, o.ID)
			acct.reported[o.ID] = true
			if o.Status == OrderPlaced || (o.Status == OrderDelivered && o.GiftCard) {
				unsent = append(unsent, o)
			}
		}
	}
	if len(ids) == 0 && !acct.breachChange {
		return
	}
	acct.breachChange = false
	t := Truth{Source: SourceStore, Fraud: true, Cohort: acct.c.Cohort}
	for _, o := range acct.orders {
		if o.Truth.Fraud {
			t.Scenario, t.Attack, t.Victim = o.Truth.Scenario, o.Truth.Attack, o.Truth.Victim
		}
	}
	st.sendStore(acct, mamori.FraudReported, mamori.Properties{By: "customer", OrderIDs: ids}, t)
	for _, o := range unsent {
		if o.GiftCard {
			st.void(acct, o)
		} else {
			st.cancel(acct, o)
		}
	}
}

// askUnlock is the owner calling the store about a locked account: the
// team checks who they are and unlocks it within a day; the owner then
// sets a new password.
func (st *store) askUnlock(acct *account) {
	if acct.unlockAsked {
		return
	}
	acct.unlockAsked = true
	st.s.at(st.s.now.Add(6*time.Hour+time.Duration(acct.rng.Int64N(int64(24*time.Hour)))), func() {
		acct.unlockAsked = false
		if !acct.locked {
			return
		}
		acct.locked = false
		acct.resetRequired = true
		acct.epoch++
		st.sendStore(acct, mamori.AccountUnlocked, mamori.Properties{By: "support"},
			Truth{Source: SourceStore, Cohort: acct.c.Cohort})
	})
}
