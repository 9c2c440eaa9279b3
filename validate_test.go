package mamori_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
)

func ptr[T any](v T) *T { return &v }

// event returns a valid event of type typ built in Go, as the engine and
// the simulator build them.
func event(typ string) mamori.Event {
	ev := mamori.Event{
		ID: "e-1", Type: typ, AccountID: "a-1",
		Time: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
	}
	p := &ev.Properties
	switch typ {
	case mamori.EmailChanged:
		p.NewEmail = "new@example.com"
	case mamori.OrderPlaced, mamori.PaymentSettled:
		p.OrderID, p.Amount, p.Currency = "o-1", ptr(int64(5000)), "JPY"
	case mamori.OrderHidden, mamori.OrderCancelled, mamori.OrderReleased, mamori.PaymentDeclined, mamori.GiftCardRedeemed:
		p.OrderID = "o-1"
	}
	return ev
}

func TestValidateAcceptsMinimalEventOfEveryType(t *testing.T) {
	for _, typ := range contractTypes {
		t.Run(typ, func(t *testing.T) {
			ev := event(typ)
			if err := ev.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateAcceptsEdgeValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*mamori.Event)
	}{
		{"id of 128 bytes", func(ev *mamori.Event) { ev.ID = strings.Repeat("i", 128) }},
		{"user_agent of 2048 bytes", func(ev *mamori.Event) { ev.Context.UserAgent = strings.Repeat("u", 2048) }},
		{"time in 1970", func(ev *mamori.Event) { ev.Time = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"time in 9999", func(ev *mamori.Event) { ev.Time = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }},
		{"login.failed with username only", func(ev *mamori.Event) {
			ev.Type, ev.AccountID, ev.Properties.Username = mamori.LoginFailed, "", "alice"
		}},
		{"ipv4-mapped ipv6", func(ev *mamori.Event) { ev.Context.IP = "::ffff:192.0.2.1" }},
		{"500 items", func(ev *mamori.Event) {
			*ev = event(mamori.OrderPlaced)
			ev.Properties.Items = make([]mamori.Item, 500)
		}},
		{"1000 order ids", func(ev *mamori.Event) {
			ev.Type = mamori.FraudReported
			ev.Properties.OrderIDs = make([]string, 1000)
			for i := range ev.Properties.OrderIDs {
				ev.Properties.OrderIDs[i] = "o"
			}
		}},
		{"amount 0", func(ev *mamori.Event) { *ev = event(mamori.OrderPlaced); ev.Properties.Amount = ptr(int64(0)) }},
		{"every currency spelled upper case", func(ev *mamori.Event) { *ev = event(mamori.OrderPlaced); ev.Properties.Currency = "EUR" }},
		{"unit_price 0", func(ev *mamori.Event) {
			*ev = event(mamori.OrderPlaced)
			ev.Properties.Items = []mamori.Item{{UnitPrice: ptr(int64(0))}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(mamori.Logout)
			tt.edit(&ev)
			if err := ev.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestValidateNamesFieldAtFault covers what JSON decoding cannot reach:
// events built in Go, and limits that a store's JSON rarely hits.
func TestValidateNamesFieldAtFault(t *testing.T) {
	for _, tt := range []struct {
		name  string
		typ   string
		edit  func(*mamori.Event)
		field string
	}{
		{"no id", mamori.Logout, func(ev *mamori.Event) { ev.ID = "" }, "id"},
		{"id of 129 bytes", mamori.Logout, func(ev *mamori.Event) { ev.ID = strings.Repeat("i", 129) }, "id"},
		{"id with DEL", mamori.Logout, func(ev *mamori.Event) { ev.ID = "e\x7f" }, "id"},
		{"id not UTF-8", mamori.Logout, func(ev *mamori.Event) { ev.ID = "e\xff" }, "id"},
		{"no type", mamori.Logout, func(ev *mamori.Event) { ev.Type = "" }, "type"},
		{"type recorded by mamori only", mamori.Logout, func(ev *mamori.Event) { ev.Type = mamori.AccountLockedDown }, "type"},
		{"type upper case", mamori.Logout, func(ev *mamori.Event) { ev.Type = "LOGOUT" }, "type"},
		{"zero time", mamori.Logout, func(ev *mamori.Event) { ev.Time = time.Time{} }, "time"},
		{"time before 1970", mamori.Logout, func(ev *mamori.Event) { ev.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }, "time"},
		{"time after 9999", mamori.Logout, func(ev *mamori.Event) { ev.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "time"},
		{"no account_id", mamori.OrderPlaced, func(ev *mamori.Event) { ev.AccountID = "" }, "account_id"},
		{"login.failed with neither", mamori.LoginFailed, func(ev *mamori.Event) { ev.AccountID = "" }, "account_id"},
		{"username does not stand in on login.succeeded", mamori.LoginSucceeded, func(ev *mamori.Event) {
			ev.AccountID, ev.Properties.Username = "", "alice"
		}, "account_id"},
		{"account_id with newline", mamori.Logout, func(ev *mamori.Event) { ev.AccountID = "a\n1" }, "account_id"},
		{"session_id of 129 bytes", mamori.Logout, func(ev *mamori.Event) { ev.SessionID = strings.Repeat("s", 129) }, "session_id"},
		{"ip with zone garbage", mamori.Logout, func(ev *mamori.Event) { ev.Context.IP = "192.0.2.1/24" }, "context.ip"},
		{"user_agent over 2048 bytes", mamori.Logout, func(ev *mamori.Event) { ev.Context.UserAgent = strings.Repeat("u", 2049) }, "context.user_agent"},
		{"device_id with tab", mamori.DeviceTrusted, func(ev *mamori.Event) { ev.Context.DeviceID = "d\t1" }, "context.device_id"},
		{"accept_language over 512 bytes", mamori.Logout, func(ev *mamori.Event) { ev.Context.AcceptLanguage = strings.Repeat("l", 513) }, "context.accept_language"},
		{"username over 512 bytes", mamori.LoginFailed, func(ev *mamori.Event) { ev.Properties.Username = strings.Repeat("u", 513) }, "properties.username"},
		{"account.created email without domain", mamori.AccountCreated, func(ev *mamori.Event) { ev.Properties.Email = "alice@" }, "properties.email"},
		{"login.succeeded mfa unknown", mamori.LoginSucceeded, func(ev *mamori.Event) { ev.Properties.MFA = "push" }, "properties.mfa"},
		{"login.failed reason unknown", mamori.LoginFailed, func(ev *mamori.Event) { ev.Properties.Reason = "timeout" }, "properties.reason"},
		{"account.unlocked by bank", mamori.AccountUnlocked, func(ev *mamori.Event) { ev.Properties.By = "bank" }, "properties.by"},
		{"email.changed without new_email", mamori.EmailChanged, func(ev *mamori.Event) { ev.Properties.NewEmail = "" }, "properties.new_email"},
		{"mfa.changed method unknown", mamori.MFAChanged, func(ev *mamori.Event) { ev.Properties.Method = "pigeon" }, "properties.method"},
		{"payment_method.added type unknown", mamori.PaymentMethodAdded, func(ev *mamori.Event) { ev.Properties.Type = "crypto" }, "properties.type"},
		{"payment_method.added last4 of 3 digits", mamori.PaymentMethodAdded, func(ev *mamori.Event) { ev.Properties.Last4 = "424" }, "properties.last4"},
		{"address.added country of digits", mamori.AddressAdded, func(ev *mamori.Event) { ev.Properties.Country = "12" }, "properties.country"},
		{"address_id over 128 bytes", mamori.AddressAdded, func(ev *mamori.Event) { ev.Properties.AddressID = strings.Repeat("a", 129) }, "properties.address_id"},
		{"order without order_id", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.OrderID = "" }, "properties.order_id"},
		{"order without amount", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Amount = nil }, "properties.amount"},
		{"order amount negative", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Amount = ptr(int64(-1)) }, "properties.amount"},
		{"order currency missing", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Currency = "" }, "properties.currency"},
		{"order currency lower case", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Currency = "usd" }, "properties.currency"},
		{"order currency retired", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Currency = "DEM" }, "properties.currency"},
		{"501 items", mamori.OrderPlaced, func(ev *mamori.Event) { ev.Properties.Items = make([]mamori.Item, 501) }, "properties.items"},
		{"quantity 0 at items[2]", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Items = []mamori.Item{{}, {Quantity: ptr(int64(1))}, {Quantity: ptr(int64(0))}}
		}, "properties.items[2].quantity"},
		{"unit_price negative", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Items = []mamori.Item{{UnitPrice: ptr(int64(-1))}}
		}, "properties.items[0].unit_price"},
		{"category over 512 bytes", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Items = []mamori.Item{{}, {Category: strings.Repeat("c", 513)}}
		}, "properties.items[1].category"},
		{"payment type unknown", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Payment = &mamori.Payment{Type: "cheque"}
		}, "properties.payment.type"},
		{"payment method_id with control", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Payment = &mamori.Payment{MethodID: "pm\x00"}
		}, "properties.payment.method_id"},
		{"delivery type unknown", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Delivery = &mamori.Delivery{Type: "pickup"}
		}, "properties.delivery.type"},
		{"delivery address_id too long", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Delivery = &mamori.Delivery{Type: "ship", AddressID: strings.Repeat("a", 129)}
		}, "properties.delivery.address_id"},
		{"email delivery without recipient", mamori.OrderPlaced, func(ev *mamori.Event) {
			ev.Properties.Delivery = &mamori.Delivery{Type: "email"}
		}, "properties.delivery.recipient_email"},
		{"order.hidden without order_id", mamori.OrderHidden, func(ev *mamori.Event) { ev.Properties.OrderID = "" }, "properties.order_id"},
		{"order.released without order_id", mamori.OrderReleased, func(ev *mamori.Event) { ev.Properties.OrderID = "" }, "properties.order_id"},
		{"payment.declined without order_id", mamori.PaymentDeclined, func(ev *mamori.Event) { ev.Properties.OrderID = "" }, "properties.order_id"},
		{"payment.settled without currency", mamori.PaymentSettled, func(ev *mamori.Event) { ev.Properties.Currency = "" }, "properties.currency"},
		{"payment.settled descriptor over 512 bytes", mamori.PaymentSettled, func(ev *mamori.Event) { ev.Properties.Descriptor = strings.Repeat("d", 513) }, "properties.descriptor"},
		{"giftcard.redeemed without order_id", mamori.GiftCardRedeemed, func(ev *mamori.Event) { ev.Properties.OrderID = "" }, "properties.order_id"},
		{"giftcard.redeemed unknown currency", mamori.GiftCardRedeemed, func(ev *mamori.Event) {
			ev.Properties.Amount, ev.Properties.Currency = ptr(int64(5)), "XYZ"
		}, "properties.currency"},
		{"giftcard.redeemed redeemer with newline", mamori.GiftCardRedeemed, func(ev *mamori.Event) { ev.Properties.RedeemerAccount = "a\n" }, "properties.redeemer_account_id"},
		{"fraud.reported by unknown", mamori.FraudReported, func(ev *mamori.Event) { ev.Properties.By = "press" }, "properties.by"},
		{"fraud.reported 1001 order ids", mamori.FraudReported, func(ev *mamori.Event) { ev.Properties.OrderIDs = make([]string, 1001) }, "properties.order_ids"},
		{"fraud.reported empty order id at 2", mamori.FraudReported, func(ev *mamori.Event) { ev.Properties.OrderIDs = []string{"o-1", "o-2", ""} }, "properties.order_ids[2]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(tt.typ)
			tt.edit(&ev)
			wantError(t, ev.Validate(), mamori.EInvalidEvent, tt.field)
		})
	}
}

func TestValidateCountsIDLengthInCharacters(t *testing.T) {
	for _, edit := range []func(*mamori.Event){
		func(ev *mamori.Event) { ev.ID = strings.Repeat("日", 128) },
		func(ev *mamori.Event) { ev.ID = strings.Repeat("é", 100) },
	} {
		ev := event(mamori.Logout)
		edit(&ev)
		if err := ev.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	ev := event(mamori.Logout)
	ev.ID = strings.Repeat("日", 129)
	wantError(t, ev.Validate(), mamori.EInvalidEvent, "id")
}

func TestValidateAcceptsGiftCardRedeemedAsTheContractListsIt(t *testing.T) {
	ev := event(mamori.GiftCardRedeemed)
	ev.Properties.Amount, ev.Properties.RedeemerAccount = ptr(int64(5000)), "a-2"
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateBoundsTimeInUTC(t *testing.T) {
	ev := event(mamori.Logout)
	ev.Time = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600))
	wantError(t, ev.Validate(), mamori.EInvalidEvent, "time")
	_, err := mamori.DecodeEvent(encode(t, set(minimal("logout"), "time", "9999-12-31T23:00:00-05:00")))
	wantError(t, err, mamori.EInvalidEvent, "time")
}
