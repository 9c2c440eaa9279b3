package mamori_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
)

// obj is an event as a store writes it, before it is encoded.
type obj = map[string]any

// deleted, given to set, removes the field.
var deleted = &struct{ deleted bool }{true}

// raw is JSON written as is, for values a map cannot hold (5000.5 stays 5000.5).
type raw = json.RawMessage

// contractTypes lists every event type of the contract's table.
var contractTypes = []string{
	"account.created", "login.succeeded", "login.failed", "challenge.succeeded",
	"challenge.failed", "session.activity", "logout", "account.unlocked",
	"password.changed", "password.reset_requested", "email.changed", "mfa.changed",
	"device.trusted", "device.untrusted", "payment_method.added", "address.added",
	"order.placed", "order.hidden", "order.cancelled", "order.released",
	"payment.declined", "payment.settled", "giftcard.redeemed", "fraud.reported",
}

// minimalProperties holds, per type, the least a valid event must carry.
var minimalProperties = map[string]obj{
	"email.changed":     {"new_email": "new@example.com"},
	"order.placed":      {"order_id": "o-1", "amount": 5000, "currency": "JPY"},
	"order.hidden":      {"order_id": "o-1"},
	"order.cancelled":   {"order_id": "o-1"},
	"order.released":    {"order_id": "o-1"},
	"payment.declined":  {"order_id": "o-1"},
	"payment.settled":   {"order_id": "o-1", "amount": 5000, "currency": "JPY"},
	"giftcard.redeemed": {"order_id": "o-1"},
}

// minimal returns a valid event of type typ with as few fields as the
// contract allows.
func minimal(typ string) obj {
	ev := obj{"id": "e-1", "type": typ, "time": "2026-11-25T09:30:00Z", "account_id": "a-1"}
	if p, ok := minimalProperties[typ]; ok {
		ev["properties"] = clone(p)
	}
	return ev
}

// fullOrder returns an order.placed event with every field of the contract.
func fullOrder() obj {
	return obj{
		"id": "e-order", "type": "order.placed", "time": "2026-11-25T09:30:00.123+09:00",
		"account_id": "a-1", "session_id": "s-1",
		"context": obj{"ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "device_id": "d-1", "accept_language": "ja-JP"},
		"properties": obj{
			"order_id": "o-1", "amount": 15000, "currency": "JPY",
			"items": []any{
				obj{"sku": "sku-1", "name": "Tea", "category": "food", "quantity": 2, "unit_price": 2500, "gift_card": false, "digital": false},
				obj{"sku": "gc-10000", "name": "Gift card", "category": "gift", "quantity": 1, "unit_price": 10000, "gift_card": true, "digital": true},
			},
			"payment":  obj{"method_id": "pm-1", "type": "credit"},
			"delivery": obj{"type": "email", "recipient_email": "friend@example.com"},
		},
	}
}

// clone deep-copies an event so that tables can share a base.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

// set returns a copy of ev with the value at path (written as the
// contract writes field paths: properties.items[1].gift_card) replaced, or
// removed when v is deleted. Missing objects and array elements are made.
func set(ev obj, path string, v any) obj {
	out := clone(ev)
	segs := splitPath(path)
	var put func(cur any, segs []any) any
	put = func(cur any, segs []any) any {
		switch s := segs[0].(type) {
		case string:
			m, _ := cur.(map[string]any)
			if m == nil {
				m = obj{}
			}
			if len(segs) == 1 {
				if v == deleted {
					delete(m, s)
				} else {
					m[s] = v
				}
				return m
			}
			m[s] = put(m[s], segs[1:])
			return m
		default:
			i := s.(int)
			a, _ := cur.([]any)
			for len(a) <= i {
				a = append(a, obj{})
			}
			if len(segs) == 1 {
				a[i] = v
				return a
			}
			a[i] = put(a[i], segs[1:])
			return a
		}
	}
	return put(out, segs).(obj)
}

// splitPath turns "a.b[2].c" into "a", "b", 2, "c".
func splitPath(path string) []any {
	var segs []any
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			segs = append(segs, name)
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil {
				panic("bad path " + path)
			}
			segs = append(segs, i)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantError fails unless err is a *mamori.Error with the given code and
// field, and a message a person can read.
func wantError(t testing.TB, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s at %q", code, field)
	}
	var e *mamori.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v, want *mamori.Error", err, err)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("got %s at %q (%s), want %s at %q", e.Code, e.Field, e.Message, code, field)
	}
	if e.Message == "" {
		t.Fatalf("%s at %q has no message", e.Code, e.Field)
	}
}

func TestDecodeEventAcceptsMinimalEventOfEveryType(t *testing.T) {
	for _, typ := range contractTypes {
		t.Run(typ, func(t *testing.T) {
			if !mamori.IsEventType(typ) {
				t.Fatalf("IsEventType(%q) = false", typ)
			}
			ev, err := mamori.DecodeEvent(encode(t, minimal(typ)))
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			want := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
			if ev.ID != "e-1" || ev.Type != typ || ev.AccountID != "a-1" || !ev.Time.Equal(want) {
				t.Fatalf("decoded %+v", ev)
			}
		})
	}
}

