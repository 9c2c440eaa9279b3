package mamori

// Outcome is what mamori tells the store to do with an event.
type Outcome string

// Outcomes of the wire contract, from mildest to strongest.
const (
	Allow     Outcome = "allow"
	Challenge Outcome = "challenge"
	Review    Outcome = "review"
	Deny      Outcome = "deny"
)

// Action is a protective step the store carries out at once.
type Action string

// Actions of the wire contract.
const (
	LockAccount          Action = "lock_account"
	RevokeSessions       Action = "revoke_sessions"
	RevokeTrustedDevices Action = "revoke_trusted_devices"
	RequirePasswordReset Action = "require_password_reset"
	HoldPendingOrders    Action = "hold_pending_orders"
	VoidGiftCards        Action = "void_gift_cards"
	NotifyCustomer       Action = "notify_customer"
)

// LockdownActions is the bundle a lockdown carries out, in the order the
// store should apply them.
var LockdownActions = []Action{
	LockAccount, RevokeSessions, RevokeTrustedDevices, RequirePasswordReset,
	HoldPendingOrders, VoidGiftCards, NotifyCustomer,
}

// Reason explains a decision with a stable code and a human message.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Decision is mamori's answer to one event.
type Decision struct {
	EventID  string   `json:"event_id"`
	Decision Outcome  `json:"decision"`
	Score    float64  `json:"score"`
	Reasons  []Reason `json:"reasons"`
	Actions  []Action `json:"actions"`
	CaseID   string   `json:"case_id,omitempty"`
}

// Has reports whether the decision carries action a.
func (d *Decision) Has(a Action) bool {
	for _, x := range d.Actions {
		if x == a {
			return true
		}
	}
	return false
}
