package mamori_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mamori-dev/mamori"
)

// contractExamples are the JSON bodies written in CONTRACT.md, as written:
// some are not JSON at all ({"accepted": N}), which is as good a seed.
var contractExamples = []string{
	`{"error": {"code": "invalid_event", "message": "...", "field": "properties.items[0].gift_card"}}`,
	`{"events": [Event, ...]}`,
	`{"reason": "..."}`,
	`{"accepted": N}`,
	`{"event_id": "e-123", "decision": "review", "score": 0.97,
     "reasons": [{"code": "new_device", "message": "..."}, {"code": "gift_card_to_new_recipient", "message": "..."}],
     "actions": ["hold_pending_orders", "revoke_sessions", "notify_customer"],
     "case_id": "c-7"}`,
	`{"account_id": "a-1", "status": "active" | "locked", "risk": 0.12,
     "sessions": [{"session_id", "device_id", "ip", "started", "last_seen", "revoked": bool}],
     "trusted_devices": [{"device_id", "since"}],
     "open_case_ids": ["c-7"]}`,
}

// seeds returns the contract's examples, one valid event per type, and a
// few events the decoder must reject at a precise path.
func seeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, ex := range contractExamples {
		out = append(out, []byte(ex))
	}
	var all []any
	for _, typ := range contractTypes {
		ev := minimal(typ)
		out = append(out, encode(t, ev))
		all = append(all, set(ev, "id", "e-"+typ))
	}
	out = append(out,
		encode(t, fullOrder()),
		encode(t, obj{"events": all}),
		encode(t, set(set(minimal("login.failed"), "account_id", deleted), "properties.username", "alice")),
		encode(t, set(fullOrder(), "properties.items[1].gift_card", "yes")),
		encode(t, set(fullOrder(), "properties.amount", raw("5000.5"))),
		encode(t, set(minimal("logout"), "context", "web")),
		encode(t, obj{"events": []any{minimal("logout"), set(minimal("logout"), "time", "now")}}),
		[]byte(`{"id":"e-1","type":"logout","time":"2026-11-25T18:30:00.5+09:00","account_id":"a-1","future":{"x":[1,{"y":null}]}}`),
		[]byte(`null`), []byte(`[]`), []byte(`"x"`), []byte(`{}`), []byte(`{"events":[]}`),
	)
	return out
}

// pathSyntax is the contract's field path: dots between names, [i] for
// array elements.
var pathSyntax = regexp.MustCompile(`^[a-z_]+(\[\d+\])?(\.[a-z_0-9]+(\[\d+\])?)*$`)

// contractNames holds every name a field path may use.
var contractNames = func() map[string]bool {
	m := make(map[string]bool)
	for _, n := range strings.Fields(`events id type time account_id session_id context properties
		ip user_agent device_id accept_language
		email mfa remembered_device reason username method page by new_email enabled method_id
		last4 address_id country postal_code order_id amount currency items payment delivery
		descriptor redeemer_account_id order_ids
		sku name category quantity unit_price gift_card digital recipient_email`) {
		m[n] = true
	}
	return m
}()

var pathIndex = regexp.MustCompile(`\[\d+\]`)

// checkError fails unless err is what the contract promises for a body
// that is rejected: invalid_json exactly when the body does not parse,
// otherwise invalid_event with, when given, a path of contract names.
func checkError(t *testing.T, data []byte, err error) {
	t.Helper()
	e, ok := err.(*mamori.Error)
	if !ok {
		t.Fatalf("error %T %v, want *mamori.Error", err, err)
	}
	if e.Message == "" {
		t.Fatalf("%s at %q without a message", e.Code, e.Field)
	}
	switch e.Code {
	case mamori.EInvalidJSON:
		if json.Valid(data) {
			t.Fatalf("invalid_json for parseable JSON: %v", e)
		}
		if e.Field != "" {
			t.Fatalf("invalid_json names a field: %v", e)
		}
	case mamori.EInvalidEvent:
		if !json.Valid(data) {
			t.Fatalf("invalid_event for unparseable JSON: %v", e)
		}
		if e.Field == "" {
			return
		}
		if !pathSyntax.MatchString(e.Field) {
			t.Fatalf("field %q is not a path: %v", e.Field, e)
		}
		for _, seg := range strings.Split(pathIndex.ReplaceAllString(e.Field, ""), ".") {
			if !contractNames[seg] {
				t.Fatalf("field %q names %q, not a field of the contract: %v", e.Field, seg, e)
			}
		}
	default:
		t.Fatalf("code %q, want invalid_json or invalid_event: %v", e.Code, e)
	}
}

// checkRoundTrip fails unless ev, written back out as JSON, decodes to the
// same event.
func checkRoundTrip(t *testing.T, ev mamori.Event) {
	t.Helper()
	if err := ev.Validate(); err != nil {
		t.Fatalf("decoded event fails Validate: %v", err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("decoded event does not encode: %v", err)
	}
	again, err := mamori.DecodeEvent(b)
	if err != nil {
		t.Fatalf("re-encoded event %s is rejected: %v", b, err)
	}
	if !sameEvent(ev, again) {
		t.Fatalf("round trip changed the event:\n%+v\n%+v", ev, again)
	}
	// The log keeps Raw and replays it with encoding/json: it must give
	// the same event, or a start after this event would fail.
	var replayed mamori.Event
	if err := json.Unmarshal(ev.Raw, &replayed); err != nil {
		t.Fatalf("the event as sent, %s, does not replay: %v", ev.Raw, err)
	}
	if !sameEvent(ev, replayed) {
		t.Fatalf("replaying the event as sent changed it:\n%+v\n%+v", ev, replayed)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := mamori.DecodeEvent(data)
		if err != nil {
			checkError(t, data, err)
			return
		}
		checkRoundTrip(t, ev)
		evs, err := mamori.DecodeEvents(data)
		if err != nil || len(evs) != 1 || !sameEvent(evs[0], ev) {
			t.Fatalf("DecodeEvent accepts the body, DecodeEvents gives %d events, %v", len(evs), err)
		}
	})
}

