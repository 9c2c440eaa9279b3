package statepack

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// FuzzUnpack feeds Unpack damaged and made-up packed states. It must not
// panic; what it accepts must pack and unpack again to the same state.
func FuzzUnpack(f *testing.F) {
	// The seeds are small, as the fuzzer minimizes what it finds in time
	// quadratic in its length. They are packed against one table, whose
	// entries every run starts from, so that a seed kept in testdata
	// means the same later.
	seeds := NewStrings(1 << 10)
	for _, st := range fuzzSeeds(f) {
		f.Add(Append(nil, st, seeds))
		f.Add(Append(nil, st, nil)) // every string inline
	}
	// Full from the start, the table does not change from run to run.
	tab := LoadStrings(seeds.List(), 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		email, emailErr := Email(b)
		st, err := Unpack(b, tab)
		if err != nil {
			return
		}
		if emailErr != nil || string(email) != st.Email {
			t.Fatalf("Email gives %q (%v) of a state Unpack gives the e-mail %q", email, emailErr, st.Email)
		}
		again, err := Unpack(Append(nil, st, tab), tab)
		if err != nil {
			t.Fatalf("a state Unpack accepted does not unpack once packed again: %v", err)
		}
		sameState(t, st, again)
	})
}

// fuzzSeeds returns small states that take every path of the codec.
func fuzzSeeds(tb testing.TB) []*risk.State {
	// Every field set, one element per slice.
	filled := &risk.State{}
	f := filler{elems: 1, short: true}
	f.fill(tb, reflect.ValueOf(filled).Elem(), "State")

	// A small account as the risk core leaves it.
	var simulated *risk.State
	for _, st := range slices.Backward(testStates(tb)) {
		if len(st.Sessions) >= 2 && len(st.Orders) >= 2 {
			simulated = st
			break
		}
	}

	// Strings repeated, referred to and shared; times in zones.
	jst := time.FixedZone("", 9*3600)
	last := time.Date(2026, 12, 1, 9, 30, 0, 0, jst)
	ua := strings.Repeat("Mozilla/5.0 ", 3)
	refs := &risk.State{
		AccountID: "a1", LastTime: last, Risk: 0.25, EventCount: 9,
		Devices: []risk.Seen{{Key: "d1", First: last.Add(-time.Hour), Last: last, Count: 2}, {Key: "d2", First: last, Last: last, Count: 1}},
		Agents:  []risk.Seen{{Key: ua, First: last.Add(-time.Hour).UTC(), Last: last.Add(-time.Millisecond), Count: 2}},
		Sessions: []risk.Session{
			{ID: "s1", DeviceID: "d1", IP: "192.0.2.1", UserAgent: ua, Started: last.Add(-time.Hour), LastSeen: last.Add(-time.Microsecond), SignInRisk: 0.1, StartRisk: 0.1, Verified: true},
			{ID: "s2", DeviceID: "d2", IP: "192.0.2.1", UserAgent: ua, Started: last, LastSeen: last, SignInRisk: 0.9, StartRisk: 0.95, Declines: 2, NewMethods: []string{"card"}},
		},
		Orders: []risk.Order{
			{ID: "o1", Time: last, SessionID: "s2", Amount: 5000, Currency: "JPY", Status: "held", Recipient: "r@example.com", GiftCard: true},
			{ID: "o2", Time: last, SessionID: "s2", Amount: 530, Currency: "JPY", Status: "held", Recipient: "r@example.com", Score: 1.0 / 3},
		},
		Cases: []mamori.Case{{ID: "c1", AccountID: "a1", Status: "open", Opened: last, Deadline: last.Add(72 * time.Hour),
			History: []mamori.CaseChange{{Status: "open", By: "mamori", At: last}}, Notes: []mamori.CaseNote{{By: "ana", At: last, Text: "hm"}}}},
		Actions: []mamori.ActionTaken{{Action: "hold_pending_orders", Time: last, EventID: "e1", CaseID: "c1"}, {Action: "notify_customer", Time: last, EventID: "e1", CaseID: "c1"}},
		Messages: []risk.Message{{ID: "m-9", Kind: "risky_order", Time: last, Orders: []risk.MessageOrder{{ID: "o1", Amount: 5000, Currency: "JPY", Status: "held"}},
			Actions: []mamori.Action{"hold_pending_orders"}, CaseID: "c1"}},
	}
	return []*risk.State{{}, filled, simulated, refs}
}
