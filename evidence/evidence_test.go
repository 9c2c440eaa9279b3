package evidence

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

var loadNetworks = sync.OnceValues(enrich.LoadNetworks)

func networks(t *testing.T) *enrich.Networks {
	t.Helper()
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

const (
	laptopUA   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	phoneUA    = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	attackerUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)

var t0 = time.Date(2026, 11, 19, 16, 0, 0, 0, time.UTC) // 01:00 JST on the 20th

// entry is one timeline entry: an event at t0+minute with its decision.
func entry(id, typ, session, device, ua, ip string, minute int, d mamori.Outcome, p mamori.Properties, opts ...func(*mamori.TimelineEntry)) mamori.TimelineEntry {
	e := mamori.TimelineEntry{
		Event: mamori.Event{ID: id, Type: typ, Time: t0.Add(time.Duration(minute) * time.Minute), AccountID: "a-1", SessionID: session,
			Context: mamori.Context{IP: ip, DeviceID: device, UserAgent: ua}, Properties: p},
		Decision: &mamori.Decision{EventID: id, Decision: d},
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func inCase(e *mamori.TimelineEntry) { e.InCase = true }

func acts(a ...mamori.Action) func(*mamori.TimelineEntry) {
	return func(e *mamori.TimelineEntry) {
		e.Decision.Actions = a
		e.Decision.Reasons = []mamori.Reason{{Code: "gift_card", Message: "a gift card"}}
	}
}

func amount(v int64) *int64 { return &v }

// handBuiltCase is a small takeover: the customer's laptop at home and
// phone on DOCOMO, a challenged sign-in of her own two days before, then
// an attacker on a hosting network who buys a redeemed gift card, a held
// gift card and a watch, and one order mamori denied.
func handBuiltCase(status string) mamori.Case {
	home, phone, atk := "153.156.78.12", "49.98.141.32", "45.76.210.33"
	gift := func(id string, a int64) mamori.Properties {
		return mamori.Properties{OrderID: id, Amount: amount(a), Currency: "JPY",
			Items:    []mamori.Item{{Name: "eGift card", GiftCard: true, Digital: true}},
			Delivery: &mamori.Delivery{Type: "email", RecipientEmail: "mule@example.com"}}
	}
	timeline := []mamori.TimelineEntry{
		entry("h1", mamori.LoginSucceeded, "s-home-1", "laptop", laptopUA, home, -3000, mamori.Allow, mamori.Properties{MFA: "none"}),
		entry("h2", mamori.OrderPlaced, "s-home-1", "laptop", laptopUA, home, -2990, mamori.Allow, mamori.Properties{OrderID: "own-1", Amount: amount(1980), Currency: "JPY"}),
		entry("h3", mamori.LoginSucceeded, "s-phone-1", "phone", phoneUA, phone, -2880, mamori.Challenge, mamori.Properties{MFA: "totp"}),
		entry("h4", mamori.LoginSucceeded, "s-home-2", "laptop", laptopUA, "153.156.78.14", -1500, mamori.Allow, mamori.Properties{MFA: "none"}),
		entry("h5", mamori.PaymentSettled, "", "", "", "", -1400, mamori.Allow, mamori.Properties{OrderID: "own-1", Amount: amount(1980), Currency: "JPY", Descriptor: "SHOP"}),
		// The attacker: a first session mamori challenged, then the case.
		entry("a1", mamori.LoginSucceeded, "s-atk-1", "atk-dev", attackerUA, atk, 10, mamori.Challenge, mamori.Properties{MFA: "totp"}),
		entry("a2", mamori.OrderPlaced, "s-atk-1", "atk-dev", attackerUA, atk, 12, mamori.Allow, gift("o-redeemed", 5000)),
		entry("a3", mamori.GiftCardRedeemed, "", "", "", "", 13, mamori.Allow, mamori.Properties{OrderID: "o-redeemed", Amount: amount(5000), RedeemerAccount: "mule-1"}),
		entry("a4", mamori.OrderPlaced, "s-atk-1", "atk-dev", attackerUA, atk, 14, mamori.Review, gift("o-held", 10000), inCase,
			acts(mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions)),
		entry("a5", mamori.LoginSucceeded, "s-atk-2", "atk-dev", attackerUA, "45.76.210.34", 20, mamori.Challenge, mamori.Properties{MFA: "totp"}, inCase),
		entry("a6", mamori.OrderPlaced, "s-atk-2", "atk-dev", attackerUA, "45.76.210.34", 21, mamori.Allow,
			mamori.Properties{OrderID: "o-watch", Amount: amount(1250), Currency: "USD", Items: []mamori.Item{{Name: "Watch"}}, Delivery: &mamori.Delivery{Type: "ship"}}),
		entry("a7", mamori.OrderPlaced, "s-atk-2", "atk-dev", attackerUA, "45.76.210.34", 22, mamori.Deny, gift("o-denied", 5000)),
		entry("a8", mamori.OrderHidden, "s-atk-2", "atk-dev", attackerUA, "45.76.210.34", 23, mamori.Allow, mamori.Properties{OrderID: "o-watch"}, func(e *mamori.TimelineEntry) { e.Hidden = true }),
		// The watch settles; the customer signs in again after the incident.
		entry("p1", mamori.PaymentSettled, "", "", "", "", 600, mamori.Allow, mamori.Properties{OrderID: "o-watch", Amount: amount(1250), Currency: "USD", Descriptor: "SHOP <TOKYO>"}),
		entry("p2", mamori.LoginSucceeded, "s-home-3", "laptop", laptopUA, home, 700, mamori.Allow, mamori.Properties{MFA: "totp"}),
	}
	// The log gives the timeline in the order events were recorded.
	timeline[4], timeline[3] = timeline[3], timeline[4]
	c := mamori.Case{
		ID: "c-7", AccountID: "a-1", Status: status, Opened: t0.Add(14 * time.Minute), Reason: "gift_card",
		History:  []mamori.CaseChange{{Status: mamori.CaseOpen, By: "mamori", At: t0.Add(14 * time.Minute)}},
		Timeline: timeline,
		Orders: []mamori.CaseOrder{
			{OrderID: "own-1", Time: t0.Add(-2990 * time.Minute), Amount: 1980, Currency: "JPY", Status: "placed", Settled: true, Descriptor: "SHOP"},
			{OrderID: "o-watch", Time: t0.Add(21 * time.Minute), Amount: 1250, Currency: "USD", Status: "placed", Hidden: true, Settled: true, Descriptor: "SHOP <TOKYO>"},
			{OrderID: "o-redeemed", Time: t0.Add(12 * time.Minute), Amount: 5000, Currency: "JPY", GiftCard: true, Status: "placed", Redeemed: true},
			{OrderID: "o-held", Time: t0.Add(14 * time.Minute), Amount: 10000, Currency: "JPY", GiftCard: true, Status: "held"},
			{OrderID: "o-denied", Time: t0.Add(22 * time.Minute), Amount: 5000, Currency: "JPY", GiftCard: true, Status: "denied"},
		},
	}
	if status == mamori.CaseResolvedFraud {
		c.History = append(c.History, mamori.CaseChange{Status: status, By: "aiko", At: t0.Add(900 * time.Minute)})
	}
	return c
}

func TestBuildTracksEachChargeToClaimReady(t *testing.T) {
	tests := []struct {
		status     string
		final      bool
		watch      string
		resolvedBy string
	}{
		{mamori.CaseOpen, false, Settled, ""},
		{mamori.CaseInvestigating, false, Settled, ""},
		{mamori.CaseResolvedLegit, false, Settled, ""},
		{mamori.CaseResolvedFraud, true, ClaimReady, "aiko"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			e := Build(handBuiltCase(tt.status), networks(t))
			if e.Final != tt.final || e.ResolvedBy != tt.resolvedBy || e.ResolvedAt.IsZero() == tt.final {
				t.Fatalf("final %v resolved %v by %q", e.Final, e.ResolvedAt, e.ResolvedBy)
			}
			got := map[string]Charge{}
			var order []string
			for _, ch := range e.Charges {
				got[ch.OrderID] = ch
				order = append(order, ch.OrderID)
			}
			if strings.Join(order, " ") != "o-redeemed o-held o-watch" {
				t.Fatalf("charges %v: want the attacker's paid orders, oldest first, not the customer's nor the denied one", order)
			}
			want := map[string]Charge{
				"o-redeemed": {Fulfilment: Redeemed, Settlement: Authorised, RefundableBeforeSettlement: true, GiftCard: true, RedeemerAccountID: "mule-1", SessionID: "s-atk-1"},
				"o-held":     {Fulfilment: Held, Settlement: Authorised, RefundableBeforeSettlement: true, GiftCard: true, SessionID: "s-atk-1"},
				"o-watch":    {Fulfilment: Delivered, Settlement: tt.watch, Hidden: true, Descriptor: "SHOP <TOKYO>", SessionID: "s-atk-2"},
			}
			for id, w := range want {
				ch := got[id]
				if ch.Fulfilment != w.Fulfilment || ch.Settlement != w.Settlement || ch.RefundableBeforeSettlement != w.RefundableBeforeSettlement ||
					ch.GiftCard != w.GiftCard || ch.Hidden != w.Hidden || ch.Descriptor != w.Descriptor || ch.RedeemerAccountID != w.RedeemerAccountID ||
					ch.SessionID != w.SessionID {
					t.Errorf("%s: %+v", id, ch)
				}
			}
			if w := got["o-watch"]; !w.SettledAt.Equal(t0.Add(600*time.Minute)) || w.Delivery != "ship" || w.Items[0] != "Watch" {
				t.Errorf("watch %+v", w)
			}
			claim := int64(0)
			if tt.final {
				claim = 1250
			}
			wantTotals := []Total{
				{Currency: "JPY", Charged: 15000, Delivered: 5000, Unsettled: 15000},
				{Currency: "USD", Charged: 1250, Delivered: 1250, Settled: 1250, ClaimReady: claim},
			}
			if len(e.Totals) != 2 || e.Totals[0] != wantTotals[0] || e.Totals[1] != wantTotals[1] {
				t.Errorf("totals %+v, want %+v", e.Totals, wantTotals)
			}
		})
	}
}

func TestBuildSetsTheAttackerBesideTheCustomer(t *testing.T) {
	e := Build(handBuiltCase(mamori.CaseResolvedFraud), networks(t))
	if len(e.AttackerSessions) != 2 {
		t.Fatalf("attacker sessions %+v", e.AttackerSessions)
	}
	s := e.AttackerSessions[0]
	if s.SessionID != "s-atk-1" || s.IP != "45.76.210.33" || s.Network.ASN != 20473 || s.Network.Type != "hosting" || s.Network.Country != "JP" ||
		s.Agent.Words != "Chrome on Linux" || s.Decision != mamori.Review || s.Events != 3 || strings.Join(s.OrderIDs, " ") != "o-redeemed o-held" {
		t.Errorf("first session %+v", s)
	}
	if !e.Incident.From.Equal(t0.Add(10*time.Minute)) || !e.Incident.To.Equal(t0.Add(23*time.Minute)) {
		t.Errorf("incident %+v: from the first sign-in of the case's sessions to their last event", e.Incident)
	}

	// The customer's own challenged sign-in before the incident is hers;
	// her sign-in after it is neither usual nor the attacker's.
	tests := []struct {
		device, words, org, netType string
		sessions                    int
	}{
		{"laptop", "Chrome on Windows", "NTT Communications Corporation", "isp", 2},
		{"phone", "Safari on iPhone", "NTT DOCOMO, INC.", "mobile", 1},
	}
	if len(e.UsualDevices) != len(tests) {
		t.Fatalf("usual devices %+v", e.UsualDevices)
	}
	for i, tt := range tests {
		d := e.UsualDevices[i]
		if d.DeviceID != tt.device || d.Agent.Words != tt.words || d.Sessions != tt.sessions || len(d.Networks) != 1 ||
			d.Networks[0].Org != tt.org || d.Networks[0].Type != tt.netType || d.Networks[0].Sessions != tt.sessions {
			t.Errorf("usual device %d: %+v", i, d)
		}
	}

	var kinds []string
	for _, st := range e.Actions {
		kinds = append(kinds, st.EventID+":"+string(st.Decision))
	}
	if strings.Join(kinds, " ") != "a1:challenge a4:review a5:challenge a7:deny" {
		t.Errorf("actions %v: want every decision of the incident that did more than allow", kinds)
	}
	if a4 := e.Actions[1]; len(a4.Actions) != 3 || a4.Reasons[0] != "gift_card" || a4.OrderID != "o-held" {
		t.Errorf("the hold: %+v", a4)
	}
	for _, s := range []string{"Between 01:10 and 01:23 JST on 2026-11-20", "2 sessions", "Chrome on Linux", "The Constant Company, LLC (AS20473, JP, hosting network)",
		"3 orders were placed and paid, ¥15,000 + USD 12.50 in all, 2 of them gift cards; 1 hidden", "challenged 2 sign-ins, refused 1 step, held 1 order",
		"signed the attacker out once", "Goods worth ¥5,000 + USD 12.50 reached the attacker", "1 charge (USD 12.50) has settled and can be disputed",
		"2 charges (¥15,000) have not settled"} {
		if !strings.Contains(e.Summary, s) {
			t.Errorf("summary lacks %q:\n%s", s, e.Summary)
		}
	}
}

func TestBuildWithoutNetworksOrSessions(t *testing.T) {
	c := handBuiltCase(mamori.CaseOpen)
	e := Build(c, nil)
	if e.NetworkData != "" || e.AttackerSessions[0].Network != (Network{}) || e.UsualDevices[0].Networks[0].Network != (Network{}) {
		t.Errorf("networks without data: %+v", e.AttackerSessions[0].Network)
	}
	if !strings.HasPrefix(e.Summary, "Draft: the case is open") {
		t.Errorf("summary %q", e.Summary)
	}
	// A lockdown: no session joined the case.
	empty := Build(mamori.Case{ID: "c-1", AccountID: "a-1", Status: mamori.CaseOpen, Opened: t0}, nil)
	if empty.Charges == nil || empty.AttackerSessions == nil || empty.UsualDevices == nil || empty.Actions == nil || empty.Totals == nil || empty.History == nil {
		t.Errorf("empty lists must be [] in JSON: %+v", empty)
	}
	var buf bytes.Buffer
	if err := RenderHTML(&buf, empty, Japanese); err != nil {
		t.Fatal(err)
	}
}

func TestRenderHTML(t *testing.T) {
	c := handBuiltCase(mamori.CaseResolvedFraud)
	c.History[1].By = `<script>alert("aiko")</script>`
	e := Build(c, networks(t))
	tests := []struct {
		lang string
		want []string
	}{
		{English, []string{`<html lang="en">`, "Evidence pack", "Final: the case was resolved as fraud", "¥10,000", "USD 12.50", "2026-11-20 01:14 JST",
			"Chrome on Linux", "settled: ready to dispute", "redeemed", "held pending orders", "SHOP &lt;TOKYO&gt;"}},
		{Japanese, []string{`<html lang="ja">`, "証拠資料", "確定：この案件は不正と判定されました", "¥10,000", "Linux の Chrome", "売上確定・異議申立て可能",
			"利用済み", "未出荷の注文を保留", "mule-1", "ホスティング・データセンター"}},
		{"fr", []string{`<html lang="en">`, "Evidence pack"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderHTML(&buf, e, tt.lang); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			for _, s := range append(tt.want, Attribution, "@media print") {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			doc, err := html.Parse(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			for n := range doc.Descendants() {
				if n.Type == html.ElementNode && n.Data == "script" {
					t.Fatal("the page has a <script>: hostile text must be escaped")
				}
			}
		})
	}
}

func TestPickLang(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", English},
		{"ja", Japanese},
		{"ja-JP,ja;q=0.9,en;q=0.8", Japanese},
		{"en-US,en;q=0.9,ja;q=0.8", English},
		{"fr-FR, ja;q=0.5, en;q=0.4", Japanese},
		{"en;q=0.3, JA-jp;q=0.7", Japanese},
		{"de, fr", English},
		{"ja;q=0, en;q=0.1", English},
		{"ja;q=bogus, en;q=0.1", English},
		{"*", English},
	}
	for _, tt := range tests {
		if got := PickLang(tt.header); got != tt.want {
			t.Errorf("PickLang(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{5000, "JPY", "¥5,000"},
		{40530, "JPY", "¥40,530"},
		{0, "JPY", "¥0"},
		{999, "JPY", "¥999"},
		{1234567, "JPY", "¥1,234,567"},
		{1250, "USD", "USD 12.50"},
		{123456789, "EUR", "EUR 1,234,567.89"},
		{5, "USD", "USD 0.05"},
		{1500, "KRW", "KRW 1,500"},
		{1234, "KWD", "KWD 1.234"},
		{-1250, "USD", "USD -12.50"},
	}
	for _, tt := range tests {
		if got := Money(tt.amount, tt.currency); got != tt.want {
			t.Errorf("Money(%d, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func FuzzPickLang(f *testing.F) {
	for _, s := range []string{"", "ja-JP,ja;q=0.9,en;q=0.8", "en;q=0.3, ja;q=x", ";;,,q=", "ja;q=1e309"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got := PickLang(header); !IsLang(got) {
			t.Fatalf("PickLang(%q) = %q", header, got)
		}
	})
}

func TestAReleasedOrderIsNotWhatTheAttackerGot(t *testing.T) {
	at := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	c := mamori.Case{ID: "c-1", AccountID: "a-1", Status: mamori.CaseResolvedFraud, Opened: at,
		EventIDs: []string{"o1"},
		Orders:   []mamori.CaseOrder{{OrderID: "tea", Time: at, Amount: 530, Currency: "JPY", Status: "placed"}},
		Timeline: []mamori.TimelineEntry{
			{Event: mamori.Event{ID: "o1", Type: mamori.OrderPlaced, AccountID: "a-1", SessionID: "s-x", Time: at,
				Properties: mamori.Properties{OrderID: "tea"}}, Decision: &mamori.Decision{Decision: mamori.Review}, InCase: true},
			{Event: mamori.Event{ID: "r1", Type: mamori.OrderReleased, AccountID: "a-1", Time: at.Add(time.Hour),
				Properties: mamori.Properties{OrderID: "tea", By: "aiko"}}, Decision: &mamori.Decision{Decision: mamori.Allow}},
		}}
	e := Build(c, nil)
	if len(e.Charges) != 1 || e.Charges[0].Fulfilment != Released {
		t.Fatalf("charges %+v", e.Charges)
	}
	if len(e.Totals) != 1 || e.Totals[0].Delivered != 0 {
		t.Fatalf("totals %+v", e.Totals)
	}
}
