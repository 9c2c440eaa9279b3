package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mamori-dev/mamori"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sim"
)

// messages reads an account's message center.
func (a *api) messages(account, query string) []mamori.Message {
	a.t.Helper()
	status, body := a.call("GET", "/v1/accounts/"+account+"/messages"+query, nil)
	if status != 200 {
		a.t.Fatalf("GET messages of %s%s: %d %s", account, query, status, body)
	}
	var list mhttp.MessageList
	if err := json.Unmarshal(body, &list); err != nil {
		a.t.Fatal(err)
	}
	return list.Messages
}

// assertPlain fails if a message asks for a click or carries anything
// like a web address.
func assertPlain(t *testing.T, m mamori.Message) {
	t.Helper()
	text := strings.ToLower(m.Title + "\n" + m.Body)
	for _, bad := range []string{"http", "://", "www.", "click", "クリック", "link", "リンク", "<", ">"} {
		if strings.Contains(text, bad) {
			t.Errorf("message %s contains %q:\n%s", m.ID, bad, m.Body)
		}
	}
}

func assertSays(t *testing.T, m mamori.Message, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(m.Title+"\n"+m.Body, w) {
			t.Errorf("message %s (%s, %s) lacks %q:\n%s\n%s", m.ID, m.Kind, m.Lang, w, m.Title, m.Body)
		}
	}
}

