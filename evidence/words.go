package evidence

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
)

// The languages of the pack.
const (
	English  = "en"
	Japanese = "ja"
)

// JST is Japan Standard Time, in which the pack shows times (Japan has
// no daylight saving time).
var JST = time.FixedZone("JST", 9*3600)

// IsLang reports whether lang is a language of the pack.
func IsLang(lang string) bool { return lang == English || lang == Japanese }

// PickLang chooses the pack's language from an Accept-Language header:
// Japanese or English, whichever the reader prefers, English when the
// header names neither.
func PickLang(acceptLanguage string) string {
	best, bestQ := English, 0.0
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !IsLang(primary) {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// Money writes an amount in the currency's minor unit as people read it:
// ¥5,000 for yen, "USD 12.34" for others.
func Money(amount int64, currency string) string {
	if currency == "JPY" {
		return "¥" + grouped(amount)
	}
	digits := minorDigits(currency)
	if digits == 0 {
		return currency + " " + grouped(amount)
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	return fmt.Sprintf("%s %s%s.%0*d", currency, sign, grouped(amount/unit), digits, amount%unit)
}

// minorDigits is the number of decimals of the currency's minor unit.
func minorDigits(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
		"VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}

func grouped(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Summary tells the story of the pack in a few plain sentences, in
// English or Japanese.
func Summary(e Evidence, lang string) string {
	f := factsOf(e)
	if lang == Japanese {
		return f.japanese(e)
	}
	return f.english(e)
}

// facts are the counts the summary tells.
type facts struct {
	sessions, charges, giftCards, hidden int
	challenged, held, refused, signOuts  int
	voided, settled, unsettled           int
	settledAmount, unsettledAmount       []Total
	charged, delivered                   []Total
	agents                               []Agent
	networks                             []Network
	familiarDevice                       bool
}

func factsOf(e Evidence) facts {
	f := facts{sessions: len(e.AttackerSessions), charges: len(e.Charges)}
	usual := map[string]bool{}
	for _, d := range e.UsualDevices {
		usual[d.DeviceID] = true
	}
	for _, s := range e.AttackerSessions {
		if !containsAgent(f.agents, s.Agent) {
			f.agents = append(f.agents, s.Agent)
		}
		if s.Network != (Network{}) && !contains(f.networks, s.Network) {
			f.networks = append(f.networks, s.Network)
		}
		if s.DeviceID != "" && usual[s.DeviceID] {
			f.familiarDevice = true
		}
	}
	reviewed := map[string]bool{}
	for _, st := range e.Actions {
		if st.EventType == mamori.OrderPlaced && st.Decision == mamori.Review {
			reviewed[st.OrderID] = true
		}
	}
	var settled, unsettled []Charge
	for _, ch := range e.Charges {
		if ch.GiftCard {
			f.giftCards++
		}
		if ch.Hidden {
			f.hidden++
		}
		if ch.Fulfilment == Held || reviewed[ch.OrderID] {
			f.held++
		}
		if ch.Fulfilment == Voided {
			f.voided++
		}
		if ch.Settlement == Authorised {
			unsettled = append(unsettled, ch)
		} else {
			settled = append(settled, ch)
		}
	}
	f.settled, f.unsettled = len(settled), len(unsettled)
	f.settledAmount, f.unsettledAmount = totals(settled), totals(unsettled)
	f.charged = e.Totals
	for _, t := range e.Totals {
		if t.Delivered > 0 {
			f.delivered = append(f.delivered, Total{Currency: t.Currency, Charged: t.Delivered})
		}
	}
	for _, st := range e.Actions {
		switch {
		case st.Decision == mamori.Deny:
			f.refused++
		case st.Decision == mamori.Challenge && st.EventType == mamori.LoginSucceeded:
			f.challenged++
		}
		if hasAction(st.Actions, mamori.RevokeSessions) || hasAction(st.Actions, mamori.LockAccount) {
			f.signOuts++
		}
	}
	return f
}

func (f facts) english(e Evidence) string {
	var b strings.Builder
	if !e.Final {
		fmt.Fprintf(&b, "Draft: the case is %s, not resolved as fraud; this pack is for analysts until it is. ", statusWords[English][e.Status])
	}
	if f.sessions == 0 {
		b.WriteString("No session of the account is linked to the case.")
	} else {
		fmt.Fprintf(&b, "%s, someone used account %s in %s from %s", spanEN(e.Incident), e.AccountID, count(f.sessions, "session", "sessions"), agentsEN(f.agents))
		if len(f.networks) > 0 {
			fmt.Fprintf(&b, " on %s", networksEN(f.networks))
		}
		b.WriteString(".")
		if !f.familiarDevice {
			b.WriteString(" The device was not one the customer usually uses.")
		}
	}
	if f.charges > 0 {
		fmt.Fprintf(&b, " %s placed and paid, %s in all", count(f.charges, "order was", "orders were"), moneyList(f.charged))
		if f.giftCards > 0 {
			fmt.Fprintf(&b, ", %d of them gift cards", f.giftCards)
		}
		if f.hidden > 0 {
			fmt.Fprintf(&b, "; %d hidden from the order history", f.hidden)
		}
		b.WriteString(".")
	}
	var did []string
	if f.challenged > 0 {
		did = append(did, "challenged "+count(f.challenged, "sign-in", "sign-ins"))
	}
	if f.refused > 0 {
		did = append(did, "refused "+count(f.refused, "step", "steps"))
	}
	if f.held > 0 {
		did = append(did, "held "+count(f.held, "order", "orders"))
	}
	if f.voided > 0 {
		did = append(did, "voided "+count(f.voided, "gift card", "gift cards")+" before use")
	}
	if f.signOuts > 0 {
		if f.signOuts == 1 {
			did = append(did, "signed the attacker out once")
		} else {
			did = append(did, fmt.Sprintf("signed the attacker out %d times", f.signOuts))
		}
	}
	if len(did) > 0 {
		fmt.Fprintf(&b, " mamori %s.", joinEN(did))
	}
	if f.charges > 0 {
		if len(f.delivered) == 0 {
			b.WriteString(" Nothing reached the attacker.")
		} else {
			fmt.Fprintf(&b, " Goods worth %s reached the attacker.", moneyList(f.delivered))
		}
	}
	if len(e.UsualDevices) > 0 {
		var usual []string
		for _, d := range e.UsualDevices {
			s := d.Agent.Words
			if len(d.Networks) > 0 && d.Networks[0].Org != "" {
				s += " (" + d.Networks[0].Org + ")"
			}
			usual = append(usual, s)
		}
		fmt.Fprintf(&b, " The customer usually signs in with %s.", joinEN(usual))
	}
	if f.settled > 0 {
		fmt.Fprintf(&b, " %s (%s) %s settled", count(f.settled, "charge", "charges"), moneyList(f.settledAmount), plural(f.settled, "has", "have"))
		if e.Final {
			b.WriteString(" and can be disputed with the bank.")
		} else {
			fmt.Fprintf(&b, "; %s can be disputed once the case is resolved as fraud.", plural(f.settled, "it", "they"))
		}
	}
	if f.unsettled > 0 {
		fmt.Fprintf(&b, " %s (%s) %s not settled, so the store can still void %s.", count(f.unsettled, "charge", "charges"), moneyList(f.unsettledAmount),
			plural(f.unsettled, "has", "have"), plural(f.unsettled, "it", "them"))
	}
	return strings.TrimSpace(b.String())
}

func (f facts) japanese(e Evidence) string {
	var b strings.Builder
	if !e.Final {
		fmt.Fprintf(&b, "下書き：この案件は「%s」で、まだ不正と判定されていません。判定までは分析担当者向けの資料です。", statusWords[Japanese][e.Status])
	}
	if f.sessions == 0 {
		b.WriteString("この案件に結び付くセッションはありません。")
	} else {
		fmt.Fprintf(&b, "%s、第三者が %s からアカウント %s を %d 回のセッションで利用しました", spanJA(e.Incident), agentsJA(f.agents), e.AccountID, f.sessions)
		if len(f.networks) > 0 {
			fmt.Fprintf(&b, "（接続元：%s）", networksJA(f.networks))
		}
		b.WriteString("。")
		if !f.familiarDevice {
			b.WriteString("お客様が普段お使いの端末ではありません。")
		}
	}
	if f.charges > 0 {
		fmt.Fprintf(&b, "計 %s の注文が %d 件行われ", moneyList(f.charged), f.charges)
		if f.giftCards > 0 {
			fmt.Fprintf(&b, "（うちギフトカード %d 件）", f.giftCards)
		}
		if f.hidden > 0 {
			fmt.Fprintf(&b, "、%d 件は注文履歴から非表示にされました。", f.hidden)
		} else {
			b.WriteString("ました。")
		}
	}
	var did []string
	if f.challenged > 0 {
		did = append(did, fmt.Sprintf("ログイン %d 回に追加認証を求め", f.challenged))
	}
	if f.refused > 0 {
		did = append(did, fmt.Sprintf("%d 件の操作を拒否し", f.refused))
	}
	if f.held > 0 {
		did = append(did, fmt.Sprintf("注文 %d 件を保留し", f.held))
	}
	if f.voided > 0 {
		did = append(did, fmt.Sprintf("ギフトカード %d 件を使用前に無効化し", f.voided))
	}
	if f.signOuts > 0 {
		did = append(did, fmt.Sprintf("攻撃者を %d 回ログアウトさせ", f.signOuts))
	}
	if len(did) > 0 {
		fmt.Fprintf(&b, "mamori は%sました。", strings.Join(did, "、"))
	}
	if f.charges > 0 {
		if len(f.delivered) == 0 {
			b.WriteString("攻撃者の手に渡ったものはありません。")
		} else {
			fmt.Fprintf(&b, "%s 相当が攻撃者の手に渡りました。", moneyList(f.delivered))
		}
	}
	if len(e.UsualDevices) > 0 {
		var usual []string
		for _, d := range e.UsualDevices {
			s := agentJA(d.Agent)
			if len(d.Networks) > 0 && d.Networks[0].Org != "" {
				s += "（" + d.Networks[0].Org + "）"
			}
			usual = append(usual, s)
		}
		fmt.Fprintf(&b, "お客様は普段、%sからご利用です。", strings.Join(usual, "、"))
	}
	if f.settled > 0 {
		if e.Final {
			fmt.Fprintf(&b, "売上確定済みの %d 件（%s）は、カード会社への異議申立てに使えます。", f.settled, moneyList(f.settledAmount))
		} else {
			fmt.Fprintf(&b, "売上確定済みの %d 件（%s）は、不正と判定された後に異議申立てに使えます。", f.settled, moneyList(f.settledAmount))
		}
	}
	if f.unsettled > 0 {
		fmt.Fprintf(&b, "売上未確定の %d 件（%s）は、店舗がまだ取り消せます。", f.unsettled, moneyList(f.unsettledAmount))
	}
	return b.String()
}

func spanEN(w Window) string {
	from, to := w.From.In(JST), w.To.In(JST)
	if to.IsZero() || w.To.Before(w.From) {
		to = from
	}
	if from.Format(time.DateOnly) == to.Format(time.DateOnly) {
		return fmt.Sprintf("Between %s and %s JST on %s", from.Format("15:04"), to.Format("15:04"), from.Format(time.DateOnly))
	}
	return fmt.Sprintf("From %s to %s JST", from.Format("2006-01-02 15:04"), to.Format("2006-01-02 15:04"))
}

func spanJA(w Window) string {
	from, to := w.From.In(JST), w.To.In(JST)
	if to.IsZero() || w.To.Before(w.From) {
		to = from
	}
	if from.Format(time.DateOnly) == to.Format(time.DateOnly) {
		return fmt.Sprintf("%s %s〜%s（日本時間）", from.Format("2006年1月2日"), from.Format("15:04"), to.Format("15:04"))
	}
	return fmt.Sprintf("%s〜%s（日本時間）", from.Format("2006年1月2日 15:04"), to.Format("2006年1月2日 15:04"))
}

func agentsEN(agents []Agent) string {
	var words []string
	for _, a := range agents {
		words = append(words, cmp.Or(a.Words, "an unknown browser"))
	}
	return joinEN(words)
}

func agentsJA(agents []Agent) string {
	var words []string
	for _, a := range agents {
		words = append(words, agentJA(a))
	}
	return strings.Join(words, "、")
}

// agentJA says an agent in Japanese: "Linux の Chrome".
func agentJA(a Agent) string {
	switch {
	case a.Browser != "" && a.Platform != "":
		return a.Platform + " の " + a.Browser
	case a.Device == "bot":
		return "自動化されたブラウザ・スクリプト"
	case a.Browser != "" || a.Platform != "":
		return a.Browser + a.Platform
	}
	return "不明なブラウザ"
}

func networksEN(nets []Network) string {
	var words []string
	for _, n := range nets {
		words = append(words, networkEN(n))
	}
	return joinEN(words)
}

func networkEN(n Network) string {
	s := cmp.Or(n.Org, "an unknown network")
	if meta := networkMeta(n, English); len(meta) > 0 {
		s += " (" + strings.Join(meta, ", ") + ")"
	}
	return s
}

// networkMeta is what is known of a network besides its name: its AS
// number, country and kind, in lang.
func networkMeta(n Network, lang string) []string {
	var meta []string
	if n.ASN != 0 {
		meta = append(meta, fmt.Sprintf("AS%d", n.ASN))
	}
	if n.Country != "" {
		meta = append(meta, n.Country)
	}
	if w := typeWords[lang][n.Type]; w != "" {
		meta = append(meta, w)
	}
	return meta
}

func networksJA(nets []Network) string {
	var words []string
	for _, n := range nets {
		s := cmp.Or(n.Org, "不明なネットワーク")
		if meta := networkMeta(n, Japanese); len(meta) > 0 {
			s += "、" + strings.Join(meta, "・")
		}
		words = append(words, s)
	}
	return strings.Join(words, "／")
}

func moneyList(ts []Total) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, Money(t.Charged, t.Currency))
	}
	return strings.Join(parts, " + ")
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinEN(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func containsAgent(list []Agent, a Agent) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func contains(list []Network, n Network) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func hasAction(list []mamori.Action, a mamori.Action) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// Words of the pack's fields, per language.
var (
	statusWords = map[string]map[string]string{
		English:  {mamori.CaseOpen: "open", mamori.CaseInvestigating: "under investigation", mamori.CaseResolvedFraud: "resolved as fraud", mamori.CaseResolvedLegit: "resolved as legitimate"},
		Japanese: {mamori.CaseOpen: "未対応", mamori.CaseInvestigating: "調査中", mamori.CaseResolvedFraud: "不正と判定", mamori.CaseResolvedLegit: "正当な利用と判定"},
	}
	typeWords = map[string]map[string]string{
		English:  {"hosting": "hosting network", "mobile": "mobile network", "isp": "home or office line", "unknown": "unknown network"},
		Japanese: {"hosting": "ホスティング・データセンター", "mobile": "携帯回線", "isp": "固定回線", "unknown": "不明"},
	}
)
