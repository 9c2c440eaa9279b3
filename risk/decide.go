package risk

import (
	"math"
	"strconv"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

// Thresholds turning scores into decisions.
const (
	ChallengeAt = 0.60 // sign-ins and security changes at or above: challenge
	ReviewAt    = 0.70 // orders at or above: review (held)
	// riskySessionAt marks a session whose sign-in alone makes the
	// protective bundle appropriate when an order in it goes to review.
	riskySessionAt = 0.40
	failureWindow  = time.Hour
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
func Decide(st *State, in *Input) mamori.Decision {
	ev, seq := in.Event, in.Seq
	var (
		fs        []factor
		outcome   = mamori.Allow
		situation string // for the playbook: what to do about it
		scored    = -1.0 // a score computed other than from the factors
	)
	switch ev.Type {
	case mamori.LoginSucceeded:
		scored, fs = signIn(st, in)
		switch {
		case blocking(fs):
			outcome, scored = mamori.Deny, 1
		case scored >= ChallengeAt:
			outcome = mamori.Challenge
		}
	case mamori.ChallengeFailed:
		if s := st.Session(ev.SessionID); s != nil && s.ChallengeFails >= 1 {
			fs = append(fs, factor{code: ReasonChallengeFailed, weight: 0.9})
			outcome, situation = mamori.Deny, SituationChallengeFailedAgain
		} else {
			fs = append(fs, factor{code: ReasonChallengeFailed, weight: 0.3})
		}
	case mamori.SessionActivity, mamori.ChallengeSucceeded:
		if fs = sessionFactors(st, in); blocking(fs) {
			outcome, situation = mamori.Deny, denySituation(fs)
		}
	case mamori.PasswordChanged, mamori.PasswordResetRequested, mamori.EmailChanged,
		mamori.MFAChanged, mamori.DeviceTrusted, mamori.DeviceUntrusted,
		mamori.PaymentMethodAdded, mamori.AddressAdded:
		fs = sessionFactors(st, in)
		switch {
		case blocking(fs):
			outcome, situation = mamori.Deny, denySituation(fs)
		case score(fs) >= ChallengeAt:
			outcome = mamori.Challenge
		}
	case mamori.OrderPlaced:
		fs = sessionFactors(st, in)
		if blocking(fs) {
			outcome, situation = mamori.Deny, denySituation(fs)
			break
		}
		scored, fs = orderScore(st, in, st.Session(ev.SessionID))
		if scored >= ReviewAt {
			outcome = mamori.Review
			if s := st.Session(ev.SessionID); s == nil || s.SignInRisk >= riskySessionAt || s.NoSignIn || s.NewDevice {
				situation = SituationRiskyOrder
			}
		}
	case mamori.FraudReported:
		fs = append(fs, factor{code: ReasonFraudReported, weight: 0.9, detail: "reported by " + orDefault(ev.Properties.By, "the store")})
		situation = SituationFraudReported
	case mamori.OrderHidden:
		// The contract lets a hide only be allowed; its actions still
		// stop what the order set going.
		if again, o := hiddenAgain(st, in.Event); again >= ReviewAt {
			fs = append(fs, factor{code: ReasonOrdersHidden, weight: again,
				detail: o.ID + " hidden " + ev.Time.Sub(o.Time).Round(time.Second).String() + " after it was placed"})
			situation = SituationRiskyOrder
		} else if s := st.Session(ev.SessionID); s != nil && s.SignInRisk >= riskySessionAt {
			fs = append(fs, factor{code: ReasonOrdersHidden, weight: 0.3})
		}
	case mamori.AccountLockedDown:
		fs = append(fs, factor{code: ReasonLockdown, weight: 1, detail: ev.Properties.Reason})
		outcome, situation = mamori.Deny, SituationLockdown
	case mamori.CaseUpdated:
		return mamori.Decision{EventID: ev.ID, Decision: mamori.Allow, Reasons: []mamori.Reason{},
			Actions: []mamori.Action{}, CaseID: ev.Properties.CaseID}
	case mamori.CustomerSignedOutEverywhere, mamori.CustomerRemovedTrustedDevices:
		// The customer's own request: carried out, never judged.
		a := mamori.RevokeSessions
		if ev.Type == mamori.CustomerRemovedTrustedDevices {
			a = mamori.RevokeTrustedDevices
		}
		return mamori.Decision{EventID: ev.ID, Decision: mamori.Allow, Reasons: []mamori.Reason{},
			Actions: []mamori.Action{a}}
	}
	if st.Locked && outcome != mamori.Deny && needsOpenAccount(ev.Type) {
		fs = append(fs, factor{code: ReasonAccountLocked, weight: 1})
		outcome, scored = mamori.Deny, 1
	}
	if scored < 0 {
		scored = score(fs)
	}

	playbook := in.Playbook
	if playbook == nil {
		playbook = DefaultPlaybook()
	}
	actions, opens := playbook.Respond(situation)
	d := mamori.Decision{
		EventID:  ev.ID,
		Decision: outcome,
		Score:    round(scored),
		Reasons:  reasons(fs),
		Actions:  actions,
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

// sessionFactors judges whether the session an event runs in may act.
// Blocking factors have weight 1.
func sessionFactors(st *State, in *Input) []factor {
	ev := in.Event
	if st.Locked {
		return []factor{{code: ReasonAccountLocked, weight: 1}}
	}
	if ev.SessionID == "" {
		return nil
	}
	s := st.Session(ev.SessionID).visit(ev.Time)
	if s == nil {
		return []factor{{code: ReasonSessionNoSignIn, weight: 0.5}}
	}
	switch {
	case s.Revoked || s.LoggedOut:
		return []factor{{code: ReasonSessionRevoked, weight: 1}}
	case s.DeviceID != "" && ev.Context.DeviceID != "" && s.DeviceID != ev.Context.DeviceID:
		return []factor{{code: ReasonSessionHijacked, weight: 1, detail: "another device id"}}
	case s.Browser != "" && in.BrowserKey() != "" && s.Browser != in.BrowserKey():
		// A session cookie does not move between browsers by itself.
		return []factor{{code: ReasonSessionHijacked, weight: 1, detail: s.Browser + " became " + in.BrowserKey()}}
	case !s.Verified && ev.Type != mamori.ChallengeSucceeded:
		return []factor{{code: ReasonSessionUnverified, weight: 1}}
	}
	var fs []factor
	if s.SignInRisk >= riskySessionAt || s.NoSignIn {
		// A security change carries the sign-in's full risk: it is what an
		// attacker does to keep the account. Other steps carry most of it.
		w := math.Max(s.SignInRisk, 0.5) * 0.8
		if isSecurityChange(ev.Type) {
			w = math.Max(s.StartRisk, 0.5)
		}
		fs = append(fs, factor{code: ReasonRiskySession, weight: w})
	}
	if s.ASN != "" && in.ASNKey() != "" && s.ASN != in.ASNKey() {
		// Phones move between home Wi-Fi and their carrier mid-session,
		// and VPN users in and out of their VPN; a move to a network the
		// account never used, a hosting one or abroad, is another matter.
		w := 0.0
		switch {
		case find(st.ASNs, in.ASNKey()) != nil:
		case in.Network.Type == enrich.Hosting || (in.Network.Country != "" && find(st.Countries, in.Network.Country) == nil):
			w = 0.6
		default:
			w = 0.2
		}
		if w > 0 {
			fs = append(fs, factor{code: ReasonSessionNetworkMoved, weight: w, detail: in.Network.Org})
		}
	}
	if s.Changes > 0 && ev.Type == mamori.OrderPlaced {
		fs = append(fs, factor{code: ReasonRecentChange, weight: 0.15})
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

// denySituation names the situation of a blocked step, "" when it needs
// no response beyond the refusal.
func denySituation(fs []factor) string {
	for _, f := range fs {
		if f.code == ReasonSessionHijacked {
			return SituationStolenSession
		}
	}
	return ""
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
	// Heaviest first, ties in the order found: an insertion sort of
	// indices, which stay on the stack for the few factors a decision
	// has, where a sorted copy of the factors would be one more
	// allocation per decision.
	var buf [16]int
	order := buf[:0]
	for i := range fs {
		j := len(order)
		order = append(order, i)
		for ; j > 0 && fs[order[j-1]].weight < fs[i].weight; j-- {
			order[j] = order[j-1]
		}
		order[j] = i
	}
	out := make([]mamori.Reason, 0, len(fs))
	for _, i := range order {
		f := fs[i]
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
