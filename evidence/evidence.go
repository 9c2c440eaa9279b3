// Package evidence assembles the evidence pack of a fraud case: the
// charges to dispute and where each one stands with the bank, the
// attacker's sessions beside the customer's usual devices and networks,
// and what mamori did and when. A customer, the store or the bank can use
// it to claim the money back.
//
// It is pure: everything comes from a mamori.Case read with its timeline
// and orders, and from the shipped network data. Build makes the pack;
// RenderHTML prints it as a page.
package evidence

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

// Settlement states of a charge, in the order a charge goes through them.
const (
	// Authorised: paid, not settled yet. The store can still void the
	// authorisation, and no claim to the bank is needed.
	Authorised = "authorised"
	// Settled: the bank has settled the charge (payment.settled), but the
	// case is not resolved as fraud.
	Settled = "settled"
	// ClaimReady: settled, and the case is resolved as fraud: the
	// customer or the bank can dispute it with this pack.
	ClaimReady = "claim_ready"
)

// What became of the goods of a charge.
const (
	Delivered = "delivered" // let through: shipped or e-mailed
	Redeemed  = "redeemed"  // a gift card someone has spent
	Voided    = "voided"    // a gift card cancelled before it was spent
	Held      = "held"      // held for review, not fulfilled
	Cancelled = "cancelled" // cancelled by the store or an analyst
	// Released: held, then let through by the store's team, who found it
	// the customer's own; it counts as nothing the attacker got.
	Released = "released"
)

// Attribution is the credit the network data's licence requires on every
// page that shows organisation names, ASNs or countries from it (see
// enrich/data/LICENSE-DATA.md).
const Attribution = `<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>`

// Evidence is the evidence pack of one case.
type Evidence struct {
	CaseID    string `json:"case_id"`
	AccountID string `json:"account_id"`
	Status    string `json:"status"`
	// Final is true once the case is resolved as fraud. Before that the
	// pack is a draft, useful to analysts but not to be sent to a bank.
	Final  bool      `json:"final"`
	Opened time.Time `json:"opened"`
	// ResolvedAt and ResolvedBy come from the case's history: the last
	// change to resolved_fraud.
	ResolvedAt time.Time           `json:"resolved_at,omitzero"`
	ResolvedBy string              `json:"resolved_by,omitempty"`
	History    []mamori.CaseChange `json:"history"`
	// Incident spans the attacker's sessions.
	Incident Window `json:"incident"`
	// Summary tells the story in a few plain English sentences.
	Summary string `json:"summary"`
	// Charges are the orders paid in the incident, oldest first.
	Charges []Charge `json:"charges"`
	// Totals sums the charges per currency.
	Totals []Total `json:"totals"`
	// AttackerSessions are the sessions of the incident, oldest first.
	AttackerSessions []Session `json:"attacker_sessions"`
	// UsualDevices are the devices the customer signed in from before the
	// incident, most used first.
	UsualDevices []UsualDevice `json:"usual_devices"`
	// Actions are the steps mamori took: every decision that was not a
	// plain allow, or that carried actions.
	Actions []Step `json:"actions"`
	// NetworkData names the network data used; Attribution is the link
	// its licence requires wherever the networks are shown on the web.
	NetworkData string `json:"network_data,omitempty"`
	Attribution string `json:"attribution"`
}

// Window is a span of time.
type Window struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Charge is one order paid during the incident and where it stands.
type Charge struct {
	OrderID  string    `json:"order_id"`
	Time     time.Time `json:"time"`
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
	// Items names the order's items; Delivery is ship or email.
	Items          []string `json:"items,omitempty"`
	Delivery       string   `json:"delivery,omitempty"`
	RecipientEmail string   `json:"recipient_email,omitempty"`
	GiftCard       bool     `json:"gift_card"`
	// Hidden: the attacker hid the order from the order history.
	Hidden    bool   `json:"hidden"`
	SessionID string `json:"session_id,omitempty"`
	// Fulfilment is delivered, redeemed, voided, held or cancelled.
	Fulfilment string `json:"fulfilment"`
	// Settlement is authorised, settled or claim_ready.
	Settlement string    `json:"settlement"`
	SettledAt  time.Time `json:"settled_at,omitzero"`
	// Descriptor is the merchant name on the customer's statement.
	Descriptor string `json:"descriptor,omitempty"`
	// RefundableBeforeSettlement: not settled yet, so the store can void
	// the authorisation itself.
	RefundableBeforeSettlement bool      `json:"refundable_before_settlement"`
	RedeemedAt                 time.Time `json:"redeemed_at,omitzero"`
	RedeemerAccountID          string    `json:"redeemer_account_id,omitempty"`
}

