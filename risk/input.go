package risk

import (
	"net/netip"
	"strconv"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

// Input is what Decide looks at besides the account's own state: the
// event, what its IP and user agent are, and what other accounts have
// shown at that time. Everything in it is a value: Decide stays pure.
type Input struct {
	Event *mamori.Event
	// Seq is the event's place in the log; a case the event opens is
	// named after it, so that replaying the log names it again.
	Seq uint64

	IP      netip.Addr
	Prefix  string // the /24 or /48 of IP
	Network enrich.Network
	Agent   enrich.Agent

	Crowd Crowd

	// Playbook says which actions go with which situation (nil: the
	// built-in one).
	Playbook *Playbook
}

// NewInput enriches an event. nets may be nil (no network data).
func NewInput(ev *mamori.Event, seq uint64, nets *enrich.Networks) *Input {
	in := &Input{Event: ev, Seq: seq}
	if ip, err := netip.ParseAddr(ev.Context.IP); err == nil {
		in.IP = ip.Unmap()
		in.Prefix = enrich.IPPrefix(in.IP)
		if nets != nil {
			in.Network = nets.Lookup(in.IP)
		}
	}
	if ev.Context.UserAgent != "" {
		in.Agent = enrich.ParseUserAgent(ev.Context.UserAgent)
	}
	return in
}

// ASNKey names the event's network for "seen before" lists ("" if none).
func (in *Input) ASNKey() string {
	if in.Network.ASN == 0 {
		return ""
	}
	return "AS" + strconv.FormatUint(uint64(in.Network.ASN), 10)
}

// BrowserKey names the event's browser family and OS ("" if unknown).
func (in *Input) BrowserKey() string {
	if in.Agent.Browser == "" && in.Agent.OS == "" {
		return ""
	}
	return in.Agent.Browser + "/" + in.Agent.OS
}

// Crowd holds what other accounts show about the values of this event,
// over windows of event time. The engine fills it from its cross-account
// counters; in a replay it is empty, and Apply does not read it.
type Crowd struct {
	// Sign-in failures from this IP and from its /24 in the last hour, and
	// how many distinct accounts (or usernames) they were for.
	IPFailures, IPFailedAccounts         int
	PrefixFailures, PrefixFailedAccounts int
	// Share of all sign-ins that came from this network, this country
	// and this browser family (0 when unknown); the attacker is modelled
	// as drawn from the population, so a value common to everyone says
	// little about who signs in.
	ASNShare, CountryShare, BrowserShare float64
	// Other accounts that sent e-mail deliveries to this order's recipient
	// in the last 30 days, and that used this device id.
	RecipientAccounts int
	DeviceAccounts    int
}
