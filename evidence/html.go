package evidence

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
)

//go:embed page.html.tmpl
var pageSource string

// page is the printable evidence pack: one self-contained HTML document
// with its styles inline, no scripts, no images, nothing fetched.
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"money": Money,
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(JST).Format("2006-01-02 15:04 JST")
	},
	"attribution": func() template.HTML { return template.HTML(Attribution) },
}).Parse(pageSource))

// RenderHTML writes the pack as a printable HTML page in English or
// Japanese (lang "en" or "ja"; anything else is English): amounts as
// people read them (¥5,000), times in Japan Standard Time, and the DB-IP
// link the network data's licence requires. The page has no scripts and
// loads nothing: serve it with Content-Security-Policy
// "default-src 'none'; style-src 'unsafe-inline'".
func RenderHTML(w io.Writer, e Evidence, lang string) error {
	if lang != Japanese {
		lang = English
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, pageData{E: e, Lang: lang, Summary: Summary(e, lang), L: labels[lang], words: lang}); err != nil {
		return fmt.Errorf("render evidence pack %s: %w", e.CaseID, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// pageData is what the template sees.
type pageData struct {
	E       Evidence
	Lang    string
	Summary string
	// L holds the labels of the page's language.
	L     map[string]string
	words string
}

// Status says a case status in the page's language.
func (p pageData) Status(s string) string { return cmp.Or(statusWords[p.words][s], s) }

// Fulfilment says what became of a charge's goods.
func (p pageData) Fulfilment(s string) string { return cmp.Or(p.L["fulfilment."+s], s) }

// Settlement says where a charge stands with the bank.
func (p pageData) Settlement(s string) string { return cmp.Or(p.L["settlement."+s], s) }

// Decision says a decision.
func (p pageData) Decision(o mamori.Outcome) string {
	return cmp.Or(p.L["decision."+string(o)], string(o))
}

// Actions says a decision's actions, one per line.
func (p pageData) Actions(list []mamori.Action) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = cmp.Or(p.L["action."+string(a)], string(a))
	}
	return out
}

// Event says an event type.
func (p pageData) Event(t string) string { return cmp.Or(p.L["event."+t], t) }

// NetworkType says a kind of network.
func (p pageData) NetworkType(t string) string { return cmp.Or(typeWords[p.words][t], t) }

// Agent says a browser and OS.
func (p pageData) Agent(a Agent) string {
	if p.words == Japanese {
		return agentJA(a)
	}
	return cmp.Or(a.Words, "unknown browser")
}

// YesNo says a flag.
func (p pageData) YesNo(b bool) string {
	if b {
		return p.L["yes"]
	}
	return p.L["no"]
}

// Items joins an order's item names.
func (p pageData) Items(names []string) string { return strings.Join(names, ", ") }

// labels are the page's fixed words, per language.
var labels = map[string]map[string]string{
	English: {
		"title":            "Evidence pack: unauthorised use of a customer account",
		"draft":            "DRAFT: this case has not been resolved as fraud. Do not send this page to a bank.",
		"final":            "Final: the case was resolved as fraud.",
		"case":             "Case",
		"account":          "Account",
		"status":           "Status",
		"opened":           "Detected",
		"resolved":         "Resolved as fraud",
		"by":               "by",
		"changed_by":       "By",
		"incident":         "Incident",
		"summary":          "Summary",
		"charges":          "Charges",
		"charges_none":     "No order was paid during the incident.",
		"order":            "Order",
		"time":             "Time",
		"amount":           "Amount",
		"items":            "Items",
		"delivery":         "Delivery",
		"descriptor":       "Statement descriptor",
		"gift_card":        "Gift card",
		"hidden":           "Hidden by the attacker",
		"fulfilment":       "Goods",
		"settlement":       "Settlement",
		"settled_at":       "Settled",
		"refundable":       "Store can still void",
		"redeemed_by":      "Redeemed by",
		"totals":           "Totals",
		"charged":          "Charged",
		"delivered":        "Reached the attacker",
		"settled":          "Settled",
		"claim_ready":      "Ready to dispute",
		"unsettled":        "Not settled",
		"attacker":         "The attacker's sessions",
		"attacker_none":    "No session is linked to the case.",
		"usual":            "The customer's usual devices and networks (before the incident)",
		"usual_none":       "No earlier sessions in the case's timeline.",
		"session":          "Session",
		"period":           "Time",
		"ip":               "IP address",
		"network":          "Network",
		"asn":              "AS",
		"country":          "Country",
		"network_type":     "Kind of network",
		"device":           "Device ID",
		"browser":          "Browser and OS",
		"sessions":         "Sessions",
		"seen":             "Seen",
		"networks":         "Networks (sessions)",
		"decision":         "Decision",
		"actions":          "What mamori did",
		"actions_none":     "mamori took no action.",
		"event":            "Event",
		"reasons":          "Reasons",
		"action":           "Actions",
		"history":          "Case history",
		"attribution_text": "Network names, AS numbers and countries: RouteViews, NRO and DB-IP (CC BY 4.0).",
		"times":            "Times are Japan Standard Time (JST).",
		"yes":              "yes",
		"no":               "no",

		"fulfilment.delivered": "delivered",
		"fulfilment.redeemed":  "redeemed",
		"fulfilment.voided":    "voided",
		"fulfilment.held":      "held",
		"fulfilment.cancelled": "cancelled",
		"fulfilment.released":  "released to the customer",

		"settlement.authorised":  "authorised, not settled",
		"settlement.settled":     "settled",
		"settlement.claim_ready": "settled: ready to dispute",

		"decision.allow":     "allowed",
		"decision.challenge": "challenged",
		"decision.review":    "held for review",
		"decision.deny":      "refused",

		"action.lock_account":           "locked the account",
		"action.revoke_sessions":        "signed out every session",
		"action.revoke_trusted_devices": "dropped trusted devices",
		"action.require_password_reset": "required a password reset",
		"action.hold_pending_orders":    "held pending orders",
		"action.void_gift_cards":        "voided unredeemed gift cards",
		"action.notify_customer":        "told the customer",

		"event.login.succeeded":     "sign-in",
		"event.challenge.succeeded": "challenge met",
		"event.challenge.failed":    "challenge failed",
		"event.session.activity":    "page view",
		"event.order.placed":        "order",
		"event.account.locked_down": "lockdown",
	},
	Japanese: {
		"title":            "証拠資料：お客様アカウントの不正利用",
		"draft":            "下書き：この案件はまだ不正と判定されていません。カード会社へは送付しないでください。",
		"final":            "確定：この案件は不正と判定されました。",
		"case":             "案件番号",
		"account":          "アカウント",
		"status":           "状態",
		"opened":           "検知日時",
		"resolved":         "不正と判定",
		"by":               "判定者",
		"changed_by":       "担当者",
		"incident":         "不正利用の期間",
		"summary":          "概要",
		"charges":          "請求（決済）",
		"charges_none":     "期間中に決済された注文はありません。",
		"order":            "注文番号",
		"time":             "日時",
		"amount":           "金額",
		"items":            "商品",
		"delivery":         "お届け方法",
		"descriptor":       "明細の表示名",
		"gift_card":        "ギフトカード",
		"hidden":           "攻撃者による非表示",
		"fulfilment":       "商品の状況",
		"settlement":       "決済の状況",
		"settled_at":       "売上確定日時",
		"refundable":       "店舗で取消可能",
		"redeemed_by":      "利用したアカウント",
		"totals":           "合計",
		"charged":          "請求額",
		"delivered":        "攻撃者に渡った額",
		"settled":          "売上確定",
		"claim_ready":      "異議申立て可能",
		"unsettled":        "売上未確定",
		"attacker":         "不正なセッション",
		"attacker_none":    "この案件に結び付くセッションはありません。",
		"usual":            "お客様が普段お使いの端末とネットワーク（不正利用の前）",
		"usual_none":       "タイムラインに以前のセッションはありません。",
		"session":          "セッション",
		"period":           "日時",
		"ip":               "IPアドレス",
		"network":          "ネットワーク",
		"asn":              "AS番号",
		"country":          "国",
		"network_type":     "回線の種類",
		"device":           "端末ID",
		"browser":          "ブラウザ・OS",
		"sessions":         "セッション数",
		"seen":             "利用期間",
		"networks":         "ネットワーク（セッション数）",
		"decision":         "判定",
		"actions":          "mamori の対応",
		"actions_none":     "mamori による対応はありません。",
		"event":            "出来事",
		"reasons":          "理由",
		"action":           "対応",
		"history":          "案件の経過",
		"attribution_text": "ネットワーク名・AS番号・国：RouteViews、NRO、DB-IP（CC BY 4.0）。",
		"times":            "日時はすべて日本時間（JST）です。",
		"yes":              "はい",
		"no":               "いいえ",

		"fulfilment.delivered": "提供済み",
		"fulfilment.redeemed":  "利用済み",
		"fulfilment.voided":    "無効化済み",
		"fulfilment.held":      "保留中",
		"fulfilment.cancelled": "取消済み",
		"fulfilment.released":  "お客さまの注文として出荷",

		"settlement.authorised":  "オーソリのみ（売上未確定）",
		"settlement.settled":     "売上確定",
		"settlement.claim_ready": "売上確定・異議申立て可能",

		"decision.allow":     "許可",
		"decision.challenge": "追加認証",
		"decision.review":    "保留（審査）",
		"decision.deny":      "拒否",

		"action.lock_account":           "アカウントをロック",
		"action.revoke_sessions":        "すべてのセッションをログアウト",
		"action.revoke_trusted_devices": "信頼済み端末を解除",
		"action.require_password_reset": "パスワード再設定を要求",
		"action.hold_pending_orders":    "未出荷の注文を保留",
		"action.void_gift_cards":        "未使用のギフトカードを無効化",
		"action.notify_customer":        "お客様に通知",

		"event.login.succeeded":     "ログイン",
		"event.challenge.succeeded": "追加認証に成功",
		"event.challenge.failed":    "追加認証に失敗",
		"event.session.activity":    "ページ閲覧",
		"event.order.placed":        "注文",
		"event.account.locked_down": "ロックダウン",
	},
}
