package mamori

import (
	"time"
)

// Event types of the wire contract.
const (
	AccountCreated         = "account.created"
	LoginSucceeded         = "login.succeeded"
	LoginFailed            = "login.failed"
	ChallengeSucceeded     = "challenge.succeeded"
	ChallengeFailed        = "challenge.failed"
	SessionActivity        = "session.activity"
	Logout                 = "logout"
	AccountUnlocked        = "account.unlocked"
	PasswordChanged        = "password.changed"
	PasswordResetRequested = "password.reset_requested"
	EmailChanged           = "email.changed"
	MFAChanged             = "mfa.changed"
	DeviceTrusted          = "device.trusted"
	DeviceUntrusted        = "device.untrusted"
	PaymentMethodAdded     = "payment_method.added"
	AddressAdded           = "address.added"
	OrderPlaced            = "order.placed"
	OrderHidden            = "order.hidden"
	OrderCancelled         = "order.cancelled"
	OrderReleased          = "order.released"
	PaymentDeclined        = "payment.declined"
	PaymentSettled         = "payment.settled"
	GiftCardRedeemed       = "giftcard.redeemed"
	FraudReported          = "fraud.reported"

	// Events mamori records itself, for calls of its own API; stores
	// cannot send them.
	AccountLockedDown = "account.locked_down" // POST .../lockdown
	CaseUpdated       = "case.updated"        // PATCH /v1/cases/{id}, notes
	// MessageRead: POST /v1/accounts/{id}/messages/{message_id}/read;
	// properties.note holds the message id.
	MessageRead = "message.read"
	// Asked for by the customer in the security center (/me); each is
	// decided with the one action it names, which the store carries out
	// like any other. properties.by is "customer".
	CustomerSignedOutEverywhere   = "customer.signed_out_everywhere"   // revoke_sessions
	CustomerRemovedTrustedDevices = "customer.removed_trusted_devices" // revoke_trusted_devices
)

// Event is one thing that happened at a store, as the store reports it.
type Event struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Time       time.Time  `json:"time"`
	AccountID  string     `json:"account_id,omitempty"`
	SessionID  string     `json:"session_id,omitempty"`
	Context    Context    `json:"context"`
	Properties Properties `json:"properties"`

	// Raw is the event's JSON as the store sent it, when DecodeEvent or
	// DecodeEvents made the event; the log keeps it as it came (unknown
	// fields included) instead of encoding the event again, which cost
	// mamori more CPU than any other step of a decision's own. Nil for
	// events made in Go; whoever changes a decoded event clears it.
	Raw []byte `json:"-"`
}

// Context describes where an event came from.
type Context struct {
	IP             string `json:"ip,omitempty"`
	UserAgent      string `json:"user_agent,omitempty"`
	DeviceID       string `json:"device_id,omitempty"`
	AcceptLanguage string `json:"accept_language,omitempty"`
}

// Properties holds the per-type properties of every event type. Each type
// uses a few of them; Validate checks that each type has what it needs.
type Properties struct {
	Email            string    `json:"email,omitempty"`
	MFA              string    `json:"mfa,omitempty"`
	RememberedDevice bool      `json:"remembered_device,omitempty"`
	Reason           string    `json:"reason,omitempty"`
	Username         string    `json:"username,omitempty"`
	Method           string    `json:"method,omitempty"`
	Page             string    `json:"page,omitempty"`
	By               string    `json:"by,omitempty"`
	NewEmail         string    `json:"new_email,omitempty"`
	Enabled          *bool     `json:"enabled,omitempty"`
	MethodID         string    `json:"method_id,omitempty"`
	Type             string    `json:"type,omitempty"`
	Last4            string    `json:"last4,omitempty"`
	AddressID        string    `json:"address_id,omitempty"`
	Country          string    `json:"country,omitempty"`
	PostalCode       string    `json:"postal_code,omitempty"`
	OrderID          string    `json:"order_id,omitempty"`
	Amount           *int64    `json:"amount,omitempty"`
	Currency         string    `json:"currency,omitempty"`
	Items            []Item    `json:"items,omitempty"`
	Payment          *Payment  `json:"payment,omitempty"`
	Delivery         *Delivery `json:"delivery,omitempty"`
	Descriptor       string    `json:"descriptor,omitempty"`
	RedeemerAccount  string    `json:"redeemer_account_id,omitempty"`
	OrderIDs         []string  `json:"order_ids,omitempty"`

	// Of case.updated, which mamori records itself.
	CaseID   string `json:"case_id,omitempty"`
	Status   string `json:"status,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Item is one line of an order.
type Item struct {
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name,omitempty"`
	Category  string `json:"category,omitempty"`
	Quantity  *int64 `json:"quantity,omitempty"`
	UnitPrice *int64 `json:"unit_price,omitempty"`
	GiftCard  bool   `json:"gift_card,omitempty"`
	Digital   bool   `json:"digital,omitempty"`
}

// Qty is the item's quantity, 1 when the store left it out.
func (it Item) Qty() int64 {
	if it.Quantity == nil {
		return 1
	}
	return *it.Quantity
}

// Payment says how an order was paid.
type Payment struct {
	MethodID string `json:"method_id,omitempty"`
	Type     string `json:"type,omitempty"`
}

// Delivery says where an order goes.
type Delivery struct {
	Type           string `json:"type,omitempty"`
	AddressID      string `json:"address_id,omitempty"`
	RecipientEmail string `json:"recipient_email,omitempty"`
}

// AmountValue is the event's amount, 0 when absent.
func (p *Properties) AmountValue() int64 {
	if p.Amount == nil {
		return 0
	}
	return *p.Amount
}

// HasGiftCard reports whether any item of the order is a gift card.
func (p *Properties) HasGiftCard() bool {
	for _, it := range p.Items {
		if it.GiftCard {
			return true
		}
	}
	return false
}

// HasDigital reports whether any item of the order is delivered digitally.
func (p *Properties) HasDigital() bool {
	for _, it := range p.Items {
		if it.Digital || it.GiftCard {
			return true
		}
	}
	return false
}

// RouteKey names the account whose events must be applied in order with
// this one: account_id, or for a failed login without one, the username
// tried (prefixed so that it never collides with an account id).
func (e *Event) RouteKey() string {
	if e.AccountID != "" {
		return e.AccountID
	}
	return "username:" + e.Properties.Username
}
