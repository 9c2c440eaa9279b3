package mamori

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on free-text fields, generous enough for any real store.
const (
	maxIDLen    = 128
	maxTextLen  = 512
	maxUALen    = 2048
	maxItems    = 500
	maxOrderIDs = 1000
)

var knownTypes = map[string]bool{
	AccountCreated: true, LoginSucceeded: true, LoginFailed: true,
	ChallengeSucceeded: true, ChallengeFailed: true, SessionActivity: true,
	Logout: true, AccountUnlocked: true, PasswordChanged: true,
	PasswordResetRequested: true, EmailChanged: true, MFAChanged: true,
	DeviceTrusted: true, DeviceUntrusted: true, PaymentMethodAdded: true,
	AddressAdded: true, OrderPlaced: true, OrderHidden: true,
	OrderCancelled: true, OrderReleased: true, PaymentDeclined: true,
	PaymentSettled: true, GiftCardRedeemed: true, FraudReported: true,
}

// IsEventType reports whether t is an event type stores may send.
func IsEventType(t string) bool { return knownTypes[t] }

var (
	mfaMethods      = []string{"none", "totp", "sms", "email", "webauthn"}
	failReasons     = []string{"bad_password", "unknown_account", "bad_mfa", "locked"}
	unlockers       = []string{"support", "customer"}
	paymentTypes    = []string{"debit", "credit", "wallet", "gift_balance"}
	deliveryTypes   = []string{"ship", "email"}
	fraudReporters  = []string{"customer", "bank", "support"}
	orderEventTypes = map[string]bool{OrderHidden: true, OrderCancelled: true, OrderReleased: true, PaymentDeclined: true}
)

// Validate checks an event against the contract. The error names the
// first field at fault.
func (e *Event) Validate() error {
	if err := e.validateHead(); err != nil {
		return err
	}
	if e.Time.IsZero() {
		return FieldError("time", "is required (RFC 3339)")
	}
	if y := e.Time.UTC().Year(); y < 1970 || y > 9999 {
		return FieldError("time", "is out of range (1970 to 9999, in UTC)")
	}
	if e.AccountID == "" && !(e.Type == LoginFailed && e.Properties.Username != "") {
		if e.Type == LoginFailed {
			return FieldError("account_id", "is required, or properties.username in its place")
		}
		return FieldError("account_id", "is required")
	}
	if err := checkID("account_id", e.AccountID, false); err != nil {
		return err
	}
	if err := checkID("session_id", e.SessionID, false); err != nil {
		return err
	}
	if err := e.Context.validate(); err != nil {
		return err
	}
	return e.validateProperties()
}

// validateHead checks the fields that say what an event is.
func (e *Event) validateHead() error {
	if err := checkID("id", e.ID, true); err != nil {
		return err
	}
	if e.Type == "" {
		return FieldError("type", "is required")
	}
	if !knownTypes[e.Type] {
		return FieldError("type", "%q is not an event type of the contract", e.Type)
	}
	return nil
}

func (c *Context) validate() error {
	if c.IP != "" {
		if _, err := netip.ParseAddr(c.IP); err != nil {
			return FieldError("context.ip", "%q is not an IPv4 or IPv6 address", c.IP)
		}
	}
	if err := checkText("context.user_agent", c.UserAgent, maxUALen); err != nil {
		return err
	}
	if err := checkID("context.device_id", c.DeviceID, false); err != nil {
		return err
	}
	return checkText("context.accept_language", c.AcceptLanguage, maxTextLen)
}