// Total sums the charges of one currency, in its minor unit.
type Total struct {
	Currency string `json:"currency"`
	Charged  int64  `json:"charged"`
	// Delivered is what reached the attacker: delivered or redeemed.
	Delivered  int64 `json:"delivered"`
	Settled    int64 `json:"settled"`
	ClaimReady int64 `json:"claim_ready"`
	// Unsettled is what the store can still void without a claim.
	Unsettled int64 `json:"unsettled"`
}

// Network is what the network data says about an address.
type Network struct {
	ASN     uint32 `json:"asn,omitempty"`
	Org     string `json:"org,omitempty"`
	Country string `json:"country,omitempty"`
	// Type is hosting, mobile, isp or unknown.
	Type string `json:"type,omitempty"`
}

// Agent is a browser and OS in plain words.
type Agent struct {
	Browser string `json:"browser,omitempty"`
	OS      string `json:"os,omitempty"`
	// Device is desktop, mobile, tablet, bot or unknown.
	Device string `json:"device,omitempty"`
	// Platform is what the customer would call the machine: iPhone or
	// iPad for iOS, else the OS.
	Platform string `json:"platform,omitempty"`
	// Words says it all at once: "Chrome on Linux", "Safari on iPhone".
	Words string `json:"words,omitempty"`
}

// Session is one of the attacker's sessions.
type Session struct {
	SessionID string    `json:"session_id"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	IP        string    `json:"ip,omitempty"`
	// OtherIPs lists further addresses the session moved to.
	OtherIPs []string `json:"other_ips,omitempty"`
	Network  Network  `json:"network"`
	DeviceID string   `json:"device_id,omitempty"`
	Agent    Agent    `json:"agent"`
	Events   int      `json:"events"`
	// Decision is the strongest decision mamori gave in the session.
	Decision mamori.Outcome `json:"decision"`
	OrderIDs []string       `json:"order_ids,omitempty"`
}

// UsualDevice is a device the customer used before the incident, with
// the networks it signed in from.
type UsualDevice struct {
	DeviceID string         `json:"device_id,omitempty"`
	Agent    Agent          `json:"agent"`
	Sessions int            `json:"sessions"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	Networks []UsualNetwork `json:"networks"`
}

// UsualNetwork is a network a usual device signed in from, and how often.
type UsualNetwork struct {
	Network
	Sessions int `json:"sessions"`
}

// Step is one decision of mamori's in the incident: what it decided, why,
// and the protective actions it asked the store to take at once.
type Step struct {
	Time      time.Time       `json:"time"`
	EventID   string          `json:"event_id"`
	EventType string          `json:"event_type"`
	SessionID string          `json:"session_id,omitempty"`
	OrderID   string          `json:"order_id,omitempty"`
	Decision  mamori.Outcome  `json:"decision"`
	Score     float64         `json:"score"`
	Reasons   []string        `json:"reasons"`
	Actions   []mamori.Action `json:"actions"`
}

