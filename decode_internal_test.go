package mamori

import (
	"reflect"
	"testing"
)

// FuzzDecodeFastAndWireAgree checks the two ways decodeEvent reads an
// event: straight into an Event (every event it accepts) and, when that
// fails, in the wire form with the time raw. Both must accept the same
// bodies, as the same event, and refuse the same ones with the same
// error.
//
//	go test -run '^$' -fuzz FuzzDecodeFastAndWireAgree -fuzztime 60s .
func FuzzDecodeFastAndWireAgree(f *testing.F) {
	for _, s := range []string{
		`{"id":"e-1","type":"login.succeeded","time":"2026-11-01T09:00:00Z","account_id":"a-1","context":{"ip":"153.1.2.3","user_agent":"Mozilla/5.0"},"properties":{"mfa":"totp"}}`,
		`{"id":"e-1","type":"order.placed","time":"2026-11-01T09:00:00.123+09:00","account_id":"a-1","properties":{"order_id":"o-1","amount":530,"currency":"JPY"}}`,
		`{"id":"e-1","type":"logout","time":"2026-11-01T09:00:00\u005a","account_id":"a-1"}`,
		`{"id":"e-1","type":"logout","time":null,"account_id":"a-1"}`,
		`{"id":"e-1","type":"logout","account_id":"a-1"}`,
		`{"id":"e-1","type":"logout","time":"0001-01-01T00:00:00Z","account_id":"a-1"}`,
		`{"id":"e-1","type":"logout","time":1767225600,"account_id":"a-1"}`,
		`{"id":"e-1","type":"logout","time":"yesterday","account_id":"a-1"}`,
		`{"id":7,"type":"logout","time":"2026-11-01T09:00:00Z"}`,
		`{"id":"e-1","type":"logout","time":"2026-11-01T09:00:00Z","account_id":"a-1","context":[]}`,
		`{"id":"e-1","type":"logout","time":"2026-11-01T09:00:00Z","time":"2026-11-02T09:00:00Z","account_id":"a-1"}`,
		`[]`, `"x"`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if isNull(data) {
			return // refused before either way is tried
		}
		var fast, wire Event
		errFast := decodeEvent(data, "events[3]", &fast)
		errWire := decodeWire(data, "events[3]", &wire)
		if (errFast == nil) != (errWire == nil) {
			t.Fatalf("decodeEvent: %v; in the wire form: %v", errFast, errWire)
		}
		if errFast != nil {
			if errFast.Error() != errWire.Error() {
				t.Fatalf("decodeEvent: %v; in the wire form: %v", errFast, errWire)
			}
			return
		}
		if !reflect.DeepEqual(fast, wire) {
			t.Fatalf("decodeEvent gives\n%#v\nthe wire form\n%#v", fast, wire)
		}
	})
}
