package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mamori-dev/mamori"
)

// shopper plays one person of a customer account: visits at their hours
// from their devices and networks, browsing, buying, now and then changing
// something, and doing what their cohort does.
type shopper struct {
	st       *store
	a        *actor
	c        *Customer
	p        *Person
	acct     *account
	cookies  map[string]string // device id -> session id the browser holds
	trip     *Line             // the hotel's line during a trip
	switched bool              // the new phone is in use
	bursts   int               // gift-card bursts done
	hidden   []*Order          // orders to hide later
}

// Chances of a legitimate customer's habits.
const (
	passStepUp   = 0.95 // a customer passes a step-up challenge
	typoRate     = 0.04 // a sign-in starts with a mistyped password
	orderRate    = 0.3  // a visit ends in an order
	changeRate   = 0.01 // a visit changes an address, card or password
	lineDrift    = 0.05 // a home line moves to another /24 before a visit
	trustNewRate = 0.35 // a TOTP user ticks "trust this device"
)

func (w *World) runShopper(st *store, a *actor, c *Customer, p *Person, first bool) {
	sh := &shopper{st: st, a: a, c: c, p: p, acct: st.accounts[c.ID], cookies: make(map[string]string)}
	if first {
		a.sleepUntil(c.Created)
		sh.open()
	} else {
		a.sleepUntil(c.Created.Add(time.Duration(1+a.rng.IntN(5*24)) * time.Hour))
	}
	for {
		t := sh.nextVisit()
		if t.After(st.end) {
			return
		}
		a.sleepUntil(t)
		sh.visit()
	}
}

func (sh *shopper) truth() Truth {
	return Truth{Source: SourceCustomer, Cohort: sh.c.Cohort}
}

// open creates the account: the first sign-in, the cards, the addresses
// and, for some, a second factor and a trusted device.
func (sh *shopper) open() {
	dev := sh.p.Devices[len(sh.p.Devices)-1] // a computer if there is one
	v := sh.newVisit(dev, sh.p.Home.IP())
	v.sendOut(mamori.AccountCreated, mamori.Properties{Email: sh.c.Email})
	sh.a.pause(30*time.Second, 2*time.Minute)
	if !v.signIn("none", false, sh.a.chance(passStepUp)) {
		return
	}
	sh.cookies[dev.ID] = v.sess.id
	for _, card := range sh.c.Cards {
		sh.a.pause(time.Minute, 3*time.Minute)
		v.change(mamori.PaymentMethodAdded, mamori.Properties{MethodID: card.MethodID, Type: card.Type, Last4: card.Last4}, sh.a.chance(passStepUp))
	}
	for _, ad := range append([]Address{sh.c.Home}, sh.c.Other...) {
		sh.a.pause(30*time.Second, 2*time.Minute)
		v.change(mamori.AddressAdded, mamori.Properties{AddressID: ad.ID, Country: ad.Country, PostalCode: ad.PostalCode}, sh.a.chance(passStepUp))
	}
	if sh.c.TOTP {
		sh.a.pause(time.Minute, 3*time.Minute)
		if v.change(mamori.MFAChanged, mamori.Properties{Enabled: ptr(true), Method: "totp"}, sh.a.chance(passStepUp)) {
			sh.trust(v)
		}
	}
	if sh.a.chance(sh.p.Logout) {
		sh.a.pause(time.Minute, 5*time.Minute)
		v.logout()
	}
}

// nextVisit draws when the person comes back: a gap of days, then one of
// their hours of the day.
func (sh *shopper) nextVisit() time.Time {
	now := sh.a.now()
	for _, b := range sh.p.GiftBursts[sh.bursts:] {
		if b.After(now) {
			next := now.Add(time.Duration(sh.a.rng.ExpFloat64() / sh.rate(now) * float64(24*time.Hour)))
			if b.Before(next) {
				return b
			}
			break
		}
	}
	gap := time.Duration(sh.a.rng.ExpFloat64() / sh.rate(now) * float64(24*time.Hour))
	t := now.Add(gap).In(jst)
	if t.Sub(now) > 4*time.Hour || !hourIn(t.Hour(), sh.p.Hours) {
		h := pick(sh.a.rng, sh.p.Hours)
		day := time.Date(t.Year(), t.Month(), t.Day(), h, sh.a.rng.IntN(60), sh.a.rng.IntN(60), 0, jst)
		if !day.After(now) {
			day = day.AddDate(0, 0, 1)
		}
		t = day
	}
	return t
}

