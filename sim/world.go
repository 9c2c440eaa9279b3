package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Config says which world to build and how long to play it. The zero
// value of a field takes its default.
type Config struct {
	Seed        uint64
	Accounts    int // customer accounts (3000)
	HistoryDays int // days of honest history, recorded without decisions (60; negative: none)
	Days        int // days played with a decision at every step (30)
	// Start is when the history begins (2026-10-01 00:00 JST): with the
	// defaults the scored days are December's, gift-card season.
	Start time.Time
	// Prefix goes in front of every account, session, order and event id,
	// so that several worlds can play against one server.
	Prefix string
	// AttackRate scales how many victims each attack scenario takes
	// (1: about 2% of accounts in all).
	AttackRate float64
}

// Defaults.
const (
	DefaultAccounts    = 3000
	DefaultHistoryDays = 60
	DefaultDays        = 30
)

// DefaultStart is when a world's history begins by default.
var DefaultStart = time.Date(2026, 10, 1, 0, 0, 0, 0, jst)

func (c Config) withDefaults() Config {
	if c.Accounts <= 0 {
		c.Accounts = DefaultAccounts
	}
	if c.HistoryDays == 0 {
		c.HistoryDays = DefaultHistoryDays
	}
	if c.Days <= 0 {
		c.Days = DefaultDays
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.AttackRate <= 0 {
		c.AttackRate = 1
	}
	return c
}

// ScoredFrom is when the scored days begin.
func (c Config) ScoredFrom() time.Time {
	c = c.withDefaults()
	return c.Start.AddDate(0, 0, max(c.HistoryDays, 0))
}

// End is when the play ends.
func (c Config) End() time.Time {
	c = c.withDefaults()
	return c.Start.AddDate(0, 0, max(c.HistoryDays, 0)+c.Days)
}

// Legit cohorts: the kinds of customer the world holds. Most are regular;
// the others do, honestly, what attackers do too.
const (
	CohortRegular   = "regular"
	CohortGiftBuyer = "holiday_gift_buyer" // several gift cards to new recipients in a burst
	CohortTraveller = "traveller"          // a trip abroad: known devices on a foreign network
	CohortNewPhone  = "new_phone"          // a new phone, sometimes with a new carrier
	CohortVPN       = "vpn_user"           // known devices on hosting or VPN networks
	CohortFamily    = "family"             // two or three people share the account
	CohortNewcomer  = "newcomer"           // the account is opened during the scored days
)

// Cohorts lists the cohorts in report order.
var Cohorts = []string{CohortRegular, CohortGiftBuyer, CohortTraveller, CohortNewPhone, CohortVPN, CohortFamily, CohortNewcomer}

// cohortShare is each cohort's share of accounts; regular takes the rest.
var cohortShare = []struct {
	cohort string
	share  float64
}{
	{CohortGiftBuyer, 0.08}, {CohortTraveller, 0.04}, {CohortNewPhone, 0.05},
	{CohortVPN, 0.05}, {CohortFamily, 0.07}, {CohortNewcomer, 0.03},
}

// World is everything the simulator knows before play: the customers with
// their devices, lines and cards, and the attacks planned on them.
type World struct {
	Config    Config
	Customers []*Customer
	Attacks   []*Attack
	nets      *Networks
}

// Customer is one account and the people who use it.
type Customer struct {
	ID       string
	Email    string
	Cohort   string
	Created  time.Time
	TOTP     bool // uses a one-time code and trusts some devices
	People   []*Person
	Cards    []*Card
	Home     Address
	Other    []Address // more of the customer's own addresses
	Friends  []string  // e-mail addresses the customer has sent gifts to
	Hides    bool      // hides some orders from the history (gifts, privacy)
	Reused   bool      // the password is one leaked from another site
	Category []float64 // weights over categories
	seed     uint64
}

// Person is someone who signs in to an account.
type Person struct {
	Name      string
	Devices   []*Device
	Home      *Line // the fixed line at home
	Carrier   *Line // the phone's mobile carrier
	Rate      float64
	Hours     []int // hours of the day the person shops, JST
	Logout    float64
	Elsewhere bool // lives in another city (a family member)

	// Cohort plans, in play time.
	TripFrom, TripTo time.Time
	TripPool         string
	TripRoaming      float64 // share of phone visits on roaming (the home carrier's addresses)
	PhoneSwitch      time.Time
	NewPhone         *Device
	NewCarrier       *Line
	VPNPool          string
	VPNShare         float64
	VPNFrom          time.Time
	GiftBursts       []time.Time
}

// Device is one browser or app install.
type Device struct {
	ID        string
	UserAgent string // fixed user agent (attackers, the seed story); "" follows Browser
	Language  string
	Browser   *Browser
	Lag       time.Duration // how long its updates lag behind releases
	Weight    float64       // how often its person uses it
}

// Agent is the device's user-agent string at t.
func (d *Device) Agent(t time.Time) string {
	if d.UserAgent != "" || d.Browser == nil {
		return d.UserAgent
	}
	return d.Browser.UserAgent(t, d.Lag)
}

// Kind is desktop, phone or tablet.
func (d *Device) Kind() string {
	if d.Browser == nil {
		return KindDesktop
	}
	return d.Browser.Kind
}

// Card is a saved payment method with the money behind it.
type Card struct {
	MethodID string
	Type     string // debit, credit
	Last4    string
	Limit    int64 // credit limit, or the debit account's monthly balance
}

// Address is a delivery address.
type Address struct {
	ID         string
	Country    string
	PostalCode string
}

// NewWorld builds the world of cfg: the same Config gives the same world.
func NewWorld(cfg Config) (*World, error) {
	cfg = cfg.withDefaults()
	nets, err := loadNetworks()
	if err != nil {
		return nil, err
	}
	w := &World{Config: cfg, nets: nets}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6d616d6f7269)) // "mamori"
	ids := uniqueIDs(r, cfg.Accounts+200)
	for i := range cfg.Accounts {
		w.Customers = append(w.Customers, w.newCustomer(r, ids[i]))
	}
	w.planAttacks(r, ids[cfg.Accounts:])
	return w, nil
}

