package notice

import (
	"slices"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
)

func japanese(m risk.Message, deadline time.Time) Text {
	t := &text{bullet: "・"}
	t.para(openingJA(m))
	if isAlert(m) {
		t.list("", []string{placeJA(m), agentJA(m)})
		t.list("当店ですでに次の対応をしました。", doneJA(m))
		t.list("お客さまにお願いしたいこと：", nextJA(m, deadline))
	} else {
		var orders []string
		for _, o := range m.Orders {
			orders = append(orders, orderJA(o)+"："+standingJA(o, m.Kind))
		}
		t.list("対象のご注文：", orders)
		t.list("お客さまにお願いしたいこと：", afterJA(m))
	}
	t.para("当店が、メール・SMS・電話でパスワードや確認コードをおたずねすることはありません。")
	return Text{Title: titleJA(m), Body: t.String()}
}

func titleJA(m risk.Message) string {
	switch m.Kind {
	case risk.MessageRiskyOrder:
		return "不審な注文を止めました"
	case risk.MessageStolenSession:
		return "ログイン中のセッションが別の端末で使われました"
	case risk.MessageFraudReported:
		return "不正利用のご報告を受けて対応しました"
	case risk.MessageLockdown:
		return "安全のため、アカウントをロックしました"
	case risk.MessageCaseFraud:
		return "調査が完了しました（受付番号 " + m.CaseID + "）"
	case risk.MessageCaseLegit:
		return "確認が完了しました（受付番号 " + m.CaseID + "）"
	case risk.MessageOrderReleased:
		return "保留していた注文の保留を解除しました"
	case risk.MessageOrderCancelled:
		return "保留していた注文をキャンセルしました"
	}
	return "アカウントを守るための対応をしました"
}

// openingJA tells what happened. The time is told of what a store
// reported; mamori's own events (a lockdown, an analyst's work) carry the
// account's last event time, not the time of the call.
func openingJA(m risk.Message) string {
	when := whenJA(m.Time) + "、"
	switch m.Kind {
	case risk.MessageRiskyOrder:
		return when + "お客さまのアカウントで、ご本人によるものではない可能性が高い注文がありました。"
	case risk.MessageStolenSession:
		return when + "ログイン中のお客さまのセッションが、ログインしたときとは別の端末またはブラウザから使われました。"
	case risk.MessageFraudReported:
		switch m.ReportedBy {
		case "customer":
			return when + "お客さまから、アカウントの不正利用のご報告をいただきました。"
		case "bank":
			return when + "カード会社または銀行から、お客さまのアカウントの不正利用の報告がありました。"
		case "support":
			return when + "当店のサポート窓口で、お客さまのアカウントの不正利用の報告を受け付けました。"
		}
		return when + "お客さまのアカウントの不正利用の報告がありました。"
	case risk.MessageLockdown:
		return "お客さまのアカウントを守るため、緊急の保護をおこないました。"
	case risk.MessageCaseFraud:
		return "受付番号「" + m.CaseID + "」の調査が完了しました。この件の操作は、お客さまご本人ではない第三者によるものと判断しました。"
	case risk.MessageCaseLegit:
		return "受付番号「" + m.CaseID + "」の確認が完了しました。この件の操作は、お客さまご本人によるものと確認しました。ご不便をおかけし、申し訳ありません。"
	case risk.MessageOrderReleased:
		return "当店の担当者が確認のうえ、保留していた注文の保留を解除しました。"
	case risk.MessageOrderCancelled:
		return "当店の担当者が、保留していた注文をキャンセルしました。"
	}
	return when + "お客さまのアカウントで、ご本人によるものではない可能性がある操作がありました。"
}

// whenJA: 2026年11月20日（金）01:18（日本時間）.
func whenJA(t time.Time) string {
	t = t.In(jst)
	return t.Format("2006年1月2日") + "（" + weekdayJA(t) + "）" + t.Format("15:04") + "（日本時間）"
}

// dayJA: 2026年11月26日（木）.
func dayJA(t time.Time) string {
	t = t.In(jst)
	return t.Format("2006年1月2日") + "（" + weekdayJA(t) + "）"
}

func weekdayJA(t time.Time) string {
	return []string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()]
}

// placeJA: 接続元：国内のデータセンター（The Constant Company, LLC、日本）、IPアドレス 45.76.210.33
func placeJA(m risk.Message) string {
	var network string
	country := countryJA(m.Country)
	where := ""
	if m.Country != "" && m.Country != "JP" {
		where = "海外の"
	} else if m.Country == "JP" {
		where = "国内の"
	}
	switch enrich.NetworkType(m.NetworkType) {
	case enrich.Hosting:
		network = where + "データセンター"
	case enrich.Mobile:
		network = where + "携帯電話の回線"
	case enrich.ISP:
		network = where + "インターネット回線"
	case enrich.Unknown:
		network = "所在のわからないネットワーク"
	}
	var detail []string
	if org := plainOrg(m.NetworkOrg); org != "" {
		detail = append(detail, org)
	}
	if country != "" {
		detail = append(detail, country)
	}
	if network != "" && len(detail) > 0 {
		network += "（" + strings.Join(detail, "、") + "）"
	}
	switch {
	case network != "" && m.IP != "":
		return "接続元：" + network + "、IPアドレス " + m.IP
	case network != "":
		return "接続元：" + network
	case m.IP != "":
		return "接続元：IPアドレス " + m.IP
	}
	return ""
}

