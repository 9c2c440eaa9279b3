package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mamori-dev/mamori"
)

// Attack scenarios.
const (
	// ScenarioRelay is the seed story: a phished password and a relayed
	// one-time code from a new device on a hosting network, a small card
	// test, then a burst of gift cards e-mailed to a stranger, every order
	// hidden.
	ScenarioRelay = "relayed_code"
	// ScenarioCookie replays a customer's live session id, stolen by
	// malware, from another device or network.
	ScenarioCookie = "stolen_session"
	// ScenarioStuffing tries leaked passwords on many accounts from a few
	// hosting addresses; the few that work without a second factor are
	// cashed out in gift cards.
	ScenarioStuffing = "credential_stuffing"
	// ScenarioChangeBuy adds a payment method and a shipping address, then
	// orders electronics to that address.
	ScenarioChangeBuy = "change_then_buy"
	// ScenarioCrew is one crew hitting many accounts with the same
	// recipient e-mails and the same few devices.
	ScenarioCrew = "crew"
	// ScenarioSleeper signs in, changes the e-mail, trusts its device and
	// leaves; days later it comes back on the remembered device.
	ScenarioSleeper = "sleeper"
	// ScenarioLowSlow buys one gift card a day for a week or more.
	ScenarioLowSlow = "low_and_slow"
	// ScenarioMimic signs in from the victim's own ISP with the victim's
	// exact browser string.
	ScenarioMimic = "mimic"
)

// Scenarios lists the attack scenarios in report order.
var Scenarios = []string{ScenarioRelay, ScenarioCookie, ScenarioStuffing, ScenarioChangeBuy,
	ScenarioCrew, ScenarioSleeper, ScenarioLowSlow, ScenarioMimic}

// victimRate is each scenario's share of accounts as victims; about 2%
// in all.
var victimRate = map[string]float64{
	ScenarioRelay: 0.0027, ScenarioCookie: 0.0027, ScenarioStuffing: 0.002, ScenarioChangeBuy: 0.002,
	ScenarioCrew: 0.004, ScenarioSleeper: 0.002, ScenarioLowSlow: 0.0017, ScenarioMimic: 0.002,
}

// Attack is one planned attack: a scenario, when it starts and on whom.
type Attack struct {
	ID         string
	Scenario   string
	Start      time.Time
	Victims    []*Customer // accounts the attackers can get into
	Targets    []*Customer // credential stuffing: accounts tried with a wrong password
	Unknown    []string    // credential stuffing: usernames that are no account
	Recipients []string    // where the gift cards go
	Mules      []string    // accounts that redeem them
	seed       uint64
}

// VictimIDs lists the victims' account ids.
func (a *Attack) VictimIDs() []string {
	out := make([]string, len(a.Victims))
	for i, c := range a.Victims {
		out[i] = c.ID
	}
	return out
}