func uniqueIDs(r *rand.Rand, n int) []string {
	seen := make(map[int]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		k := 100000 + r.IntN(900000)
		if !seen[k] {
			seen[k] = true
			out = append(out, fmt.Sprintf("cust-%d", k))
		}
	}
	return out
}

func (w *World) newCustomer(r *rand.Rand, id string) *Customer {
	cfg := w.Config
	c := &Customer{ID: cfg.Prefix + id, seed: r.Uint64(), Cohort: CohortRegular}
	x := r.Float64()
	for _, cs := range cohortShare {
		if x < cs.share {
			c.Cohort = cs.cohort
			break
		}
		x -= cs.share
	}
	family, given := pick(r, familyNames), pick(r, givenNames)
	c.Email = emailFor(r, given, family)
	// Most accounts are older than the history and appear in its first
	// days; some open during it; newcomers open during the scored days.
	switch {
	case c.Cohort == CohortNewcomer:
		c.Created = between(r, cfg.ScoredFrom(), cfg.End().Add(-5*24*time.Hour))
	case r.Float64() < 0.9:
		c.Created = cfg.Start.Add(time.Duration(r.Float64() * 3 * float64(24*time.Hour)))
	default:
		c.Created = between(r, cfg.Start, cfg.ScoredFrom())
	}
	c.TOTP = r.Float64() < 0.3
	c.Hides = r.Float64() < 0.05
	c.Reused = r.Float64() < 0.25
	c.Home = Address{ID: "addr-home", Country: "JP", PostalCode: postalCode(r)}
	if r.Float64() < 0.25 {
		c.Other = append(c.Other, Address{ID: "addr-2", Country: "JP", PostalCode: postalCode(r)})
	}
	c.Cards = append(c.Cards, newCard(r, "pm-1"))
	if r.Float64() < 0.35 {
		c.Cards = append(c.Cards, newCard(r, "pm-2"))
	}
	for n := r.IntN(4); n > 0; n-- {
		c.Friends = append(c.Friends, emailFor(r, pick(r, givenNames), pick(r, familyNames)))
	}
	c.Category = categoryWeights(r)

	people := 1
	if c.Cohort == CohortFamily {
		people = 2 + r.IntN(2)
	}
	home := w.nets.Pool(pick(r, homePools)).NewLine(r)
	for p := range people {
		name := given
		if p > 0 {
			name = pick(r, givenNames)
		}
		person := w.newPerson(r, c, name, home, p > 0 && r.Float64() < 0.35)
		c.People = append(c.People, person)
		if person.Elsewhere {
			c.Other = append(c.Other, Address{ID: fmt.Sprintf("addr-%d", len(c.Other)+2), Country: "JP", PostalCode: postalCode(r)})
		}
	}
	w.planCohort(r, c)
	return c
}