func playSeed(t *testing.T, a *api) sim.SeedOutcome {
	t.Helper()
	out, err := sim.PlaySeed(context.Background(), &mhttp.Client{BaseURL: a.url, APIKey: testKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.CaseID == "" {
		t.Fatal("the seed story opened no case")
	}
	return out
}

func TestTheSeedStoryTellsTheCustomerInHerLanguage(t *testing.T) {
	a := startAPI(t)
	out := playSeed(t, a)

	// The customer's browser asks for Japanese: so does her message center.
	msgs := a.messages(sim.SeedAccount, "")
	if len(msgs) == 0 {
		t.Fatal("no messages after the attack")
	}
	for i, m := range msgs {
		if m.Lang != "ja" || m.Kind != "risky_order" || m.CaseID != out.CaseID || m.Read {
			t.Errorf("message %s: lang %s kind %s case %s read %v", m.ID, m.Lang, m.Kind, m.CaseID, m.Read)
		}
		if i > 0 && m.Time.After(msgs[i-1].Time) {
			t.Errorf("message %s is newer than %s before it: not newest first", m.ID, msgs[i-1].ID)
		}
		assertPlain(t, m)
	}
	first := msgs[len(msgs)-1]
	if !slices.Equal(first.OrderIDs, []string{"ord-9001", "ord-9002"}) {
		t.Fatalf("the first message names orders %v, want the tea and the first gift card", first.OrderIDs)
	}
	// Opened Friday 20 November 2026 at 01:18 in Tokyo; Monday 23 is a
	// holiday, so the three business days end on Thursday 26.
	assertSays(t, first,
		"2026年11月20日（金）01:18（日本時間）",
		"国内のデータセンター（The Constant Company, LLC、日本）",
		"Chrome（Linux）",
		"ギフトカードの注文（注文番号 ord-9002、5,000円）を無効にしました",
		"注文（注文番号 ord-9001、530円）を保留にしました",
		"すべての端末でログアウトさせました",
		"パスワードを変更してください",
		"セキュリティセンター",
		"受付番号「"+out.CaseID+"」",
		"2026年11月26日（木）までに",
	)

	en := a.messages(sim.SeedAccount, "?lang=en")
	if len(en) != len(msgs) || en[len(en)-1].ID != first.ID || en[len(en)-1].Lang != "en" {
		t.Fatalf("?lang=en gave %d messages, want the same %d in English", len(en), len(msgs))
	}
	assertSays(t, en[len(en)-1],
		"a data centre (The Constant Company, LLC) in Japan", "Chrome on Linux",
		"voided gift card order ord-9002 (¥5,000)", "put order ord-9001 (¥530) on hold",
		"signed you out on every device", "case number "+out.CaseID, "Thursday 26 November 2026")

	// The store's team lets the tea ship, cancels the gift card and
	// closes the case: each outcome is told.
	for _, call := range []struct{ method, path string }{
		{"POST", "/v1/orders/ord-9001/release"},
		{"POST", "/v1/orders/ord-9002/cancel"},
		{"PATCH", "/v1/cases/" + out.CaseID},
	} {
		if s, b := a.call(call.method, call.path, map[string]any{"status": "resolved_fraud", "by": "aiko"}); s != 200 {
			t.Fatalf("%s %s: %d %s", call.method, call.path, s, b)
		}
	}
	after := a.messages(sim.SeedAccount, "")
	if len(after) != len(msgs)+3 {
		t.Fatalf("%d messages after the outcomes, want %d", len(after), len(msgs)+3)
	}
	tests := []struct {
		kind   string
		orders []string
		says   []string
	}{
		{"case_resolved_fraud", nil, []string{"受付番号「" + out.CaseID + "」の調査が完了", "第三者", "ord-9002、5,000円）：キャンセル"}},
		{"order_cancelled", []string{"ord-9002"}, []string{"キャンセル", "5,000円", "お届けしません"}},
		{"order_released", []string{"ord-9001"}, []string{"保留を解除", "530円", "通常どおりお届けします"}},
	}
	for i, tt := range tests {
		m := after[i]
		if m.Kind != tt.kind || m.CaseID != out.CaseID || (tt.orders != nil && !slices.Equal(m.OrderIDs, tt.orders)) {
			t.Errorf("message %d: kind %s case %s orders %v, want %s %v", i, m.Kind, m.CaseID, m.OrderIDs, tt.kind, tt.orders)
		}
		assertSays(t, m, tt.says...)
		assertPlain(t, m)
	}
}

// englishAccount records an account whose browser asks for English, signed
// in on its laptop at home.
func englishAccount(a *api, account string) {
	a.t.Helper()
	ctx := map[string]any{"ip": "153.156.78.12", "device_id": "dev-home", "accept_language": "en-US,en;q=0.9",
		"user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0"}
	evs := []any{event(account+"-0", "account.created", account, 0, map[string]any{"context": ctx, "properties": map[string]any{"email": "a@example.com"}})}
	for i := 1; i <= 4; i++ {
		evs = append(evs, event(fmt.Sprintf("%s-%d", account, i), "login.succeeded", account, i*60, map[string]any{
			"session_id": fmt.Sprintf("%s-s%d", account, i), "context": ctx, "properties": map[string]any{"mfa": "totp"}}))
	}
	if s, b := a.call("POST", "/v1/events", map[string]any{"events": evs}); s != 202 {
		a.t.Fatalf("history: %d %s", s, b)
	}
}

func TestAStolenSessionIsToldInEnglishToAnEnglishSpeaker(t *testing.T) {
	a := startAPI(t)
	englishAccount(a, "en-1")
	// The session signed in at home turns up on another device in a data
	// centre: a stolen session cookie.
	a.decide(event("en-1-steal", "session.activity", "en-1", 4*60+5, map[string]any{
		"session_id": "en-1-s4",
		"context": map[string]any{"ip": "45.76.210.33", "device_id": "dev-thief",
			"user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"},
		"properties": map[string]any{"page": "orders"},
	}))
	msgs := a.messages("en-1", "")
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Lang != "en" || m.Kind != "stolen_session" || m.CaseID == "" {
		t.Fatalf("message %+v", m)
	}
	assertSays(t, m, "another device", "a data centre (The Constant Company, LLC) in Japan", "Chrome on Linux",
		"JST", "signed you out on every device", "Change your password", "security center", "case number "+m.CaseID)
	assertPlain(t, m)
	if ja := a.messages("en-1", "?lang=ja")[0]; ja.Lang != "ja" || !strings.Contains(ja.Body, "別の端末") {
		t.Fatalf("?lang=ja: %+v", ja)
	}
}

func TestLockdownIsToldWithEverythingItDid(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", map[string]any{"events": homeHistory("ja-1", 3)})
	a.call("POST", "/v1/events", event("ja-1-lang", "login.succeeded", "ja-1", 5000, map[string]any{"session_id": "ja-1-s9",
		"context": map[string]any{"ip": "153.156.78.12", "device_id": "dev-home", "accept_language": "ja-JP"}, "properties": map[string]any{"mfa": "totp"}}))
	englishAccount(a, "en-2")
	tests := []struct {
		account, lang string
		says          []string
	}{
		{"ja-1", "ja", []string{"アカウントをロック", "すべての端末でログアウト", "信頼済みとして登録されていた端末をすべて解除",
			"パスワードの再設定", "サポートにお問い合わせください", "受付番号「"}},
		{"en-2", "en", []string{"locked your account", "signed you out on every device", "removed your trusted devices",
			"set a new password", "contact support", "case number "}},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			if s, b := a.call("POST", "/v1/accounts/"+tt.account+"/lockdown", map[string]any{"reason": "owner called"}); s != 200 {
				t.Fatalf("lockdown: %d %s", s, b)
			}
			msgs := a.messages(tt.account, "")
			if len(msgs) != 1 || msgs[0].Kind != "lockdown" || msgs[0].Lang != tt.lang || msgs[0].CaseID == "" {
				t.Fatalf("messages %+v", msgs)
			}
			assertSays(t, msgs[0], append(tt.says, msgs[0].CaseID)...)
			assertPlain(t, msgs[0])
		})
	}
}

