// Package risk is mamori's decision core. It is pure: given an account's
// state and an event it returns a decision (Decide), and given the
// decision it changes the state (Apply). Nothing here does I/O or reads
// the clock; every age and window is measured on event time.
package risk

import (
	"time"

	"github.com/mamori-dev/mamori"
)

// Bounds on what one account keeps, so that state stays small however
// long an account lives.
const (
	MaxSessions   = 128
	maxSeen       = 32
	maxOrders     = 64
	maxRecipients = 32
	maxFailures   = 16
	maxChanges    = 16
	maxActions    = 50
)

// State is everything mamori remembers about one account.
type State struct {
	AccountID     string
	Created       time.Time
	Email         string
	EmailChanged  time.Time
	Locked        bool
	ResetRequired bool
	// LastSeq is the log sequence of the last event applied, so that a
	// replay after a snapshot skips what the snapshot already holds.
	LastSeq    uint64
	LastTime   time.Time
	EventCount int64
	Risk       float64

	// SignIns counts verified sign-ins: the history the "seen" lists
	// below were learnt from.
	SignIns   int64
	Devices   []Seen // device ids
	Networks  []Seen // IP prefixes (/24, /48)
	ASNs      []Seen // autonomous systems ("AS4713")
	Countries []Seen
	Browsers  []Seen // browser family and OS ("Chrome/Windows")
	Agents    []Seen // user-agent strings
	Failures  []time.Time
	// Changes are the recent security changes (e-mail, second factor,
	// trusted devices, payment methods, addresses).
	Changes []Change
	// Suspect holds devices of sessions that led to a fraud case.
	Suspect []Seen

	Sessions  []Session // oldest first
	Trusted   []mamori.TrustedDevice
	Recipient []Seen  // e-mail recipients of digital orders
	Orders    []Order // oldest first

	OrderCount int64
	OrderTotal int64
	MaxOrder   int64

	Cases []mamori.Case
	// Actions are the protective actions taken, oldest first.
	Actions []mamori.ActionTaken

	// AcceptLanguage is the latest context.accept_language of the
	// account's events: the language its messages are written in.
	AcceptLanguage string
	// Messages is the customer's message center, oldest first, at most
	// MaxMessages (messages.go).
	Messages []Message
}

// Change is one security change of the account.
type Change struct {
	Time time.Time
	Type string
	// NewDevice: made from a device first seen less than a day before.
	NewDevice bool
}

// Seen counts one value an account has used.
type Seen struct {
	Key   string
	First time.Time
	Last  time.Time
	Count int64
}

// Session is what mamori knows of one session. (The flags are kept
// together so that they pack into one word: an account keeps up to
// MaxSessions of these.)
type Session struct {
	ID        string
	DeviceID  string
	IP        string
	UserAgent string
	Started   time.Time
	LastSeen  time.Time
	// SignInRisk is the score of the sign-in that started the session;
	// NoSignIn marks a session first seen on an event other than a login.
	SignInRisk     float64
	StartRisk      float64 // SignInRisk before a met challenge lowered it
	Declines       int
	ChallengeFails int
	Changes        int // security changes (e-mail, MFA, payment, address) made in it
	// ASN and Browser the session began with, to notice it moving.
	ASN     string
	Browser string
	// NewAddresses and NewMethods were added in the session.
	NewAddresses []string
	NewMethods   []string

	Revoked   bool
	LoggedOut bool
	// Verified is false from a challenge until challenge.succeeded.
	Verified   bool
	NewDevice  bool
	NoSignIn   bool
	SmallOrder bool
	Hosting    bool
	NewLine    bool // signed in from a fixed line the account never used
	NewPayment bool // a payment method or address was added in it
}

// Order status values.
const (
	OrderPlacedStatus    = "placed"
	OrderHeldStatus      = "held"
	OrderDeniedStatus    = "denied"
	OrderVoidedStatus    = "voided"
	OrderCancelledStatus = "cancelled"
	OrderDeclinedStatus  = "declined"
)