// Build assembles the evidence pack of c, which must have been read with
// its timeline and orders (mamori.CaseService.Case). nets may be nil: the
// networks are then left out.
func Build(c mamori.Case, nets *enrich.Networks) Evidence {
	timeline := slices.Clone(c.Timeline)
	slices.SortStableFunc(timeline, func(a, b mamori.TimelineEntry) int { return a.Event.Time.Compare(b.Event.Time) })

	e := Evidence{
		CaseID: c.ID, AccountID: c.AccountID, Status: c.Status,
		Final: c.Status == mamori.CaseResolvedFraud, Opened: c.Opened,
		History:     c.History,
		Attribution: Attribution,
	}
	if e.History == nil {
		e.History = []mamori.CaseChange{}
	}
	if nets != nil {
		e.NetworkData = nets.Source()
	}
	for _, h := range c.History {
		if h.Status == mamori.CaseResolvedFraud {
			e.ResolvedAt, e.ResolvedBy = h.At, h.By
		}
	}

	sessions := gatherSessions(timeline)
	attacker, start := findIncident(c, timeline, sessions)
	e.Incident.From = start
	e.AttackerSessions = []Session{}
	for _, s := range sessions {
		if attacker[s.id] {
			e.AttackerSessions = append(e.AttackerSessions, s.session(nets))
			e.Incident.To = maxTime(e.Incident.To, s.last)
		}
	}
	e.UsualDevices = usualDevices(sessions, attacker, start, nets)
	e.Charges = charges(c, timeline, attacker, start)
	e.Totals = totals(e.Charges)
	e.Actions = steps(timeline, start)
	e.Summary = Summary(e, "en")
	return e
}

// sessionTrail is what the timeline shows of one session.
type sessionTrail struct {
	id          string
	first, last time.Time
	ips         []string
	deviceID    string
	userAgent   string
	events      int
	inCase      bool
	flagged     bool // a decision other than allow
	strongest   mamori.Outcome
	orders      []string
}

// gatherSessions follows the timeline's sessions, in order of first event.
func gatherSessions(timeline []mamori.TimelineEntry) []*sessionTrail {
	var list []*sessionTrail
	byID := map[string]*sessionTrail{}
	for _, t := range timeline {
		ev := &t.Event
		if ev.SessionID == "" {
			continue
		}
		s := byID[ev.SessionID]
		if s == nil {
			s = &sessionTrail{id: ev.SessionID, first: ev.Time, strongest: mamori.Allow}
			byID[ev.SessionID] = s
			list = append(list, s)
		}
		s.last = maxTime(s.last, ev.Time)
		s.events++
		if ip := ev.Context.IP; ip != "" && !slices.Contains(s.ips, ip) {
			s.ips = append(s.ips, ip)
		}
		if s.deviceID == "" {
			s.deviceID = ev.Context.DeviceID
		}
		if s.userAgent == "" {
			s.userAgent = ev.Context.UserAgent
		}
		s.inCase = s.inCase || t.InCase
		if d := t.Decision; d != nil && d.Decision != mamori.Allow && d.Decision != "" {
			s.flagged = true
			if strength(d.Decision) > strength(s.strongest) {
				s.strongest = d.Decision
			}
		}
		if ev.Type == mamori.OrderPlaced && ev.Properties.OrderID != "" {
			s.orders = append(s.orders, ev.Properties.OrderID)
		}
	}
	return list
}

// findIncident tells the attacker's sessions and when the incident began.
// A session is the attacker's if one of its events joined the case, or if
// mamori did not simply allow one of its events and the session either
// used a device of the case's sessions or began once the incident had.
// The incident begins with the first event of the case's sessions (or the
// first event that joined the case, or the case's opening).
func findIncident(c mamori.Case, timeline []mamori.TimelineEntry, sessions []*sessionTrail) (map[string]bool, time.Time) {
	start := c.Opened
	for _, t := range timeline {
		if t.InCase && (start.IsZero() || t.Event.Time.Before(start)) {
			start = t.Event.Time
		}
	}
	attacker := map[string]bool{}
	devices := map[string]bool{}
	for _, s := range sessions {
		if s.inCase {
			attacker[s.id] = true
			if s.deviceID != "" {
				devices[s.deviceID] = true
			}
			if s.first.Before(start) {
				start = s.first
			}
		}
	}
	for _, s := range sessions {
		if s.flagged && !attacker[s.id] && (devices[s.deviceID] || !s.first.Before(start)) {
			attacker[s.id] = true
		}
	}
	return attacker, start
}