func (w *World) newPerson(r *rand.Rand, c *Customer, name string, home *Line, elsewhere bool) *Person {
	p := &Person{Name: name, Home: home, Elsewhere: elsewhere}
	if elsewhere {
		p.Home = w.nets.Pool(pick(r, homePools)).NewLine(r)
	}
	p.Carrier = w.nets.Pool(pick(r, carrierPools)).NewLine(r)
	// Visits a day: a long tail of keen shoppers over many occasional ones.
	p.Rate = math.Min(1.5, 0.06+r.ExpFloat64()*0.22)
	if len(c.People) > 0 {
		p.Rate *= 0.6
	}
	p.Hours = shoppingHours(r)
	lang := pick(r, customerLanguages)
	iphone := r.Float64() < 0.65 // the iPhone's share in Japan
	phone := &Device{ID: deviceID(r), Language: lang, Lag: lag(r), Weight: 2 + r.Float64()*3}
	if iphone {
		phone.Browser = &Browsers[pick(r, iPhoneBrowsers)]
	} else {
		phone.Browser = &Browsers[pick(r, androidBrowsers)]
	}
	p.Devices = append(p.Devices, phone)
	if r.Float64() < 0.7 {
		d := &Device{ID: deviceID(r), Language: lang, Lag: lag(r), Weight: 1 + r.Float64()*3}
		d.Browser = &Browsers[pick(r, desktopBrowsers)]
		p.Devices = append(p.Devices, d)
	}
	if r.Float64() < 0.15 {
		d := &Device{ID: deviceID(r), Language: lang, Lag: lag(r), Weight: 0.5 + r.Float64()}
		d.Browser = &Browsers[pick(r, tabletBrowsers)]
		p.Devices = append(p.Devices, d)
	}
	p.Logout = 0.02 + r.Float64()*0.12 // most stay signed in for weeks
	return p
}

// planCohort fixes when the cohort's special behaviour happens.
func (w *World) planCohort(r *rand.Rand, c *Customer) {
	cfg := w.Config
	from, end := cfg.ScoredFrom(), cfg.End()
	p := c.People[0]
	switch c.Cohort {
	case CohortGiftBuyer:
		// December bursts: one or two shopping sessions of gift cards.
		lo, hi := maxTime(from, date(end.Year(), 12, 1)), minTime(end, date(end.Year(), 12, 25))
		if !lo.Before(hi) {
			lo, hi = from, end
		}
		for n := 1 + r.IntN(2); n > 0; n-- {
			p.GiftBursts = append(p.GiftBursts, between(r, lo, hi))
		}
		slices.SortFunc(p.GiftBursts, func(a, b time.Time) int { return a.Compare(b) })
	case CohortTraveller:
		p.TripFrom = between(r, from, end.Add(-3*24*time.Hour))
		p.TripTo = p.TripFrom.Add(time.Duration(5+r.IntN(10)) * 24 * time.Hour)
		p.TripPool = pick(r, abroadPools)
		p.TripRoaming = r.Float64() * 0.6
	case CohortNewPhone:
		p.PhoneSwitch = between(r, from, end.Add(-2*24*time.Hour))
		old := p.Devices[0]
		d := &Device{ID: deviceID(r), Language: old.Language, Lag: lag(r), Weight: old.Weight}
		switch x := r.Float64(); {
		case x < 0.65:
			d.Browser = old.Browser // the same kind of phone, a newer one
		case x < 0.85:
			d.Browser = &Browsers[pick(r, iPhoneBrowsers)]
		default:
			d.Browser = &Browsers[pick(r, androidBrowsers)]
		}
		p.NewPhone = d
		if r.Float64() < 0.3 {
			p.NewCarrier = w.nets.Pool(pick(r, carrierPools)).NewLine(r)
		}
	case CohortVPN:
		p.VPNPool = pick(r, vpnPools)
		p.VPNShare = 0.5 + r.Float64()*0.45
		if r.Float64() < 0.3 {
			p.VPNFrom = between(r, from, end) // started using a VPN lately
		} else {
			p.VPNFrom = cfg.Start
		}
	}
}

