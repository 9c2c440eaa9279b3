package risk

// Reason codes are stable: stores and analysts key on them. Add new ones;
// never rename or reuse one.
const (
	ReasonNewDevice           = "new_device"
	ReasonNewNetwork          = "new_network"
	ReasonNewBrowser          = "new_browser"
	ReasonNewASN              = "new_isp"
	ReasonNewCountry          = "new_country"
	ReasonHostingNetwork      = "hosting_network"
	ReasonAutomatedClient     = "automated_client"
	ReasonCredentialStuffing  = "credential_stuffing_source"
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
	ReasonNewDeviceSession    = "new_device_session"
	ReasonSessionNetworkMoved = "session_network_changed"
	ReasonRecipientShared     = "recipient_used_by_other_accounts"
	ReasonRecentChangeNewDev  = "recent_change_from_new_device"
	ReasonGiftCardValue       = "gift_card_value_24h"
	ReasonNewPaymentOrAddress = "new_payment_or_address_in_session"
	ReasonSharedDevice        = "device_used_by_other_accounts"
	ReasonOpenCase            = "open_fraud_case"
	ReasonShipToNewAddress    = "ship_to_address_added_in_session"
	ReasonFastRedemption      = "gift_cards_redeemed_at_once"
	ReasonFirstGiftCard       = "first_gift_card"
)

// reasonText is the plain-words message of each code.
var reasonText = map[string]string{
	ReasonNewDevice:           "sign-in from a device this account has never used",
	ReasonNewNetwork:          "sign-in from a network this account has never used",
	ReasonNewBrowser:          "a browser or operating system this account has never used",
	ReasonNewASN:              "sign-in through an internet provider this account has never used",
	ReasonNewCountry:          "sign-in from a country this account has never signed in from",
	ReasonHostingNetwork:      "the address belongs to a hosting or VPN provider, not a home or mobile line",
	ReasonAutomatedClient:     "the user agent is a script or headless browser",
	ReasonCredentialStuffing:  "the address is failing sign-ins on many accounts",
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
	ReasonNewDeviceSession:    "the session runs on a device first seen in it",
	ReasonSessionNetworkMoved: "the session moved to another internet provider or browser than the one that signed in",
	ReasonRecipientShared:     "other accounts sent gift cards or digital goods to this recipient recently",
	ReasonRecentChangeNewDev:  "a device first seen in the last two weeks changed e-mail, second factor or trusted devices",
	ReasonGiftCardValue:       "the value of gift cards in 24 hours is far above this account's habit",
	ReasonNewPaymentOrAddress: "paid with a payment method added in this session",
	ReasonShipToNewAddress:    "shipped to an address added in this session",
	ReasonFastRedemption:      "gift cards of this account were spent within minutes of being bought",
	ReasonFirstGiftCard:       "the first gift card this account buys",
	ReasonSharedDevice:        "this device id was used by several other accounts",
	ReasonOpenCase:            "the account has a fraud case opened in the last two days",
}

// ReasonCodes lists every code with its message, for documentation.
func ReasonCodes() map[string]string {
	out := make(map[string]string, len(reasonText))
	for k, v := range reasonText {
		out[k] = v
	}
	return out
}