func TestDecodeEventKeepsEveryFieldOfAnOrder(t *testing.T) {
	ev, err := mamori.DecodeEvent(encode(t, fullOrder()))
	if err != nil {
		t.Fatal(err)
	}
	amount, qty, price, single := int64(15000), int64(2), int64(2500), int64(1)
	gcPrice := int64(10000)
	want := mamori.Event{
		ID: "e-order", Type: mamori.OrderPlaced, AccountID: "a-1", SessionID: "s-1",
		Time:    time.Date(2026, 11, 25, 0, 30, 0, 123e6, time.UTC),
		Context: mamori.Context{IP: "203.0.113.7", UserAgent: "Mozilla/5.0", DeviceID: "d-1", AcceptLanguage: "ja-JP"},
		Properties: mamori.Properties{
			OrderID: "o-1", Amount: &amount, Currency: "JPY",
			Items: []mamori.Item{
				{SKU: "sku-1", Name: "Tea", Category: "food", Quantity: &qty, UnitPrice: &price},
				{SKU: "gc-10000", Name: "Gift card", Category: "gift", Quantity: &single, UnitPrice: &gcPrice, GiftCard: true, Digital: true},
			},
			Payment:  &mamori.Payment{MethodID: "pm-1", Type: "credit"},
			Delivery: &mamori.Delivery{Type: "email", RecipientEmail: "friend@example.com"},
		},
	}
	if !sameEvent(ev, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", ev, want)
	}
	if _, off := ev.Time.Zone(); off != 9*3600 {
		t.Errorf("time zone offset %d, want the sender's +09:00", off)
	}
	if !ev.Properties.HasGiftCard() || !ev.Properties.HasDigital() || ev.Properties.AmountValue() != 15000 {
		t.Errorf("order helpers disagree with the decoded items")
	}
}

func TestDecodeEventAcceptsValidVariants(t *testing.T) {
	long := strings.Repeat("x", 128)
	for _, tt := range []struct {
		name string
		ev   obj
	}{
		{"login.failed with username instead of account_id",
			set(set(minimal("login.failed"), "account_id", deleted), "properties.username", "alice@example.com")},
		{"login.failed with username and reason",
			set(set(set(minimal("login.failed"), "account_id", deleted), "properties.username", "bob"), "properties.reason", "unknown_account")},
		{"id of 128 chars", set(minimal("logout"), "id", long)},
		{"account_id of 128 chars", set(minimal("logout"), "account_id", long)},
		{"ipv6 address", set(minimal("logout"), "context.ip", "2001:db8::1")},
		{"ipv4 address", set(minimal("logout"), "context.ip", "192.0.2.1")},
		{"context null", set(minimal("logout"), "context", nil)},
		{"properties null", set(minimal("logout"), "properties", nil)},
		{"time with offset", set(minimal("logout"), "time", "2026-11-25T18:30:00+09:00")},
		{"time with nanoseconds", set(minimal("logout"), "time", "2026-11-25T09:30:00.123456789Z")},
		{"amount zero", set(minimal("order.placed"), "properties.amount", 0)},
		{"quantity 1", set(minimal("order.placed"), "properties.items[0].quantity", 1)},
		{"quantity absent", set(minimal("order.placed"), "properties.items[0].sku", "sku-1")},
		{"every mfa method", set(minimal("login.succeeded"), "properties.mfa", "webauthn")},
		{"remembered_device true", set(minimal("login.succeeded"), "properties.remembered_device", true)},
		{"mfa.changed enabled false", set(set(minimal("mfa.changed"), "properties.enabled", false), "properties.method", "totp")},
		{"delivery by ship with address", set(set(minimal("order.placed"), "properties.delivery.type", "ship"), "properties.delivery.address_id", "ad-1")},
		{"payment by gift balance", set(minimal("order.placed"), "properties.payment.type", "gift_balance")},
		{"currency USD", set(minimal("payment.settled"), "properties.currency", "USD")},
		{"giftcard.redeemed with amount and currency", set(set(minimal("giftcard.redeemed"), "properties.amount", 500), "properties.currency", "JPY")},
		{"giftcard.redeemed with redeemer", set(minimal("giftcard.redeemed"), "properties.redeemer_account_id", "a-2")},
		{"fraud.reported with order ids", set(set(minimal("fraud.reported"), "properties.by", "bank"), "properties.order_ids", []any{"o-1", "o-2"})},
		{"payment_method.added full", set(set(set(minimal("payment_method.added"), "properties.type", "debit"), "properties.last4", "4242"), "properties.method_id", "pm-1")},
		{"address.added full", set(set(set(minimal("address.added"), "properties.country", "JP"), "properties.postal_code", "100-0001"), "properties.address_id", "ad-1")},
		{"account.unlocked by customer", set(minimal("account.unlocked"), "properties.by", "customer")},
		{"session.activity page", set(minimal("session.activity"), "properties.page", "security")},
		{"device.trusted with device", set(minimal("device.trusted"), "context.device_id", "d-1")},
		{"full order", fullOrder()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mamori.DecodeEvent(encode(t, tt.ev)); err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
		})
	}
}

