package notice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/notice"
	"github.com/mamori-dev/mamori/risk"
)

var (
	jst      = time.FixedZone("JST", 9*3600)
	at       = time.Date(2026, 11, 20, 1, 18, 0, 0, jst)
	deadline = time.Date(2026, 11, 26, 23, 59, 59, 0, jst)
)

// giftCardHeld is the first message of the seed story.
var giftCardHeld = risk.Message{
	ID: "m-62", Kind: risk.MessageRiskyOrder, Time: at,
	IP: "45.76.210.33", NetworkOrg: "The Constant Company, LLC", Country: "JP", NetworkType: "hosting",
	Browser: "Chrome", OS: "Linux", Device: "desktop",
	Orders: []risk.MessageOrder{
		{ID: "ord-9001", Amount: 530, Currency: "JPY", Status: risk.OrderHeldStatus},
		{ID: "ord-9002", Amount: 5000, Currency: "JPY", GiftCard: true, Status: risk.OrderVoidedStatus},
	},
	Actions: []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards, mamori.RevokeSessions},
	CaseID:  "c-62",
}

func TestRenderTellsTheFacts(t *testing.T) {
	lockdown := risk.Message{ID: "m-9", Kind: risk.MessageLockdown, Time: at, CaseID: "c-9", Locked: true,
		Actions: []mamori.Action{mamori.LockAccount, mamori.RevokeSessions, mamori.RevokeTrustedDevices,
			mamori.RequirePasswordReset, mamori.HoldPendingOrders, mamori.VoidGiftCards}}
	overseas := giftCardHeld
	overseas.Country, overseas.NetworkOrg, overseas.NetworkType = "US", "Google LLC", "hosting"
	mobile := giftCardHeld
	mobile.Kind, mobile.NetworkType, mobile.NetworkOrg, mobile.Browser, mobile.OS = risk.MessageStolenSession, "mobile", "NTT DOCOMO, INC.", "Safari", "iOS"
	released := risk.Message{ID: "m-90", Kind: risk.MessageOrderReleased, Time: at, CaseID: "c-62",
		Orders: []risk.MessageOrder{{ID: "ord-9001", Amount: 530, Currency: "JPY", Status: risk.OrderPlacedStatus}}}
	resolved := risk.Message{ID: "m-91", Kind: risk.MessageCaseFraud, Time: at, CaseID: "c-62",
		Orders: []risk.MessageOrder{{ID: "ord-9002", Amount: 5000, Currency: "JPY", GiftCard: true, Status: risk.OrderCancelledStatus}}}
	reported := risk.Message{ID: "m-92", Kind: risk.MessageFraudReported, Time: at, CaseID: "c-70", ReportedBy: "bank",
		Orders: []risk.MessageOrder{{ID: "ord-1", Amount: 1250, Currency: "USD", Status: risk.OrderHeldStatus}}}
	tests := []struct {
		name string
		m    risk.Message
		lang notice.Lang
		want []string
	}{
		{"risky order, Japanese", giftCardHeld, notice.Japanese, []string{
			"不審な注文", "2026年11月20日（金）01:18（日本時間）",
			"国内のデータセンター（The Constant Company, LLC、日本）", "45.76.210.33", "Chrome（Linux）",
			"ギフトカードの注文（注文番号 ord-9002、5,000円）を無効", "注文（注文番号 ord-9001、530円）を保留",
			"すべての端末でログアウト", "パスワードを変更", "セキュリティセンター", "受付番号「c-62」", "2026年11月26日（木）までに"}},
		{"risky order, English", giftCardHeld, notice.English, []string{
			"suspicious order", "Friday 20 November 2026, 01:18 JST (UTC+9)",
			"a data centre (The Constant Company, LLC) in Japan", "Chrome on Linux",
			"voided gift card order ord-9002 (¥5,000)", "put order ord-9001 (¥530) on hold",
			"signed you out on every device", "Change your password", "security center", "case number c-62",
			"by Thursday 26 November 2026"}},
		{"overseas data centre", overseas, notice.Japanese, []string{"海外のデータセンター（Google LLC、米国）"}},
		{"overseas data centre, English", overseas, notice.English, []string{"a data centre (Google LLC) in the United States"}},
		{"stolen session from a phone", mobile, notice.Japanese, []string{"別の端末", "国内の携帯電話の回線（NTT DOCOMO, INC.、日本）", "Safari（iOS）"}},
		{"stolen session, English", mobile, notice.English, []string{"another device", "a mobile network (NTT DOCOMO, INC.) in Japan", "Safari on iOS"}},
		{"lockdown", lockdown, notice.Japanese, []string{"ロック", "信頼済み", "パスワードの再設定", "受付番号「c-9」", "2026年11月26日（木）"}},
		{"lockdown, English", lockdown, notice.English, []string{"locked your account", "removed your trusted devices", "new password", "case number c-9"}},
		{"released order", released, notice.Japanese, []string{"保留を解除", "注文番号 ord-9001、530円", "通常どおりお届け", "受付番号「c-62」"}},
		{"released order, English", released, notice.English, []string{"released", "order ord-9001 (¥530)", "case number c-62"}},
		{"case resolved as fraud", resolved, notice.Japanese, []string{"調査が完了", "第三者", "キャンセル", "パスワードを変更"}},
		{"case resolved as fraud, English", resolved, notice.English, []string{"investigation of case c-62", "someone else", "cancelled"}},
		{"reported by the bank, in dollars", reported, notice.English, []string{"your bank", "order ord-1 (USD 12.50)"}},
		{"reported by the bank, Japanese", reported, notice.Japanese, []string{"銀行", "12.50 USD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notice.Render(tt.m, deadline, tt.lang)
			text := got.Title + "\n" + got.Body
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			assertNoLink(t, text)
		})
	}
}