// Order is one order of the account. (The flags are kept together so
// that they pack into one word.)
type Order struct {
	ID        string
	Time      time.Time
	SessionID string
	Amount    int64
	Currency  string
	Recipient string
	Status    string
	// Descriptor is the merchant name on the customer's statement.
	Descriptor string
	// Score is the order's risk when it was placed, for judging it again
	// when it is hidden.
	Score float64

	GiftCard bool
	Digital  bool
	Hidden   bool
	Settled  bool
	Redeemed bool
	// FastRedeemed: a gift card spent within minutes of its purchase.
	FastRedeemed bool
	Risky        bool // placed in a session mamori judged suspicious
}

// visitGap is how long a session may sit idle before its next step
// starts a new visit. Stores keep customers signed in for weeks; what a
// session did in an earlier visit (a small order, a declined card, a
// card or address added) says nothing about a gift card days later,
// while a takeover does all of it within minutes.
const visitGap = 30 * time.Minute

// newVisit reports whether a step at t starts a new visit of the session.
func (s *Session) newVisit(t time.Time) bool { return t.Sub(s.LastSeen) > visitGap }

// endVisit forgets what the session did in its visit so far.
func (s *Session) endVisit() {
	s.Declines, s.SmallOrder, s.Changes, s.NewPayment = 0, false, 0, false
	s.NewAddresses, s.NewMethods = nil, nil
}

// visit is the session as a step at t sees it: s itself, or a copy with
// the earlier visit forgotten.
func (s *Session) visit(t time.Time) *Session {
	if s == nil || !s.newVisit(t) {
		return s
	}
	c := *s
	c.endVisit()
	return &c
}

// CaseOrders lists the account's orders placed since t, as a case shows
// them.
func (s *State) CaseOrders(since time.Time) []mamori.CaseOrder {
	var out []mamori.CaseOrder
	for _, o := range s.Orders {
		if o.Time.Before(since) {
			continue
		}
		out = append(out, mamori.CaseOrder{
			OrderID: o.ID, Time: o.Time, Amount: o.Amount, Currency: o.Currency, GiftCard: o.GiftCard,
			Status: o.Status, Hidden: o.Hidden, Settled: o.Settled, Redeemed: o.Redeemed,
			Descriptor: o.Descriptor,
		})
	}
	return out
}

// Known reports whether the account has any history to compare with.
func (s *State) Known() bool { return len(s.Devices) > 0 || len(s.Networks) > 0 }

// Session returns the session with the given id, or nil.
func (s *State) Session(id string) *Session {
	if id == "" {
		return nil
	}
	for i := len(s.Sessions) - 1; i >= 0; i-- {
		if s.Sessions[i].ID == id {
			return &s.Sessions[i]
		}
	}
	return nil
}

// Order returns the order with the given id, or nil.
func (s *State) Order(id string) *Order {
	for i := len(s.Orders) - 1; i >= 0; i-- {
		if s.Orders[i].ID == id {
			return &s.Orders[i]
		}
	}
	return nil
}

// OpenCase returns the account's open case, or nil.
func (s *State) OpenCase() *mamori.Case {
	for i := range s.Cases {
		if s.Cases[i].Status == mamori.CaseOpen || s.Cases[i].Status == mamori.CaseInvestigating {
			return &s.Cases[i]
		}
	}
	return nil
}

func (s *State) trusted(device string) bool {
	for _, t := range s.Trusted {
		if t.DeviceID == device {
			return true
		}
	}
	return false
}

func find(list []Seen, key string) *Seen {
	for i := range list {
		if list[i].Key == key {
			return &list[i]
		}
	}
	return nil
}