// agentJA: ブラウザ：Chrome（Linux）
func agentJA(m risk.Message) string {
	var what string
	switch {
	case m.Browser != "" && m.OS != "":
		what = m.Browser + "（" + m.OS + "）"
	case m.Browser != "":
		what = m.Browser
	case m.OS != "":
		what = m.OS + " のブラウザ"
	}
	if enrich.DeviceClass(m.Device) == enrich.DeviceBot {
		if what == "" {
			return "ブラウザ：自動で操作するプログラム"
		}
		return "ブラウザ：自動で操作するプログラム（" + what + "）"
	}
	if what == "" {
		return ""
	}
	return "ブラウザ：" + what
}

// orderJA: 注文（注文番号 ord-9001、530円） / ギフトカードの注文（…）
func orderJA(o risk.MessageOrder) string {
	what := "注文"
	if o.GiftCard {
		what = "ギフトカードの注文"
	}
	return what + "（注文番号 " + o.ID + "、" + moneyJA(o.Amount, o.Currency) + "）"
}

// doneJA lists what mamori did: the orders first, then the actions.
func doneJA(m risk.Message) []string {
	var out []string
	for _, o := range ordersWith(m, risk.OrderVoidedStatus) {
		out = append(out, orderJA(o)+"を無効にしました。このギフトカードは使えません。")
	}
	for _, o := range ordersWith(m, risk.OrderHeldStatus) {
		out = append(out, orderJA(o)+"を保留にしました。発送・お届けはしていません。")
	}
	for _, o := range ordersWith(m, risk.OrderDeniedStatus) {
		out = append(out, orderJA(o)+"はお受けしませんでした。")
	}
	for _, o := range ordersWith(m, risk.OrderPlacedStatus, risk.OrderCancelledStatus, risk.OrderDeclinedStatus) {
		out = append(out, orderJA(o)+"も調査の対象にしました。")
	}
	for _, a := range m.Actions {
		switch a {
		case mamori.LockAccount:
			out = append(out, "アカウントをロックしました。ご本人確認とパスワードの再設定が済むまで、ログインやご注文はできません。")
		case mamori.RevokeSessions:
			out = append(out, "すべての端末でログアウトさせました。")
		case mamori.RevokeTrustedDevices:
			out = append(out, "信頼済みとして登録されていた端末をすべて解除しました。今後はどの端末でも、ログインの際に確認コードが必要です。")
		case mamori.RequirePasswordReset:
			out = append(out, "次回のログインの前に、パスワードの再設定が必要になるようにしました。")
		}
	}
	return out
}

// nextJA lists what the customer can do after an alert.
func nextJA(m risk.Message, deadline time.Time) []string {
	var out []string
	if m.Locked {
		out = append(out, "アカウントのロックを解除するには、ご本人確認とパスワードの再設定が必要です。サポートにお問い合わせください。")
	} else if slices.Contains(m.Actions, mamori.RequirePasswordReset) {
		out = append(out, "次回ログインするときに、新しいパスワードを設定してください。")
	} else {
		out = append(out, "パスワードを変更してください。")
	}
	out = append(out, "ほかのサービスで同じパスワードをお使いの場合は、そちらも変更してください。",
		"アプリの「セキュリティセンター」で、最近のログイン履歴とログイン中の端末をご確認ください。")
	switch {
	case m.CaseID != "" && !deadline.IsZero():
		out = append(out, "サポートにお問い合わせの際は、受付番号「"+m.CaseID+"」をお伝えください。"+dayJA(deadline)+"までに、担当者からこの件の結果をご連絡します。")
	case m.CaseID != "":
		out = append(out, "サポートにお問い合わせの際は、受付番号「"+m.CaseID+"」をお伝えください。")
	default:
		out = append(out, "ご不明な点は、サポートにお問い合わせください。")
	}
	if len(ordersWith(m, risk.OrderHeldStatus, risk.OrderVoidedStatus)) > 0 && m.Kind != risk.MessageFraudReported {
		out = append(out, "ご自身による操作だった場合も、サポートにお知らせください。止めた注文を確認します。")
	}
	return out
}

// standingJA tells where an order stands after an incident.
func standingJA(o risk.MessageOrder, kind string) string {
	switch o.Status {
	case risk.OrderHeldStatus:
		return "保留中です。"
	case risk.OrderVoidedStatus:
		return "無効にしました。このギフトカードは使えません。"
	case risk.OrderCancelledStatus:
		return "キャンセルしました。お届けしません。"
	case risk.OrderDeniedStatus:
		return "お受けしていません。"
	case risk.OrderDeclinedStatus:
		return "決済されていません。"
	}
	if kind == risk.MessageOrderReleased {
		return "通常どおりお届けします。"
	}
	return "通常どおりお取り扱いします。"
}

// afterJA lists what the customer can do after an incident's outcome.
func afterJA(m risk.Message) []string {
	var out []string
	contact := "サポートにお問い合わせください。"
	if m.CaseID != "" {
		contact = "受付番号「" + m.CaseID + "」をお伝えのうえ、サポートにお問い合わせください。"
	}
	switch m.Kind {
	case risk.MessageCaseFraud:
		out = append(out, "まだの場合は、パスワードを変更してください。",
			"アプリの「セキュリティセンター」で、最近のログイン履歴とログイン中の端末をご確認ください。")
	case risk.MessageOrderCancelled:
		out = append(out, "ご自身のご注文だった場合は、お手数ですがもう一度ご注文ください。")
	}
	if m.Locked {
		return append(out, "アカウントは現在ロックされています。ロックを解除するには、ご本人確認とパスワードの再設定が必要です。"+contact)
	}
	return append(out, "ご不明な点は、"+contact)
}
