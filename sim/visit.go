package sim

import (
	"time"

	"github.com/mamori-dev/mamori"
)

// visit is someone at the store on one device and network: the steps a
// customer or an attacker can take, each sent to mamori by the store.
type visit struct {
	st    *store
	a     *actor
	acct  *account
	dev   *Device
	ua    string // the user agent sent; "" follows the device
	ip    string
	sess  *session
	truth Truth
	// method is how the person answers a step-up: totp, sms or email.
	method string
}

func (v *visit) context() mamori.Context {
	ua := v.ua
	if ua == "" && v.dev != nil {
		ua = v.dev.Agent(v.a.now())
	}
	c := mamori.Context{IP: v.ip, UserAgent: ua}
	if v.dev != nil {
		c.DeviceID, c.AcceptLanguage = v.dev.ID, v.dev.Language
	}
	return c
}

// send sends a step taken in the visit's session (if any).
func (v *visit) send(typ string, p mamori.Properties) mamori.Decision {
	sid := ""
	if v.sess != nil {
		sid = v.sess.id
	}
	return v.st.send(v.acct, v.st.event(v.acct, typ, sid, v.context(), p), v.truth)
}

// sendOut sends a step taken outside any session.
func (v *visit) sendOut(typ string, p mamori.Properties) mamori.Decision {
	return v.st.send(v.acct, v.st.event(v.acct, typ, "", v.context(), p), v.truth)
}

// signedIn reports whether the visit's session counts as signed in.
func (v *visit) signedIn() bool {
	return v.sess != nil && v.acct.live(v.sess.id, v.a.now())
}

// signIn starts a session with the password and the given second factor;
// a challenge is met if pass. It reports whether the visit is signed in.
func (v *visit) signIn(mfa string, remembered, pass bool) bool {
	var ip string = v.ip
	v.sess = v.st.newSession(v.acct, v.context().DeviceID, ip, v.truth)
	d := v.send(mamori.LoginSucceeded, mamori.Properties{MFA: mfa, RememberedDevice: remembered})
	switch d.Decision {
	case mamori.Allow:
		v.sess.signedIn = true
		return v.signedIn()
	case mamori.Challenge:
		return v.stepUp(pass)
	}
	return false
}

// stepUp answers a challenge: the one-time code given, or not.
func (v *visit) stepUp(pass bool) bool {
	v.a.pause(20*time.Second, 90*time.Second)
	method := v.method
	if method == "" {
		method = "email"
	}
	if !pass {
		v.send(mamori.ChallengeFailed, mamori.Properties{Method: method})
		v.sess.ended = true
		return false
	}
	d := v.send(mamori.ChallengeSucceeded, mamori.Properties{Method: method})
	if d.Decision != mamori.Allow {
		return false
	}
	v.sess.signedIn = true
	return v.signedIn()
}

// resume uses a session the device is still signed in with.
func (v *visit) resume(s *session, page string) bool {
	v.sess = s
	return v.browse(page)
}

// browse opens a page; false if the session is over.
func (v *visit) browse(page string) bool {
	if !v.signedIn() {
		return false
	}
	d := v.send(mamori.SessionActivity, mamori.Properties{Page: page})
	return d.Decision == mamori.Allow && v.signedIn()
}

// change makes a security or account change; a challenge is met if pass.
// It reports whether the change went through.
func (v *visit) change(typ string, p mamori.Properties, pass bool) bool {
	if !v.signedIn() {
		return false
	}
	d := v.send(typ, p)
	switch d.Decision {
	case mamori.Allow:
		return true
	case mamori.Challenge:
		return v.stepUp(pass)
	}
	return false
}

// logout ends the session.
func (v *visit) logout() {
	if !v.signedIn() {
		return
	}
	v.send(mamori.Logout, mamori.Properties{})
	v.sess.ended = true
}

// order places an order and does what the decision says; the returned
// order's Status tells what became of it. toAttacker marks goods or cards
// that go to the attacker; redeemer is the mule who spends the cards.
func (v *visit) order(spec orderSpec, toAttacker bool, redeemer string) *Order {
	st, acct := v.st, v.acct
	acct.nOrd++
	o := &Order{
		ID: orderID(acct), Account: acct.id, Session: v.sess.id, Truth: v.truth, Placed: v.a.now(),
		Amount: spec.amount(), Category: spec.category(), GiftCard: spec.giftCard(),
		ToAttacker: toAttacker, redeemer: redeemer,
	}
	p := mamori.Properties{
		OrderID: o.ID, Amount: ptr(o.Amount), Currency: "JPY",
		Payment: &mamori.Payment{MethodID: spec.card, Type: spec.cardType},
	}
	for _, it := range spec.items {
		p.Items = append(p.Items, mamori.Item{
			SKU: it.sku, Name: it.name, Category: it.category, Quantity: ptr(it.qty), UnitPrice: ptr(it.price),
			GiftCard: it.gift, Digital: it.digital,
		})
		o.Digital = o.Digital || it.digital
	}
	if o.Digital {
		o.Recipient = spec.recipient
		p.Delivery = &mamori.Delivery{Type: "email", RecipientEmail: spec.recipient}
	} else {
		o.Ship = true
		p.Delivery = &mamori.Delivery{Type: "ship", AddressID: spec.ship}
	}
	st.orders = append(st.orders, o)
	acct.orders = append(acct.orders, o)
	d := v.send(mamori.OrderPlaced, p)
	o.Decision = d.Decision
	if d.Decision == mamori.Deny || d.Decision == mamori.Challenge {
		// A challenge is no answer to an order: the store refuses it.
		o.Status = OrderDenied
		return o
	}
	card := acct.cards[spec.card]
	reason := ""
	switch {
	case card == nil:
		reason = "card_declined"
	case !st.charge(card, o.Amount):
		reason = "insufficient_funds"
	case !v.truth.Fraud && acct.rng.Float64() < 0.004:
		reason = "do_not_honor"
		st.refundAmount(card, o.Amount)
	}
	if reason != "" {
		o.Status = OrderDeclined
		if v.signedIn() {
			v.send(mamori.PaymentDeclined, mamori.Properties{OrderID: o.ID, Reason: reason})
		} else {
			v.sendOut(mamori.PaymentDeclined, mamori.Properties{OrderID: o.ID, Reason: reason})
		}
		return o
	}
	o.card = card
	o.Status = OrderPlaced
	switch {
	case d.Decision == mamori.Review || d.Has(mamori.HoldPendingOrders):
		st.hold(acct, o)
	case o.GiftCard && d.Has(mamori.VoidGiftCards):
		st.void(acct, o)
	default:
		st.fulfil(acct, o)
	}
	return o
}

// hide hides an order from the order history.
func (v *visit) hide(o *Order) {
	if !v.signedIn() {
		return
	}
	v.send(mamori.OrderHidden, mamori.Properties{OrderID: o.ID})
	o.Hidden = true
}

func orderID(acct *account) string {
	return acct.id + "-o" + itoa(acct.nOrd)
}

func (st *store) refundAmount(card *cardState, amount int64) {
	card.spent = max(0, card.spent-amount)
}
