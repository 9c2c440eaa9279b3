package mamori

import (
	"context"
	"time"
)

// Account status values.
const (
	StatusActive = "active"
	StatusLocked = "locked"
)

// Account is the view of one customer account that stores read.
type Account struct {
	AccountID      string          `json:"account_id"`
	Status         string          `json:"status"`
	Risk           float64         `json:"risk"`
	Sessions       []Session       `json:"sessions"`
	TrustedDevices []TrustedDevice `json:"trusted_devices"`
	OpenCaseIDs    []string        `json:"open_case_ids"`

	// Beyond the contract's fields, for support teams and tests.
	// Actions are the protective actions mamori asked the store to carry
	// out on this account, newest first (the last 50).
	Actions               []ActionTaken `json:"actions"`
	PasswordResetRequired bool          `json:"password_reset_required"`
	EventCount            int64         `json:"event_count"`
	LastEventTime         time.Time     `json:"last_event_time"`
	Cases                 []Case        `json:"cases,omitempty"`
}

// ActionTaken is one protective action of a decision.
type ActionTaken struct {
	Action  Action    `json:"action"`
	Time    time.Time `json:"time"`
	EventID string    `json:"event_id"`
	CaseID  string    `json:"case_id,omitempty"`
}

// Session is one signed-in session of an account.
type Session struct {
	SessionID string    `json:"session_id"`
	DeviceID  string    `json:"device_id"`
	IP        string    `json:"ip"`
	Started   time.Time `json:"started"`
	LastSeen  time.Time `json:"last_seen"`
	Revoked   bool      `json:"revoked"`
	// Verified is false while a challenge the session was given is unmet.
	Verified bool `json:"verified"`
}

// TrustedDevice is a device that may skip the one-time code.
type TrustedDevice struct {
	DeviceID string    `json:"device_id"`
	Since    time.Time `json:"since"`
}

// Case status values.
const (
	CaseOpen          = "open"
	CaseInvestigating = "investigating"
	CaseResolvedFraud = "resolved_fraud"
	CaseResolvedLegit = "resolved_legit"
)

// Case is a suspected fraud on one account. An account has at most one
// open case; later events of the incident join it.
type Case struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Status    string    `json:"status"`
	Opened    time.Time `json:"opened"`
	// Reason is the code of the strongest reason of the opening decision.
	Reason   string   `json:"reason"`
	EventIDs []string `json:"event_ids"`
	Assignee string   `json:"assignee,omitempty"`
	// Deadline is the end of the third business day in Japan after the
	// case opened; Overdue is set while the case is still open after it.
	Deadline time.Time    `json:"deadline"`
	Overdue  bool         `json:"overdue"`
	History  []CaseChange `json:"history"`
	Notes    []CaseNote   `json:"notes"`
	// Timeline and Orders are filled when one case is read.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
	Orders   []CaseOrder     `json:"orders,omitempty"`
}

