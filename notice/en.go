package notice

import (
	"slices"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
)

func english(m risk.Message, deadline time.Time) Text {
	t := &text{bullet: "- "}
	t.para(openingEN(m))
	if isAlert(m) {
		t.list("", []string{placeEN(m), agentEN(m)})
		t.list("To protect your account, we have already:", doneEN(m))
		t.list("What you can do now:", nextEN(m, deadline))
	} else {
		var orders []string
		for _, o := range m.Orders {
			orders = append(orders, orderEN(o)+": "+standingEN(o, m.Kind))
		}
		t.list("The orders concerned:", orders)
		t.list("What you can do now:", afterEN(m))
	}
	t.para("We never ask for your password or a one-time code by e-mail, text message or phone.")
	return Text{Title: titleEN(m), Body: t.String()}
}

func titleEN(m risk.Message) string {
	switch m.Kind {
	case risk.MessageRiskyOrder:
		return "We stopped a suspicious order"
	case risk.MessageStolenSession:
		return "Your signed-in session was used on another device"
	case risk.MessageFraudReported:
		return "We acted on a report of fraud"
	case risk.MessageLockdown:
		return "We locked your account to protect it"
	case risk.MessageCaseFraud:
		return "Case " + m.CaseID + ": our investigation is complete"
	case risk.MessageCaseLegit:
		return "Case " + m.CaseID + ": we have finished checking"
	case risk.MessageOrderReleased:
		return "We released your order that was on hold"
	case risk.MessageOrderCancelled:
		return "We cancelled an order that was on hold"
	}
	return "We took steps to protect your account"
}

// openingEN tells what happened; see openingJA on when the time is told.
func openingEN(m risk.Message) string {
	when := "On " + whenEN(m.Time) + ", "
	switch m.Kind {
	case risk.MessageRiskyOrder:
		return when + "an order was placed on your account that was most likely not placed by you."
	case risk.MessageStolenSession:
		return when + "your signed-in session was used from another device or browser than the one that signed in."
	case risk.MessageFraudReported:
		switch m.ReportedBy {
		case "customer":
			return when + "you reported fraud on your account."
		case "bank":
			return when + "your bank or card issuer reported fraudulent use of your account."
		case "support":
			return when + "our support team recorded a report of fraud on your account."
		}
		return when + "fraud on your account was reported to us."
	case risk.MessageLockdown:
		return "We have secured your account in an emergency."
	case risk.MessageCaseFraud:
		return "We have completed our investigation of case " + m.CaseID + ": what happened in it was done by someone else, not by you."
	case risk.MessageCaseLegit:
		return "We have finished checking case " + m.CaseID + " and found that what happened in it was done by you. We are sorry for the trouble."
	case risk.MessageOrderReleased:
		return "Our team has checked an order of yours that was on hold and released it."
	case risk.MessageOrderCancelled:
		return "Our team has cancelled an order of yours that was on hold."
	}
	return when + "there was activity on your account that may not have been yours."
}

// whenEN: Friday 20 November 2026, 01:18 JST (UTC+9).
func whenEN(t time.Time) string {
	return t.In(jst).Format("Monday 2 January 2006, 15:04") + " JST (UTC+9)"
}

// dayEN: Thursday 26 November 2026.
func dayEN(t time.Time) string {
	return t.In(jst).Format("Monday 2 January 2006")
}

// placeEN: From: a data centre (The Constant Company, LLC) in Japan, IP address 45.76.210.33
func placeEN(m risk.Message) string {
	var network string
	switch enrich.NetworkType(m.NetworkType) {
	case enrich.Hosting:
		network = "a data centre"
	case enrich.Mobile:
		network = "a mobile network"
	case enrich.ISP:
		network = "a home or office internet line"
	case enrich.Unknown:
		network = "an unknown network"
	}
	if org := plainOrg(m.NetworkOrg); network != "" && org != "" {
		network += " (" + org + ")"
	}
	if c := countryEN(m.Country); network != "" && c != "" {
		network += " in " + c
	}
	switch {
	case network != "" && m.IP != "":
		return "From: " + network + ", IP address " + m.IP
	case network != "":
		return "From: " + network
	case m.IP != "":
		return "From: IP address " + m.IP
	}
	return ""
}

// agentEN: Using: Chrome on Linux
func agentEN(m risk.Message) string {
	var what string
	switch {
	case m.Browser != "" && m.OS != "":
		what = m.Browser + " on " + m.OS
	case m.Browser != "":
		what = m.Browser
	case m.OS != "":
		what = "a browser on " + m.OS
	}
	if enrich.DeviceClass(m.Device) == enrich.DeviceBot {
		if what == "" {
			return "Using: an automated program, not a person's browser"
		}
		return "Using: an automated program (" + what + ")"
	}
	if what == "" {
		return ""
	}
	return "Using: " + what
}

