package risk

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/mamori-dev/mamori"
)

// Thresholds turning scores into decisions.
const (
	ChallengeAt = 0.60 // sign-ins and security changes at or above: challenge
	ReviewAt    = 0.70 // orders at or above: review (held)
	// riskySessionAt marks a session whose sign-in alone makes the
	// protective bundle appropriate when an order in it goes to review.
	riskySessionAt = 0.40
	smallOrderMax  = 1000 // yen: an order this small before a big one looks like a card test
	failureWindow  = time.Hour
	velocityWindow = 24 * time.Hour
)

// factor is one reason with its weight in the score.
type factor struct {
	code   string
	weight float64
	detail string
}

// Decide returns mamori's decision on ev for the account in st, without
// changing st. seq is the event's place in the log; a case the event
// opens is named after it, so that replaying the log names it again.
func Decide(st *State, ev *mamori.Event, seq uint64) mamori.Decision {
	var (
		fs      []factor
		outcome = mamori.Allow
		actions []mamori.Action
		opens   bool
	)
	switch ev.Type {
	case mamori.LoginSucceeded:
		fs = signInFactors(st, ev)
		if blocking(fs) {
			outcome = mamori.Deny
		} else if score(fs) >= ChallengeAt {
			outcome = mamori.Challenge
		}
	case mamori.ChallengeFailed:
		if s := st.Session(ev.SessionID); s != nil && s.ChallengeFails >= 1 {
			fs = append(fs, factor{code: ReasonChallengeFailed, weight: 0.9})
			outcome, actions = mamori.Deny, []mamori.Action{mamori.RevokeSessions}
		} else {
			fs = append(fs, factor{code: ReasonChallengeFailed, weight: 0.3})
		}
	case mamori.SessionActivity, mamori.ChallengeSucceeded:
		if fs = sessionFactors(st, ev); blocking(fs) {
			outcome, actions = mamori.Deny, denyActions(fs)
		}
	case mamori.PasswordChanged, mamori.PasswordResetRequested, mamori.EmailChanged,
		mamori.MFAChanged, mamori.DeviceTrusted, mamori.DeviceUntrusted,
		mamori.PaymentMethodAdded, mamori.AddressAdded:
		fs = sessionFactors(st, ev)
		switch {
		case blocking(fs):
			outcome, actions = mamori.Deny, denyActions(fs)
		case score(fs) >= ChallengeAt:
			outcome = mamori.Challenge
		}
	case mamori.OrderPlaced:
		fs = sessionFactors(st, ev)
		if blocking(fs) {
			outcome, actions = mamori.Deny, denyActions(fs)
			break
		}
		fs = append(fs, orderFactors(st, ev)...)
		if score(fs) >= ReviewAt {
			outcome = mamori.Review
			if s := st.Session(ev.SessionID); s == nil || s.SignInRisk >= riskySessionAt || s.NoSignIn || s.NewDevice {
				actions = []mamori.Action{mamori.HoldPendingOrders, mamori.VoidGiftCards,
					mamori.RevokeSessions, mamori.NotifyCustomer}
				opens = true
			}
		}
	case mamori.FraudReported:
		fs = append(fs, factor{code: ReasonFraudReported, weight: 0.9, detail: "reported by " + orDefault(ev.Properties.By, "the store")})
		actions = []mamori.Action{mamori.HoldPendingOrders, mamori.NotifyCustomer}
		opens = true
	case mamori.OrderHidden:
		if s := st.Session(ev.SessionID); s != nil && s.SignInRisk >= riskySessionAt {
			fs = append(fs, factor{code: ReasonOrdersHidden, weight: 0.3})
		}
	case mamori.AccountLockedDown:
		fs = append(fs, factor{code: ReasonLockdown, weight: 1, detail: ev.Properties.Reason})
		outcome, actions, opens = mamori.Deny, slices.Clone(mamori.LockdownActions), true
	}
	if st.Locked && outcome != mamori.Deny && needsOpenAccount(ev.Type) {
		fs = append(fs, factor{code: ReasonAccountLocked, weight: 1})
		outcome = mamori.Deny
	}

	d := mamori.Decision{
		EventID:  ev.ID,
		Decision: outcome,
		Score:    round(score(fs)),
		Reasons:  reasons(fs),
		Actions:  actions,
	}
	if d.Actions == nil {
		d.Actions = []mamori.Action{}
	}
	if c := st.OpenCase(); c != nil && (opens || outcome != mamori.Allow) {
		d.CaseID = c.ID
	} else if opens {
		d.CaseID = CaseID(seq)
	}
	return d
}