// CaseChange is one change of a case's status or assignee.
type CaseChange struct {
	Status   string    `json:"status"`
	Assignee string    `json:"assignee,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// CaseNote is an analyst's note on a case.
type CaseNote struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// TimelineEntry is one event of the account around an incident, with the
// decision mamori gave it.
type TimelineEntry struct {
	Event    Event     `json:"event"`
	Decision *Decision `json:"decision,omitempty"`
	// Hidden marks an order the account hid from its order history.
	Hidden bool `json:"hidden,omitempty"`
	// InCase marks the events that joined the case.
	InCase bool `json:"in_case,omitempty"`
}

// CaseOrder is an order affected by an incident and where it stands.
type CaseOrder struct {
	OrderID  string    `json:"order_id"`
	Time     time.Time `json:"time"`
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
	GiftCard bool      `json:"gift_card"`
	// Status: placed, held, voided, denied, cancelled or declined.
	Status   string `json:"status"`
	Hidden   bool   `json:"hidden"`
	Settled  bool   `json:"settled"`
	Redeemed bool   `json:"redeemed"`
	// Descriptor is the merchant name the bank shows, once settled.
	Descriptor string `json:"descriptor,omitempty"`
}

// CasePatch changes a case: its status, its assignee, or both.
type CasePatch struct {
	Status   *string `json:"status"`
	Assignee *string `json:"assignee"`
	By       string  `json:"by"`
}

// CaseService is how analysts work cases. Errors: ENotFound for an
// unknown case or order, EInvalidEvent for a bad status.
type CaseService interface {
	// Cases lists cases with the given status ("" for all), newest first.
	Cases(ctx context.Context, status string) ([]Case, error)
	// Case returns one case with its timeline and orders.
	Case(ctx context.Context, id string) (Case, error)
	// UpdateCase changes a case's status or assignee.
	UpdateCase(ctx context.Context, id string, patch CasePatch) (Case, error)
	// AddCaseNote adds a note to a case.
	AddCaseNote(ctx context.Context, id, by, text string) (Case, error)
	// ReleaseOrder lets a held order through; CancelOrder voids it.
	// Both are recorded as outcomes to learn from.
	ReleaseOrder(ctx context.Context, orderID, by string) (Account, error)
	CancelOrder(ctx context.Context, orderID, by string) (Account, error)
}

// Message is one message of the customer's in-app message center, as
// the store shows it: written in Japanese or English, plain text, never
// with a link or a web address.
type Message struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Kind: risky_order, stolen_session, fraud_reported, lockdown,
	// protective_action, case_resolved_fraud, case_resolved_legit,
	// order_released, order_cancelled.
	Kind  string `json:"kind"`
	Lang  string `json:"lang"`
	Title string `json:"title"`
	Body  string `json:"body"`
	Read  bool   `json:"read"`
	// CaseID is the case the message is about, to quote to support.
	CaseID   string   `json:"case_id,omitempty"`
	OrderIDs []string `json:"order_ids"`
}

// MessageService is the customer's message center, which stores show in
// their app. Errors: ENotFound for an unknown account or message,
// EInvalidEvent for a language other than ja or en.
type MessageService interface {
	// Messages lists the account's messages, newest first, in lang ("ja"
	// or "en"; "" for the language of the account's latest
	// accept_language).
	Messages(ctx context.Context, accountID, lang string) ([]Message, error)
	// MarkRead marks a message read, durably; reading it again is no
	// error.
	MarkRead(ctx context.Context, accountID, messageID string) error
}

// SecurityService is what the customer does in mamori's security center
// (/me), always on her own account. Errors: ENotFound for an account
// never seen.
type SecurityService interface {
	// SignOutEverywhere records customer.signed_out_everywhere, decided
	// with revoke_sessions, and returns the account.
	SignOutEverywhere(ctx context.Context, accountID string) (Account, error)
	// RemoveTrustedDevices records customer.removed_trusted_devices,
	// decided with revoke_trusted_devices, and returns the account.
	RemoveTrustedDevices(ctx context.Context, accountID string) (Account, error)
	// Activity returns the account's recent sign-ins and its orders.
	Activity(ctx context.Context, accountID string) (Activity, error)
}

// Activity is what a customer sees of her own account's history.
type Activity struct {
	// SignIns are the latest sign-ins (login.succeeded), newest first.
	SignIns []SignIn `json:"sign_ins"`
	// Orders are every order mamori still keeps, hidden ones included,
	// newest first.
	Orders []CaseOrder `json:"orders"`
	// LoggedOut lists the sessions the customer signed out of herself.
	LoggedOut []string `json:"logged_out"`
}

// SignIn is one sign-in and what mamori decided about it.
type SignIn struct {
	Time      time.Time `json:"time"`
	SessionID string    `json:"session_id"`
	DeviceID  string    `json:"device_id"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Decision  Outcome   `json:"decision"`
}

// IsCaseStatus reports whether s is a case status.
func IsCaseStatus(s string) bool {
	switch s {
	case CaseOpen, CaseInvestigating, CaseResolvedFraud, CaseResolvedLegit:
		return true
	}
	return false
}

// RiskService is mamori's decision service. Every method may be called
// concurrently; events of one account are applied in the order given.
type RiskService interface {
	// Decide records the event durably and returns its decision. A
	// repeated event id returns the first decision. Errors: EInvalidEvent
	// for an event that fails validation, EUnavailable while stopping.
	Decide(ctx context.Context, ev Event) (Decision, error)

	// Record records events durably, all or none of them validated first,
	// and returns how many of them were new.
	Record(ctx context.Context, evs []Event) (int, error)

	// Account returns the view of one account. ENotFound if never seen.
	Account(ctx context.Context, id string) (Account, error)

	// Lockdown locks the account, carries out the lockdown actions, opens
	// a case and returns the account. ENotFound if never seen.
	Lockdown(ctx context.Context, id, reason string) (Account, error)
}

// Label is an outcome a person decided: an order or a case found to be
// fraud or legitimate. Labels come from the log, in its order, for
// learning from what analysts, customers and banks concluded.
type Label struct {
	Seq       uint64    `json:"seq"`
	Kind      string    `json:"kind"` // order, case or account
	ID        string    `json:"id"`   // the order, case or account id
	AccountID string    `json:"account_id"`
	Label     string    `json:"label"` // fraud or legit
	By        string    `json:"by,omitempty"`
	Source    string    `json:"source"` // the event type it comes from
	EventID   string    `json:"event_id"`
	Time      time.Time `json:"time"`
}

// LabelService lists labels.
type LabelService interface {
	// Labels returns the labels of the log records after sequence after,
	// at most limit records read, and the sequence to ask after next.
	Labels(ctx context.Context, after uint64, limit int) ([]Label, uint64, error)
}
