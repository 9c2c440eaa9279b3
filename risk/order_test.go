package risk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

const day = 24 * 60 // minutes

func hide(session string, c mamori.Context, min int, id string) ev {
	return ev{Type: mamori.OrderHidden, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{OrderID: id}}
}

func redeemed(min int, id, by string) ev {
	return ev{Type: mamori.GiftCardRedeemed, Time: at(min), Properties: mamori.Properties{OrderID: id, Amount: amount(5000), RedeemerAccount: by}}
}

func tea(session string, c mamori.Context, min int) ev {
	return ev{Type: mamori.OrderPlaced, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{
		OrderID: "tea", Amount: amount(530), Currency: "JPY", Items: []mamori.Item{{SKU: "tea", Category: "grocery"}},
		Delivery: &mamori.Delivery{Type: "ship"}}}
}

// mimic is a takeover on a new device from the owner's own provider, a
// neighbouring address block, with the owner's browser.
var mimic = mamori.Context{IP: "153.156.91.20", DeviceID: "mimic", UserAgent: "Chrome/131 Windows"}

func activity(session string, c mamori.Context, min int) ev {
	return ev{Type: mamori.SessionActivity, Time: at(min), SessionID: session, Context: c, Properties: mamori.Properties{Page: "home"}}
}

// TestOrdersInTime covers what an order's facts mean with time: the
// visit a session step belongs to, how long a device stays new, what a
// spent card says, and the hide that gives a takeover away.
func TestOrdersInTime(t *testing.T) {
	protective := []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions, mamori.NotifyCustomer}
	tests := []struct {
		name     string
		scenario []ev
		want     mamori.Outcome // of the last event
		codes    []string       // reasons the last decision must give
		absent   []string       // reasons it must not give
		actions  []mamori.Action
	}{
		{"a small order just before a gift card counts as a card test", []ev{signIn("s1", home, 0), tea("s1", home, 2),
			giftCard("s1", home, 5, "g1", "x1@mail.example")}, mamori.Allow, []string{risk.ReasonCardTest}, nil, nil},
		{"a small order in an earlier visit of a long session does not", []ev{signIn("s1", home, 0), tea("s1", home, 2),
			activity("s1", home, 2*day), giftCard("s1", home, 2*day+5, "g1", "x1@mail.example")},
			mamori.Allow, []string{risk.ReasonGiftCard}, []string{risk.ReasonCardTest}, nil},
		{"a card added in an earlier visit is no longer new", []ev{signIn("s1", home, 0),
			{Type: mamori.PaymentMethodAdded, Time: at(1), SessionID: "s1", Context: home, Properties: mamori.Properties{MethodID: "pm-9", Type: "credit", Last4: "4242"}},
			{Type: mamori.OrderPlaced, Time: at(3 * day), SessionID: "s1", Context: home, Properties: mamori.Properties{
				OrderID: "o1", Amount: amount(5000), Currency: "JPY", Items: []mamori.Item{{SKU: "b", Category: "books"}},
				Payment: &mamori.Payment{MethodID: "pm-9", Type: "credit"}, Delivery: &mamori.Delivery{Type: "ship"}}}},
			mamori.Allow, nil, []string{risk.ReasonNewPaymentOrAddress, risk.ReasonRecentChange}, nil},
		{"a card spent at once on the buyer's own account says nothing", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 1, "g1", "a@example.jp"), redeemed(4, "g1", "a-1"),
			giftCard("s1", home, 10, "g2", "x2@mail.example")}, mamori.Allow, nil, []string{risk.ReasonFastRedemption}, nil},
		{"a card spent at once by another account counts against the next", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 1, "g1", "x1@mail.example"), redeemed(4, "g1", "mule-7"),
			giftCard("s1", home, 10, "g2", "x2@mail.example")}, mamori.Allow, []string{risk.ReasonFastRedemption}, nil, nil},
		{"whoever spent a card at once stays a stranger weeks later", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 1, "g1", "x1@mail.example"), redeemed(4, "g1", "mule-7"),
			signIn("s2", home, 10*day), giftCard("s2", home, 10*day+2, "g2", "x1@mail.example")},
			mamori.Allow, []string{risk.ReasonFastRedemption, risk.ReasonNewRecipient}, nil, nil},
		{"a gift card from a new phone two days into its session is the owner's", []ev{signIn("s1", newPhone, 0),
			activity("s1", newPhone, 3*day), giftCard("s1", newPhone, 3*day+2, "g1", "x1@mail.example")},
			mamori.Allow, []string{risk.ReasonGiftCard}, []string{risk.ReasonNewDeviceSession}, nil},
		{"the owner hiding her own gift card is left alone", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 2, "g1", "x1@mail.example"), hide("s1", home, 3, "g1")}, mamori.Allow, nil, nil, nil},
		{"a new phone's session hiding the gift card it just bought is stopped", []ev{signIn("s1", mimic, 0),
			giftCard("s1", mimic, 2, "g1", "x1@mail.example"), hide("s1", mimic, 3, "g1")},
			mamori.Allow, []string{risk.ReasonOrdersHidden}, nil, protective},
		{"a hide an hour later judges nothing again", []ev{signIn("s1", mimic, 0),
			giftCard("s1", mimic, 2, "g1", "x1@mail.example"), hide("s1", mimic, 90, "g1")},
			mamori.Allow, nil, nil, nil},
		{"after a caught hide the device signs in as the case's", []ev{signIn("s1", mimic, 0),
			giftCard("s1", mimic, 2, "g1", "x1@mail.example"), hide("s1", mimic, 3, "g1"),
			signIn("s2", mimic, day)}, mamori.Challenge, []string{risk.ReasonSuspectDevice}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := playTo(t, tt.scenario, tt.want, tt.codes)
			for _, c := range tt.absent {
				if hasCodes(d, c) {
					t.Fatalf("reasons %+v give %s", d.Reasons, c)
				}
			}
			if tt.actions == nil && len(d.Actions) > 0 {
				t.Fatalf("actions %v, want none", d.Actions)
			}
			for _, a := range tt.actions {
				if !slices.Contains(d.Actions, a) {
					t.Fatalf("actions %v lack %s", d.Actions, a)
				}
			}
		})
	}
}