// TestDecodeEventErrorsNameTheirField checks every rejected event names
// its field with the contract's path syntax.
func TestDecodeEventErrorsNameTheirField(t *testing.T) {
	const bad = mamori.EInvalidEvent
	order := minimal("order.placed")
	twoItems := set(set(order, "properties.items[0].sku", "sku-1"), "properties.items[1].sku", "sku-2")
	for _, tt := range []struct {
		name  string
		ev    obj
		field string
	}{
		// Envelope.
		{"missing id", set(minimal("logout"), "id", deleted), "id"},
		{"empty id", set(minimal("logout"), "id", ""), "id"},
		{"id of 129 chars", set(minimal("logout"), "id", strings.Repeat("x", 129)), "id"},
		{"id as number", set(minimal("logout"), "id", 7), "id"},
		{"id with a control character", set(minimal("logout"), "id", "e\n1"), "id"},
		{"missing type", set(minimal("logout"), "type", deleted), "type"},
		{"unknown type", set(minimal("logout"), "type", "order.shipped"), "type"},
		{"type only mamori may record", set(minimal("logout"), "type", "account.locked_down"), "type"},
		{"type as number", set(minimal("logout"), "type", 1), "type"},
		{"missing time", set(minimal("logout"), "time", deleted), "time"},
		{"time null", set(minimal("logout"), "time", nil), "time"},
		{"time not RFC 3339", set(minimal("logout"), "time", "25/11/2026 09:30"), "time"},
		{"time without zone", set(minimal("logout"), "time", "2026-11-25T09:30:00"), "time"},
		{"time date only", set(minimal("logout"), "time", "2026-11-25"), "time"},
		{"time as unix number", set(minimal("logout"), "time", 1795000000), "time"},
		{"time as object", set(minimal("logout"), "time", obj{}), "time"},
		{"time before 1970", set(minimal("logout"), "time", "1969-12-31T23:59:59Z"), "time"},
		{"time zero", set(minimal("logout"), "time", "0001-01-01T00:00:00Z"), "time"},
		{"missing account_id", set(minimal("logout"), "account_id", deleted), "account_id"},
		{"empty account_id", set(minimal("order.placed"), "account_id", ""), "account_id"},
		{"account_id of 129 chars", set(minimal("logout"), "account_id", strings.Repeat("a", 129)), "account_id"},
		{"account_id as number", set(minimal("logout"), "account_id", 12), "account_id"},
		{"session_id as number", set(minimal("logout"), "session_id", 12), "session_id"},
		{"session_id of 129 chars", set(minimal("logout"), "session_id", strings.Repeat("s", 129)), "session_id"},
		{"context as string", set(minimal("logout"), "context", "web"), "context"},
		{"context as array", set(minimal("logout"), "context", []any{}), "context"},
		{"bad ip", set(minimal("logout"), "context.ip", "999.1.1.1"), "context.ip"},
		{"ip with port", set(minimal("logout"), "context.ip", "192.0.2.1:443"), "context.ip"},
		{"ip hostname", set(minimal("logout"), "context.ip", "localhost"), "context.ip"},
		{"ip as number", set(minimal("logout"), "context.ip", 3232235777), "context.ip"},
		{"user_agent as object", set(minimal("logout"), "context.user_agent", obj{}), "context.user_agent"},
		{"user_agent too long", set(minimal("logout"), "context.user_agent", strings.Repeat("u", 2049)), "context.user_agent"},
		{"device_id of 129 chars", set(minimal("device.trusted"), "context.device_id", strings.Repeat("d", 129)), "context.device_id"},
		{"device_id as number", set(minimal("device.trusted"), "context.device_id", 1), "context.device_id"},
		{"accept_language as array", set(minimal("logout"), "context.accept_language", []any{"ja"}), "context.accept_language"},
		{"properties as string", set(minimal("logout"), "properties", "x"), "properties"},
		{"properties as array", set(minimal("logout"), "properties", []any{}), "properties"},

		// account.created
		{"account.created bad email", set(minimal("account.created"), "properties.email", "not-an-email"), "properties.email"},
		{"account.created email as number", set(minimal("account.created"), "properties.email", 1), "properties.email"},
		// login.succeeded
		{"login.succeeded unknown mfa", set(minimal("login.succeeded"), "properties.mfa", "fido"), "properties.mfa"},
		{"login.succeeded mfa upper case", set(minimal("login.succeeded"), "properties.mfa", "TOTP"), "properties.mfa"},
		{"login.succeeded remembered_device as string", set(minimal("login.succeeded"), "properties.remembered_device", "yes"), "properties.remembered_device"},
		// login.failed
		{"login.failed without account_id or username", set(minimal("login.failed"), "account_id", deleted), "account_id"},
		{"login.failed unknown reason", set(minimal("login.failed"), "properties.reason", "typo"), "properties.reason"},
		{"login.failed username as number", set(minimal("login.failed"), "properties.username", 42), "properties.username"},
		// challenge.*, session.activity
		{"challenge.succeeded method as number", set(minimal("challenge.succeeded"), "properties.method", 1), "properties.method"},
		{"challenge.failed method as bool", set(minimal("challenge.failed"), "properties.method", true), "properties.method"},
		{"session.activity page as number", set(minimal("session.activity"), "properties.page", 1), "properties.page"},
		// account.unlocked
		{"account.unlocked by robot", set(minimal("account.unlocked"), "properties.by", "robot"), "properties.by"},
		// email.changed
		{"email.changed without new_email", set(minimal("email.changed"), "properties.new_email", deleted), "properties.new_email"},
		{"email.changed bad new_email", set(minimal("email.changed"), "properties.new_email", "new at example.com"), "properties.new_email"},
		// mfa.changed
		{"mfa.changed enabled as string", set(minimal("mfa.changed"), "properties.enabled", "yes"), "properties.enabled"},
		{"mfa.changed unknown method", set(minimal("mfa.changed"), "properties.method", "pigeon"), "properties.method"},
		// payment_method.added
		{"payment_method.added unknown type", set(minimal("payment_method.added"), "properties.type", "cash"), "properties.type"},
		{"payment_method.added last4 not digits", set(minimal("payment_method.added"), "properties.last4", "42a2"), "properties.last4"},
		{"payment_method.added last4 as number", set(minimal("payment_method.added"), "properties.last4", 4242), "properties.last4"},
		{"payment_method.added method_id of 129 chars", set(minimal("payment_method.added"), "properties.method_id", strings.Repeat("m", 129)), "properties.method_id"},
		// address.added
		{"address.added country lower case", set(minimal("address.added"), "properties.country", "jp"), "properties.country"},
		{"address.added country alpha-3", set(minimal("address.added"), "properties.country", "JPN"), "properties.country"},
		// order.placed
		{"order without order_id", set(order, "properties.order_id", deleted), "properties.order_id"},
		{"order without amount", set(order, "properties.amount", deleted), "properties.amount"},
		{"amount as string", set(order, "properties.amount", "5000"), "properties.amount"},
		{"amount negative", set(order, "properties.amount", -1), "properties.amount"},
		{"amount fractional", set(order, "properties.amount", raw("5000.5")), "properties.amount"},
		{"amount in exponent form", set(order, "properties.amount", raw("5e3")), "properties.amount"},
		{"amount beyond int64", set(order, "properties.amount", raw("9223372036854775808")), "properties.amount"},
		{"amount as bool", set(order, "properties.amount", true), "properties.amount"},
		{"order without currency", set(order, "properties.currency", deleted), "properties.currency"},
		{"currency lower case", set(order, "properties.currency", "jpy"), "properties.currency"},
		{"currency unknown", set(order, "properties.currency", "ABC"), "properties.currency"},
		{"currency as number", set(order, "properties.currency", 392), "properties.currency"},
		{"items as object", set(order, "properties.items", obj{}), "properties.items"},
		{"item as string", set(order, "properties.items[0]", "sku-1"), "properties.items[0]"},
		{"quantity 0", set(order, "properties.items[0].quantity", 0), "properties.items[0].quantity"},
		{"quantity negative", set(order, "properties.items[0].quantity", -2), "properties.items[0].quantity"},
		{"quantity fractional", set(order, "properties.items[0].quantity", raw("1.5")), "properties.items[0].quantity"},
		{"quantity as string", set(twoItems, "properties.items[1].quantity", "2"), "properties.items[1].quantity"},
		{"unit_price negative", set(twoItems, "properties.items[1].unit_price", -100), "properties.items[1].unit_price"},
		{"unit_price as string", set(order, "properties.items[0].unit_price", "100"), "properties.items[0].unit_price"},
		{"gift_card as string at items[1]", set(twoItems, "properties.items[1].gift_card", "yes"), "properties.items[1].gift_card"},
		{"gift_card as number at items[0]", set(order, "properties.items[0].gift_card", 1), "properties.items[0].gift_card"},
		{"digital as string", set(twoItems, "properties.items[1].digital", "true"), "properties.items[1].digital"},
		{"sku as number", set(twoItems, "properties.items[1].sku", 12), "properties.items[1].sku"},
		{"item name too long", set(order, "properties.items[0].name", strings.Repeat("n", 513)), "properties.items[0].name"},
		{"payment as string", set(order, "properties.payment", "card"), "properties.payment"},
		{"payment unknown type", set(order, "properties.payment.type", "cash"), "properties.payment.type"},
		{"payment method_id as number", set(order, "properties.payment.method_id", 1), "properties.payment.method_id"},
		{"delivery unknown type", set(order, "properties.delivery.type", "drone"), "properties.delivery.type"},
		{"delivery by email without recipient", set(order, "properties.delivery.type", "email"), "properties.delivery.recipient_email"},
		{"delivery bad recipient", set(set(order, "properties.delivery.type", "email"), "properties.delivery.recipient_email", "@example.com"), "properties.delivery.recipient_email"},
		{"delivery as array", set(order, "properties.delivery", []any{}), "properties.delivery"},
		// order.hidden, order.cancelled, order.released, payment.declined
		{"order.hidden without order_id", set(minimal("order.hidden"), "properties", deleted), "properties.order_id"},
		{"order.cancelled without order_id", set(minimal("order.cancelled"), "properties", deleted), "properties.order_id"},
		{"order.released without order_id", set(minimal("order.released"), "properties", deleted), "properties.order_id"},
		{"payment.declined without order_id", set(minimal("payment.declined"), "properties", deleted), "properties.order_id"},
		{"order.cancelled order_id as number", set(minimal("order.cancelled"), "properties.order_id", 1), "properties.order_id"},
		// payment.settled
		{"payment.settled without order_id", set(minimal("payment.settled"), "properties.order_id", deleted), "properties.order_id"},
		{"payment.settled without amount", set(minimal("payment.settled"), "properties.amount", deleted), "properties.amount"},
		{"payment.settled unknown currency", set(minimal("payment.settled"), "properties.currency", "YEN"), "properties.currency"},
		{"payment.settled descriptor as number", set(minimal("payment.settled"), "properties.descriptor", 1), "properties.descriptor"},
		// giftcard.redeemed
		{"giftcard.redeemed without order_id", set(minimal("giftcard.redeemed"), "properties", deleted), "properties.order_id"},
		{"giftcard.redeemed amount negative", set(minimal("giftcard.redeemed"), "properties.amount", -5), "properties.amount"},
		{"giftcard.redeemed redeemer of 129 chars", set(minimal("giftcard.redeemed"), "properties.redeemer_account_id", strings.Repeat("r", 129)), "properties.redeemer_account_id"},
		// fraud.reported
		{"fraud.reported by police", set(minimal("fraud.reported"), "properties.by", "police"), "properties.by"},
		{"fraud.reported order_ids as string", set(minimal("fraud.reported"), "properties.order_ids", "o-1"), "properties.order_ids"},
		{"fraud.reported empty order id", set(minimal("fraud.reported"), "properties.order_ids", []any{""}), "properties.order_ids[0]"},
		{"fraud.reported order id as number", set(minimal("fraud.reported"), "properties.order_ids", []any{"o-1", 2}), "properties.order_ids[1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mamori.DecodeEvent(encode(t, tt.ev))
			wantError(t, err, bad, tt.field)
		})
	}
}

