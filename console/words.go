package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/mamori-dev/mamori/notice"
)

// langCookie remembers the language an analyst switched to; without it
// the browser's Accept-Language decides, English by default.
const langCookie = "mamori_console_lang"

// langOf is ?lang= when given, else the switch cookie, else the
// browser's Accept-Language.
func langOf(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "ja" || l == "en" {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "ja" || c.Value == "en") {
		return c.Value
	}
	return string(notice.LangOf(r.Header.Get("Accept-Language")))
}

// rememberLang sets the switch cookie when a request asks for a
// language with ?lang=.
func rememberLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l != "ja" && l != "en" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: Prefix, MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// switchURL is the link to the page r showed, in lang.
func switchURL(r *http.Request, lang string) string {
	if r.Method != http.MethodGet {
		return Prefix + "?lang=" + lang
	}
	q := r.URL.Query()
	q.Set("lang", lang)
	return (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()
}

// word returns the words for key in lang ("ja" or "en"); a missing key
// shows as itself, which the tests catch.
func word(lang, key string) string {
	if w, ok := words[lang][key]; ok {
		return w
	}
	if w, ok := words["en"][key]; ok {
		return w
	}
	return key
}

// msg words key for the language of r, filled in with args.
func msg(r *http.Request, key string, args ...any) string {
	w := word(langOf(r), key)
	if len(args) == 0 {
		return w
	}
	return fmt.Sprintf(w, args...)
}

// T returns the page's words for key.
func (d pageData) T(key string) string { return word(d.Lang, key) }

// W words a value of a kind (a status, an outcome): the value itself
// when there are no words for it.
func (d pageData) W(kind, value string) string {
	k := kind + "_" + value
	if w := word(d.Lang, k); w != k {
		return w
	}
	return value
}

var words = map[string]map[string]string{
	"en": {
		"console":               "mamori console",
		"switch":                "日本語",
		"nav_dashboard":         "Dashboard",
		"nav_review":            "Review queue",
		"nav_cases":             "Cases",
		"search":                "Search",
		"search_label":          "Search: account, order, case, IP or e-mail",
		"search_hint":           "account, order, case, IP, e-mail",
		"sign_out":              "Sign out",
		"title_dashboard":       "Dashboard",
		"title_review":          "Review queue",
		"title_cases":           "Cases",
		"title_case":            "Case %s",
		"title_account":         "Account %s",
		"title_search":          "Search",
		"title_signin":          "Sign in",
		"http_400":              "Bad request",
		"http_403":              "Forbidden",
		"http_404":              "Not found",
		"http_500":              "Internal server error",
		"err_origin":            "This request did not come from the console.",
		"err_csrf":              "This form has expired. Go back, reload the page and try again.",
		"err_signin":            "Sign-in failed: check your user name, password and code, or wait a few minutes.",
		"err_wrong":             "Something went wrong; try again.",
		"err_notfound":          "Not found: %s",
		"err_no_accounts":       "Account pages are not available.",
		"err_no_search":         "Search is not available.",
		"err_case_status":       "Unknown case status: choose open, investigating or all.",
		"back_review":           "Back to the review queue",
		"done_released":         "Order %s approved: released to ship.",
		"done_cancelled":        "Order %s cancelled.",
		"done_locked":           "Account %s locked down; a case is open.",
		"signin_title":          "Analyst sign-in",
		"user_name":             "User name",
		"password":              "Password",
		"totp":                  "Authenticator code",
		"signin":                "Sign in",
		"money_held":            "Money held",
		"held_orders":           "%d held orders",
		"open_cases":            "Open cases",
		"overdue_cases":         "Overdue cases",
		"decided_24h":           "Decisions, last 24 h",
		"review_queue_lc":       "review queue",
		"cases_lc":              "cases",
		"per_hour":              "Decisions per hour",
		"event_time":            "Event time, %s to %s.",
		"hour":                  "Hour",
		"top_reasons":           "Top reasons",
		"reason":                "Reason",
		"decisions":             "Decisions",
		"no_reasons":            "No reasons in the last 24 hours.",
		"review_lede":           "Orders mamori held, waiting for a decision. Approve lets an order ship; cancel voids it. Both are recorded as outcomes mamori learns from.",
		"order":                 "Order",
		"account":               "Account",
		"amount":                "Amount",
		"placed":                "Placed",
		"why_held":              "Why it was held",
		"case":                  "Case",
		"decision":              "Decision",
		"approve":               "Approve",
		"cancel":                "Cancel",
		"gift_card":             "gift card",
		"hidden":                "hidden from order history",
		"no_held":               "No held orders. Nothing is waiting.",
		"filter_open":           "Open",
		"filter_inv":            "Investigating",
		"filter_all":            "All",
		"status":                "Status",
		"opened":                "Opened",
		"deadline":              "Deadline",
		"assignee":              "Assignee",
		"overdue":               "overdue",
		"no_cases":              "No cases here.",
		"orders":                "Orders",
		"settled":               "settled",
		"redeemed":              "redeemed",
		"no_case_orders":        "No orders in this case's time.",
		"timeline":              "Timeline",
		"in_case":               "in case",
		"actions":               "actions:",
		"ip":                    "IP",
		"device_lc":             "device",
		"risk":                  "Risk",
		"events":                "Events",
		"last_at":               ", the last at %s",
		"password_reset":        "a new password is required",
		"none":                  "none",
		"lockdown":              "Lock down",
		"lockdown_lede":         "Locks the account, signs out every session, removes trusted devices, holds orders and opens a case.",
		"risk_over_time":        "Risk over time",
		"chart_label":           "Scores of the account's recent decisions",
		"chart_lede":            "%s to %s: each dot is one decision; hover for its event.",
		"no_decisions":          "No decisions yet.",
		"signins":               "Sign-ins",
		"when":                  "When",
		"network":               "Network",
		"browser":               "Browser",
		"device":                "Device",
		"no_signins":            "No sign-ins.",
		"sessions":              "Sessions",
		"started":               "Started",
		"last_seen":             "Last seen",
		"state":                 "State",
		"signed_out":            "signed out",
		"challenge_unmet":       "challenge unmet",
		"live":                  "live",
		"no_sessions":           "No sessions.",
		"trusted":               "Trusted devices",
		"since":                 "since %s",
		"no_trusted":            "No trusted devices.",
		"actions_taken":         "Actions taken",
		"action":                "Action",
		"event":                 "Event",
		"no_actions":            "No actions taken.",
		"search_form":           "Account, order, case, IP address or e-mail",
		"found_ip":              "Accounts with cases seen from %s",
		"found_email":           "Accounts with the e-mail %s",
		"nothing_found":         "Nothing found for “%s”.",
		"net_hosting":           "data centre or VPN",
		"net_mobile":            "mobile network",
		"net_isp":               "home or office internet",
		"net_unknown":           "unknown network",
		"browser_unknown":       "unknown browser",
		"a_browser_on":          "a browser on %s",
		"browser_on":            "%s on %s",
		"status_resolved_fraud": "resolved: fraud",
		"status_resolved_legit": "resolved: legitimate",
	},
	"ja": {
		"console":               "mamori コンソール",
		"switch":                "English",
		"nav_dashboard":         "ダッシュボード",
		"nav_review":            "審査キュー",
		"nav_cases":             "ケース",
		"search":                "検索",
		"search_label":          "検索：アカウント、注文、ケース、IP、メールアドレス",
		"search_hint":           "アカウント、注文、ケース、IP、メール",
		"sign_out":              "サインアウト",
		"title_dashboard":       "ダッシュボード",
		"title_review":          "審査キュー",
		"title_cases":           "ケース",
		"title_case":            "ケース %s",
		"title_account":         "アカウント %s",
		"title_search":          "検索",
		"title_signin":          "サインイン",
		"http_400":              "不正なリクエスト",
		"http_403":              "アクセスできません",
		"http_404":              "見つかりません",
		"http_500":              "サーバーエラー",
		"err_origin":            "このリクエストはコンソールから送られたものではありません。",
		"err_csrf":              "このフォームの有効期限が切れました。前のページに戻り、再読み込みしてからもう一度お試しください。",
		"err_signin":            "サインインできませんでした。ユーザー名、パスワード、コードを確認するか、数分待ってからお試しください。",
		"err_wrong":             "問題が発生しました。もう一度お試しください。",
		"err_notfound":          "見つかりません：%s",
		"err_no_accounts":       "アカウントページは利用できません。",
		"err_no_search":         "検索は利用できません。",
		"err_case_status":       "不明なケース状況です。未対応、調査中、すべてのいずれかを選んでください。",
		"back_review":           "審査キューに戻る",
		"done_released":         "注文 %s を承認しました。発送できます。",
		"done_cancelled":        "注文 %s をキャンセルしました。",
		"done_locked":           "アカウント %s をロックしました。ケースを開きました。",
		"signin_title":          "アナリストのサインイン",
		"user_name":             "ユーザー名",
		"password":              "パスワード",
		"totp":                  "認証アプリのコード",
		"signin":                "サインイン",
		"money_held":            "保留中の金額",
		"held_orders":           "保留中の注文 %d 件",
		"open_cases":            "未対応のケース",
		"overdue_cases":         "期限切れのケース",
		"decided_24h":           "直近24時間の判定",
		"review_queue_lc":       "審査キュー",
		"cases_lc":              "ケース",
		"per_hour":              "1時間ごとの判定",
		"event_time":            "イベント時刻：%s から %s まで。",
		"hour":                  "時間帯",
		"top_reasons":           "主な理由",
		"reason":                "理由",
		"decisions":             "判定数",
		"no_reasons":            "直近24時間の理由はありません。",
		"review_lede":           "mamori が保留し、判断を待っている注文です。承認すると発送され、キャンセルすると取り消されます。どちらも mamori が学習する結果として記録されます。",
		"order":                 "注文",
		"account":               "アカウント",
		"amount":                "金額",
		"placed":                "注文日時",
		"why_held":              "保留の理由",
		"case":                  "ケース",
		"decision":              "判断",
		"approve":               "承認",
		"cancel":                "キャンセル",
		"gift_card":             "ギフトカード",
		"hidden":                "注文履歴で非表示",
		"no_held":               "保留中の注文はありません。待っているものはありません。",
		"filter_open":           "未対応",
		"filter_inv":            "調査中",
		"filter_all":            "すべて",
		"status":                "状況",
		"opened":                "開始日時",
		"deadline":              "期限",
		"assignee":              "担当者",
		"overdue":               "期限切れ",
		"no_cases":              "ケースはありません。",
		"orders":                "注文",
		"settled":               "決済済み",
		"redeemed":              "利用済み",
		"no_case_orders":        "このケースの期間に注文はありません。",
		"timeline":              "タイムライン",
		"in_case":               "ケース内",
		"actions":               "対応：",
		"ip":                    "IP",
		"device_lc":             "端末",
		"risk":                  "リスク",
		"events":                "イベント",
		"last_at":               "、最新は %s",
		"password_reset":        "パスワードの再設定が必要",
		"none":                  "なし",
		"lockdown":              "ロックする",
		"lockdown_lede":         "アカウントをロックし、すべてのセッションをサインアウトし、信頼済みの端末を解除し、注文を保留して、ケースを開きます。",
		"risk_over_time":        "リスクの推移",
		"chart_label":           "アカウントの最近の判定のスコア",
		"chart_lede":            "%s から %s まで。点はそれぞれ1件の判定です。カーソルを合わせるとイベントが表示されます。",
		"no_decisions":          "判定はまだありません。",
		"signins":               "サインイン",
		"when":                  "日時",
		"network":               "回線",
		"browser":               "ブラウザ",
		"device":                "端末",
		"no_signins":            "サインインはありません。",
		"sessions":              "セッション",
		"started":               "開始",
		"last_seen":             "最終利用",
		"state":                 "状態",
		"signed_out":            "サインアウト済み",
		"challenge_unmet":       "認証未完了",
		"live":                  "有効",
		"no_sessions":           "セッションはありません。",
		"trusted":               "信頼済みの端末",
		"since":                 "%s から",
		"no_trusted":            "信頼済みの端末はありません。",
		"actions_taken":         "実施した対応",
		"action":                "対応",
		"event":                 "イベント",
		"no_actions":            "対応はありません。",
		"search_form":           "アカウント、注文、ケース、IPアドレス、メールアドレス",
		"found_ip":              "%s から接続されたケースのあるアカウント",
		"found_email":           "メールアドレス %s のアカウント",
		"nothing_found":         "「%s」に一致するものはありません。",
		"net_hosting":           "データセンターまたはVPN",
		"net_mobile":            "携帯電話の回線",
		"net_isp":               "自宅や職場の回線",
		"net_unknown":           "不明な回線",
		"browser_unknown":       "不明なブラウザ",
		"a_browser_on":          "%s のブラウザ",
		"browser_on":            "%[2]s の %[1]s",
		"status_open":           "未対応",
		"status_investigating":  "調査中",
		"status_resolved_fraud": "解決：不正",
		"status_resolved_legit": "解決：正当",
		"status_held":           "保留中",
		"status_placed":         "注文済み",
		"status_released":       "承認済み",
		"status_cancelled":      "キャンセル",
		"status_voided":         "取り消し",
		"status_denied":         "拒否",
		"status_declined":       "決済不可",
		"status_active":         "有効",
		"status_locked":         "ロック中",
		"outcome_allow":         "許可",
		"outcome_challenge":     "追加認証",
		"outcome_review":        "審査",
		"outcome_deny":          "拒否",
	},
}