func (sh *shopper) rate(now time.Time) float64 {
	r := sh.p.Rate
	if sh.travelling(now) {
		r *= 1.5 // checking orders and tickets on the road
	}
	if len(sh.p.GiftBursts) > 0 && now.Month() == time.December {
		r *= 1.3
	}
	return r
}

func hourIn(h int, hours []int) bool {
	for _, x := range hours {
		if x == h {
			return true
		}
	}
	return false
}

func (sh *shopper) travelling(t time.Time) bool {
	return !sh.p.TripFrom.IsZero() && !t.Before(sh.p.TripFrom) && t.Before(sh.p.TripTo)
}

// devices are the person's devices in use at t.
func (sh *shopper) devices(t time.Time) []*Device {
	ds := sh.p.Devices
	if sh.p.NewPhone != nil && !t.Before(sh.p.PhoneSwitch) {
		ds = append([]*Device{sh.p.NewPhone}, ds[1:]...)
	}
	if sh.travelling(t) {
		var out []*Device
		for _, d := range ds {
			if d.Kind() != KindDesktop || sh.p.TripRoaming > 0.3 { // some take the laptop
				out = append(out, d)
			}
		}
		if len(out) > 0 {
			ds = out
		}
	}
	return ds
}

func (sh *shopper) pickDevice(t time.Time) *Device {
	ds := sh.devices(t)
	ws := make([]float64, len(ds))
	for i, d := range ds {
		ws[i] = d.Weight
	}
	return ds[pickWeighted(sh.a.rng, ws)]
}

// address says where the device is on the Internet at t.
func (sh *shopper) address(d *Device, t time.Time) string {
	r, p := sh.a.rng, sh.p
	nets := sh.st.nets
	if sh.travelling(t) {
		if d.Kind() == KindPhone && r.Float64() < p.TripRoaming {
			return p.Carrier.Net.Address(r) // roaming data comes home through the carrier
		}
		if sh.trip == nil || r.Float64() < 0.2 { // another hotel
			sh.trip = nets.Pool(p.TripPool).NewLine(r)
		}
		return sh.trip.IP()
	}
	sh.trip = nil
	if p.VPNPool != "" && !t.Before(p.VPNFrom) && r.Float64() < p.VPNShare {
		return nets.Pool(p.VPNPool).Address(r)
	}
	if r.Float64() < lineDrift {
		p.Home.Drift(r)
	}
	if d.Kind() == KindPhone {
		carrier := p.Carrier
		if p.NewCarrier != nil && !t.Before(p.PhoneSwitch) {
			carrier = p.NewCarrier
		}
		if sh.p.NewPhone != nil && d == sh.p.NewPhone && !sh.switched {
			sh.switched = true
			return p.Home.IP() // the new phone is set up on the home Wi-Fi
		}
		if r.Float64() < 0.55 {
			return carrier.Net.Address(r) // a carrier's address changes all the time
		}
	}
	return p.Home.IP()
}

func (sh *shopper) newVisit(d *Device, ip string) *visit {
	v := &visit{st: sh.st, a: sh.a, acct: sh.acct, dev: d, ip: ip, truth: sh.truth(), method: "email"}
	if sh.c.TOTP {
		v.method = "totp"
	}
	return v
}

// visit is one trip to the store.
func (sh *shopper) visit() {
	now := sh.a.now()
	d := sh.pickDevice(now)
	v := sh.newVisit(d, sh.address(d, now))
	if !sh.enter(v) {
		return
	}
	for n := sh.a.rng.IntN(3); n >= 0; n-- {
		sh.a.pause(20*time.Second, 3*time.Minute)
		if !v.browse(pick(sh.a.rng, pages)) {
			return
		}
	}
	switch {
	case sh.bursts < len(sh.p.GiftBursts) && !now.Before(sh.p.GiftBursts[sh.bursts]):
		sh.bursts++
		sh.giftBurst(v)
	case sh.a.chance(orderRate):
		sh.shop(v)
	}
	if sh.a.chance(changeRate) {
		sh.changeSomething(v)
	}
	if len(sh.hidden) > 0 && v.signedIn() && sh.a.chance(0.7) {
		sh.a.pause(30*time.Second, 2*time.Minute)
		v.hide(sh.hidden[0])
		sh.hidden = sh.hidden[1:]
	}
	if v.signedIn() && (sh.a.chance(sh.p.Logout) || d.Kind() == KindDesktop && sh.a.chance(0.05)) {
		sh.a.pause(time.Minute, 5*time.Minute)
		v.logout()
		delete(sh.cookies, d.ID)
	}
}