// TestTypeErrorPathsFollowTheDocument checks that a wrong-typed field is
// named with its index however the document is laid out.
func TestTypeErrorPathsFollowTheDocument(t *testing.T) {
	head := `"id":"e-1","type":"order.placed","time":"2026-11-25T09:30:00Z","account_id":"a-1"`
	for _, tt := range []struct {
		name, body, field string
	}{
		{"properties before the envelope",
			`{"properties":{"items":[{"gift_card":true},{"gift_card":"yes"}]},` + head + `}`,
			"properties.items[1].gift_card"},
		{"whitespace and newlines",
			"{" + head + ",\n \"properties\" : {\n\t\"items\" : [ { } ,\n { \"sku\" : \"a\" } , {\"quantity\" :\"3\" } ] } }",
			"properties.items[2].quantity"},
		{"same value earlier in an unknown field",
			`{` + head + `,"extra":{"items":[{"gift_card":"yes"}]},"properties":{"items":[{},{},{},{"gift_card":"yes"}]}}`,
			"properties.items[3].gift_card"},
		{"nested arrays in an unknown item field",
			`{` + head + `,"properties":{"items":[{"tags":[[1,2],[3]],"digital":"no"}]}}`,
			"properties.items[0].digital"},
		{"escaped key",
			`{` + head + `,"properties":{"items":[{},{"gift\u005fcard":"yes"}]}}`,
			"properties.items[1].gift_card"},
		{"duplicate key, the wrong one second",
			`{` + head + `,"properties":{"amount":1,"amount":"1"}}`,
			"properties.amount"},
		{"wrong value is an object",
			`{` + head + `,"properties":{"items":[{},{"name":{"ja":"お茶"}}]}}`,
			"properties.items[1].name"},
		{"wrong value is an array",
			`{` + head + `,"properties":{"order_id":"o","amount":1,"currency":"JPY","payment":{"type":["credit"]}}}`,
			"properties.payment.type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mamori.DecodeEvent([]byte(tt.body))
			wantError(t, err, mamori.EInvalidEvent, tt.field)
		})
	}
}