// TestAChangeFromANewDeviceWeighsByKind: a new e-mail address set from a
// device the account first saw that day is how a sleeper keeps the
// account; trusting the new phone is what its owner does with it.
func TestAChangeFromANewDeviceWeighsByKind(t *testing.T) {
	later := func(change ev) mamori.Decision {
		ds := play(t, []ev{signIn("s1", newPhone, 0), change, {Type: mamori.Logout, Time: at(5), SessionID: "s1", Context: newPhone},
			signIn("s2", newPhone, 3*day), giftCard("s2", newPhone, 3*day+2, "g1", "a@example.jp")})
		return ds[len(ds)-1]
	}
	trusted := later(ev{Type: mamori.DeviceTrusted, Time: at(1), SessionID: "s1", Context: newPhone})
	email := later(ev{Type: mamori.EmailChanged, Time: at(1), SessionID: "s1", Context: newPhone, Properties: mamori.Properties{NewEmail: "a@example.jp"}})
	odds := func(d mamori.Decision) float64 { return d.Score / (1 - d.Score) }
	if !hasCodes(email, risk.ReasonRecentChangeNewDev) || !hasCodes(trusted, risk.ReasonRecentChangeNewDev) {
		t.Fatalf("both orders must give %s: %+v / %+v", risk.ReasonRecentChangeNewDev, email.Reasons, trusted.Reasons)
	}
	if r := odds(email) / odds(trusted); r < 8 {
		t.Fatalf("a new e-mail weighs %.1f times a trusted device (scores %.3f, %.3f), want 10", r, email.Score, trusted.Score)
	}
	if trusted.Decision != mamori.Allow {
		t.Fatalf("the owner's gift card after trusting her new phone: %s", trusted.Decision)
	}
}