var pages = []string{"home", "home", "search", "search", "product", "product", "product", "cart", "orders", "account", "wishlist"}

// enter gets the visit signed in: with the session the browser still
// holds, or by signing in. It reports whether it is.
func (sh *shopper) enter(v *visit) bool {
	if id, ok := sh.cookies[v.dev.ID]; ok {
		if sh.acct.live(id, sh.a.now()) && v.resume(sh.acct.sessions[id], "home") {
			return true
		}
		delete(sh.cookies, v.dev.ID)
	}
	for try := 0; try < 2; try++ {
		if sh.signIn(v) {
			sh.cookies[v.dev.ID] = v.sess.id
			return true
		}
		if sh.acct.locked || !sh.a.chance(0.5) {
			return false
		}
		sh.a.pause(time.Minute, 5*time.Minute) // tries once more
	}
	return false
}

// signIn is the customer's own sign-in: a locked account sends them to
// the store's support; a required reset comes first; a typo now and then.
func (sh *shopper) signIn(v *visit) bool {
	acct := sh.acct
	if acct.locked {
		v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "locked", Username: acct.email})
		sh.st.askUnlock(acct)
		return false
	}
	if acct.resetRequired {
		v.sendOut(mamori.PasswordResetRequested, mamori.Properties{})
		sh.a.pause(2*time.Minute, 10*time.Minute)
		v.sendOut(mamori.PasswordChanged, mamori.Properties{})
		acct.resetRequired = false
		acct.epoch++
		sh.a.pause(20*time.Second, time.Minute)
	} else if sh.a.chance(typoRate) {
		v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "bad_password", Username: acct.email})
		sh.a.pause(10*time.Second, 40*time.Second)
	}
	mfa, remembered := "none", false
	if sh.c.TOTP {
		if acct.trusted[v.dev.ID] {
			remembered = true
		} else {
			mfa = "totp"
		}
	}
	if !v.signIn(mfa, remembered, sh.a.chance(passStepUp)) {
		return false
	}
	if sh.c.TOTP && !acct.trusted[v.dev.ID] && v.dev.Kind() != KindTablet && sh.a.chance(trustNewRate) {
		sh.trust(v)
	}
	return true
}

func (sh *shopper) trust(v *visit) {
	sh.a.pause(5*time.Second, 30*time.Second)
	if v.change(mamori.DeviceTrusted, mamori.Properties{}, sh.a.chance(passStepUp)) {
		sh.acct.trusted[v.dev.ID] = true
	}
}

// shop places one ordinary order.
func (sh *shopper) shop(v *visit) {
	r := sh.a.rng
	cat := &categories[pickWeighted(r, sh.c.Category)]
	var spec orderSpec
	if cat.Name == CatGiftCards {
		spec = sh.giftOrder(sh.giftRecipient(false))
	} else {
		spec = orderSpec{items: goods(r, cat)}
		if cat.digital {
			spec.recipient = sh.c.Email
		} else {
			spec.ship = sh.shipTo()
		}
	}
	sh.pay(&spec)
	sh.a.pause(time.Minute, 6*time.Minute)
	o := v.order(spec, false, "")
	if o.Status == OrderDeclined && v.signedIn() && len(sh.c.Cards) > 1 {
		// The bank said no: try the other card.
		sh.a.pause(30*time.Second, 2*time.Minute)
		spec.card, spec.cardType = sh.other(spec.card)
		o = v.order(spec, false, "")
	}
	if sh.c.Hides && o.through() && r.Float64() < 0.3 {
		sh.hidden = append(sh.hidden, o)
	}
}

