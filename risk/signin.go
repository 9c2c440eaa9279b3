package risk

import (
	"math"
	"strconv"

	"github.com/mamori-dev/mamori/enrich"
)

// Sign-in risk in the manner of Freeman et al., "Who Are You? A
// Statistical Approach to Measuring User Authenticity" (NDSS 2016): for
// each feature of a sign-in (device, network at three levels, browser),
// the likelihood ratio of the value under an attacker against under this
// account's owner. The owner's likelihood is learnt from the account's
// own history, smoothed for short histories: a value never seen has the
// probability that the owner shows something new, (distinct + 1) /
// (sign-ins + 1), so an account without history gives no evidence. The
// attacker is modelled as drawn from the population, more often from
// hosting networks and from addresses failing across
// accounts; a value the owner has used is one an attacker shares only by
// chance, as often as the population does. The ratios multiply with the
// prior odds of an attack into the score.
const (
	priorAttack = 0.01
	// minSeenShare is the population share assumed for values whose share
	// is not counted (a device id, an address prefix): rare, so a value
	// the owner has used is strong evidence for the owner...
	minSeenShare = 0.0005
	// ...but never stronger than this ratio: stolen cookies and copied
	// device ids exist.
	minSeenRatio = 0.05
	// hostingRatio is how much likelier an attacker than an owner signs
	// in from a hosting or VPN network the owner never used.
	hostingRatio = 10
	// Population shares assumed while the crowd has counted none (a new
	// installation): a country is shared by many, a network by some.
	defaultASNShare     = 0.02
	defaultCountryShare = 0.3
	defaultBrowserShare = 0.15
)

// signIn scores a sign-in and returns its reasons.
func signIn(st *State, in *Input) (float64, []factor) {
	ev := in.Event
	var fs []factor
	lr := 1.0
	// add multiplies a feature's ratio in; a value the owner never used
	// is also a reason.
	add := func(code string, ratio float64, detail string, novel bool) {
		lr *= ratio
		if novel && ratio > 1 {
			fs = append(fs, factor{code: code, weight: 1 - 1/ratio, detail: detail})
		}
	}
	n := st.SignIns
	if d := ev.Context.DeviceID; d != "" {
		add(ReasonNewDevice, featureRatio(st.Devices, d, n, minSeenShare), "", find(st.Devices, d) == nil)
	}
	// The network, from the most specific level the owner has used: a new
	// address in a known /24 says nothing; a new /24 in a known network a
	// little; a new network, a new country, much more.
	if in.Prefix != "" {
		netRatio := featureRatio(st.Networks, in.Prefix, n, minSeenShare)
		if netRatio > 1 && in.Network.ASN != 0 {
			asn := featureRatio(st.ASNs, in.ASNKey(), n, or(in.Crowd.ASNShare, defaultASNShare))
			if asn > 1 {
				if in.Network.Type == enrich.Hosting {
					asn *= hostingRatio
				}
				add(ReasonNewASN, asn, in.Network.Org, true)
				if c := in.Network.Country; c != "" {
					add(ReasonNewCountry, featureRatio(st.Countries, c, n, or(in.Crowd.CountryShare, defaultCountryShare)), c, find(st.Countries, c) == nil)
				}
			} else {
				lr *= asn
			}
		}
		add(ReasonNewNetwork, netRatio, in.Prefix, find(st.Networks, in.Prefix) == nil)
	}
	if in.Network.Type == enrich.Hosting && find(st.ASNs, in.ASNKey()) == nil {
		fs = append(fs, factor{code: ReasonHostingNetwork, weight: 1 - 1.0/hostingRatio, detail: in.Network.Org})
	}
	if b := in.BrowserKey(); b != "" {
		add(ReasonNewBrowser, featureRatio(st.Browsers, b, n, or(in.Crowd.BrowserShare, defaultBrowserShare)), b, find(st.Browsers, b) == nil)
	}
	if in.Agent.Device == enrich.DeviceBot {
		add(ReasonAutomatedClient, 20, in.Agent.Browser, true)
	}
	if c := in.Crowd; c.IPFailures >= 5 && c.IPFailedAccounts >= 3 {
		add(ReasonCredentialStuffing, math.Min(30, float64(c.IPFailures)), strconv.Itoa(c.IPFailures)+" failures on "+strconv.Itoa(c.IPFailedAccounts)+" accounts from this address in the last hour", true)
	} else if c.PrefixFailures >= 10 && c.PrefixFailedAccounts >= 5 {
		add(ReasonCredentialStuffing, math.Min(20, float64(c.PrefixFailures)/2), strconv.Itoa(c.PrefixFailures)+" failures on "+strconv.Itoa(c.PrefixFailedAccounts)+" accounts from this network in the last hour", true)
	}
	if k := countSince(st.Failures, ev.Time.Add(-failureWindow)); k >= 3 {
		add(ReasonRecentFailures, 10, strconv.Itoa(k), true)
	}
	if ev.Properties.RememberedDevice && !st.trusted(ev.Context.DeviceID) {
		add(ReasonUntrustedRemembered, 200, "", true)
	}
	if st.Locked {
		fs = append(fs, factor{code: ReasonAccountLocked, weight: 1})
	}
	suspect := false
	if d := ev.Context.DeviceID; d != "" && find(st.Suspect, d) != nil && st.OpenCase() != nil {
		// Not a refusal: the owner may have been wrongly suspected, and
		// a met challenge lets the case's team sort it out. But always a
		// challenge, however familiar the rest looks: a mimic borrows the
		// owner's provider and browser.
		add(ReasonSuspectDevice, 100, "", true)
		suspect = true
	}
	odds := priorAttack / (1 - priorAttack) * lr
	p := odds / (1 + odds)
	if suspect {
		p = math.Max(p, ChallengeAt)
	}
	return p, fs
}

// featureRatio is the likelihood ratio attacker/owner of value v for an
// account with n sign-ins whose values of this feature are in seen.
// share is v's share of the population (0 when not counted).
func featureRatio(seen []Seen, v string, n int64, share float64) float64 {
	if v == "" {
		return 1
	}
	total := float64(n) + 2
	if s := find(seen, v); s != nil {
		owner := float64(s.Count) / total
		return math.Max(minSeenRatio, math.Max(share, minSeenShare)/owner)
	}
	// An account with no history gives no evidence either way.
	return (float64(n) + 1) / (float64(len(seen)) + 1)
}

func or(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}