func (w *World) planAttacks(r *rand.Rand, spare []string) {
	cfg := w.Config
	from, end := cfg.ScoredFrom(), cfg.End()
	used := make(map[string]bool)
	var pool []*Customer
	for _, c := range w.Customers {
		if c.Created.Before(from) {
			pool = append(pool, c)
		}
	}
	choose := func(n int, ok func(*Customer) bool) []*Customer {
		var out []*Customer
		for _, i := range r.Perm(len(pool)) {
			c := pool[i]
			if len(out) == n {
				break
			}
			if !used[c.ID] && ok(c) {
				used[c.ID] = true
				out = append(out, c)
			}
		}
		return out
	}
	any := func(*Customer) bool { return true }
	var mules []string // accounts at the store that redeem the cards
	for _, id := range spare[:min(len(spare), 40)] {
		mules = append(mules, cfg.Prefix+id)
	}
	n := 0
	add := func(scenario string, victims []*Customer, span time.Duration) *Attack {
		if len(victims) == 0 {
			return nil
		}
		n++
		a := &Attack{
			ID: fmt.Sprintf("%satk-%03d", cfg.Prefix, n), Scenario: scenario, Victims: victims,
			Start: attackTime(r, from, end.Add(-span)), seed: r.Uint64(),
			Recipients: []string{strangerEmail(r)},
		}
		for range 2 {
			a.Mules = append(a.Mules, pick(r, mules))
		}
		w.Attacks = append(w.Attacks, a)
		return a
	}
	count := func(s string) int {
		return max(1, int(math.Round(victimRate[s]*float64(cfg.Accounts)*cfg.AttackRate)))
	}
	for _, s := range Scenarios {
		switch s {
		case ScenarioStuffing:
			victims := choose(count(s), func(c *Customer) bool { return !c.TOTP && c.Reused })
			a := add(s, victims, 36*time.Hour)
			if a == nil {
				continue
			}
			for _, i := range r.Perm(len(w.Customers))[:len(w.Customers)*8/100] {
				if c := w.Customers[i]; !used[c.ID] {
					a.Targets = append(a.Targets, c)
				}
			}
			for range len(a.Targets) * 6 / 5 {
				a.Unknown = append(a.Unknown, emailFor(r, pick(r, givenNames), pick(r, familyNames)))
			}
		case ScenarioCrew:
			crews := max(1, count(s)/12)
			per := max(1, count(s)/crews)
			for range crews {
				a := add(s, choose(per, any), 4*24*time.Hour)
				if a != nil {
					a.Recipients = []string{strangerEmail(r), strangerEmail(r), strangerEmail(r)}[:2+r.IntN(2)]
				}
			}
		case ScenarioCookie:
			for _, v := range choose(count(s), func(c *Customer) bool { return c.People[0].Rate > 0.15 }) {
				add(s, []*Customer{v}, 6*24*time.Hour)
			}
		case ScenarioSleeper:
			for _, v := range choose(count(s), func(c *Customer) bool { return c.TOTP }) {
				add(s, []*Customer{v}, 13*24*time.Hour)
			}
		case ScenarioLowSlow:
			for _, v := range choose(count(s), func(c *Customer) bool { return !c.TOTP }) {
				add(s, []*Customer{v}, 13*24*time.Hour)
			}
		case ScenarioMimic:
			for _, v := range choose(count(s), func(c *Customer) bool {
				return c.People[0].desktop() != nil
			}) {
				add(s, []*Customer{v}, 24*time.Hour)
			}
		default:
			for _, v := range choose(count(s), any) {
				add(s, []*Customer{v}, 24*time.Hour)
			}
		}
	}
}

func (p *Person) desktop() *Device {
	for _, d := range p.Devices {
		if d.Kind() == KindDesktop {
			return d
		}
	}
	return nil
}

// attackTime is a start between from and to, most often at night.
func attackTime(r *rand.Rand, from, to time.Time) time.Time {
	t := between(r, from.Add(6*time.Hour), to).In(jst)
	if r.Float64() < 0.6 {
		t = time.Date(t.Year(), t.Month(), t.Day(), r.IntN(5), r.IntN(60), r.IntN(60), 0, jst)
		if t.Before(from) {
			t = t.AddDate(0, 0, 1)
		}
	}
	return t
}

// strangerEmail is a drop mailbox: a throwaway of words and digits, or
// one that looks like a person's.
func strangerEmail(r *rand.Rand) string {
	if r.Float64() < 0.5 {
		return emailFor(r, pick(r, givenNames), pick(r, familyNames))
	}
	words := []string{"gift", "card", "lucky", "star", "happy", "shop", "relay", "kaitori", "point", "bonus", "yuki", "ken", "sora", "mika"}
	return fmt.Sprintf("%s%s%d@%s", pick(r, words), pick(r, words), r.IntN(10000),
		pick(r, []string{"gmail.com", "gmail.com", "outlook.com", "proton.me", "yahoo.co.jp"}))
}

// attackRun plays one attack.
type attackRun struct {
	st    *store
	a     *actor
	w     *World
	atk   *Attack
	dev   *Device
	pool  *Network
	epoch map[string]int // the password version the attacker holds, per account
	start time.Time
}

