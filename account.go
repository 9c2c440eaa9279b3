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
	PasswordResetRequired bool      `json:"password_reset_required"`
	EventCount            int64     `json:"event_count"`
	LastEventTime         time.Time `json:"last_event_time"`
	Cases                 []Case    `json:"cases,omitempty"`
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

// Case is a suspected fraud on one account.
type Case struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Status    string    `json:"status"`
	Opened    time.Time `json:"opened"`
	Reason    string    `json:"reason"`
	EventIDs  []string  `json:"event_ids"`
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
