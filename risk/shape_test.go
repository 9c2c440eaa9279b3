package risk_test

import (
	"context"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/mamori-dev/mamori"
)

// TestApplyKeepsListsTight guards the shape of a long-lived account's
// memory: the lists it keeps grow by little, not by doubling, so that
// little room is left unused for good.
func TestApplyKeepsListsTight(t *testing.T) {
	p := newPure(t)
	if _, err := p.Record(context.Background(), history()); err != nil {
		t.Fatal(err)
	}
	// Forty more sign-ins, each from a new device, network and user agent,
	// with an order, a failed sign-in and a new card.
	var evs []mamori.Event
	for i := range 40 {
		s := fmt.Sprintf("s-n%d", i)
		c := mamori.Context{IP: fmt.Sprintf("153.%d.78.10", 100+i), DeviceID: fmt.Sprintf("dev-%d", i),
			UserAgent: fmt.Sprintf("Browser%d/1.0 (OS%d)", i, i)}
		tm := later.Add(time.Duration(i) * 24 * time.Hour)
		amt := int64(1000 + i)
		evs = append(evs,
			mamori.Event{Type: mamori.LoginFailed, Time: tm, Context: c},
			mamori.Event{Type: mamori.LoginSucceeded, Time: tm.Add(time.Minute), SessionID: s, Context: c},
			mamori.Event{Type: mamori.PaymentMethodAdded, Time: tm.Add(2 * time.Minute), SessionID: s, Context: c,
				Properties: mamori.Properties{MethodID: fmt.Sprintf("card-%d", i)}},
			mamori.Event{Type: mamori.OrderPlaced, Time: tm.Add(3 * time.Minute), SessionID: s, Context: c,
				Properties: mamori.Properties{OrderID: fmt.Sprintf("o-n%d", i), Amount: &amt, Currency: "JPY",
					Items: []mamori.Item{{SKU: "b", Category: "books"}}, Delivery: &mamori.Delivery{Type: "ship"}}},
		)
	}
	for i := range evs {
		evs[i].ID, evs[i].AccountID = fmt.Sprintf("n-%d", i), "a-1"
	}
	if _, err := p.Record(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	st := p.states["a-1"]
	tests := []struct {
		name     string
		len, cap int
	}{
		{"Sessions", len(st.Sessions), cap(st.Sessions)},
		{"Orders", len(st.Orders), cap(st.Orders)},
		{"Devices", len(st.Devices), cap(st.Devices)},
		{"Networks", len(st.Networks), cap(st.Networks)},
		{"Agents", len(st.Agents), cap(st.Agents)},
		{"Failures", len(st.Failures), cap(st.Failures)},
		{"Changes", len(st.Changes), cap(st.Changes)},
	}
	for _, tt := range tests {
		if tt.len < 10 {
			t.Errorf("%s: %d entries; the test means to fill it", tt.name, tt.len)
		}
		if spare := tt.cap - tt.len; spare > 1+tt.len/4 {
			t.Errorf("%s: %d entries with room for %d: %d unused, want at most %d", tt.name, tt.len, tt.cap, spare, 1+tt.len/4)
		}
	}
	// An order keeps its session's copy of the id, not one of its own.
	for _, o := range st.Orders {
		if s := st.Session(o.SessionID); s != nil && unsafe.StringData(s.ID) != unsafe.StringData(o.SessionID) {
			t.Errorf("order %s keeps its own copy of session id %s", o.ID, o.SessionID)
		}
	}
}
