package sim

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/memlog"
)

func playWith(t *testing.T, svc mamori.RiskService, cfg Config) (*Result, []byte) {
	t.Helper()
	var out bytes.Buffer
	res, err := Play(context.Background(), svc, cfg, Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	return res, out.Bytes()
}

func openEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), memlog.New(false), "", engine.Options{Shards: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestSameSeedSamePlay plays one world twice against fresh engines: the
// events, decisions and truth are the same byte for byte; another seed
// plays another world.
func TestSameSeedSamePlay(t *testing.T) {
	cfg := Config{Seed: 5, Accounts: 120, HistoryDays: 10, Days: 10}
	r1, a := playWith(t, openEngine(t), cfg)
	r2, b := playWith(t, openEngine(t), cfg)
	if !bytes.Equal(a, b) {
		t.Fatalf("two plays of seed 5 differ (%d and %d bytes)", len(a), len(b))
	}
	if len(r1.Records) == 0 || len(r1.Records) != len(r2.Records) || len(r1.Orders) != len(r2.Orders) {
		t.Fatalf("records %d and %d, orders %d and %d", len(r1.Records), len(r2.Records), len(r1.Orders), len(r2.Orders))
	}
	for i := range r1.Orders {
		a, b := *r1.Orders[i], *r2.Orders[i]
		a.card, b.card = nil, nil
		if a != b {
			t.Fatalf("order %d: %+v and %+v", i, a, b)
		}
	}
	cfg.Seed = 6
	if _, c := playWith(t, newScripted(nil), cfg); bytes.Equal(a, c) {
		t.Fatal("seeds 5 and 6 played the same world")
	}
}

// A world where mamori allows everything, so that every attack plays to
// its end: what each scenario and cohort does can be seen whole.
var allowedWorld struct {
	once  sync.Once
	res   *Result
	lines []lineOut
	err   error
}

func playAllowed(t *testing.T) (*Result, []lineOut) {
	t.Helper()
	allowedWorld.once.Do(func() {
		var out bytes.Buffer
		allowedWorld.res, allowedWorld.err = Play(context.Background(), newScripted(nil),
			Config{Seed: 11, Accounts: 300, HistoryDays: 20, Days: 20, AttackRate: 3}, Options{Out: &out})
		if allowedWorld.err == nil {
			allowedWorld.lines = readLines(t, out.Bytes())
		}
	})
	if allowedWorld.err != nil {
		t.Fatal(allowedWorld.err)
	}
	return allowedWorld.res, allowedWorld.lines
}

// story is what a play shows of one account or attack.
type story struct {
	res   *Result
	nets  *Networks
	lines []lineOut
}

func (s story) where(keep func(l *lineOut) bool) []lineOut {
	var out []lineOut
	for i := range s.lines {
		if keep(&s.lines[i]) {
			out = append(out, s.lines[i])
		}
	}
	return out
}

func (s story) attackLines(id string) []lineOut {
	return s.where(func(l *lineOut) bool { return l.Truth.Source == SourceAttacker && l.Truth.Attack == id })
}

func (s story) ownLines(account string) []lineOut {
	return s.where(func(l *lineOut) bool { return l.Truth.Source == SourceCustomer && l.Event.AccountID == account })
}

func (s story) network(ip string) enrich.Network { return s.nets.Lookup(ip) }

func ofType(ls []lineOut, typ string) []lineOut {
	var out []lineOut
	for _, l := range ls {
		if l.Event.Type == typ {
			out = append(out, l)
		}
	}
	return out
}

func giftCards(ls []lineOut) []lineOut {
	var out []lineOut
	for _, l := range ofType(ls, mamori.OrderPlaced) {
		if l.Event.Properties.HasGiftCard() {
			out = append(out, l)
		}
	}
	return out
}

func devicesOf(ls []lineOut) map[string]bool {
	out := map[string]bool{}
	for _, l := range ls {
		if l.Event.Context.DeviceID != "" {
			out[l.Event.Context.DeviceID] = true
		}
	}
	return out
}

func prefix(ip string, bits int) netip.Prefix {
	p, _ := netip.MustParseAddr(ip).Prefix(bits)
	return p
}

// TestAttacksPlayAsDescribed checks, scenario by scenario, that the
// attackers' events show what the scenario says.
func TestAttacksPlayAsDescribed(t *testing.T) {
	res, lines := playAllowed(t)
	s := story{res: res, nets: mustNets(t), lines: lines}
	byScenario := map[string][]*Attack{}
	for _, a := range res.World.Attacks {
		byScenario[a.Scenario] = append(byScenario[a.Scenario], a)
	}
	checks := map[string]func(t *testing.T, a *Attack, ls []lineOut){
		ScenarioRelay: func(t *testing.T, a *Attack, ls []lineOut) {
			login := ofType(ls, mamori.LoginSucceeded)[0]
			if n := s.network(login.Event.Context.IP); n.Type != enrich.Hosting {
				t.Errorf("signs in from %s (%s), want a hosting network", login.Event.Context.IP, n.Type)
			}
			if devicesOf(s.ownLines(a.Victims[0].ID))[login.Event.Context.DeviceID] {
				t.Error("signs in from the victim's own device")
			}
			orders := ofType(ls, mamori.OrderPlaced)
			test := orders[0].Event.Properties
			if test.HasGiftCard() || test.AmountValue() > 1000 || test.Delivery.Type != "ship" {
				t.Errorf("first order %+v, want a small parcel (card test)", test)
			}
			cards := giftCards(ls)
			if len(cards) < 3 {
				t.Fatalf("%d gift cards, want a burst", len(cards))
			}
			for i, c := range cards {
				if to := c.Event.Properties.Delivery.RecipientEmail; to != a.Recipients[0] || to == a.Victims[0].Email {
					t.Errorf("gift card to %s, want the stranger %s", to, a.Recipients[0])
				}
				if i > 0 {
					if gap := c.Event.Time.Sub(cards[i-1].Event.Time); gap < 40*time.Second || gap > 3*time.Minute {
						t.Errorf("gift cards %s apart, want about a minute", gap)
					}
				}
			}
			hidden := ofType(ls, mamori.OrderHidden)
			if len(hidden) < len(orders)-2 { // declined orders are not hidden
				t.Errorf("%d of %d orders hidden", len(hidden), len(orders))
			}
		},
		ScenarioCookie: func(t *testing.T, a *Attack, ls []lineOut) {
			first := ls[0].Event
			if first.Type != mamori.SessionActivity || first.SessionID == "" {
				t.Fatalf("first step %s in session %q, want session.activity in a stolen session", first.Type, first.SessionID)
			}
			own := s.ownLines(a.Victims[0].ID)
			var start *mamori.Event
			for i := range own {
				e := &own[i].Event
				if e.SessionID == first.SessionID && e.Time.Before(first.Time) {
					if e.Type == mamori.Logout {
						t.Fatal("the session was logged out before the thief used it")
					}
					if start == nil {
						start = e
					}
				}
			}
			if start == nil {
				t.Fatal("the session was never the victim's")
			}
			if first.Context.IP == start.Context.IP {
				t.Error("the thief uses the victim's own address")
			}
			if first.Context.DeviceID == start.Context.DeviceID && first.Context.UserAgent != start.Context.UserAgent {
				t.Error("the thief copies the device id but not the browser string")
			}
		},
		ScenarioStuffing: func(t *testing.T, a *Attack, ls []lineOut) {
			failed := ofType(ls, mamori.LoginFailed)
			ips, accounts, unknown := map[string]bool{}, map[string]bool{}, 0
			for _, l := range failed {
				e := l.Event
				ips[e.Context.IP] = true
				if n := s.network(e.Context.IP); n.Type != enrich.Hosting {
					t.Errorf("tries from %s (%s), want hosting", e.Context.IP, n.Type)
				}
				switch e.Properties.Reason {
				case "unknown_account":
					unknown++
					if e.AccountID != "" || e.Properties.Username == "" {
						t.Errorf("unknown account with account_id %q, username %q", e.AccountID, e.Properties.Username)
					}
				case "bad_password":
					accounts[e.AccountID] = true
				}
			}
			if len(failed) < 40 || len(ips) > 6 || len(accounts) < 15 || unknown < 15 {
				t.Errorf("%d failures from %d addresses on %d accounts, %d unknown: want many failures from a few addresses",
					len(failed), len(ips), len(accounts), unknown)
			}
			hits := ofType(ls, mamori.LoginSucceeded)
			if len(hits) == 0 || len(giftCards(ls)) == 0 {
				t.Fatalf("%d sign-ins and %d gift cards, want hits cashed out", len(hits), len(giftCards(ls)))
			}
			for _, h := range hits {
				if h.Event.Properties.MFA != "none" || h.Truth.Victim == "" {
					t.Errorf("hit with mfa %s on victim %q", h.Event.Properties.MFA, h.Truth.Victim)
				}
			}
		},
		ScenarioChangeBuy: func(t *testing.T, a *Attack, ls []lineOut) {
			pm, ad := ofType(ls, mamori.PaymentMethodAdded), ofType(ls, mamori.AddressAdded)
			orders := ofType(ls, mamori.OrderPlaced)
			if len(pm) != 1 || len(ad) != 1 || len(orders) == 0 {
				t.Fatalf("%d cards, %d addresses, %d orders", len(pm), len(ad), len(orders))
			}
			if ad[0].Event.Properties.PostalCode == a.Victims[0].Home.PostalCode {
				t.Error("the drop address is the victim's home")
			}
			for _, o := range orders {
				p := o.Event.Properties
				if p.Items[0].Category != CatElectronics || p.Delivery.AddressID != ad[0].Event.Properties.AddressID ||
					p.Payment.MethodID != pm[0].Event.Properties.MethodID || !o.Event.Time.After(ad[0].Event.Time) {
					t.Errorf("order %+v, want electronics to the new address with the new card", p)
				}
			}
		},
		ScenarioCrew: func(t *testing.T, a *Attack, ls []lineOut) {
			victimsOf := map[string]map[string]bool{}
			for _, c := range giftCards(ls) {
				to := c.Event.Properties.Delivery.RecipientEmail
				if !slices.Contains(a.Recipients, to) {
					t.Errorf("gift card to %s, not a crew recipient", to)
				}
				if victimsOf[to] == nil {
					victimsOf[to] = map[string]bool{}
				}
				victimsOf[to][c.Truth.Victim] = true
			}
			shared := false
			for _, vs := range victimsOf {
				shared = shared || len(vs) >= 2
			}
			if !shared {
				t.Errorf("no recipient shared by two victims: %v", victimsOf)
			}
			if n := len(devicesOf(ls)); n > 2 {
				t.Errorf("%d devices, want the crew's two", n)
			}
		},
		ScenarioSleeper: func(t *testing.T, a *Attack, ls []lineOut) {
			changed, trusted := ofType(ls, mamori.EmailChanged), ofType(ls, mamori.DeviceTrusted)
			logins := ofType(ls, mamori.LoginSucceeded)
			if len(changed) != 1 || len(trusted) != 1 || len(ofType(ls, mamori.Logout)) == 0 || len(logins) != 2 {
				t.Fatalf("%d e-mail changes, %d trusts, %d sign-ins", len(changed), len(trusted), len(logins))
			}
			back := logins[1].Event
			if !back.Properties.RememberedDevice || back.Context.DeviceID != trusted[0].Event.Context.DeviceID ||
				back.Time.Sub(logins[0].Event.Time) < 3*24*time.Hour {
				t.Errorf("came back %s later, remembered %v: want days later on the trusted device",
					back.Time.Sub(logins[0].Event.Time), back.Properties.RememberedDevice)
			}
			for _, c := range giftCards(ls) {
				if c.Event.Properties.Delivery.RecipientEmail != changed[0].Event.Properties.NewEmail || c.Event.Time.Before(back.Time) {
					t.Errorf("gift card %+v, want after the return, to the new e-mail", c.Event.Properties.Delivery)
				}
			}
		},
		ScenarioLowSlow: func(t *testing.T, a *Attack, ls []lineOut) {
			days := map[string]int{}
			for _, c := range giftCards(ls) {
				days[c.Event.Time.In(jst).Format("01-02")]++
				if c.Event.Properties.Delivery.RecipientEmail != a.Recipients[0] {
					t.Error("low and slow changed recipient")
				}
			}
			if len(days) < 7 {
				t.Errorf("gift cards on %d days, want a week or more", len(days))
			}
			for d, n := range days {
				if n != 1 {
					t.Errorf("%d gift cards on %s, want one a day", n, d)
				}
			}
		},
		ScenarioMimic: func(t *testing.T, a *Attack, ls []lineOut) {
			v := a.Victims[0]
			login := ofType(ls, mamori.LoginSucceeded)[0].Event
			own := s.ownLines(v.ID)
			agents := map[string]bool{}
			for _, l := range own {
				agents[l.Event.Context.UserAgent] = true
			}
			if !agents[login.Context.UserAgent] {
				t.Errorf("user agent %q never used by the victim", login.Context.UserAgent)
			}
			if devicesOf(own)[login.Context.DeviceID] {
				t.Error("the mimic reuses the victim's device id")
			}
			home := v.People[0].Home
			if prefix(login.Context.IP, 16) != prefix(addr(home.Wide).String(), 16) {
				t.Errorf("signs in from %s, not in the victim's /16 %s", login.Context.IP, addr(home.Wide))
			}
			for _, l := range own {
				if l.Event.Time.Before(login.Time) && l.Event.Context.IP != "" && prefix(l.Event.Context.IP, 24) == prefix(login.Context.IP, 24) &&
					l.Event.Time.After(login.Time.Add(-time.Hour)) {
					t.Errorf("signs in from the victim's current /24 %s", prefix(login.Context.IP, 24))
				}
			}
		},
	}
	for _, name := range Scenarios {
		t.Run(name, func(t *testing.T) {
			atks := byScenario[name]
			if len(atks) == 0 {
				t.Fatal("no attack of this scenario in the world")
			}
			for _, a := range atks {
				ls := s.attackLines(a.ID)
				if len(ls) == 0 {
					t.Fatalf("attack %s sent nothing", a.ID)
				}
				checks[name](t, a, ls)
			}
		})
	}
}

func mustNets(t *testing.T) *Networks {
	t.Helper()
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

// TestCohortsPlayAsDescribed checks that each cohort of honest customers
// does the things that look like attacks.
func TestCohortsPlayAsDescribed(t *testing.T) {
	res, lines := playAllowed(t)
	s := story{res: res, nets: mustNets(t), lines: lines}
	from := res.Config.ScoredFrom()
	byCohort := map[string][]*Customer{}
	for _, c := range res.World.Customers {
		byCohort[c.Cohort] = append(byCohort[c.Cohort], c)
	}
	// anyCustomer reports whether some customer of the cohort shows it.
	checks := map[string]func(c *Customer, own []lineOut) bool{
		CohortRegular: func(c *Customer, own []lineOut) bool {
			// At home on the fixed line; the phone now and then on its carrier.
			home := prefix(addr(c.People[0].Home.Wide).String(), 16)
			atHome, onCarrier := false, false
			for _, l := range own {
				if ip := l.Event.Context.IP; ip != "" {
					atHome = atHome || prefix(ip, 16) == home
					onCarrier = onCarrier || poolOf(s.nets, ip) == c.People[0].Carrier.Net.Name
				}
			}
			return atHome && onCarrier
		},
		CohortGiftBuyer: func(c *Customer, own []lineOut) bool {
			seen := map[string]bool{c.Email: true}
			for _, l := range ofType(own, mamori.OrderPlaced) {
				if l.Event.Time.Before(from) && l.Event.Properties.Delivery.RecipientEmail != "" {
					seen[l.Event.Properties.Delivery.RecipientEmail] = true
				}
			}
			bySession := map[string][]lineOut{}
			for _, g := range giftCards(own) {
				if !g.Event.Time.Before(from) {
					bySession[g.Event.SessionID] = append(bySession[g.Event.SessionID], g)
				}
			}
			for _, gs := range bySession {
				fresh := 0
				for _, g := range gs {
					if !seen[g.Event.Properties.Delivery.RecipientEmail] {
						fresh++
					}
				}
				if len(gs) >= 3 && fresh >= 2 && gs[len(gs)-1].Event.Time.Sub(gs[0].Event.Time) < time.Hour {
					return true
				}
			}
			return false
		},
		CohortTraveller: func(c *Customer, own []lineOut) bool {
			before := devicesOf(s.where(func(l *lineOut) bool { return l.Event.AccountID == c.ID && l.Event.Time.Before(c.People[0].TripFrom) }))
			for _, l := range own {
				e := l.Event
				if e.Context.IP != "" && !e.Time.Before(c.People[0].TripFrom) && e.Time.Before(c.People[0].TripTo) &&
					s.network(e.Context.IP).Country != "JP" && before[e.Context.DeviceID] {
					return true
				}
			}
			return false
		},
		CohortNewPhone: func(c *Customer, own []lineOut) bool {
			p := c.People[0]
			for _, l := range own {
				if l.Event.Context.DeviceID == p.NewPhone.ID {
					return !l.Event.Time.Before(from) && prefix(l.Event.Context.IP, 16) == prefix(addr(p.Home.Wide).String(), 16)
				}
			}
			return false
		},
		CohortVPN: func(c *Customer, own []lineOut) bool {
			// A device known from before, on a VPN exit or a privacy relay.
			known := map[string]bool{}
			for _, l := range own {
				e := l.Event
				if e.Context.IP != "" && known[e.Context.DeviceID] && !e.Time.Before(from) &&
					slices.Contains(vpnPools, poolOf(s.nets, e.Context.IP)) {
					return true
				}
				known[e.Context.DeviceID] = true
			}
			return false
		},
		CohortFamily: func(c *Customer, own []lineOut) bool {
			if len(c.People) < 2 {
				return false
			}
			home := prefix(addr(c.People[0].Home.Wide).String(), 16)
			people := 0
			for _, p := range c.People {
				for _, l := range own {
					if l.Event.Context.DeviceID == p.Devices[0].ID || len(p.Devices) > 1 && l.Event.Context.DeviceID == p.Devices[1].ID {
						if p.Elsewhere || prefix(l.Event.Context.IP, 16) == home {
							people++
							break
						}
					}
				}
			}
			return people >= 2
		},
		CohortNewcomer: func(c *Customer, own []lineOut) bool {
			created := ofType(own, mamori.AccountCreated)
			return len(created) == 1 && !created[0].Event.Time.Before(from)
		},
	}
	for _, cohort := range Cohorts {
		t.Run(cohort, func(t *testing.T) {
			cs := byCohort[cohort]
			if len(cs) == 0 {
				t.Fatal("no customer of this cohort")
			}
			shown := 0
			for _, c := range cs {
				if checks[cohort](c, s.ownLines(c.ID)) {
					shown++
				}
			}
			if shown == 0 {
				t.Fatalf("none of %d customers shows what the cohort does", len(cs))
			}
			t.Logf("%d of %d customers show it", shown, len(cs))
		})
	}
}

// poolOf names the pool an address was drawn from, "" if none.
func poolOf(nets *Networks, ip string) string {
	a := u32(netip.MustParseAddr(ip))
	for _, p := range Pools {
		n := nets.Pool(p.Name)
		if i, ok := slices.BinarySearch(n.blocks, a&^0xff); ok && i >= 0 {
			return p.Name
		}
	}
	return ""
}

// TestHonestHabits checks the everyday things customers do: typos then a
// sign-in, remembered devices, logouts, hidden orders, settlements a day
// or two later, gift cards redeemed, prices in their ranges.
func TestHonestHabits(t *testing.T) {
	_, lines := playAllowed(t)
	count := map[string]int{}
	placed := map[string]time.Time{}
	var typoThenIn, remembered, settledLate int
	last := map[string]lineOut{}
	for _, l := range lines {
		e := l.Event
		if l.Truth.Source == SourceCustomer {
			count[e.Type]++
			if p := last[e.AccountID]; e.Type == mamori.LoginSucceeded && p.Event.Type == mamori.LoginFailed &&
				p.Event.Properties.Reason == "bad_password" && e.Time.Sub(p.Event.Time) < 2*time.Minute {
				typoThenIn++
			}
			if e.Type == mamori.LoginSucceeded && e.Properties.RememberedDevice {
				remembered++
			}
			if e.Type == mamori.OrderPlaced {
				placed[e.Properties.OrderID] = e.Time
				checkPrice(t, e.Properties)
			}
			last[e.AccountID] = l
		}
		if e.Type == mamori.PaymentSettled {
			count[e.Type]++
			if d := e.Time.Sub(placed[e.Properties.OrderID]); d >= 20*time.Hour && d <= 50*time.Hour && e.Properties.Descriptor != "" {
				settledLate++
			}
		}
		if e.Type == mamori.GiftCardRedeemed && !l.Truth.Fraud {
			count["redeemed"]++
		}
	}
	for what, n := range map[string]int{
		"typo then sign-in": typoThenIn, "remembered device": remembered, "logout": count[mamori.Logout],
		"hidden order": count[mamori.OrderHidden], "settled a day or two later": settledLate,
		"gift card redeemed": count["redeemed"], "device trusted": count[mamori.DeviceTrusted],
	} {
		if n == 0 {
			t.Errorf("no %s", what)
		}
	}
	if settledLate < count[mamori.PaymentSettled]*9/10 {
		t.Errorf("%d of %d settlements a day or two after the order", settledLate, count[mamori.PaymentSettled])
	}
}

// checkPrice checks an order's total against its category's range, a
// little wider for baskets whose items are rounded one by one.
func checkPrice(t *testing.T, p mamori.Properties) {
	t.Helper()
	ranges := map[string][2]int64{
		CatGrocery: {800, 6000}, CatBooks: {600, 4000}, CatFashion: {3000, 20000},
		CatElectronics: {2000, 150000}, CatGiftCards: {1000, 10000},
	}
	r, ok := ranges[p.Items[0].Category]
	if !ok {
		return
	}
	if a := p.AmountValue(); a < r[0]*9/10 || a > r[1]*11/10 {
		t.Errorf("%s order of ¥%d, out of ¥%d–%d", p.Items[0].Category, a, r[0], r[1])
	}
	for _, it := range p.Items {
		if it.GiftCard && *it.UnitPrice%1000 != 0 {
			t.Errorf("gift card of ¥%d, not a round amount", *it.UnitPrice)
		}
	}
}