// CaseID names the case opened by the event at log sequence seq.
func CaseID(seq uint64) string { return "c-" + strconv.FormatUint(seq, 10) }

// needsOpenAccount lists the event types a locked account may not do.
func needsOpenAccount(t string) bool {
	switch t {
	case mamori.LoginSucceeded, mamori.SessionActivity, mamori.OrderPlaced,
		mamori.PasswordResetRequested, mamori.EmailChanged, mamori.MFAChanged,
		mamori.DeviceTrusted, mamori.PaymentMethodAdded, mamori.AddressAdded:
		return true
	}
	return false
}

func signInFactors(st *State, ev *mamori.Event) []factor {
	var fs []factor
	if st.Locked {
		fs = append(fs, factor{code: ReasonAccountLocked, weight: 1})
	}
	if d := ev.Context.DeviceID; d != "" && find(st.Suspect, d) != nil && st.OpenCase() != nil {
		fs = append(fs, factor{code: ReasonSuspectDevice, weight: 1})
	}
	if st.Known() {
		if d := ev.Context.DeviceID; d != "" && find(st.Devices, d) == nil {
			fs = append(fs, factor{code: ReasonNewDevice, weight: 0.45})
		}
		if p := Prefix(ev.Context.IP); p != "" && find(st.Networks, p) == nil {
			fs = append(fs, factor{code: ReasonNewNetwork, weight: 0.35, detail: p})
		}
		if ua := ev.Context.UserAgent; ua != "" && len(st.Agents) > 0 && find(st.Agents, ua) == nil {
			fs = append(fs, factor{code: ReasonNewUserAgent, weight: 0.1})
		}
	}
	if n := countSince(st.Failures, ev.Time.Add(-failureWindow)); n >= 3 {
		fs = append(fs, factor{code: ReasonRecentFailures, weight: 0.4, detail: strconv.Itoa(n)})
	}
	if ev.Properties.RememberedDevice && !st.trusted(ev.Context.DeviceID) {
		fs = append(fs, factor{code: ReasonUntrustedRemembered, weight: 0.6})
	}
	return fs
}

// sessionFactors judges whether the session an event runs in may act.
// Blocking factors have weight 1.
func sessionFactors(st *State, ev *mamori.Event) []factor {
	if st.Locked {
		return []factor{{code: ReasonAccountLocked, weight: 1}}
	}
	if ev.SessionID == "" {
		return nil
	}
	s := st.Session(ev.SessionID)
	if s == nil {
		return []factor{{code: ReasonSessionNoSignIn, weight: 0.5}}
	}
	switch {
	case s.Revoked || s.LoggedOut:
		return []factor{{code: ReasonSessionRevoked, weight: 1}}
	case s.DeviceID != "" && ev.Context.DeviceID != "" && s.DeviceID != ev.Context.DeviceID:
		return []factor{{code: ReasonSessionHijacked, weight: 1}}
	case !s.Verified && ev.Type != mamori.ChallengeSucceeded:
		return []factor{{code: ReasonSessionUnverified, weight: 1}}
	}
	var fs []factor
	if s.SignInRisk >= riskySessionAt || s.NoSignIn {
		// A security change carries the sign-in's full risk: it is what an
		// attacker does to keep the account. Other steps carry most of it.
		w := math.Max(s.SignInRisk, 0.5)
		if !isSecurityChange(ev.Type) {
			w *= 0.8
		}
		fs = append(fs, factor{code: ReasonRiskySession, weight: w})
	}
	if s.Changes > 0 && ev.Type == mamori.OrderPlaced {
		fs = append(fs, factor{code: ReasonRecentChange, weight: 0.3})
	}
	return fs
}