func (s *sessionTrail) session(nets *enrich.Networks) Session {
	out := Session{
		SessionID: s.id, First: s.first, Last: s.last, DeviceID: s.deviceID,
		Agent: agentOf(s.userAgent), Events: s.events, Decision: s.strongest, OrderIDs: s.orders,
	}
	if len(s.ips) > 0 {
		out.IP = s.ips[0]
		out.OtherIPs = s.ips[1:]
		out.Network = lookup(nets, s.ips[0])
	}
	if len(out.OtherIPs) == 0 {
		out.OtherIPs = nil
	}
	return out
}

// usualDevices sums up the customer's sessions before the incident by
// device, and each device's sessions by network.
func usualDevices(sessions []*sessionTrail, attacker map[string]bool, start time.Time, nets *enrich.Networks) []UsualDevice {
	var out []UsualDevice
	index := map[string]int{}
	for _, s := range sessions {
		if attacker[s.id] || !s.last.Before(start) {
			continue
		}
		key := s.deviceID
		if key == "" {
			key = "ua:" + s.userAgent
		}
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, UsualDevice{DeviceID: s.deviceID, Agent: agentOf(s.userAgent), First: s.first, Networks: []UsualNetwork{}})
		}
		d := &out[i]
		d.Sessions++
		d.Last = maxTime(d.Last, s.last)
		var n Network
		if len(s.ips) > 0 {
			n = lookup(nets, s.ips[0])
		}
		if j := slices.IndexFunc(d.Networks, func(u UsualNetwork) bool { return u.Network == n }); j >= 0 {
			d.Networks[j].Sessions++
		} else {
			d.Networks = append(d.Networks, UsualNetwork{Network: n, Sessions: 1})
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].Networks, func(a, b UsualNetwork) int { return b.Sessions - a.Sessions })
	}
	slices.SortStableFunc(out, func(a, b UsualDevice) int { return b.Sessions - a.Sessions })
	if out == nil {
		out = []UsualDevice{}
	}
	return out
}

// charges lists the orders of the incident that were paid: those placed
// in the attacker's sessions, or outside any session once the incident
// began. Orders refused by mamori or declined by the bank cost nothing.
func charges(c mamori.Case, timeline []mamori.TimelineEntry, attacker map[string]bool, start time.Time) []Charge {
	placed := map[string]*mamori.Event{}
	settled := map[string]*mamori.Event{}
	redeemed := map[string]*mamori.Event{}
	released := map[string]bool{}
	for i := range timeline {
		ev := &timeline[i].Event
		switch ev.Type {
		case mamori.OrderReleased:
			released[ev.Properties.OrderID] = true
		case mamori.OrderPlaced:
			placed[ev.Properties.OrderID] = ev
		case mamori.PaymentSettled:
			settled[ev.Properties.OrderID] = ev
		case mamori.GiftCardRedeemed:
			redeemed[ev.Properties.OrderID] = ev
		}
	}
	orders := slices.Clone(c.Orders)
	slices.SortStableFunc(orders, func(a, b mamori.CaseOrder) int { return a.Time.Compare(b.Time) })
	out := []Charge{}
	for _, o := range orders {
		if o.Status == "denied" || o.Status == "declined" {
			continue
		}
		ev := placed[o.OrderID]
		switch {
		case ev != nil && ev.SessionID != "":
			if !attacker[ev.SessionID] {
				continue
			}
		case o.Time.Before(start):
			continue
		}
		ch := Charge{
			OrderID: o.OrderID, Time: o.Time, Amount: o.Amount, Currency: o.Currency,
			GiftCard: o.GiftCard, Hidden: o.Hidden, Descriptor: o.Descriptor,
			Fulfilment: fulfilment(o, released[o.OrderID]),
		}
		if ev != nil {
			ch.SessionID = ev.SessionID
			for _, it := range ev.Properties.Items {
				ch.Items = append(ch.Items, it.Name)
			}
			if d := ev.Properties.Delivery; d != nil {
				ch.Delivery, ch.RecipientEmail = d.Type, d.RecipientEmail
			}
		}
		isSettled := o.Settled
		if s := settled[o.OrderID]; s != nil {
			isSettled = true
			ch.SettledAt = s.Time
			if ch.Descriptor == "" {
				ch.Descriptor = s.Properties.Descriptor
			}
		}
		if r := redeemed[o.OrderID]; r != nil {
			ch.RedeemedAt, ch.RedeemerAccountID = r.Time, r.Properties.RedeemerAccount
		}
		switch {
		case isSettled && c.Status == mamori.CaseResolvedFraud:
			ch.Settlement = ClaimReady
		case isSettled:
			ch.Settlement = Settled
		default:
			ch.Settlement = Authorised
			ch.RefundableBeforeSettlement = true
		}
		out = append(out, ch)
	}
	return out
}

