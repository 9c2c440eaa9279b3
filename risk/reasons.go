package risk

// Reason codes are stable: stores and analysts key on them. Add new ones;
// never rename or reuse one.
const (
	ReasonNewDevice           = "new_device"
	ReasonNewNetwork          = "new_network"
	ReasonNewUserAgent        = "new_user_agent"
	ReasonRecentFailures      = "recent_login_failures"
	ReasonUntrustedRemembered = "remembered_device_not_trusted"
	ReasonAccountLocked       = "account_locked"
	ReasonSessionRevoked      = "session_revoked"
	ReasonSessionUnverified   = "session_unverified"
	ReasonSessionNoSignIn     = "session_without_sign_in"
	ReasonSessionHijacked     = "session_device_changed"
	ReasonRiskySession        = "risky_session"
	ReasonGiftCard            = "gift_card"
	ReasonDigitalGoods        = "digital_goods"
	ReasonNewRecipient        = "gift_card_to_new_recipient"
	ReasonCardTest            = "card_test_pattern"
	ReasonDeclines            = "payment_declines_in_session"
	ReasonGiftCardVelocity    = "gift_card_velocity"
	ReasonAmountUnusual       = "amount_unusual"
	ReasonRecentChange        = "recent_security_change"
	ReasonChallengeFailed     = "challenge_failed"
	ReasonLockdown            = "lockdown_requested"
	ReasonFraudReported       = "fraud_reported"
	ReasonOrdersHidden        = "orders_hidden"
	ReasonSuspectDevice       = "device_in_fraud_case"
)

// reasonText is the plain-words message of each code.
var reasonText = map[string]string{
	ReasonNewDevice:           "sign-in from a device this account has never used",
	ReasonNewNetwork:          "sign-in from a network this account has never used",
	ReasonNewUserAgent:        "browser or app version never seen on this account",
	ReasonRecentFailures:      "several failed sign-ins on this account in the last hour",
	ReasonUntrustedRemembered: "the one-time code was skipped on a device that is not trusted",
	ReasonAccountLocked:       "the account is locked",
	ReasonSessionRevoked:      "the session was signed out by a protective action",
	ReasonSessionUnverified:   "the session has not passed the challenge it was given",
	ReasonSessionNoSignIn:     "activity in a session that no sign-in started",
	ReasonSessionHijacked:     "the session is used from another device than the one that signed in",
	ReasonRiskySession:        "the session began with a risky sign-in",
	ReasonGiftCard:            "the order contains gift cards",
	ReasonDigitalGoods:        "the order contains digital goods",
	ReasonNewRecipient:        "delivery by e-mail to a recipient this account never used",
	ReasonCardTest:            "a small purchase earlier in the session, as in a card test",
	ReasonDeclines:            "payments were declined earlier in the session",
	ReasonGiftCardVelocity:    "several gift cards ordered in a short time",
	ReasonAmountUnusual:       "the amount is far above this account's usual orders",
	ReasonRecentChange:        "a security setting changed in this session",
	ReasonChallengeFailed:     "the step-up challenge failed",
	ReasonLockdown:            "lockdown requested",
	ReasonFraudReported:       "fraud was reported on this account",
	ReasonOrdersHidden:        "orders were hidden from the order history",
	ReasonSuspectDevice:       "this device was used in the sessions of an open fraud case",
}

// ReasonCodes lists every code with its message, for documentation.
func ReasonCodes() map[string]string {
	out := make(map[string]string, len(reasonText))
	for k, v := range reasonText {
		out[k] = v
	}
	return out
}
