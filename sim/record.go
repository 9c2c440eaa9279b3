package sim

import (
	"time"

	"github.com/mamori-dev/mamori"
)

// Who sent an event, in the simulator's ground truth.
const (
	SourceCustomer = "customer" // the account's owner or family
	SourceAttacker = "attacker"
	SourceStore    = "store" // the store's own book-keeping: settlements, releases, redemptions, reports
)

// Truth is what really happened behind an event. It is never sent to
// mamori: the evaluation compares it with mamori's decisions.
type Truth struct {
	Source   string `json:"source"`
	Fraud    bool   `json:"fraud,omitempty"`    // the event belongs to an attack
	Cohort   string `json:"cohort,omitempty"`   // the account owner's cohort
	Scenario string `json:"scenario,omitempty"` // the attack scenario
	Attack   string `json:"attack,omitempty"`   // the attack's id
	Victim   string `json:"victim,omitempty"`   // the account attacked
}

// Record is one event of the scored days with mamori's decision, kept
// small: the evaluation needs no more.
type Record struct {
	EventID  string
	Type     string
	Time     time.Time
	Account  string
	Session  string
	OrderID  string
	Amount   int64
	GiftCard bool
	Decision mamori.Outcome
	Score    float64
	Actions  []mamori.Action
	Reasons  []string // the reason codes, most important first
	Truth    Truth
}

// Protective reports whether mamori did something about the event: any
// decision but allow, or any action.
func (r *Record) Protective() bool {
	return (r.Decision != "" && r.Decision != mamori.Allow) || len(r.Actions) > 0
}

// Order statuses in the store's ledger.
const (
	OrderPlaced    = "placed"    // taken, not yet fulfilled
	OrderHeld      = "held"      // waiting for the store's team
	OrderDenied    = "denied"    // refused at once
	OrderDeclined  = "declined"  // the bank said no
	OrderCancelled = "cancelled" // by the store's team or a fraud report
	OrderVoided    = "voided"    // a gift card cancelled before redemption
	OrderShipped   = "shipped"
	OrderDelivered = "delivered" // e-mailed
	OrderRedeemed  = "redeemed"  // a gift card spent
)

// Order is the store's ledger line for one order: what became of it.
type Order struct {
	ID          string
	Account     string
	Session     string
	Truth       Truth
	Placed      time.Time
	Amount      int64
	Category    string
	GiftCard    bool
	Digital     bool
	Ship        bool   // physical goods shipped to an address
	Recipient   string // e-mail delivery
	ToAttacker  bool   // the goods or the card go to the attacker
	Decision    mamori.Outcome
	Status      string
	Held        bool // held at some point (review or a hold action)
	Delivered   bool // the card or download reached the recipient
	Shipped     bool
	Redeemed    bool
	Voided      bool
	Cancelled   bool
	Hidden      bool
	ShippedAt   time.Time
	DeliveredAt time.Time
	RedeemedAt  time.Time

	card     *cardState
	redeemer string // the mule who spends an attacker's gift card
}

// Lost is what the order cost the store or its customer, if the attacker
// got it: a gift card delivered and not voided before it was spent, or
// goods shipped to the attacker's address.
func (o *Order) Lost() int64 {
	if !o.ToAttacker {
		return 0
	}
	if o.GiftCard && o.Delivered && !o.Voided {
		return o.Amount
	}
	if o.Ship && o.Shipped {
		return o.Amount
	}
	return 0
}

// Lock is one time an account was locked by mamori's action.
type Lock struct {
	Account string
	Time    time.Time
	Event   string // the type of the event that brought the lock
	Truth   Truth  // of that event
	Victim  bool   // the account was an attack's victim
}