func (w *World) runAttack(st *store, a *actor, atk *Attack) {
	k := &attackRun{st: st, a: a, w: w, atk: atk, epoch: make(map[string]int)}
	a.sleepUntil(atk.Start)
	k.start = a.now()
	for _, v := range atk.Victims {
		k.epoch[v.ID] = st.accounts[v.ID].epoch // the password phished or leaked
	}
	k.dev = attackerDevice(a.rng, a.now())
	k.pool = st.nets.Pool(pick(a.rng, attackerPools))
	switch atk.Scenario {
	case ScenarioRelay:
		k.relay(atk.Victims[0])
	case ScenarioCookie:
		k.cookie(atk.Victims[0])
	case ScenarioStuffing:
		k.stuffing()
	case ScenarioChangeBuy:
		k.changeThenBuy(atk.Victims[0])
	case ScenarioCrew:
		k.crew()
	case ScenarioSleeper:
		k.sleeper(atk.Victims[0])
	case ScenarioLowSlow:
		k.lowAndSlow(atk.Victims[0])
	case ScenarioMimic:
		k.mimic(atk.Victims[0])
	}
}

func (k *attackRun) visit(c *Customer, dev *Device, ip string) *visit {
	return &visit{
		st: k.st, a: k.a, acct: k.st.accounts[c.ID], dev: dev, ip: ip, method: "totp",
		truth: Truth{Source: SourceAttacker, Fraud: true, Cohort: c.Cohort, Scenario: k.atk.Scenario, Attack: k.atk.ID, Victim: c.ID},
	}
}

// relaying reports whether the victim is still on the phishing page, so
// that the attacker can relay the next one-time code too.
func (k *attackRun) relaying() bool { return k.a.now().Sub(k.start) < 45*time.Minute }

// signIn signs in with the password the attacker holds; relay says the
// attacker relays one-time codes from a phishing page.
func (k *attackRun) signIn(v *visit, relay bool) bool {
	acct := v.acct
	user := mamori.Properties{Username: acct.email}
	switch {
	case acct.locked:
		user.Reason = "locked"
	case k.epoch[acct.id] != acct.epoch:
		user.Reason = "bad_password"
	case acct.c.TOTP && !(relay && k.relaying()):
		user.Reason = "bad_mfa"
	}
	if user.Reason != "" {
		v.sendOut(mamori.LoginFailed, user)
		return false
	}
	mfa := "none"
	if acct.c.TOTP {
		mfa = "totp"
	}
	return v.signIn(mfa, false, relay && k.relaying())
}

// cashOut buys gift cards e-mailed to the attacker's recipient, n at most,
// a minute apart, until the bank declines twice; hide hides each order.
// A relaying attacker signs in again when thrown out.
func (k *attackRun) cashOut(v *visit, n int, amount int64, recipient string, hide, relay bool) {
	declines, again := 0, 2
	c := v.acct.c
	card := c.Cards[0]
	for i := 0; i < n; i++ {
		if !v.signedIn() {
			if again == 0 || !k.signIn(v, relay) {
				return
			}
			again--
		}
		spec := orderSpec{items: []item{giftCardItem(amount)}, recipient: recipient, card: card.MethodID, cardType: card.Type}
		o := v.order(spec, true, pick(k.a.rng, k.atk.Mules))
		switch o.Status {
		case OrderDeclined:
			declines++
			if declines >= 2 {
				return
			}
			if len(c.Cards) > 1 {
				card = c.Cards[1]
			}
		case OrderDenied:
		default:
			if hide {
				k.a.pause(8*time.Second, 20*time.Second)
				v.hide(o)
			}
		}
		k.a.pause(40*time.Second, 55*time.Second) // a card a minute
	}
}

func (k *attackRun) bigAmount() int64 { return pick(k.a.rng, []int64{5000, 5000, 10000}) }