func orderFactors(st *State, ev *mamori.Event) []factor {
	p := &ev.Properties
	var fs []factor
	gift := p.HasGiftCard()
	switch {
	case gift:
		fs = append(fs, factor{code: ReasonGiftCard, weight: 0.35})
	case p.HasDigital():
		fs = append(fs, factor{code: ReasonDigitalGoods, weight: 0.2})
	}
	if p.Delivery != nil && p.Delivery.RecipientEmail != "" && p.Delivery.RecipientEmail != st.Email &&
		find(st.Recipient, p.Delivery.RecipientEmail) == nil {
		fs = append(fs, factor{code: ReasonNewRecipient, weight: 0.35})
	}
	s := st.Session(ev.SessionID)
	if s != nil {
		if gift && s.SmallOrder {
			fs = append(fs, factor{code: ReasonCardTest, weight: 0.3})
		}
		if s.Declines > 0 {
			fs = append(fs, factor{code: ReasonDeclines, weight: 0.3})
		}
	}
	if gift {
		n := 0
		for _, o := range st.Orders {
			if o.GiftCard && !o.Time.Before(ev.Time.Add(-velocityWindow)) {
				n++
			}
		}
		if n >= 2 {
			fs = append(fs, factor{code: ReasonGiftCardVelocity, weight: 0.3, detail: strconv.Itoa(n+1) + " in 24 hours"})
		}
	}
	if amt := p.AmountValue(); st.OrderCount >= 3 && amt > 3*st.MaxOrder && amt > 10000 {
		fs = append(fs, factor{code: ReasonAmountUnusual, weight: 0.25})
	}
	for _, o := range st.Orders {
		if o.Hidden && !o.Time.Before(ev.Time.Add(-velocityWindow)) {
			fs = append(fs, factor{code: ReasonOrdersHidden, weight: 0.3})
			break
		}
	}
	return fs
}

func blocking(fs []factor) bool {
	for _, f := range fs {
		if f.weight >= 1 {
			return true
		}
	}
	return false
}

func denyActions(fs []factor) []mamori.Action {
	for _, f := range fs {
		if f.code == ReasonSessionHijacked {
			return []mamori.Action{mamori.RevokeSessions, mamori.HoldPendingOrders, mamori.NotifyCustomer}
		}
	}
	return []mamori.Action{}
}

// score combines independent factors: the chance that at least one of
// them is a real sign of fraud.
func score(fs []factor) float64 {
	p := 1.0
	for _, f := range fs {
		p *= 1 - math.Min(f.weight, 1)
	}
	return 1 - p
}

func reasons(fs []factor) []mamori.Reason {
	sorted := slices.Clone(fs)
	slices.SortStableFunc(sorted, func(a, b factor) int {
		switch {
		case a.weight > b.weight:
			return -1
		case a.weight < b.weight:
			return 1
		}
		return 0
	})
	out := make([]mamori.Reason, 0, len(sorted))
	for _, f := range sorted {
		msg := reasonText[f.code]
		if f.detail != "" {
			msg += " (" + f.detail + ")"
		}
		out = append(out, mamori.Reason{Code: f.code, Message: msg})
	}
	return out
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func countSince(ts []time.Time, since time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(since) {
			n++
		}
	}
	return n
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Prefix returns the network an IP belongs to for "same network"
// comparisons: its /24 for IPv4, its /48 for IPv6. "" for no or a bad IP.
func Prefix(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}