func TestReadMessagesAndReplaySurviveRestarts(t *testing.T) {
	a := startAPI(t)
	playSeed(t, a)
	msgs := a.messages(sim.SeedAccount, "")
	target := msgs[len(msgs)-1].ID
	path := "/v1/accounts/" + sim.SeedAccount + "/messages/" + target + "/read"
	for range 2 { // reading twice is no error
		status, body := a.call("POST", path, nil)
		var m mamori.Message
		if status != 200 || json.Unmarshal(body, &m) != nil || m.ID != target || !m.Read || m.Lang != "ja" {
			t.Fatalf("POST read: %d %s", status, body)
		}
	}
	read := func() (ja, en []byte) {
		_, ja = a.call("GET", "/v1/accounts/"+sim.SeedAccount+"/messages", nil)
		_, en = a.call("GET", "/v1/accounts/"+sim.SeedAccount+"/messages?lang=en", nil)
		return ja, en
	}
	wantJA, wantEN := read()
	for _, m := range a.messages(sim.SeedAccount, "") {
		if m.Read != (m.ID == target) {
			t.Fatalf("message %s read %v", m.ID, m.Read)
		}
	}
	tests := []struct {
		name   string
		before func()
	}{
		{"from the snapshot", func() {}},
		{"replaying the whole log", func() {
			if err := os.Remove(filepath.Join(a.dir, "state.snapshot")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.stop()
			tt.before()
			a.start()
			ja, en := read()
			if !bytes.Equal(ja, wantJA) || !bytes.Equal(en, wantEN) {
				t.Fatalf("messages differ after a restart:\n%s\nwant\n%s", ja, wantJA)
			}
		})
	}
}

func TestMessageErrors(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", map[string]any{"events": homeHistory("a-1", 2)})
	a.call("POST", "/v1/accounts/a-1/lockdown", nil)
	id := a.messages("a-1", "")[0].ID
	tests := []struct {
		name, method, path string
		key                string
		status             int
		code, field        string
	}{
		{"unknown account", "GET", "/v1/accounts/never-seen/messages", testKey, 404, "not_found", ""},
		{"read on an unknown account", "POST", "/v1/accounts/never-seen/messages/" + id + "/read", testKey, 404, "not_found", ""},
		{"unknown message", "POST", "/v1/accounts/a-1/messages/m-999999/read", testKey, 404, "not_found", ""},
		{"another account's message", "POST", "/v1/accounts/a-2/messages/" + id + "/read", testKey, 404, "not_found", ""},
		{"unknown language", "GET", "/v1/accounts/a-1/messages?lang=fr", testKey, 400, "invalid_event", "lang"},
		{"wrong method", "DELETE", "/v1/accounts/a-1/messages", testKey, 405, "method_not_allowed", ""},
		{"read by GET", "GET", "/v1/accounts/a-1/messages/" + id + "/read", testKey, 405, "method_not_allowed", ""},
		{"no key", "GET", "/v1/accounts/a-1/messages", "", 401, "unauthorized", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := a.callKey(tt.method, tt.path, nil, tt.key)
			if status != tt.status {
				t.Fatalf("%d, want %d: %s", status, tt.status, body)
			}
			if e := decodeError(t, body); e.Error.Code != tt.code || e.Error.Field != tt.field {
				t.Fatalf("code %q field %q, want %q %q", e.Error.Code, e.Error.Field, tt.code, tt.field)
			}
		})
	}
	t.Run("stores cannot send message.read", func(t *testing.T) {
		status, body := a.call("POST", "/v1/risk", event("e-read", "message.read", "a-1", 9000, map[string]any{"properties": map[string]any{"note": id}}))
		if status != 400 || decodeError(t, body).Error.Field != "type" {
			t.Fatalf("%d %s", status, body)
		}
		if a.messages("a-1", "")[0].Read {
			t.Fatal("a store's message.read marked the message read")
		}
	})
}