func TestDecodeEventIgnoresUnknownFields(t *testing.T) {
	future := obj{"nested": obj{"deep": []any{1, "two", nil, obj{"x": true}}}}
	for _, tt := range []struct {
		name string
		ev   obj
	}{
		{"top level", set(minimal("logout"), "schema_version", 2)},
		{"top level object", set(minimal("logout"), "future", future)},
		{"top level with a known name's shape", set(minimal("logout"), "amount", "not checked here")},
		{"context", set(minimal("logout"), "context.screen", obj{"w": 1920, "h": 1080})},
		{"properties", set(minimal("order.placed"), "properties.coupon", future)},
		{"item", set(minimal("order.placed"), "properties.items[0].color", "red")},
		{"item object", set(minimal("order.placed"), "properties.items[1].options", future)},
		{"payment", set(minimal("order.placed"), "properties.payment.installments", 3)},
		{"delivery", set(minimal("order.placed"), "properties.delivery.window", obj{"from": "09:00"})},
		{"properties of another type are not checked", set(minimal("logout"), "properties.mfa", "carrier pigeon")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := encode(t, tt.ev)
			if _, err := mamori.DecodeEvent(body); err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			evs, err := mamori.DecodeEvents(body)
			if err != nil || len(evs) != 1 {
				t.Fatalf("DecodeEvents: %d events, %v", len(evs), err)
			}
		})
	}
}

