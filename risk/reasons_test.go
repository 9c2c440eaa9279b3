package risk_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// playWithCrowd is play, with what other accounts show (the engine's
// cross-account counters) given to the last event.
func playWithCrowd(t *testing.T, scenario []ev, crowd risk.Crowd) mamori.Decision {
	t.Helper()
	p := newPure(t)
	if _, err := p.Record(context.Background(), history()); err != nil {
		t.Fatal(err)
	}
	var d mamori.Decision
	for i, e := range scenario {
		e.ID, e.AccountID = fmt.Sprintf("x-%d", i), "a-1"
		if i == len(scenario)-1 {
			p.crowd = crowd
		}
		if e.Type == mamori.AccountLockedDown {
			// mamori's own event (the API's lockdown call), not the store's.
			d = p.decide(e)
			continue
		}
		var err error
		if d, err = p.Decide(context.Background(), e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	return d
}

func order(session string, c mamori.Context, min int, id string, amt int64, item mamori.Item, d *mamori.Delivery, pay *mamori.Payment) ev {
	return ev{Type: mamori.OrderPlaced, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{
		OrderID: id, Amount: amount(amt), Currency: "JPY", Items: []mamori.Item{item}, Delivery: d, Payment: pay}}
}

// TestEachReasonCode gives every reason code not already shown by the
// other tables a hand-built case on the month of history that brings it.
func TestEachReasonCode(t *testing.T) {
	firefox := mamori.Context{IP: "153.156.78.77", DeviceID: "laptop", UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
	script := mamori.Context{IP: "153.156.78.77", DeviceID: "laptop", UserAgent: "python-requests/2.32.3"}
	movedToHosting := mamori.Context{IP: hosting.IP, DeviceID: home.DeviceID, UserAgent: home.UserAgent}
	ebook := mamori.Item{SKU: "eb", Category: "ebooks", Digital: true}
	books := mamori.Item{SKU: "b", Category: "books"}
	ship := &mamori.Delivery{Type: "ship"}
	tests := []struct {
		code     string
		scenario []ev
		crowd    risk.Crowd
	}{
		{risk.ReasonNewBrowser, []ev{signIn("s1", firefox, 0)}, risk.Crowd{}},
		{risk.ReasonNewASN, []ev{signIn("s1", abroad, 0)}, risk.Crowd{}},
		{risk.ReasonHostingNetwork, []ev{signIn("s1", hosting, 0)}, risk.Crowd{}},
		{risk.ReasonAutomatedClient, []ev{signIn("s1", script, 0)}, risk.Crowd{}},
		{risk.ReasonCredentialStuffing, []ev{signIn("s1", hosting, 0)}, risk.Crowd{IPFailures: 40, IPFailedAccounts: 25}},
		{risk.ReasonAccountLocked, []ev{{Type: mamori.AccountLockedDown, Time: at(0), Properties: mamori.Properties{Reason: "support"}},
			signIn("s1", home, 1)}, risk.Crowd{}},
		{risk.ReasonLockdown, []ev{{Type: mamori.AccountLockedDown, Time: at(0), Properties: mamori.Properties{Reason: "support"}}}, risk.Crowd{}},
		{risk.ReasonDigitalGoods, []ev{signIn("s1", home, 0), order("s1", home, 2, "o1", 1200, ebook,
			&mamori.Delivery{Type: "email", RecipientEmail: "a@example.jp"}, nil)}, risk.Crowd{}},
		{risk.ReasonDeclines, []ev{signIn("s1", home, 0), order("s1", home, 2, "o1", 3000, books, ship, nil),
			{Type: mamori.PaymentDeclined, Time: at(3), SessionID: "s1", Context: home, Properties: mamori.Properties{OrderID: "o1", Reason: "insufficient_funds"}},
			giftCard("s1", home, 4, "g1", "x1@mail.example")}, risk.Crowd{}},
		{risk.ReasonAmountUnusual, []ev{signIn("s1", home, 0), order("s1", home, 2, "o1", 90000, books, ship, nil)}, risk.Crowd{}},
		{risk.ReasonSessionNetworkMoved, []ev{signIn("s1", home, 0), giftCard("s1", movedToHosting, 2, "g1", "x1@mail.example")}, risk.Crowd{}},
		{risk.ReasonRecipientShared, []ev{signIn("s1", home, 0), giftCard("s1", home, 2, "g1", "x1@mail.example")}, risk.Crowd{RecipientAccounts: 3}},
		{risk.ReasonGiftCardValue, []ev{signIn("s1", home, 0), giftCard("s1", home, 1, "g1", "x1@mail.example"),
			giftCard("s1", home, 2, "g2", "x2@mail.example"), giftCard("s1", home, 3, "g3", "x3@mail.example"),
			giftCard("s1", home, 4, "g4", "x4@mail.example"), giftCard("s1", home, 5, "g5", "x5@mail.example")}, risk.Crowd{}},
		{risk.ReasonSharedDevice, []ev{signIn("s1", home, 0), giftCard("s1", home, 2, "g1", "x1@mail.example")}, risk.Crowd{DeviceAccounts: 4}},
		{risk.ReasonOpenCase, []ev{{Type: mamori.FraudReported, Time: at(0), Properties: mamori.Properties{By: "bank"}},
			signIn("s1", home, 1), giftCard("s1", home, 2, "g1", "x1@mail.example")}, risk.Crowd{}},
		{risk.ReasonShipToNewAddress, []ev{signIn("s1", home, 0),
			{Type: mamori.AddressAdded, Time: at(1), SessionID: "s1", Context: home, Properties: mamori.Properties{AddressID: "addr-9", Country: "JP", PostalCode: "150-0001"}},
			order("s1", home, 2, "o1", 8000, books, &mamori.Delivery{Type: "ship", AddressID: "addr-9"}, nil)}, risk.Crowd{}},
		{risk.ReasonNewPaymentOrAddress, []ev{signIn("s1", home, 0),
			{Type: mamori.PaymentMethodAdded, Time: at(1), SessionID: "s1", Context: home, Properties: mamori.Properties{MethodID: "pm-9", Type: "credit", Last4: "4242"}},
			order("s1", home, 2, "o1", 8000, books, ship, &mamori.Payment{MethodID: "pm-9", Type: "credit"})}, risk.Crowd{}},
		{risk.ReasonFirstGiftCard, []ev{signIn("s1", home, 0), giftCard("s1", home, 2, "g1", "x1@mail.example")}, risk.Crowd{}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			d := playWithCrowd(t, tt.scenario, tt.crowd)
			if !hasCodes(d, tt.code) {
				t.Fatalf("%s %v: reasons %+v lack %s", d.Decision, d.Actions, d.Reasons, tt.code)
			}
		})
	}
}