func FuzzDecodeEvents(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := mamori.DecodeEvents(data)
		if err != nil {
			if evs != nil {
				t.Fatalf("a rejected body returned %d events", len(evs))
			}
			checkError(t, data, err)
			return
		}
		if len(evs) < 1 || len(evs) > mamori.MaxBatch {
			t.Fatalf("%d events accepted", len(evs))
		}
		for _, ev := range evs {
			checkRoundTrip(t, ev)
		}
		b, err := json.Marshal(map[string]any{"events": evs})
		if err != nil {
			t.Fatal(err)
		}
		again, err := mamori.DecodeEvents(b)
		if err != nil || len(again) != len(evs) {
			t.Fatalf("re-encoded batch gives %d events, %v", len(again), err)
		}
		for i := range evs {
			if !sameEvent(evs[i], again[i]) {
				t.Fatalf("round trip changed events[%d]:\n%+v\n%+v", i, evs[i], again[i])
			}
		}
	})
}

// itemFields are the typed fields of an order item, each with a value of
// the wrong type.
var itemFields = []struct{ name, wrong, right string }{
	{"sku", `1`, `"sku-1"`},
	{"name", `true`, `"Tea"`},
	{"category", `[]`, `"food"`},
	{"quantity", `"2"`, `2`},
	{"unit_price", `1.5`, `100`},
	{"gift_card", `"yes"`, `true`},
	{"digital", `{}`, `false`},
}

// FuzzFieldPath builds orders, alone or in a batch, with one wrong-typed
// item field among look-alikes, laid out in many ways, and checks the
// error names exactly that field.
func FuzzFieldPath(f *testing.F) {
	f.Add(uint8(2), uint8(1), uint8(5), uint8(0), uint8(0), false)
	f.Add(uint8(7), uint8(6), uint8(3), uint8(3), uint8(6), true)
	f.Add(uint8(1), uint8(0), uint8(4), uint8(255), uint8(1), false)
	f.Fuzz(func(t *testing.T, nItems, bad, field, layout, batchAt uint8, pretty bool) {
		n := int(nItems%12) + 1
		k := int(bad) % n
		fld := itemFields[int(field)%len(itemFields)]
		var items []string
		for i := 0; i < n; i++ {
			var parts []string
			if layout&1 != 0 {
				// An unknown field holding the same name and a wrong value.
				parts = append(parts, fmt.Sprintf(`"x":{"%s":%s,"y":[[%d],{}]}`, fld.name, fld.wrong, i))
			}
			switch {
			case i == k:
				parts = append(parts, fmt.Sprintf(`"%s":%s`, fld.name, fld.wrong))
			case layout&2 != 0:
				parts = append(parts, fmt.Sprintf(`"%s":%s`, fld.name, fld.right))
			}
			if layout&4 != 0 {
				parts = append(parts, `"sku":"s"`)
			}
			items = append(items, "{"+strings.Join(parts, ",")+"}")
		}
		props := `"properties":{"order_id":"o-1","amount":1,"currency":"JPY","items":[` + strings.Join(items, ",") + `]}`
		head := `"id":"e-1","type":"order.placed","time":"2026-11-25T09:30:00Z","account_id":"a-1"`
		event := "{" + head + "," + props + "}"
		if layout&8 != 0 {
			event = "{" + props + "," + head + "}"
		}
		want := "properties.items[" + strconv.Itoa(k) + "]." + fld.name
		body := event
		decode := func(b []byte) error { _, err := mamori.DecodeEvent(b); return err }
		if m := int(batchAt % 5); m > 0 {
			var evs []string
			for i := 0; i < m; i++ {
				evs = append(evs, `{"id":"e-`+strconv.Itoa(i)+`","type":"logout","time":"2026-11-25T09:30:00Z","account_id":"a-1","properties":{"items":[{}]}}`)
			}
			evs = append(evs, event)
			body = `{"events":[` + strings.Join(evs, ",") + `]}`
			want = "events[" + strconv.Itoa(m) + "]." + want
			decode = func(b []byte) error { _, err := mamori.DecodeEvents(b); return err }
		}
		b := []byte(body)
		if pretty {
			var buf bytes.Buffer
			if err := json.Indent(&buf, b, " ", "\t"); err != nil {
				t.Fatalf("test built bad JSON %s: %v", b, err)
			}
			b = buf.Bytes()
		}
		err := decode(b)
		var e *mamori.Error
		if !errors.As(err, &e) || e.Code != mamori.EInvalidEvent || e.Field != want {
			t.Fatalf("%s\ngot %v, want invalid_event at %q", b, err, want)
		}
	})
}