// orderEN: order ord-9001 (¥530) / gift card order ord-9002 (¥5,000)
func orderEN(o risk.MessageOrder) string {
	what := "order "
	if o.GiftCard {
		what = "gift card order "
	}
	return what + o.ID + " (" + moneyEN(o.Amount, o.Currency) + ")"
}

// doneEN lists what mamori did: the orders first, then the actions.
func doneEN(m risk.Message) []string {
	var out []string
	for _, o := range ordersWith(m, risk.OrderVoidedStatus) {
		out = append(out, "voided "+orderEN(o)+": the gift card cannot be used")
	}
	for _, o := range ordersWith(m, risk.OrderHeldStatus) {
		out = append(out, "put "+orderEN(o)+" on hold: nothing of it has been shipped or delivered")
	}
	for _, o := range ordersWith(m, risk.OrderDeniedStatus) {
		out = append(out, "refused "+orderEN(o))
	}
	for _, o := range ordersWith(m, risk.OrderPlacedStatus, risk.OrderCancelledStatus, risk.OrderDeclinedStatus) {
		out = append(out, "added "+orderEN(o)+" to our investigation")
	}
	for _, a := range m.Actions {
		switch a {
		case mamori.LockAccount:
			out = append(out, "locked your account: nobody can sign in or order until you have proven who you are and set a new password")
		case mamori.RevokeSessions:
			out = append(out, "signed you out on every device")
		case mamori.RevokeTrustedDevices:
			out = append(out, "removed your trusted devices: every device now needs a one-time code to sign in")
		case mamori.RequirePasswordReset:
			out = append(out, "required a new password before the next sign-in")
		}
	}
	return out
}

// nextEN lists what the customer can do after an alert.
func nextEN(m risk.Message, deadline time.Time) []string {
	var out []string
	switch {
	case m.Locked:
		out = append(out, "To unlock your account, contact support: you will be asked to prove who you are and to set a new password.")
	case slices.Contains(m.Actions, mamori.RequirePasswordReset):
		out = append(out, "Set a new password when you next sign in.")
	default:
		out = append(out, "Change your password.")
	}
	out = append(out, "If you use the same password elsewhere, change it there too.",
		"Review recent sign-ins and signed-in devices in the security center of the app.")
	switch {
	case m.CaseID != "" && !deadline.IsZero():
		out = append(out, "When you contact support, give the case number "+m.CaseID+". Our team will tell you the outcome of this case by "+dayEN(deadline)+" (end of day, Japan time).")
	case m.CaseID != "":
		out = append(out, "When you contact support, give the case number "+m.CaseID+".")
	default:
		out = append(out, "If anything is unclear, contact support.")
	}
	if len(ordersWith(m, risk.OrderHeldStatus, risk.OrderVoidedStatus)) > 0 && m.Kind != risk.MessageFraudReported {
		out = append(out, "If it was you after all, tell support too: we will look at the orders we stopped.")
	}
	return out
}

// standingEN tells where an order stands after an incident.
func standingEN(o risk.MessageOrder, kind string) string {
	switch o.Status {
	case risk.OrderHeldStatus:
		return "on hold"
	case risk.OrderVoidedStatus:
		return "voided; the gift card cannot be used"
	case risk.OrderCancelledStatus:
		return "cancelled; it will not be shipped or delivered"
	case risk.OrderDeniedStatus:
		return "refused"
	case risk.OrderDeclinedStatus:
		return "not paid; the payment was declined"
	}
	if kind == risk.MessageOrderReleased {
		return "released; it will be shipped or delivered as usual"
	}
	return "going ahead as usual"
}

// afterEN lists what the customer can do after an incident's outcome.
func afterEN(m risk.Message) []string {
	var out []string
	contact := "contact support."
	if m.CaseID != "" {
		contact = "contact support with the case number " + m.CaseID + "."
	}
	switch m.Kind {
	case risk.MessageCaseFraud:
		out = append(out, "If you have not yet done so, change your password.",
			"Review recent sign-ins and signed-in devices in the security center of the app.")
	case risk.MessageOrderCancelled:
		out = append(out, "If the order was yours, please place it again.")
	}
	if m.Locked {
		return append(out, "Your account is still locked. To unlock it you will be asked to prove who you are and to set a new password: "+contact)
	}
	return append(out, "If anything is unclear, "+contact)
}