// TestLegitCohorts plays each honest cohort of the simulator on the
// month of history: none of them may be held, challenged or refused.
func TestLegitCohorts(t *testing.T) {
	vpn := mamori.Context{IP: "2.56.252.40", DeviceID: "laptop", UserAgent: "Chrome/131 Windows"} // PacketHub (NordVPN)
	kid := mamori.Context{IP: "153.156.78.77", DeviceID: "kid-phone", UserAgent: "Chrome Android"}
	tests := []struct {
		name     string
		scenario []ev
	}{
		{"regular: the laptop at home buys a book", []ev{signIn("s1", home, 0), tea("s1", home, 3)}},
		{"holiday buyer: four cards to new friends from the laptop", []ev{signIn("s1", home, 0),
			giftCard("s1", home, 2, "g1", "x1@mail.example"), giftCard("s1", home, 4, "g2", "x2@mail.example"),
			giftCard("s1", home, 6, "g3", "x3@mail.example"), giftCard("s1", home, 8, "g4", "x4@mail.example")}},
		{"holiday buyer: a card bought days into a long session, after a small order the week before", []ev{
			signIn("s1", home, 0), tea("s1", home, 2), activity("s1", home, 5*day), giftCard("s1", home, 5*day+2, "g1", "x1@mail.example")}},
		{"traveller: the laptop abroad buys a gift card for a friend", []ev{signIn("s1", abroad, 0),
			giftCard("s1", abroad, 2, "g1", "friend@example.jp")}},
		{"new phone: set up at home, a gift card for herself", []ev{signIn("s1", newPhone, 0),
			giftCard("s1", newPhone, 2, "g1", "a@example.jp")}},
		{"new phone: spent at once on her own account, then another card", []ev{signIn("s1", newPhone, 0),
			giftCard("s1", newPhone, 2, "g1", "a@example.jp"), redeemed(5, "g1", "a-1"), giftCard("s1", newPhone, 7, "g2", "a@example.jp")}},
		{"VPN user: the laptop through a VPN exit", []ev{signIn("s1", vpn, 0), activity("s1", vpn, 1), tea("s1", vpn, 2)}},
		{"family: a second person's phone at home", []ev{signIn("s1", kid, 0), tea("s1", kid, 2)}},
		{"the owner hides her own order", []ev{signIn("s1", home, 0), giftCard("s1", home, 2, "g1", "x1@mail.example"),
			hide("s1", home, 3, "g1"), giftCard("s1", home, 6, "g2", "x2@mail.example")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, d := range play(t, tt.scenario) {
				if d.Decision != mamori.Allow || len(d.Actions) > 0 {
					t.Fatalf("step %d (%s): %s %v, reasons %+v", i, tt.scenario[i].Type, d.Decision, d.Actions, d.Reasons)
				}
			}
		})
	}
	t.Run("newcomer: a day-old account buys a gift card", func(t *testing.T) {
		p := newPure(t)
		for i, e := range []ev{{Type: mamori.AccountCreated, Time: at(0), Properties: mamori.Properties{Email: "n@example.jp"}},
			signIn("s1", newPhone, 1), giftCard("s1", newPhone, day, "g1", "friend@example.jp")} {
			e.AccountID, e.ID = "n-1", fmt.Sprintf("n-%d", i)
			d, err := p.Decide(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != mamori.Allow || len(d.Actions) > 0 {
				t.Fatalf("step %d (%s): %s %v, reasons %+v", i, e.Type, d.Decision, d.Actions, d.Reasons)
			}
		}
	})
}

// TestASessionProvesItselfOverDays: the doubt a sign-in left on its
// session fades once the session has run for days without trouble.
func TestASessionProvesItselfOverDays(t *testing.T) {
	sameDay := playTo(t, []ev{signIn("s1", abroad, 0), giftCard("s1", abroad, 2, "g1", "friend@example.jp")}, mamori.Allow, nil)
	weekOn := playTo(t, []ev{signIn("s1", abroad, 0), activity("s1", abroad, 7*day),
		giftCard("s1", abroad, 7*day+2, "g1", "friend@example.jp")}, mamori.Allow, nil)
	odds := func(d mamori.Decision) float64 { return d.Score / (1 - d.Score) }
	// Five days past the first two: a thirty-second of the odds, down to
	// the floor every session keeps.
	if r := odds(sameDay) / odds(weekOn); r < 10 {
		t.Fatalf("a week on, the odds fell %.1f times (scores %.3f, %.3f), want about 20", r, sameDay.Score, weekOn.Score)
	}
}
