package sim

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
)

// harness is a store with one customer account, talking to a scripted
// service, and a clock to play scripts on.
type harness struct {
	t    *testing.T
	svc  *scriptedService
	s    *scheduler
	st   *store
	w    *World
	c    *Customer
	acct *account
}

func newHarness(t *testing.T, queue map[string][]mamori.Decision) *harness {
	t.Helper()
	w, err := NewWorld(Config{Seed: 7, Accounts: 3, HistoryDays: -1, Days: 10})
	if err != nil {
		t.Fatal(err)
	}
	svc := newScripted(queue)
	s := &scheduler{now: w.Config.Start, ctx: context.Background()}
	st := newStore(context.Background(), svc, s, w.Config, nil)
	st.nets = w.nets
	c := w.Customers[0]
	c.TOTP = false
	return &harness{t: t, svc: svc, s: s, st: st, w: w, c: c, acct: st.open(c)}
}

// play runs script as an actor, and the store's tasks until d after the
// start. The script runs on another goroutine: it may call t.Error, not
// t.Fatal.
func (h *harness) play(d time.Duration, script func(a *actor)) {
	h.t.Helper()
	h.s.spawn(h.s.now, rand.New(rand.NewPCG(1, 2)), script)
	if err := h.s.run(h.w.Config.Start.Add(d)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) shopper(a *actor) *shopper {
	return &shopper{st: h.st, a: a, c: h.c, p: h.c.People[0], acct: h.acct, cookies: map[string]string{}}
}

func (h *harness) ownVisit(sh *shopper) *visit {
	return sh.newVisit(h.c.People[0].Devices[0], h.c.People[0].Home.IP())
}

func (h *harness) attacker(a *actor) (*attackRun, *visit) {
	atk := &Attack{ID: "atk-test", Scenario: ScenarioRelay, Victims: []*Customer{h.c},
		Recipients: []string{"drop.box.77@proton.me"}, Mules: []string{"cust-999001"}}
	k := &attackRun{st: h.st, a: a, w: h.w, atk: atk, epoch: map[string]int{h.c.ID: h.acct.epoch}, start: a.now(),
		dev: &Device{ID: "dev-attacker-01", UserAgent: Browsers[0].UserAgent(a.now(), 0), Language: "ja-JP"}}
	k.pool = h.st.nets.Pool(PoolVultrTokyo)
	return k, k.visit(h.c, k.dev, k.pool.Address(a.rng))
}

func (h *harness) giftCard(amount int64, to string) orderSpec {
	card := h.c.Cards[0]
	return orderSpec{items: []item{giftCardItem(amount)}, recipient: to, card: card.MethodID, cardType: card.Type}
}

func (h *harness) parcel() orderSpec {
	card := h.c.Cards[0]
	it := item{sku: "sku-boo-001", name: "Paperback novel", category: CatBooks, price: 1980, qty: 1}
	return orderSpec{items: []item{it}, ship: h.c.Home.ID, card: card.MethodID, cardType: card.Type}
}

func (h *harness) sentStore(typ string) []mamori.Event {
	return h.svc.ofType(typ)
}

// TestStoreObeysDecisions plays one step at a time against scripted
// decisions and checks that the store does what the contract says.
func TestStoreObeysDecisions(t *testing.T) {
	tests := []struct {
		name  string
		queue map[string][]mamori.Decision
		run   time.Duration
		play  func(h *harness, a *actor)
		check func(h *harness)
	}{
		{
			name:  "deny on a session step ends the session",
			queue: map[string][]mamori.Decision{mamori.SessionActivity: {decision(mamori.Deny)}},
			play: func(h *harness, a *actor) {
				sh := h.shopper(a)
				v := h.ownVisit(sh)
				if !v.signIn("none", false, true) {
					h.t.Error("the sign-in was refused")
				}
				if v.browse("home") {
					h.t.Error("browse went on after a deny")
				}
				if v.signedIn() {
					h.t.Error("the session lives on after a deny")
				}
			},
		},
		{
			name:  "a challenged sign-in counts only after challenge.succeeded in the same session",
			queue: map[string][]mamori.Decision{mamori.LoginSucceeded: {decision(mamori.Challenge), decision(mamori.Challenge)}},
			play: func(h *harness, a *actor) {
				sh := h.shopper(a)
				v := h.ownVisit(sh)
				if !v.signIn("none", false, true) || !v.signedIn() {
					h.t.Error("a passed challenge did not sign in")
				}
				w := h.ownVisit(sh)
				if w.signIn("none", false, false) || w.signedIn() {
					h.t.Error("a failed challenge signed in")
				}
			},
			check: func(h *harness) {
				want := []string{mamori.LoginSucceeded, mamori.ChallengeSucceeded, mamori.LoginSucceeded, mamori.ChallengeFailed}
				if got := h.svc.types(); !slices.Equal(got, want) {
					t.Fatalf("events %v, want %v", got, want)
				}
				ev := h.svc.decided
				if ev[0].SessionID != ev[1].SessionID || ev[2].SessionID != ev[3].SessionID || ev[0].SessionID == ev[2].SessionID {
					t.Errorf("sessions %s %s %s %s: the challenge answer must carry the sign-in's session", ev[0].SessionID, ev[1].SessionID, ev[2].SessionID, ev[3].SessionID)
				}
			},
		},
		{
			name:  "review holds an honest order until the team releases it",
			queue: map[string][]mamori.Decision{mamori.OrderPlaced: {decision(mamori.Review)}},
			run:   20 * time.Hour,
			play: func(h *harness, a *actor) {
				v := h.ownVisit(h.shopper(a))
				v.signIn("none", false, true)
				o := v.order(h.giftCard(5000, "friend.one@gmail.com"), false, "")
				if o.Status != OrderHeld || o.Delivered {
					h.t.Errorf("order %s, delivered %v: want held, not delivered", o.Status, o.Delivered)
				}
			},
			check: func(h *harness) {
				o := h.st.orders[0]
				if !o.Held || !o.Delivered || len(h.sentStore(mamori.OrderReleased)) != 1 {
					t.Errorf("held %v delivered %v released %d: want a release, then delivery", o.Held, o.Delivered, len(h.sentStore(mamori.OrderReleased)))
				}
			},
		},
		{
			name:  "review of an attacker's order ends in cancellation",
			queue: map[string][]mamori.Decision{mamori.OrderPlaced: {decision(mamori.Review)}},
			run:   20 * time.Hour,
			play: func(h *harness, a *actor) {
				_, v := h.attacker(a)
				v.signIn("none", false, true)
				v.order(h.giftCard(10000, "drop.box.77@proton.me"), true, "cust-999001")
			},
			check: func(h *harness) {
				o := h.st.orders[0]
				if !o.Cancelled || o.Delivered || o.Lost() != 0 || len(h.sentStore(mamori.OrderCancelled)) != 1 {
					t.Errorf("cancelled %v delivered %v lost %d: want cancelled, nothing lost", o.Cancelled, o.Delivered, o.Lost())
				}
			},
		},
		{
			name: "hold_pending_orders keeps a parcel from shipping until released",
			queue: map[string][]mamori.Decision{mamori.SessionActivity: {
				decision(mamori.Allow, mamori.HoldPendingOrders)}},
			run: 40 * time.Hour,
			play: func(h *harness, a *actor) {
				v := h.ownVisit(h.shopper(a))
				v.signIn("none", false, true)
				o := v.order(h.parcel(), false, "")
				a.sleep(time.Hour)
				v.browse("orders")
				if o.Status != OrderHeld {
					h.t.Errorf("order %s after the hold, want held", o.Status)
				}
			},
			check: func(h *harness) {
				o := h.st.orders[0]
				rel := h.sentStore(mamori.OrderReleased)
				if !o.Held || !o.Shipped || len(rel) != 1 || !o.ShippedAt.After(rel[0].Time) {
					t.Errorf("held %v shipped %v at %v, releases %d: want shipped after the release", o.Held, o.Shipped, o.ShippedAt, len(rel))
				}
			},
		},
		{
			name: "void_gift_cards cancels the attacker's gift cards not yet redeemed",
			queue: map[string][]mamori.Decision{mamori.OrderPlaced: {
				decision(mamori.Allow), decision(mamori.Review, mamori.VoidGiftCards, mamori.HoldPendingOrders)}},
			run: 24 * time.Hour,
			play: func(h *harness, a *actor) {
				_, v := h.attacker(a)
				v.signIn("none", false, true)
				v.order(h.giftCard(5000, "drop.box.77@proton.me"), true, "cust-999001")
				a.sleep(time.Minute)
				v.order(h.giftCard(5000, "drop.box.77@proton.me"), true, "cust-999001")
			},
			check: func(h *harness) {
				first := h.st.orders[0]
				if !first.Delivered || !first.Voided || first.Redeemed || first.Lost() != 0 {
					t.Errorf("first card: delivered %v voided %v redeemed %v lost %d: want voided before the mule spent it",
						first.Delivered, first.Voided, first.Redeemed, first.Lost())
				}
				if n := len(h.sentStore(mamori.GiftCardRedeemed)); n != 0 {
					t.Errorf("%d redemptions of voided cards", n)
				}
			},
		},
		{
			name: "a gift card redeemed before the void is lost",
			queue: map[string][]mamori.Decision{mamori.OrderPlaced: {
				decision(mamori.Allow), decision(mamori.Review, mamori.VoidGiftCards)}},
			run: 24 * time.Hour,
			play: func(h *harness, a *actor) {
				_, v := h.attacker(a)
				v.signIn("none", false, true)
				v.order(h.giftCard(5000, "drop.box.77@proton.me"), true, "cust-999001")
				a.sleep(20 * time.Minute)
				v.order(h.giftCard(5000, "drop.box.77@proton.me"), true, "cust-999001")
			},
			check: func(h *harness) {
				first := h.st.orders[0]
				red := h.sentStore(mamori.GiftCardRedeemed)
				if !first.Redeemed || first.Voided || first.Lost() != 5000 || len(red) != 1 || red[0].Properties.RedeemerAccount != "cust-999001" {
					t.Errorf("redeemed %v voided %v lost %d, %d redemptions: want the mule's redemption, ¥5,000 lost",
						first.Redeemed, first.Voided, first.Lost(), len(red))
				}
			},
		},
		{
			name: "lock_account blocks sign-in until support unlocks, then the owner resets the password",
			queue: map[string][]mamori.Decision{mamori.LoginSucceeded: {
				decision(mamori.Allow, mamori.LockAccount, mamori.RevokeSessions)}},
			run: 3 * 24 * time.Hour,
			play: func(h *harness, a *actor) {
				sh := h.shopper(a)
				v := h.ownVisit(sh)
				sh.signIn(v)
				if v.signedIn() {
					h.t.Error("signed in on a locked account")
				}
				if sh.signIn(h.ownVisit(sh)) {
					h.t.Error("signed in again while locked")
				}
				a.sleep(40 * time.Hour)
				if !sh.signIn(h.ownVisit(sh)) {
					h.t.Error("still locked out after support's unlock")
				}
			},
			check: func(h *harness) {
				want := []string{mamori.LoginSucceeded, mamori.LoginFailed, mamori.AccountUnlocked,
					mamori.PasswordResetRequested, mamori.PasswordChanged, mamori.LoginSucceeded}
				if !subsequence(want, h.svc.types()) {
					t.Errorf("events %v, want %v in that order", h.svc.types(), want)
				}
				locked := 0
				for _, f := range h.svc.ofType(mamori.LoginFailed) {
					if f.Properties.Reason == "locked" {
						locked++
					}
				}
				if locked != 1 {
					t.Errorf("%d login.failed with reason locked, want 1", locked)
				}
				if len(h.st.locks) != 1 {
					t.Errorf("%d locks counted, want 1", len(h.st.locks))
				}
			},
		},
		{
			name: "revoke_sessions signs out every device",
			queue: map[string][]mamori.Decision{mamori.SessionActivity: {
				decision(mamori.Allow), decision(mamori.Allow, mamori.RevokeSessions)}},
			play: func(h *harness, a *actor) {
				sh := h.shopper(a)
				v1 := h.ownVisit(sh)
				v1.signIn("none", false, true)
				v2 := sh.newVisit(&Device{ID: "dev-second", Language: "ja-JP", Browser: &Browsers[0]}, h.c.People[0].Home.IP())
				v2.signIn("none", false, true)
				v1.browse("home")
				v2.browse("home")
				if v1.signedIn() || v2.signedIn() {
					h.t.Errorf("still signed in after revoke_sessions: %v %v", v1.signedIn(), v2.signedIn())
				}
			},
		},
		{
			name: "require_password_reset takes the password from the attacker",
			queue: map[string][]mamori.Decision{mamori.SessionActivity: {
				decision(mamori.Deny, mamori.RequirePasswordReset, mamori.RevokeSessions)}},
			play: func(h *harness, a *actor) {
				k, v := h.attacker(a)
				if !k.signIn(v, false) {
					h.t.Error("the attacker's first sign-in was refused")
					return
				}
				v.browse("account")
				if k.signIn(v, false) {
					h.t.Error("the attacker signed in again with the old password")
				}
			},
			check: func(h *harness) {
				f := h.svc.ofType(mamori.LoginFailed)
				if len(f) != 1 || f[0].Properties.Reason != "bad_password" {
					t.Errorf("login failures %v, want one bad_password", f)
				}
			},
		},
		{
			name: "revoke_trusted_devices makes the remembered device give its code again",
			queue: map[string][]mamori.Decision{mamori.SessionActivity: {
				decision(mamori.Allow, mamori.RevokeTrustedDevices, mamori.RevokeSessions)}},
			play: func(h *harness, a *actor) {
				h.c.TOTP = true
				sh := h.shopper(a)
				v := h.ownVisit(sh)
				h.acct.trusted[v.dev.ID] = true
				sh.signIn(v)
				v.browse("home")
				sh.signIn(h.ownVisit(sh))
			},
			check: func(h *harness) {
				logins := h.svc.ofType(mamori.LoginSucceeded)
				if len(logins) != 2 || !logins[0].Properties.RememberedDevice || logins[1].Properties.RememberedDevice || logins[1].Properties.MFA != "totp" {
					t.Errorf("sign-ins %+v, want remembered then a code", logins)
				}
			},
		},
		{
			name: "notify_customer: a victim whose attacker got a card through reports it",
			queue: map[string][]mamori.Decision{mamori.OrderHidden: {
				decision(mamori.Allow, mamori.NotifyCustomer)}},
			run: 24 * time.Hour,
			play: func(h *harness, a *actor) {
				_, v := h.attacker(a)
				v.signIn("none", false, true)
				o := v.order(h.giftCard(10000, "drop.box.77@proton.me"), true, "cust-999001")
				v.hide(o)
			},
			check: func(h *harness) {
				r := h.sentStore(mamori.FraudReported)
				if len(r) != 1 || !slices.Equal(r[0].Properties.OrderIDs, []string{h.st.orders[0].ID}) {
					t.Errorf("fraud reports %+v, want one naming the order", r)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.queue)
			run := tt.run
			if run == 0 {
				run = time.Hour
			}
			h.play(run, func(a *actor) { tt.play(h, a) })
			if tt.check != nil {
				tt.check(h)
			}
		})
	}
}

// subsequence reports whether want appears in got in order, with other
// elements between.
func subsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
