package risk

import (
	"slices"
	"strconv"
	"time"

	"github.com/mamori-dev/mamori"
)

// The customer's message center. A message is written when a decision
// carries notify_customer, and when an incident's outcome matters to the
// customer: a case resolved, a held order released or cancelled by the
// store's team. The state keeps the facts as they were when the message
// was written (what, when, from where, which orders, what was done); the
// words are chosen when the message is read (package notice), in the
// customer's language at that time.

// MaxMessages bounds the messages an account keeps; older ones drop off.
const MaxMessages = 50

// Message kinds. The first ones follow the playbook's situations.
const (
	MessageRiskyOrder    = "risky_order"    // an order went to review in a suspicious session
	MessageStolenSession = "stolen_session" // a session was used from another device or browser
	MessageFraudReported = "fraud_reported" // the customer, the bank or support reported fraud
	MessageLockdown      = "lockdown"       // the store locked the account down
	// MessageProtected: any other decision a playbook made notify the
	// customer.
	MessageProtected = "protective_action"

	MessageCaseFraud      = "case_resolved_fraud" // the case was closed: not the customer
	MessageCaseLegit      = "case_resolved_legit" // the case was closed: it was the customer
	MessageOrderReleased  = "order_released"      // the store's team let a held order through
	MessageOrderCancelled = "order_cancelled"     // the store's team cancelled a held order
)

// Message is one message of the account's message center: the facts it
// tells, captured when it was written.
type Message struct {
	// ID is "m-" and the log sequence of the event that wrote it, so that
	// a replay of the log names it again.
	ID   string
	Kind string
	// Time is the event's time: when it happened.
	Time time.Time

	// Where and on what it happened: the event's address, its network
	// and the browser; empty when the event came without them (a
	// lockdown, a report).
	IP          string
	NetworkOrg  string
	Country     string // ISO 3166-1 alpha-2
	NetworkType string // enrich.NetworkType: hosting, mobile, isp, unknown
	Browser     string
	OS          string
	Device      string // enrich.DeviceClass

	// Orders are the orders the message is about, as they stood then.
	Orders []MessageOrder
	// Actions are the protective actions taken (notify_customer left out).
	Actions []mamori.Action
	CaseID  string
	// ReportedBy is who reported fraud (customer, bank, support).
	ReportedBy string
	// Locked: the account was locked when the message was written.
	Locked bool

	Read bool
}

// MessageOrder is one order a message tells about.
type MessageOrder struct {
	ID       string
	Amount   int64
	Currency string
	GiftCard bool
	// Status is the order's status then: held, voided, denied, cancelled,
	// placed (released or never held), declined.
	Status string
}

// MessageID names the message written by the event at log sequence seq.
func MessageID(seq uint64) string { return "m-" + strconv.FormatUint(seq, 10) }

// Message returns the message with the given id, or nil.
func (s *State) Message(id string) *Message {
	for i := range s.Messages {
		if s.Messages[i].ID == id {
			return &s.Messages[i]
		}
	}
	return nil
}

// orderStatuses remembers each order's status before an event changes
// them, so that the message can name the orders the event held or voided.
func (s *State) orderStatuses() map[string]string {
	m := make(map[string]string, len(s.Orders))
	for _, o := range s.Orders {
		m[o.ID] = o.Status
	}
	return m
}

// notifyCustomer writes the message of a decision that carries
// notify_customer, once its actions are applied: the orders it names are
// those the event placed or reported, and those whose status the event
// changed to held, voided or denied.
func (s *State) notifyCustomer(in *Input, d *mamori.Decision, before map[string]string) {
	ev := in.Event
	m := s.newMessage(in, notifyKind(ev, d))
	m.setPlace(in)
	m.CaseID = d.CaseID
	if ev.Type == mamori.FraudReported {
		m.ReportedBy = ev.Properties.By
	}
	for _, a := range d.Actions {
		if a != mamori.NotifyCustomer && !slices.Contains(m.Actions, a) {
			m.Actions = append(m.Actions, a)
		}
	}
	named := map[string]bool{}
	if ev.Type == mamori.OrderPlaced {
		named[ev.Properties.OrderID] = true
	}
	for _, id := range ev.Properties.OrderIDs {
		named[id] = true
	}
	for _, o := range s.Orders {
		changed := before[o.ID] != o.Status &&
			(o.Status == OrderHeldStatus || o.Status == OrderVoidedStatus || o.Status == OrderDeniedStatus)
		if named[o.ID] || changed {
			m.Orders = append(m.Orders, messageOrder(&o))
		}
	}
	s.addMessage(m)
}

