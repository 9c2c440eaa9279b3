// Package notice writes the messages of the customer's in-app message
// center: from the facts mamori kept when a message was written
// (risk.Message), in Japanese or in English. It is pure: the same facts
// always give the same words.
//
// A message is plain text: no markup, no web address, and it never asks
// the customer to open a link, in an e-mail or anywhere else. What it asks
// the customer to do is done in the app (change the password, look at the
// sign-ins in the security center) or through support, with the case
// number.
package notice

import (
	"strings"
	"time"

	"github.com/mamori-dev/mamori/risk"
)

// Lang is the language a message is written in.
type Lang string

// The languages of messages.
const (
	Japanese Lang = "ja"
	English  Lang = "en"
)

// LangOf picks the language for an Accept-Language header: Japanese when
// its first language is Japanese ("ja", "ja-JP"), English otherwise.
func LangOf(acceptLanguage string) Lang {
	first, _, _ := strings.Cut(acceptLanguage, ",")
	first, _, _ = strings.Cut(first, ";")
	primary, _, _ := strings.Cut(strings.TrimSpace(first), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if strings.EqualFold(primary, "ja") {
		return Japanese
	}
	return English
}

// ParseLang reads a language asked for by name ("ja" or "en").
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case Japanese, English:
		return Lang(s), true
	}
	return "", false
}

// Text is a message as the customer reads it.
type Text struct {
	Title string
	Body  string
}

// Render writes message m in lang (English for any other). deadline is
// when the message's case will be answered (zero: none to tell).
func Render(m risk.Message, deadline time.Time, lang Lang) Text {
	if lang == Japanese {
		return japanese(m, deadline)
	}
	return english(m, deadline)
}

// jst is the time zone of every time a message tells.
var jst = time.FixedZone("JST", 9*3600)

// text builds a body of paragraphs separated by blank lines.
type text struct {
	b      strings.Builder
	bullet string
}

func (t *text) para(lines ...string) {
	var kept []string
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return
	}
	if t.b.Len() > 0 {
		t.b.WriteString("\n\n")
	}
	t.b.WriteString(strings.Join(kept, "\n"))
}

// list writes a heading and its items as bullets; nothing without items.
func (t *text) list(heading string, items []string) {
	var lines []string
	for _, it := range items {
		if it != "" {
			lines = append(lines, t.bullet+it)
		}
	}
	if len(lines) == 0 {
		return
	}
	t.para(append([]string{heading}, lines...)...)
}

func (t *text) String() string { return t.b.String() }

// ordersWith returns the orders of m with one of the given statuses.
func ordersWith(m risk.Message, statuses ...string) []risk.MessageOrder {
	var out []risk.MessageOrder
	for _, o := range m.Orders {
		for _, s := range statuses {
			if o.Status == s {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// isAlert reports whether m is a decision's message, as opposed to the
// outcome of an incident.
func isAlert(m risk.Message) bool {
	switch m.Kind {
	case risk.MessageCaseFraud, risk.MessageCaseLegit, risk.MessageOrderReleased, risk.MessageOrderCancelled:
		return false
	}
	return true
}