// see records one use of key, evicting the least recently used value
// when the list is full.
func see(list []Seen, key string, t time.Time) []Seen {
	if key == "" {
		return list
	}
	if s := find(list, key); s != nil {
		s.Count++
		if t.After(s.Last) {
			s.Last = t
		}
		return list
	}
	if len(list) >= maxSeen {
		oldest := 0
		for i := range list {
			if list[i].Last.Before(list[oldest].Last) {
				oldest = i
			}
		}
		list = append(list[:oldest], list[oldest+1:]...)
	}
	return appendTight(list, Seen{Key: key, First: t, Last: t, Count: 1})
}

// appendTight appends v to list, growing a full list by a quarter
// rather than doubling it as append does: an account keeps its lists for
// as long as it lives, so the spare room of a doubled array would be
// kept for good, a large part of the account's memory.
func appendTight[T any](list []T, v T) []T {
	if len(list) < cap(list) {
		return append(list, v)
	}
	grown := make([]T, len(list), len(list)+1+len(list)/4)
	copy(grown, list)
	return append(grown, v)
}

// Intern passes the strings of the state that many accounts share (user
// agents, network and browser keys, countries, currencies, statement
// descriptors, event types, actions) through intern, which returns an
// equal string, so that states decoded from a snapshot share one copy of
// each as states built from events do (Input.Intern).
func (s *State) Intern(intern func(string) string) {
	for _, list := range [][]Seen{s.ASNs, s.Countries, s.Browsers, s.Agents} {
		for i := range list {
			list[i].Key = intern(list[i].Key)
		}
	}
	for i := range s.Changes {
		s.Changes[i].Type = intern(s.Changes[i].Type)
	}
	for i := range s.Sessions {
		ss := &s.Sessions[i]
		ss.UserAgent, ss.ASN, ss.Browser = intern(ss.UserAgent), intern(ss.ASN), intern(ss.Browser)
	}
	for i := range s.Orders {
		o := &s.Orders[i]
		o.Currency, o.Status, o.Descriptor = intern(o.Currency), intern(o.Status), intern(o.Descriptor)
	}
	for i := range s.Actions {
		s.Actions[i].Action = mamori.Action(intern(string(s.Actions[i].Action)))
	}
}

// View turns the state into the account view of the contract.
func (s *State) View() mamori.Account {
	a := mamori.Account{
		AccountID:             s.AccountID,
		Status:                mamori.StatusActive,
		Risk:                  s.Risk,
		Sessions:              make([]mamori.Session, 0, len(s.Sessions)),
		TrustedDevices:        append([]mamori.TrustedDevice{}, s.Trusted...),
		OpenCaseIDs:           []string{},
		Actions:               make([]mamori.ActionTaken, 0, len(s.Actions)),
		PasswordResetRequired: s.ResetRequired,
		EventCount:            s.EventCount,
		LastEventTime:         s.LastTime,
	}
	if s.Locked {
		a.Status = mamori.StatusLocked
	}
	// Newest decision first; one decision's actions in its own order.
	for end := len(s.Actions); end > 0; {
		start := end - 1
		for start > 0 && s.Actions[start-1].EventID == s.Actions[end-1].EventID {
			start--
		}
		a.Actions = append(a.Actions, s.Actions[start:end]...)
		end = start
	}
	for i := len(s.Sessions) - 1; i >= 0; i-- {
		ss := s.Sessions[i]
		a.Sessions = append(a.Sessions, mamori.Session{
			SessionID: ss.ID, DeviceID: ss.DeviceID, IP: ss.IP,
			Started: ss.Started, LastSeen: ss.LastSeen,
			Revoked: ss.Revoked, Verified: ss.Verified,
		})
	}
	for _, c := range s.Cases {
		if c.Status == mamori.CaseOpen || c.Status == mamori.CaseInvestigating {
			a.OpenCaseIDs = append(a.OpenCaseIDs, c.ID)
		}
		c.EventIDs = append([]string{}, c.EventIDs...)
		c.History = append([]mamori.CaseChange{}, c.History...)
		c.Notes = append([]mamori.CaseNote{}, c.Notes...)
		a.Cases = append(a.Cases, c)
	}
	return a
}