// notifyKind tells what a decision that notifies the customer was about.
func notifyKind(ev *mamori.Event, d *mamori.Decision) string {
	switch {
	case ev.Type == mamori.AccountLockedDown:
		return MessageLockdown
	case ev.Type == mamori.FraudReported:
		return MessageFraudReported
	case hasReasonCode(d, ReasonSessionHijacked):
		return MessageStolenSession
	case ev.Type == mamori.OrderPlaced && d.Decision == mamori.Review:
		return MessageRiskyOrder
	}
	return MessageProtected
}

// noteOrderOutcome writes the message of a held (or voided) order that
// the store's team released or cancelled; was is its status before.
func (s *State) noteOrderOutcome(in *Input, o *Order, was string) {
	if was != OrderHeldStatus && was != OrderVoidedStatus {
		return
	}
	kind := MessageOrderCancelled
	if in.Event.Type == mamori.OrderReleased {
		kind = MessageOrderReleased
	}
	m := s.newMessage(in, kind)
	m.Orders = []MessageOrder{messageOrder(o)}
	m.CaseID = s.caseOfOrder(o.ID)
	s.addMessage(m)
}

// noteCaseOutcome writes the message of a case resolved as fraud or as
// the customer's own doing; was is the case's status before the event.
// It names the orders the case's earlier messages named, as they stand.
func (s *State) noteCaseOutcome(in *Input, was string) {
	id := in.Event.Properties.CaseID
	status := s.caseStatus(id)
	if status == was {
		return
	}
	var kind string
	switch status {
	case mamori.CaseResolvedFraud:
		kind = MessageCaseFraud
	case mamori.CaseResolvedLegit:
		kind = MessageCaseLegit
	default:
		return
	}
	m := s.newMessage(in, kind)
	m.CaseID = id
	seen := map[string]bool{}
	for _, earlier := range s.Messages {
		if earlier.CaseID != id {
			continue
		}
		for _, eo := range earlier.Orders {
			if seen[eo.ID] {
				continue
			}
			seen[eo.ID] = true
			if o := s.Order(eo.ID); o != nil {
				m.Orders = append(m.Orders, messageOrder(o))
			}
		}
	}
	s.addMessage(m)
}

// markRead applies message.read.
func (s *State) markRead(id string) {
	if m := s.Message(id); m != nil {
		m.Read = true
	}
}

// newMessage starts a message written by the event of in.
func (s *State) newMessage(in *Input, kind string) Message {
	return Message{ID: MessageID(in.Seq), Kind: kind, Time: in.Event.Time, Locked: s.Locked}
}

// setPlace records where and on what the event happened.
func (m *Message) setPlace(in *Input) {
	m.IP = in.Event.Context.IP
	if in.IP.IsValid() {
		m.IP = in.IP.String()
	}
	m.NetworkOrg = in.Network.Org
	m.Country = in.Network.Country
	m.NetworkType = string(in.Network.Type)
	m.Browser = in.Agent.Browser
	m.OS = in.Agent.OS
	m.Device = string(in.Agent.Device)
}

// addMessage keeps the newest MaxMessages messages.
func (s *State) addMessage(m Message) {
	if len(s.Messages) >= MaxMessages {
		s.Messages = append(s.Messages[:0], s.Messages[len(s.Messages)-MaxMessages+1:]...)
	}
	s.Messages = append(s.Messages, m)
}

// caseOfOrder returns the case whose messages named the order (the
// newest such), else the open case, else "".
func (s *State) caseOfOrder(orderID string) string {
	for i := len(s.Messages) - 1; i >= 0; i-- {
		m := &s.Messages[i]
		if m.CaseID == "" {
			continue
		}
		for _, o := range m.Orders {
			if o.ID == orderID {
				return m.CaseID
			}
		}
	}
	if c := s.OpenCase(); c != nil {
		return c.ID
	}
	return ""
}

func messageOrder(o *Order) MessageOrder {
	return MessageOrder{ID: o.ID, Amount: o.Amount, Currency: o.Currency, GiftCard: o.GiftCard, Status: o.Status}
}

// caseStatus returns the status of the case with the given id, "" if none.
func (s *State) caseStatus(id string) string {
	for i := range s.Cases {
		if s.Cases[i].ID == id {
			return s.Cases[i].Status
		}
	}
	return ""
}