// relay is the seed story on another account.
func (k *attackRun) relay(c *Customer) {
	v := k.visit(c, k.dev, k.pool.Address(k.a.rng))
	if !k.signIn(v, true) {
		return
	}
	k.a.pause(30*time.Second, 2*time.Minute)
	if !v.browse("orders") {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	card := c.Cards[0]
	test := item{sku: "sku-gro-050", name: "Sencha 50g", category: CatGrocery, price: roundPrice(300 + k.a.rng.Int64N(700)), qty: 1}
	o := v.order(orderSpec{items: []item{test}, ship: c.Home.ID, card: card.MethodID, cardType: card.Type}, false, "")
	if o.through() {
		v.hide(o)
	}
	k.a.pause(50*time.Second, 70*time.Second)
	k.cashOut(v, 8+k.a.rng.IntN(13), k.bigAmount(), k.atk.Recipients[0], true, true) // until the bank says no
}

// cookie replays a live session of the victim's, stolen by malware on one
// of their devices. A third of thieves replay the whole cookie jar, device
// id and all, with the victim's browser string.
func (k *attackRun) cookie(c *Customer) {
	acct := k.st.accounts[c.ID]
	var s *session
	for wait := 0; s == nil; wait++ {
		for _, x := range acct.liveSessions(k.a.now()) {
			if x.truth.Source == SourceCustomer {
				s = x // the most recent
			}
		}
		if s == nil {
			if wait > 30 {
				return
			}
			k.a.pause(2*time.Hour, 6*time.Hour)
		}
	}
	dev := k.dev
	if k.a.chance(1.0 / 3) {
		if owner := c.device(s.device); owner != nil {
			dev = &Device{ID: owner.ID, UserAgent: owner.Agent(k.a.now()), Language: owner.Language}
		}
	}
	pool := k.pool
	if k.a.chance(0.4) {
		pool = k.st.nets.Pool(pick(k.a.rng, attackVPNPools))
	}
	v := k.visit(c, dev, pool.Address(k.a.rng))
	if !v.resume(s, "account") {
		return
	}
	k.a.pause(time.Minute, 4*time.Minute)
	if k.a.chance(0.5) {
		k.cashOut(v, 3+k.a.rng.IntN(4), k.bigAmount(), k.atk.Recipients[0], true, false)
		return
	}
	addr, ok := k.addAddress(v, false)
	if !ok {
		return
	}
	k.a.pause(time.Minute, 5*time.Minute)
	card := c.Cards[0]
	k.buyElectronics(v, addr, card.MethodID, card.Type)
}

func (c *Customer) device(id string) *Device {
	for _, p := range c.People {
		for _, d := range p.Devices {
			if d.ID == id {
				return d
			}
		}
		if p.NewPhone != nil && p.NewPhone.ID == id {
			return p.NewPhone
		}
	}
	return nil
}

// addAddress adds a drop address the attacker controls.
func (k *attackRun) addAddress(v *visit, pass bool) (string, bool) {
	v.acct.nExtra++
	id := fmt.Sprintf("addr-n%d", v.acct.nExtra)
	if !v.change(mamori.AddressAdded, mamori.Properties{AddressID: id, Country: "JP", PostalCode: postalCode(k.a.rng)}, pass) {
		return "", false
	}
	v.acct.breachChange = true
	return id, true
}

// buyElectronics orders one or two expensive things shipped to addr.
func (k *attackRun) buyElectronics(v *visit, addr, card, cardType string) {
	for n := 0; n < 2 && v.signedIn(); n++ {
		if n == 1 && !k.a.chance(0.4) {
			return
		}
		items := []item{{sku: fmt.Sprintf("sku-ele-%03d", 300+k.a.rng.IntN(100)), name: pick(k.a.rng, []string{"Laptop", "Tablet", "Game console", "Camera lens", "Smartphone"}),
			category: CatElectronics, price: roundPrice(40000 + k.a.rng.Int64N(110000)), qty: 1}}
		o := v.order(orderSpec{items: items, ship: addr, card: card, cardType: cardType}, true, "")
		if o.through() {
			k.a.pause(10*time.Second, 30*time.Second)
			v.hide(o)
		}
		k.a.pause(5*time.Minute, 20*time.Minute)
	}
}

// changeThenBuy adds a stolen card and a drop address, then orders
// electronics to it.
func (k *attackRun) changeThenBuy(c *Customer) {
	if k.a.chance(0.5) {
		k.pool = k.st.nets.Pool(pick(k.a.rng, attackVPNPools))
	}
	v := k.visit(c, k.dev, k.pool.Address(k.a.rng))
	if !k.signIn(v, true) {
		return
	}
	k.a.pause(30*time.Second, 2*time.Minute)
	if !v.browse("account") {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	v.acct.nExtra++
	card := &Card{MethodID: fmt.Sprintf("pm-n%d", v.acct.nExtra), Type: "credit", Last4: fmt.Sprintf("%04d", k.a.rng.IntN(10000)),
		Limit: int64(200+k.a.rng.IntN(300)) * 1000}
	if !v.change(mamori.PaymentMethodAdded, mamori.Properties{MethodID: card.MethodID, Type: card.Type, Last4: card.Last4}, k.relaying()) {
		return
	}
	v.acct.breachChange = true
	v.acct.cards[card.MethodID] = &cardState{Card: card}
	k.a.pause(time.Minute, 3*time.Minute)
	addr, ok := k.addAddress(v, k.relaying())
	if !ok {
		return
	}
	k.a.pause(2*time.Minute, 10*time.Minute)
	k.buyElectronics(v, addr, card.MethodID, card.Type)
}

// crew works through its victims one after another over a few days, from
// the same two devices and a handful of addresses, every card to one of
// the same few recipients.
func (k *attackRun) crew() {
	r := k.a.rng
	second := attackerDevice(r, k.a.now())
	second.Language = k.dev.Language
	devs := []*Device{k.dev, second}
	ips := []string{k.pool.Address(r), k.pool.Address(r), k.pool.Address(r)}
	for i, c := range k.atk.Victims {
		if i > 0 {
			k.a.pause(20*time.Minute, 6*time.Hour)
		}
		k.start = k.a.now() // each victim is phished just before
		k.epoch[c.ID] = k.st.accounts[c.ID].epoch
		v := k.visit(c, pick(r, devs), pick(r, ips))
		if !k.signIn(v, true) {
			continue
		}
		k.a.pause(30*time.Second, 2*time.Minute)
		if !v.browse("orders") {
			continue
		}
		k.cashOut(v, 2+r.IntN(3), k.bigAmount(), pick(r, k.atk.Recipients), true, true)
		v.logout()
	}
}

// sleeper takes the account over quietly, then cashes out days later on
// the device it made trusted, with the gift cards sent to the account's
// own (now the attacker's) e-mail.
func (k *attackRun) sleeper(c *Customer) {
	v := k.visit(c, k.dev, k.pool.Address(k.a.rng))
	if !k.signIn(v, true) {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	if !v.browse("security") {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	mail := k.atk.Recipients[0]
	if v.change(mamori.EmailChanged, mamori.Properties{NewEmail: mail}, k.relaying()) {
		v.acct.email = mail
		v.acct.breachChange = true
	}
	k.a.pause(30*time.Second, 2*time.Minute)
	if v.change(mamori.DeviceTrusted, mamori.Properties{}, k.relaying()) {
		v.acct.trusted[k.dev.ID] = true
	}
	k.a.pause(time.Minute, 3*time.Minute)
	v.logout()

	k.a.sleep(time.Duration(3+k.a.rng.IntN(8))*24*time.Hour + time.Duration(k.a.rng.IntN(12))*time.Hour)
	v = k.visit(c, k.dev, k.pool.Address(k.a.rng))
	acct := v.acct
	switch {
	case acct.locked:
		v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "locked", Username: acct.email})
		return
	case k.epoch[acct.id] != acct.epoch:
		v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "bad_password", Username: acct.email})
		return
	case !acct.trusted[k.dev.ID]:
		v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "bad_mfa", Username: acct.email})
		return
	}
	if !v.signIn("none", true, false) {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	if !v.browse("home") {
		return
	}
	k.cashOut(v, 3+k.a.rng.IntN(3), 10000, acct.email, true, false)
}