func fulfilment(o mamori.CaseOrder, released bool) string {
	switch {
	case o.Redeemed:
		return Redeemed
	case released && o.Status == "placed":
		return Released
	case o.Status == "held":
		return Held
	case o.Status == "voided":
		return Voided
	case o.Status == "cancelled":
		return Cancelled
	}
	return Delivered
}

func totals(charges []Charge) []Total {
	out := []Total{}
	for _, ch := range charges {
		i := slices.IndexFunc(out, func(t Total) bool { return t.Currency == ch.Currency })
		if i < 0 {
			i = len(out)
			out = append(out, Total{Currency: ch.Currency})
		}
		t := &out[i]
		t.Charged += ch.Amount
		if ch.Fulfilment == Delivered || ch.Fulfilment == Redeemed {
			t.Delivered += ch.Amount
		}
		switch ch.Settlement {
		case ClaimReady:
			t.ClaimReady += ch.Amount
			t.Settled += ch.Amount
		case Settled:
			t.Settled += ch.Amount
		default:
			t.Unsettled += ch.Amount
		}
	}
	return out
}

// steps lists mamori's decisions from the incident on that did more than
// allow.
func steps(timeline []mamori.TimelineEntry, start time.Time) []Step {
	out := []Step{}
	for _, t := range timeline {
		d := t.Decision
		if d == nil || t.Event.Time.Before(start) || (d.Decision == mamori.Allow && len(d.Actions) == 0) {
			continue
		}
		st := Step{
			Time: t.Event.Time, EventID: t.Event.ID, EventType: t.Event.Type,
			SessionID: t.Event.SessionID, OrderID: t.Event.Properties.OrderID,
			Decision: d.Decision, Score: d.Score, Reasons: []string{}, Actions: d.Actions,
		}
		for _, r := range d.Reasons {
			st.Reasons = append(st.Reasons, r.Code)
		}
		if st.Actions == nil {
			st.Actions = []mamori.Action{}
		}
		out = append(out, st)
	}
	return out
}

func lookup(nets *enrich.Networks, ip string) Network {
	addr, err := netip.ParseAddr(ip)
	if nets == nil || err != nil {
		return Network{}
	}
	n := nets.Lookup(addr)
	return Network{ASN: n.ASN, Org: n.Org, Country: n.Country, Type: string(n.Type)}
}

func agentOf(ua string) Agent {
	if ua == "" {
		return Agent{}
	}
	a := enrich.ParseUserAgent(ua)
	out := Agent{Browser: a.Browser, OS: a.OS, Device: string(a.Device), Platform: a.OS}
	if a.OS == "iOS" {
		switch a.Device {
		case enrich.DeviceMobile:
			out.Platform = "iPhone"
		case enrich.DeviceTablet:
			out.Platform = "iPad"
		}
	}
	switch {
	case out.Browser != "" && out.Platform != "":
		out.Words = out.Browser + " on " + out.Platform
	case a.Device == enrich.DeviceBot:
		out.Words = "a script or automated browser"
	default:
		out.Words = cmp.Or(out.Browser, out.Platform, "an unknown browser")
	}
	return out
}

// strength orders decisions from mildest to strongest.
func strength(o mamori.Outcome) int {
	return slices.Index([]mamori.Outcome{mamori.Allow, mamori.Challenge, mamori.Review, mamori.Deny}, o)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