func TestDecodeEventRejectsUnparseableJSON(t *testing.T) {
	valid := string(encode(t, minimal("logout")))
	for _, tt := range []struct{ name, body string }{
		{"empty body", ""},
		{"only whitespace", " \n\t"},
		{"truncated", valid[:len(valid)/2]},
		{"missing closing brace", strings.TrimSuffix(valid, "}")},
		{"trailing garbage", valid + " x"},
		{"two objects", valid + valid},
		{"trailing comma", strings.TrimSuffix(valid, "}") + ",}"},
		{"single quotes", `{'id':'e-1'}`},
		{"unquoted key", `{id:"e-1"}`},
		{"comment", `{"id":"e-1" /* hi */}`},
		{"NaN", `{"properties":{"amount":NaN}}`},
		{"bare word", `nope`},
		{"control character in a string", "{\"id\":\"e\x01\"}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mamori.DecodeEvent([]byte(tt.body))
			wantError(t, err, mamori.EInvalidJSON, "")
			_, err = mamori.DecodeEvents([]byte(tt.body))
			wantError(t, err, mamori.EInvalidJSON, "")
		})
	}
}

// TestDecodeEventRejectsJSONThatIsNotAnObject: parseable JSON of the wrong
// shape is an invalid event, not invalid JSON, and no field is at fault.
func TestDecodeEventRejectsJSONThatIsNotAnObject(t *testing.T) {
	for _, body := range []string{`[]`, `[{}]`, `"x"`, `5`, `true`} {
		t.Run(body, func(t *testing.T) {
			_, err := mamori.DecodeEvent([]byte(body))
			wantError(t, err, mamori.EInvalidEvent, "")
			_, err = mamori.DecodeEvents([]byte(body))
			wantError(t, err, mamori.EInvalidEvent, "")
		})
	}
}

func TestDecodeEventRejectsNullAsNotAnObject(t *testing.T) {
	for _, body := range []string{`null`, ` null `} {
		_, err := mamori.DecodeEvent([]byte(body))
		wantError(t, err, mamori.EInvalidEvent, "")
		_, err = mamori.DecodeEvents([]byte(body))
		wantError(t, err, mamori.EInvalidEvent, "")
	}
	_, err := mamori.DecodeEvents([]byte(`{"events":[` + string(encode(t, minimal("logout"))) + `,null]}`))
	wantError(t, err, mamori.EInvalidEvent, "events[1]")
}

func TestDecodeEventOfEmptyObjectNamesIDFirst(t *testing.T) {
	for _, body := range []string{`{}`, `{"type":"logout"}`, `{"account_id":"a-1"}`} {
		_, err := mamori.DecodeEvent([]byte(body))
		wantError(t, err, mamori.EInvalidEvent, "id")
	}
	_, err := mamori.DecodeEvent([]byte(`{"id":"e-1","type":"nope"}`))
	wantError(t, err, mamori.EInvalidEvent, "type")
}

func TestTypeErrorPathsUseContractNames(t *testing.T) {
	head := `"id":"e-1","type":"order.placed","time":"2026-11-25T09:30:00Z","account_id":"a-1"`
	for _, tt := range []struct{ body, field string }{
		{`{` + head + `,"Properties":{"items":[{},{"GIFT_CARD":"yes"}]}}`, "properties.items[1].gift_card"},
		{`{` + head + `,"CONTEXT":{"Ip":5}}`, "context.ip"},
		{`{` + head + `,"properties":{"items":[{"ſku":1}]}}`, "properties.items[0].sku"},
	} {
		_, err := mamori.DecodeEvent([]byte(tt.body))
		wantError(t, err, mamori.EInvalidEvent, tt.field)
	}
}