func (e *Event) validateProperties() error {
	p := &e.Properties
	for _, f := range []struct{ name, value string }{
		{"properties.email", p.Email}, {"properties.username", p.Username},
		{"properties.reason", p.Reason}, {"properties.method", p.Method},
		{"properties.page", p.Page}, {"properties.new_email", p.NewEmail},
		{"properties.last4", p.Last4}, {"properties.country", p.Country},
		{"properties.postal_code", p.PostalCode}, {"properties.descriptor", p.Descriptor},
	} {
		if err := checkText(f.name, f.value, maxTextLen); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, value string }{
		{"properties.method_id", p.MethodID}, {"properties.address_id", p.AddressID},
		{"properties.order_id", p.OrderID}, {"properties.redeemer_account_id", p.RedeemerAccount},
	} {
		if err := checkID(f.name, f.value, false); err != nil {
			return err
		}
	}
	switch e.Type {
	case AccountCreated:
		return checkEmail("properties.email", p.Email, false)
	case LoginSucceeded:
		return checkEnum("properties.mfa", p.MFA, mfaMethods)
	case LoginFailed:
		return checkEnum("properties.reason", p.Reason, failReasons)
	case AccountUnlocked:
		return checkEnum("properties.by", p.By, unlockers)
	case EmailChanged:
		return checkEmail("properties.new_email", p.NewEmail, true)
	case MFAChanged:
		return checkEnum("properties.method", p.Method, mfaMethods)
	case PaymentMethodAdded:
		if err := checkEnum("properties.type", p.Type, paymentTypes); err != nil {
			return err
		}
		if p.Last4 != "" && !isDigits(p.Last4, 4) {
			return FieldError("properties.last4", "must be the last 4 digits")
		}
	case AddressAdded:
		if p.Country != "" && !isUpperLetters(p.Country, 2) {
			return FieldError("properties.country", "%q is not an ISO 3166 alpha-2 code", p.Country)
		}
	case OrderPlaced:
		return p.validateOrder()
	case PaymentSettled:
		if err := required("properties.order_id", p.OrderID); err != nil {
			return err
		}
		return checkMoney(p.Amount, p.Currency, true)
	case GiftCardRedeemed:
		// The contract lists no currency here: the card's own order has it.
		if err := required("properties.order_id", p.OrderID); err != nil {
			return err
		}
		if p.Amount != nil && *p.Amount < 0 {
			return FieldError("properties.amount", "must not be negative")
		}
		if p.Currency != "" && !IsCurrency(p.Currency) {
			return FieldError("properties.currency", "%q is not an ISO 4217 currency code", p.Currency)
		}
	case FraudReported:
		if err := checkEnum("properties.by", p.By, fraudReporters); err != nil {
			return err
		}
		if len(p.OrderIDs) > maxOrderIDs {
			return FieldError("properties.order_ids", "holds more than %d ids", maxOrderIDs)
		}
		for i, id := range p.OrderIDs {
			if err := checkID("properties.order_ids["+strconv.Itoa(i)+"]", id, true); err != nil {
				return err
			}
		}
	}
	if orderEventTypes[e.Type] {
		return required("properties.order_id", p.OrderID)
	}
	return nil
}

func (p *Properties) validateOrder() error {
	if err := required("properties.order_id", p.OrderID); err != nil {
		return err
	}
	if err := checkMoney(p.Amount, p.Currency, true); err != nil {
		return err
	}
	if len(p.Items) > maxItems {
		return FieldError("properties.items", "holds more than %d items", maxItems)
	}
	for i, it := range p.Items {
		at := "properties.items[" + strconv.Itoa(i) + "]."
		if it.Quantity != nil && *it.Quantity < 1 {
			return FieldError(at+"quantity", "must be a whole number of at least 1")
		}
		if it.UnitPrice != nil && *it.UnitPrice < 0 {
			return FieldError(at+"unit_price", "must not be negative")
		}
		for _, f := range []struct{ name, value string }{
			{"sku", it.SKU}, {"name", it.Name}, {"category", it.Category},
		} {
			if err := checkText(at+f.name, f.value, maxTextLen); err != nil {
				return err
			}
		}
	}
	if p.Payment != nil {
		if err := checkID("properties.payment.method_id", p.Payment.MethodID, false); err != nil {
			return err
		}
		if err := checkEnum("properties.payment.type", p.Payment.Type, paymentTypes); err != nil {
			return err
		}
	}
	if d := p.Delivery; d != nil {
		if err := checkEnum("properties.delivery.type", d.Type, deliveryTypes); err != nil {
			return err
		}
		if err := checkID("properties.delivery.address_id", d.AddressID, false); err != nil {
			return err
		}
		if err := checkEmail("properties.delivery.recipient_email", d.RecipientEmail, d.Type == "email"); err != nil {
			return err
		}
	}
	return nil
}

func checkMoney(amount *int64, currency string, needed bool) error {
	if amount == nil {
		if needed {
			return FieldError("properties.amount", "is required")
		}
	} else if *amount < 0 {
		return FieldError("properties.amount", "must not be negative")
	}
	if currency == "" {
		if needed || amount != nil {
			return FieldError("properties.currency", "is required with an amount")
		}
		return nil
	}
	if !IsCurrency(currency) {
		return FieldError("properties.currency", "%q is not an ISO 4217 currency code", currency)
	}
	return nil
}

func required(field, v string) error {
	if v == "" {
		return FieldError(field, "is required")
	}
	return nil
}

func checkID(field, v string, needed bool) error {
	if v == "" {
		if needed {
			return FieldError(field, "is required")
		}
		return nil
	}
	if !utf8.ValidString(v) {
		return FieldError(field, "is not valid UTF-8")
	}
	if utf8.RuneCountInString(v) > maxIDLen {
		return FieldError(field, "is longer than %d characters", maxIDLen)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return FieldError(field, "holds a control character")
		}
	}
	return nil
}

func checkText(field, v string, limit int) error {
	if len(v) > limit {
		return FieldError(field, "is longer than %d bytes", limit)
	}
	if !utf8.ValidString(v) {
		return FieldError(field, "is not valid UTF-8")
	}
	return nil
}

func checkEnum(field, v string, allowed []string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return FieldError(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

func checkEmail(field, v string, needed bool) error {
	if v == "" {
		if needed {
			return FieldError(field, "is required")
		}
		return nil
	}
	at := strings.LastIndexByte(v, '@')
	if at < 1 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n") {
		return FieldError(field, "%q is not an e-mail address", v)
	}
	return nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
