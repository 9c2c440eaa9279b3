package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mamori-dev/mamori/sim"
)

// pagesOf returns the dashboard, review queue, case page and account
// page of the seed story as b sees them.
func pagesOf(t *testing.T, s *site, b *browser, query string) map[string]string {
	t.Helper()
	cases, err := s.eng.Cases(context.Background(), "open")
	if err != nil || len(cases) != 1 {
		t.Fatalf("open cases %v %v", cases, err)
	}
	out := map[string]string{}
	for name, path := range map[string]string{"dashboard": "/console/", "review": "/console/review",
		"case": "/console/cases/" + cases[0].ID, "account": "/console/accounts/" + sim.SeedAccount} {
		r := b.get(path + query)
		if r.status != 200 {
			t.Fatalf("%s: %d", name, r.status)
		}
		out[name] = r.body
	}
	return out
}

var japanese = map[string][]string{
	"dashboard": {`<html lang="ja">`, "ダッシュボード", "保留中の金額", "1時間ごとの判定", "¥530", "JST", `href="/console/?lang=en"`},
	"review":    {"審査キュー", "保留の理由", "承認", "キャンセル", "注文履歴で非表示", "¥530", "JST"},
	"case":      {"タイムライン", "開始日時", "期限", "保留中", "ギフトカード"},
	"account":   {"リスクの推移", "信頼済みの端末", "実施した対応", "サインイン", "セッション"},
}

var english = map[string][]string{
	"dashboard": {`<html lang="en">`, "Dashboard", "Money held", "Decisions per hour", "¥530", `href="/console/?lang=ja"`},
	"review":    {"Review queue", "Why it was held", "Approve", "hidden from order history"},
	"case":      {"Timeline", "Deadline", "gift card"},
	"account":   {"Risk over time", "Trusted devices", "Actions taken", "Sign-ins"},
}

func expect(t *testing.T, lang string, pages map[string]string, want map[string][]string) {
	t.Helper()
	for name, words := range want {
		for _, w := range words {
			if !strings.Contains(pages[name], w) {
				t.Errorf("%s %s page lacks %q", lang, name, w)
			}
		}
	}
}

func TestAcceptLanguageJapaneseWordsEveryPage(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.acceptLanguage = "ja-JP,ja;q=0.9,en;q=0.8"
	b.signIn()
	pages := pagesOf(t, s, b, "")
	expect(t, "ja", pages, japanese)
	for name, body := range pages {
		for _, w := range []string{"Review queue", "Sign out", "Trusted devices", "Timeline"} {
			if strings.Contains(body, w) {
				t.Errorf("Japanese %s page still says %q", name, w)
			}
		}
	}
	if r := b.get("/console/cases/c-nope"); r.status != http.StatusNotFound || !strings.Contains(r.body, "見つかりません") {
		t.Errorf("Japanese not-found page: %d", r.status)
	}
}

func TestEnglishIsTheDefault(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	expect(t, "en", pagesOf(t, s, b, ""), english)
	b.acceptLanguage = "fr-FR,fr"
	expect(t, "en", pagesOf(t, s, b, ""), english)
	if r := s.browser().get("/console/login"); !strings.Contains(r.body, "Analyst sign-in") {
		t.Error("login page is not in English")
	}
}

func TestLanguageSwitchSetsACookieThatOverridesAcceptLanguage(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.acceptLanguage = "ja"
	b.signIn()
	r := b.get("/console/review?lang=en")
	var c *http.Cookie
	for _, k := range r.cookies {
		if k.Name == "mamori_console_lang" {
			c = k
		}
	}
	if c == nil {
		t.Fatal("the switch set no cookie")
	}
	if c.Value != "en" || c.Path != "/console/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("switch cookie %+v", c)
	}
	if !strings.Contains(r.body, "Why it was held") || !strings.Contains(r.body, `href="/console/review?lang=ja"`) {
		t.Error("the switched page is not in English or lacks the switch back")
	}
	// Later pages, without ?lang=, follow the cookie, not Accept-Language.
	expect(t, "en", pagesOf(t, s, b, ""), english)
	b.get("/console/?lang=ja")
	b.acceptLanguage = "en-US"
	expect(t, "ja", pagesOf(t, s, b, ""), japanese)
}

func TestJapaneseErrorsAndNotices(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.acceptLanguage = "ja"
	if r := b.login(testUser, "wrong", "000000"); !strings.Contains(r.body, "サインインできませんでした") {
		t.Errorf("Japanese sign-in failure: %d", r.status)
	}
	b.signIn()
	if r := b.get("/console/cases?status=nonsense"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "不明なケース状況") {
		t.Errorf("Japanese bad filter: %d", r.status)
	}
	if r := b.get("/console/review?done=released&order=ord-1"); !strings.Contains(r.body, "注文 ord-1 を承認しました") {
		t.Error("Japanese notice missing")
	}
}