func TestDecodeEventsReturnsBatchInOrder(t *testing.T) {
	types := []string{"account.created", "login.succeeded", "order.placed", "payment.settled", "logout", "login.failed", "fraud.reported"}
	var events []any
	for i, typ := range types {
		ev := set(minimal(typ), "id", fmt.Sprintf("e-%d", i))
		ev = set(ev, "time", fmt.Sprintf("2026-11-25T09:30:%02dZ", i))
		events = append(events, ev)
	}
	evs, err := mamori.DecodeEvents(encode(t, obj{"events": events}))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(types) {
		t.Fatalf("%d events, want %d", len(evs), len(types))
	}
	for i, ev := range evs {
		if ev.ID != fmt.Sprintf("e-%d", i) || ev.Type != types[i] || ev.Time.Second() != i {
			t.Errorf("events[%d] = %s %s %s, want e-%d %s", i, ev.ID, ev.Type, ev.Time, i, types[i])
		}
	}
}

func TestDecodeEventsAcceptsOneEvent(t *testing.T) {
	evs, err := mamori.DecodeEvents(encode(t, fullOrder()))
	if err != nil {
		t.Fatal(err)
	}
	one, err := mamori.DecodeEvent(encode(t, fullOrder()))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !sameEvent(evs[0], one) {
		t.Fatalf("DecodeEvents gave %+v, DecodeEvent %+v", evs, one)
	}
}

func TestDecodeEventsAcceptsFullBatch(t *testing.T) {
	evs, err := mamori.DecodeEvents(batch(t, mamori.MaxBatch))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != mamori.MaxBatch || evs[999].ID != "e-999" {
		t.Fatalf("%d events", len(evs))
	}
}

// batch encodes {"events": [...]} with n valid events e-0, e-1, ...
func batch(t testing.TB, n int, edits ...func(i int, ev obj) obj) []byte {
	t.Helper()
	events := make([]any, n)
	for i := range events {
		ev := minimal("session.activity")
		ev["id"] = "e-" + strconv.Itoa(i)
		for _, edit := range edits {
			ev = edit(i, ev)
		}
		events[i] = ev
	}
	return encode(t, obj{"events": events})
}

func TestDecodeEventsBatchErrorsNameTheEvent(t *testing.T) {
	at := func(n int, path string, v any) func(int, obj) obj {
		return func(i int, ev obj) obj {
			if i == n {
				return set(ev, path, v)
			}
			return ev
		}
	}
	for _, tt := range []struct {
		name  string
		body  []byte
		code  string
		field string
	}{
		{"bad time in the 7th event", batch(t, 10, at(6, "time", "yesterday")), mamori.EInvalidEvent, "events[6].time"},
		{"missing id in the 1st event", batch(t, 3, at(0, "id", deleted)), mamori.EInvalidEvent, "events[0].id"},
		{"unknown type in the last event", batch(t, 3, at(2, "type", "nope")), mamori.EInvalidEvent, "events[2].type"},
		{"wrong-typed gift_card", batch(t, 4, at(3, "type", "order.placed"), at(3, "properties", obj{"order_id": "o", "amount": 1, "currency": "JPY", "items": []any{obj{}, obj{"gift_card": "yes"}}})),
			mamori.EInvalidEvent, "events[3].properties.items[1].gift_card"},
		{"amount as string", batch(t, 2, at(1, "type", "payment.settled"), at(1, "properties", obj{"order_id": "o", "amount": "5", "currency": "JPY"})),
			mamori.EInvalidEvent, "events[1].properties.amount"},
		{"context as string", batch(t, 2, at(1, "context", "web")), mamori.EInvalidEvent, "events[1].context"},
		{"bad ip", batch(t, 9, at(8, "context.ip", "1.2.3")), mamori.EInvalidEvent, "events[8].context.ip"},
		{"first bad event wins", batch(t, 5, at(4, "id", deleted), at(2, "time", "x")), mamori.EInvalidEvent, "events[2].time"},
		{"event is a string", []byte(`{"events":["e-1"]}`), mamori.EInvalidEvent, "events[0]"},
		{"event is an array", []byte(`{"events":[[]]}`), mamori.EInvalidEvent, "events[0]"},
		{"1001 events", batch(t, mamori.MaxBatch+1), mamori.EInvalidEvent, "events"},
		{"empty batch", []byte(`{"events":[]}`), mamori.EInvalidEvent, "events"},
		{"events null", []byte(`{"events":null}`), mamori.EInvalidEvent, "events"},
		{"events an object", []byte(`{"events":{}}`), mamori.EInvalidEvent, "events"},
		{"events a string", []byte(`{"events":"e-1"}`), mamori.EInvalidEvent, "events"},
		{"truncated batch", batch(t, 3)[:40], mamori.EInvalidJSON, ""},
		{"batch with trailing garbage", append(batch(t, 2), ']'), mamori.EInvalidJSON, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := mamori.DecodeEvents(tt.body)
			if evs != nil {
				t.Errorf("a rejected batch returned %d events", len(evs))
			}
			wantError(t, err, tt.code, tt.field)
		})
	}
}

