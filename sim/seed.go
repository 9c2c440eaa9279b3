// Package sim plays customers, attackers and the store between them
// against mamori, through mamori.RiskService: the in-process engine or a
// server over HTTP alike.
package sim

import (
	"fmt"
	"time"

	"github.com/mamori-dev/mamori"
)

// The seed story's cast: one customer with two devices, and the attacker.
const (
	SeedAccount   = "cust-1042"
	seedEmail     = "hana.sato@example.jp"
	seedStranger  = "gift.relay.7731@mailbox.example"
	seedBalance   = 40600
	seedGiftCards = 8
	seedGiftValue = 5000
	seedTeaPrice  = 530
)

var (
	hanaLaptop = Device{ID: "dev-hana-laptop-7f3a", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", Language: "ja-JP,ja;q=0.9,en;q=0.8"}
	hanaPhone  = Device{ID: "dev-hana-iphone-91c2", UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", Language: "ja-JP"}
	attacker   = Device{ID: "dev-b8e0c4d1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", Language: "ja,en-US;q=0.7"}
)

// Network addresses of the story: the customer's home line (OCN, a
// consumer ISP), her phone's mobile carrier (NTT DOCOMO) and a rented
// server in a hosting network.
const (
	hanaHomeIP   = "153.156.78.%d"
	hanaMobileIP = "49.98.141.%d"
	attackerIP   = "45.76.210.33"
)

// SeedAttackTime is when the attacker signs in: 01:12 at night in Tokyo.
var SeedAttackTime = time.Date(2026, 11, 20, 1, 12, 0, 0, time.FixedZone("JST", 9*3600))

// SeedHistory returns six weeks of the customer's ordinary life before
// the attack: sign-ins on her laptop at home and her phone on the move,
// orders that ship to her home and settle, a trusted laptop and TOTP.
func SeedHistory(attack time.Time) []mamori.Event {
	start := attack.Add(-42 * 24 * time.Hour)
	b := &builder{account: SeedAccount, prefix: "seed"}
	at := start.Add(20*time.Hour + 5*time.Minute)
	b.add(at, mamori.AccountCreated, "", hanaLaptop, fmt.Sprintf(hanaHomeIP, 12), mamori.Properties{Email: seedEmail})

	s := b.session()
	b.add(at.Add(time.Minute), mamori.LoginSucceeded, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12), mamori.Properties{MFA: "none"})
	b.add(at.Add(3*time.Minute), mamori.PaymentMethodAdded, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12),
		mamori.Properties{MethodID: "pm-debit-4411", Type: "debit", Last4: "4411"})
	b.add(at.Add(4*time.Minute), mamori.AddressAdded, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12),
		mamori.Properties{AddressID: "addr-home", Country: "JP", PostalCode: "152-0035"})
	enabled := true
	b.add(at.Add(6*time.Minute), mamori.MFAChanged, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12),
		mamori.Properties{Enabled: &enabled, Method: "totp"})
	b.add(at.Add(7*time.Minute), mamori.DeviceTrusted, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12), mamori.Properties{})
	b.add(at.Add(20*time.Minute), mamori.Logout, s, hanaLaptop, fmt.Sprintf(hanaHomeIP, 12), mamori.Properties{})

	// Every few days: a visit from the laptop at home in the evening or
	// the phone at lunch, now and then an order that settles next day.
	basket := []struct {
		name, category string
		price          int64
	}{
		{"Paperback: 旅の終わりに", "books", 1980},
		{"Rice 5kg", "grocery", 4320},
		{"Hand cream", "beauty", 1650},
		{"USB-C cable", "electronics", 1280},
		{"Green tea 100g", "grocery", 1100},
		{"Notebook set", "stationery", 880},
	}
	for day, n := 2, 0; day < 41; day, n = day+3, n+1 {
		dev, ip, hour := hanaLaptop, fmt.Sprintf(hanaHomeIP, 12+n%5), 21
		mfa, remembered := "none", true
		if n%2 == 1 {
			dev, ip, hour = hanaPhone, fmt.Sprintf(hanaMobileIP, 30+n%7), 12
			mfa, remembered = "totp", false
		}
		t := start.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(n%4)*7*time.Minute)
		s := b.session()
		b.add(t, mamori.LoginSucceeded, s, dev, ip, mamori.Properties{MFA: mfa, RememberedDevice: remembered})
		b.add(t.Add(2*time.Minute), mamori.SessionActivity, s, dev, ip, mamori.Properties{Page: "home"})
		if n%3 == 0 {
			item := basket[(n/3)%len(basket)]
			order := fmt.Sprintf("ord-%d", 5000+n)
			amount := item.price
			b.add(t.Add(6*time.Minute), mamori.OrderPlaced, s, dev, ip, mamori.Properties{
				OrderID: order, Amount: &amount, Currency: "JPY",
				Items:    []mamori.Item{{SKU: fmt.Sprintf("sku-%d", 100+n), Name: item.name, Category: item.category, Quantity: ptr(int64(1)), UnitPrice: ptr(amount)}},
				Payment:  &mamori.Payment{MethodID: "pm-debit-4411", Type: "debit"},
				Delivery: &mamori.Delivery{Type: "ship", AddressID: "addr-home"},
			})
			b.add(t.Add(26*time.Hour), mamori.PaymentSettled, "", Device{}, "", mamori.Properties{
				OrderID: order, Amount: &amount, Currency: "JPY", Descriptor: "MAMORI-MART TOKYO"})
		}
		b.add(t.Add(15*time.Minute), mamori.Logout, s, dev, ip, mamori.Properties{})
	}
	return b.events
}

// Attempt is one step the attacker takes: an event the store sends to
// POST /v1/risk.
type Attempt struct {
	Title string
	Event mamori.Event
}

// builder makes events with unique ids and sessions.
type builder struct {
	account string
	prefix  string
	n       int
	s       int
	events  []mamori.Event
}

func (b *builder) session() string {
	b.s++
	return fmt.Sprintf("%s-sess-%03d", b.prefix, b.s)
}

func (b *builder) make(t time.Time, typ, session string, d Device, ip string, p mamori.Properties) mamori.Event {
	b.n++
	return mamori.Event{
		ID:         fmt.Sprintf("%s-evt-%04d", b.prefix, b.n),
		Type:       typ,
		Time:       t.UTC(),
		AccountID:  b.account,
		SessionID:  session,
		Context:    mamori.Context{IP: ip, UserAgent: d.UserAgent, DeviceID: d.ID, AcceptLanguage: d.Language},
		Properties: p,
	}
}

func (b *builder) add(t time.Time, typ, session string, d Device, ip string, p mamori.Properties) {
	b.events = append(b.events, b.make(t, typ, session, d, ip, p))
}

func ptr[T any](v T) *T { return &v }