// lowAndSlow buys one gift card a day for a week or two from a phone on a
// Japanese mobile network, keeping the session between days.
func (k *attackRun) lowAndSlow(c *Customer) {
	r := k.a.rng
	k.dev = &Device{ID: deviceID(r), UserAgent: Browsers[8].UserAgent(k.a.now(), 10*24*time.Hour), Language: "ja-JP"}
	carrier := k.st.nets.Pool(pick(r, []string{PoolDOCOMO, PoolRakuten, PoolSoftBank}))
	amount := pick(r, []int64{3000, 3000, 5000})
	var s *session
	failed := 0
	for day := 0; day < 7+r.IntN(6) && failed < 3; day++ {
		if day > 0 {
			k.a.sleep(20*time.Hour + time.Duration(r.Int64N(int64(8*time.Hour))))
		}
		v := k.visit(c, k.dev, carrier.Address(r))
		if s != nil && v.resume(s, "home") {
			// still signed in from yesterday
		} else if !k.signIn(v, false) {
			failed++
			continue
		} else if !v.browse("home") {
			failed++
			continue
		}
		s = v.sess
		k.a.pause(time.Minute, 4*time.Minute)
		k.cashOut(v, 1, amount, k.atk.Recipients[0], true, false)
	}
}

// mimic signs in from the victim's own ISP, another /24 of their /16,
// with their browser's exact user-agent string and language.
func (k *attackRun) mimic(c *Customer) {
	p := c.People[0]
	own := p.desktop()
	k.dev = &Device{ID: deviceID(k.a.rng), UserAgent: own.Agent(k.a.now()), Language: own.Language}
	v := k.visit(c, k.dev, p.Home.Neighbour(k.a.rng))
	if !k.signIn(v, true) {
		return
	}
	k.a.pause(time.Minute, 3*time.Minute)
	if !v.browse("orders") {
		return
	}
	k.cashOut(v, 3+k.a.rng.IntN(4), k.bigAmount(), k.atk.Recipients[0], true, true)
}