func TestDecodeEventsTreatsSingleEventWithUnknownEventsFieldAsEvent(t *testing.T) {
	body := encode(t, set(minimal("logout"), "events", obj{"seen": 3}))
	if _, err := mamori.DecodeEvent(body); err != nil {
		t.Fatal(err)
	}
	evs, err := mamori.DecodeEvents(body)
	if err != nil || len(evs) != 1 {
		t.Fatalf("DecodeEvents: %d events, %v", len(evs), err)
	}
}

// TestContractExamples checks the examples written in CONTRACT.md.
func TestContractExamples(t *testing.T) {
	t.Run("error body and its field paths", func(t *testing.T) {
		const example = `{"error": {"code": "invalid_event", "message": "...", "field": "properties.items[0].gift_card"}}`
		var body struct {
			Error struct{ Code, Message, Field string }
		}
		if err := json.Unmarshal([]byte(example), &body); err != nil {
			t.Fatal(err)
		}
		ev := set(minimal("order.placed"), "properties.items[0].gift_card", "yes")
		_, err := mamori.DecodeEvent(encode(t, ev))
		wantError(t, err, body.Error.Code, body.Error.Field)

		_, err = mamori.DecodeEvent(encode(t, set(minimal("order.placed"), "properties.amount", "5000")))
		wantError(t, err, mamori.EInvalidEvent, "properties.amount")

		_, err = mamori.DecodeEvents(batch(t, 7, func(i int, ev obj) obj {
			if i == 6 {
				return set(ev, "time", "not a time")
			}
			return ev
		}))
		wantError(t, err, mamori.EInvalidEvent, "events[6].time")
	})
	t.Run("decision", func(t *testing.T) {
		const example = `{"event_id": "e-123", "decision": "review", "score": 0.97,
     "reasons": [{"code": "new_device", "message": "..."}, {"code": "gift_card_to_new_recipient", "message": "..."}],
     "actions": ["hold_pending_orders", "revoke_sessions", "notify_customer"],
     "case_id": "c-7"}`
		dec := json.NewDecoder(strings.NewReader(example))
		dec.DisallowUnknownFields()
		var d mamori.Decision
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.EventID != "e-123" || d.Decision != mamori.Review || d.Score != 0.97 || len(d.Reasons) != 2 ||
			d.Reasons[1].Code != "gift_card_to_new_recipient" || !d.Has(mamori.HoldPendingOrders) || d.CaseID != "c-7" {
			t.Fatalf("decoded %+v", d)
		}
	})
	t.Run("batch", func(t *testing.T) {
		// {"events": [Event, ...]}
		body := encode(t, obj{"events": []any{minimal("logout"), set(minimal("login.succeeded"), "id", "e-2")}})
		evs, err := mamori.DecodeEvents(body)
		if err != nil || len(evs) != 2 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
	})
}

// sameEvent compares events as the contract sees them: times by instant,
// an empty list like an absent one, pointers by what they point to.
func sameEvent(a, b mamori.Event) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	a.Raw, b.Raw = nil, nil
	a.Properties, b.Properties = normalize(a.Properties), normalize(b.Properties)
	return reflect.DeepEqual(a, b)
}

func normalize(p mamori.Properties) mamori.Properties {
	if len(p.Items) == 0 {
		p.Items = nil
	}
	if len(p.OrderIDs) == 0 {
		p.OrderIDs = nil
	}
	return p
}

// A decoded event carries its JSON as sent, which the log keeps and
// replays with encoding/json; a time replay could not read is refused
// here, not found unreadable at the next start.
func TestDecodedEventKeepsItsJSONAndATimeReplayCanRead(t *testing.T) {
	body := []byte(`{"id":"e-1","type":"logout","time":"2026-11-25T09:30:00+09:00","account_id":"a-1","extra":[1,2]}`)
	ev, err := mamori.DecodeEvent(body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ev.Raw, body) {
		t.Errorf("Raw = %s, want the body", ev.Raw)
	}
	var replayed mamori.Event
	if err := json.Unmarshal(ev.Raw, &replayed); err != nil || !replayed.Time.Equal(ev.Time) {
		t.Errorf("replayed time %v, %v; want %v", replayed.Time, err, ev.Time)
	}
	// Valid JSON for a valid time, but time.Time's decoder, which replay
	// uses, does not unescape.
	escaped := []byte(`{"id":"e-2","type":"logout","time":"\u0032026-11-25T09:30:00Z","account_id":"a-1"}`)
	var e *mamori.Error
	if _, err := mamori.DecodeEvent(escaped); !errors.As(err, &e) || e.Field != "time" || !strings.Contains(e.Message, "without JSON escapes") {
		t.Errorf("an escaped time: %v; want an error on time that says why", err)
	}
}