// giftBurst is the holiday shopper's session: several gift cards, a
// minute or few apart, mostly to people the account never sent one to.
func (sh *shopper) giftBurst(v *visit) {
	r := sh.a.rng
	n := 3 + r.IntN(6)
	amount := pick(r, []int64{3000, 5000, 5000, 10000})
	for i := 0; i < n && v.signedIn(); i++ {
		sh.a.pause(time.Minute, 4*time.Minute)
		spec := sh.giftOrder(sh.giftRecipient(r.Float64() < 0.75))
		spec.items[0] = giftCardItem(amount)
		if r.Float64() < 0.3 {
			spec.items[0] = giftCardItem(pick(r, giftAmounts))
		}
		sh.pay(&spec)
		o := v.order(spec, false, "")
		if o.Status == OrderDenied {
			return
		}
	}
}

func (sh *shopper) giftOrder(recipient string) orderSpec {
	return orderSpec{items: []item{giftCardItem(pick(sh.a.rng, giftAmounts))}, recipient: recipient}
}

// giftRecipient is whom a gift card goes to: the customer, a friend who
// got one before, or someone new.
func (sh *shopper) giftRecipient(fresh bool) string {
	r := sh.a.rng
	switch {
	case fresh || len(sh.c.Friends) == 0 && r.Float64() < 0.4:
		f := emailFor(r, pick(r, givenNames), pick(r, familyNames))
		sh.c.Friends = append(sh.c.Friends, f)
		return f
	case r.Float64() < 0.45:
		return sh.c.Email
	case len(sh.c.Friends) > 0:
		return pick(r, sh.c.Friends)
	}
	return sh.c.Email
}

func (sh *shopper) shipTo() string {
	if sh.p.Elsewhere && len(sh.c.Other) > 0 {
		return sh.c.Other[len(sh.c.Other)-1].ID
	}
	if len(sh.c.Other) > 0 && sh.a.chance(0.15) {
		return sh.c.Other[0].ID
	}
	return sh.c.Home.ID
}

func (sh *shopper) pay(spec *orderSpec) {
	card := sh.c.Cards[0]
	if len(sh.c.Cards) > 1 && sh.a.chance(0.3) {
		card = sh.c.Cards[1]
	}
	spec.card, spec.cardType = card.MethodID, card.Type
}

func (sh *shopper) other(id string) (string, string) {
	for _, c := range sh.c.Cards {
		if c.MethodID != id {
			return c.MethodID, c.Type
		}
	}
	return id, ""
}

// changeSomething is a rare account change: a new address or card, a new
// password, or turning on a second factor.
func (sh *shopper) changeSomething(v *visit) {
	r := sh.a.rng
	sh.a.pause(30*time.Second, 2*time.Minute)
	pass := r.Float64() < passStepUp
	switch x := r.Float64(); {
	case x < 0.35:
		sh.acct.nExtra++
		id := fmt.Sprintf("addr-n%d", sh.acct.nExtra)
		if v.change(mamori.AddressAdded, mamori.Properties{AddressID: id, Country: "JP", PostalCode: postalCode(r)}, pass) {
			sh.c.Other = append(sh.c.Other, Address{ID: id, Country: "JP"})
		}
	case x < 0.6:
		sh.acct.nExtra++
		card := newCard(r, fmt.Sprintf("pm-n%d", sh.acct.nExtra))
		if v.change(mamori.PaymentMethodAdded, mamori.Properties{MethodID: card.MethodID, Type: card.Type, Last4: card.Last4}, pass) {
			sh.c.Cards = append(sh.c.Cards, card)
			sh.acct.cards[card.MethodID] = &cardState{Card: card}
		}
	case x < 0.85 || sh.c.TOTP:
		if v.change(mamori.PasswordChanged, mamori.Properties{}, pass) {
			sh.acct.epoch++
		}
	default:
		if v.change(mamori.MFAChanged, mamori.Properties{Enabled: ptr(true), Method: "totp"}, pass) {
			sh.c.TOTP = true
			v.method = "totp"
			sh.trust(v)
		}
	}
}

// seedFor gives an actor its own random source, so that what one actor
// does never shifts another's draws.
func seedFor(seed uint64, kind uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^kind*0x9e3779b97f4a7c15, uint64(i)+1))
}