// stuffing tries a combo list on the store: many wrong passwords and
// unknown usernames from a few hosting addresses; each hit without a
// second factor is cashed out at once.
func (k *attackRun) stuffing() {
	r := k.a.rng
	pools := []*Network{k.st.nets.Pool(PoolDOSingapore), k.st.nets.Pool(pick(r, []string{PoolAWSTokyo, PoolVultrTokyo}))}
	var ips []string
	for i := range 6 {
		ips = append(ips, pools[i%2].Address(r))
	}
	type try struct {
		c    *Customer
		user string
		hit  bool
	}
	var tries []try
	for _, c := range k.atk.Targets {
		tries = append(tries, try{c: c})
	}
	for _, c := range k.atk.Victims {
		tries = append(tries, try{c: c, hit: true})
	}
	for _, u := range k.atk.Unknown {
		tries = append(tries, try{user: u})
	}
	r.Shuffle(len(tries), func(i, j int) { tries[i], tries[j] = tries[j], tries[i] })
	var retry []try
	for round := 0; round < 2; round++ {
		for _, t := range tries {
			k.a.pause(3*time.Second, 15*time.Second)
			dev := &Device{UserAgent: pick(r, stufferAgents)}
			if r.Float64() < 0.5 {
				dev.ID = deviceID(r)
			}
			ip := pick(r, ips)
			if t.c == nil {
				ev := k.st.event(nil, mamori.LoginFailed, "", mamori.Context{IP: ip, UserAgent: dev.UserAgent},
					mamori.Properties{Reason: "unknown_account", Username: t.user})
				k.st.send(nil, ev, Truth{Source: SourceAttacker, Fraud: true, Scenario: ScenarioStuffing, Attack: k.atk.ID})
				continue
			}
			v := k.visit(t.c, dev, ip)
			if !t.hit {
				v.truth.Victim = "" // a target, not a victim: the password is wrong
				v.sendOut(mamori.LoginFailed, mamori.Properties{Reason: "bad_password", Username: v.acct.email})
				continue
			}
			if !k.signIn(v, false) {
				if v.sess != nil && round == 0 {
					retry = append(retry, t) // challenged or refused: once more later
				}
				continue
			}
			k.a.pause(time.Minute, 5*time.Minute)
			if v.browse("home") {
				k.cashOut(v, 2+r.IntN(3), k.bigAmount(), k.atk.Recipients[0], false, false)
			}
		}
		if len(retry) == 0 {
			return
		}
		tries, retry = slices.Clone(retry), nil
		k.a.pause(time.Hour, 3*time.Hour)
	}
}