func TestEveryKindRendersWithoutALink(t *testing.T) {
	kinds := []string{risk.MessageRiskyOrder, risk.MessageStolenSession, risk.MessageFraudReported, risk.MessageLockdown,
		risk.MessageProtected, risk.MessageCaseFraud, risk.MessageCaseLegit, risk.MessageOrderReleased, risk.MessageOrderCancelled, "future_kind"}
	for _, kind := range kinds {
		for _, lang := range []notice.Lang{notice.Japanese, notice.English} {
			for _, m := range []risk.Message{giftCardHeld, {ID: "m-1", Time: at}} {
				m.Kind = kind
				got := notice.Render(m, time.Time{}, lang)
				if got.Title == "" || got.Body == "" {
					t.Errorf("%s in %s: empty title or body", kind, lang)
				}
				assertNoLink(t, got.Title+"\n"+got.Body)
				if strings.Contains(got.Body, "\n\n\n") || strings.HasPrefix(got.Body, "\n") {
					t.Errorf("%s in %s: stray blank lines:\n%s", kind, lang, got.Body)
				}
			}
		}
	}
}

// assertNoLink fails if a message asks for a click or carries anything
// like a web address.
func assertNoLink(t *testing.T, text string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, bad := range []string{"http", "://", "www.", ".com", ".jp/", "click", "クリック", "link", "リンク", "<", ">"} {
		if strings.Contains(lower, bad) {
			t.Errorf("message contains %q:\n%s", bad, text)
		}
	}
}

func TestLangOf(t *testing.T) {
	tests := []struct {
		header string
		want   notice.Lang
	}{
		{"ja-JP", notice.Japanese},
		{"ja-JP,ja;q=0.9,en;q=0.8", notice.Japanese},
		{"ja,en-US;q=0.7", notice.Japanese},
		{"JA", notice.Japanese},
		{"ja_JP", notice.Japanese},
		{"en-US", notice.English},
		{"en-US,ja;q=0.9", notice.English},
		{"jv-ID", notice.English},
		{"fr-FR", notice.English},
		{"", notice.English},
	}
	for _, tt := range tests {
		if got := notice.LangOf(tt.header); got != tt.want {
			t.Errorf("LangOf(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

func TestNetworkNamesNeverReadAsWebAddresses(t *testing.T) {
	tests := []struct{ org, ja, en string }{
		{"Amazon.com, Inc.", "国内のデータセンター（Amazon, Inc.、日本）", "a data centre (Amazon, Inc.) in Japan"},
		{"Sonic.net, LLC", "（Sonic, LLC、日本）", "(Sonic, LLC)"},
		{"example.co.uk Ltd", "（example Ltd、日本）", "(example Ltd)"},
		{"China Telecom Co.Ltd", "（China Telecom Co.Ltd、日本）", "(China Telecom Co.Ltd)"},
		{"NTT Communications Corporation", "（NTT Communications Corporation、日本）", "(NTT Communications Corporation)"},
		{"see www.evil.example/x", "国内のデータセンター（日本）", "a data centre in Japan"},
	}
	for _, tt := range tests {
		m := giftCardHeld
		m.NetworkOrg = tt.org
		ja, en := notice.Render(m, deadline, notice.Japanese), notice.Render(m, deadline, notice.English)
		if !strings.Contains(ja.Body, tt.ja) || !strings.Contains(en.Body, tt.en) {
			t.Errorf("%q:\n%s\n%s", tt.org, ja.Body, en.Body)
		}
		assertNoLink(t, ja.Body+en.Body)
	}
}