func newCard(r *rand.Rand, id string) *Card {
	c := &Card{MethodID: id, Last4: fmt.Sprintf("%04d", r.IntN(10000))}
	if r.Float64() < 0.7 {
		c.Type = "credit"
		c.Limit = int64(100+r.IntN(8)*50) * 1000
	} else {
		c.Type = "debit"
		c.Limit = int64(30+r.IntN(20)*10) * 1000
	}
	return c
}

func categoryWeights(r *rand.Rand) []float64 {
	ws := make([]float64, len(categories))
	for i, c := range categories {
		ws[i] = c.weight * (0.3 + r.Float64()*1.4)
	}
	return ws
}

func shoppingHours(r *rand.Rand) []int {
	// Evenings, lunch breaks and late nights, in proportions of one's own.
	base := []int{7, 8, 12, 12, 13, 18, 19, 20, 20, 21, 21, 21, 22, 22, 23, 23, 0}
	out := make([]int, 0, 6)
	for range 6 {
		out = append(out, pick(r, base))
	}
	if r.Float64() < 0.2 {
		out = append(out, 10, 14, 15, 16) // at home in the daytime
	}
	return out
}

func lag(r *rand.Rand) time.Duration {
	return time.Duration(r.IntN(21*24)) * time.Hour
}

func between(r *rand.Rand, a, b time.Time) time.Time {
	if !a.Before(b) {
		return a
	}
	return a.Add(time.Duration(r.Int64N(int64(b.Sub(a)))))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func postalCode(r *rand.Rand) string {
	return fmt.Sprintf("%03d-%04d", 100+r.IntN(800), r.IntN(10000))
}

func emailFor(r *rand.Rand, given, family string) string {
	var local string
	switch r.IntN(4) {
	case 0:
		local = fmt.Sprintf("%s.%s", given, family)
	case 1:
		local = fmt.Sprintf("%s%s%02d", given[:1], family, r.IntN(100))
	case 2:
		local = fmt.Sprintf("%s_%s%d", family, given, 1960+r.IntN(45))
	default:
		local = fmt.Sprintf("%s.%s.%d", given, family, r.IntN(1000))
	}
	return local + "@" + pick(r, mailDomains)
}

var (
	givenNames = []string{"hana", "yui", "aoi", "sakura", "mei", "rin", "yuna", "miyu", "emi", "haruka",
		"kenji", "takeshi", "hiroshi", "daiki", "sota", "haruto", "ren", "yuto", "kaito", "shota", "akira", "naoko", "keiko", "yuki"}
	familyNames = []string{"sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito", "yamamoto", "nakamura", "kobayashi",
		"kato", "yoshida", "yamada", "sasaki", "yamaguchi", "matsumoto", "inoue", "kimura", "hayashi", "shimizu", "mori"}
	mailDomains = []string{"gmail.com", "gmail.com", "gmail.com", "yahoo.co.jp", "yahoo.co.jp", "icloud.com",
		"docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp", "outlook.jp", "hotmail.co.jp", "nifty.com"}
)
