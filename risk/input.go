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

	// The keys are built once, not at every look-up: Decide asks for
	// them several times, and the state keeps them. Each remembers what
	// it was built from, so that a changed Network or Agent is noticed.
	asnKey     string
	asnKeyOf   uint32
	browserKey string
	browserOf  [2]string // Agent.Browser, Agent.OS
}

// NewInput enriches an event. nets may be nil (no network data); agents,
// if not nil, remembers parsed user agents. It is Fill on a new Input,
// small enough to be inlined: a caller that keeps the Input to itself
// (the engine's shard, its replay) holds it on its stack, not the heap.
func NewInput(ev *mamori.Event, seq uint64, nets *enrich.Networks, agents *enrich.AgentCache) *Input {
	in := new(Input)
	in.Fill(ev, seq, nets, agents)
	return in
}

// Fill makes in the enriched input of ev, in place, keeping nothing of
// what in held before.
func (in *Input) Fill(ev *mamori.Event, seq uint64, nets *enrich.Networks, agents *enrich.AgentCache) {
	*in = Input{Event: ev, Seq: seq}
	if ip, err := netip.ParseAddr(ev.Context.IP); err == nil {
		in.IP = ip.Unmap()
		in.Prefix = enrich.IPPrefix(in.IP)
		if nets != nil {
			in.Network = nets.Lookup(in.IP)
		}
	}
	switch {
	case ev.Context.UserAgent == "":
	case agents != nil:
		in.Agent = agents.Parse(ev.Context.UserAgent)
	default:
		in.Agent = enrich.ParseUserAgent(ev.Context.UserAgent)
	}
	in.asnKey, in.asnKeyOf = asnKey(in.Network.ASN), in.Network.ASN
	in.browserKey, in.browserOf = browserKey(in.Agent), [2]string{in.Agent.Browser, in.Agent.OS}
}

// ASNKey names the event's network for "seen before" lists ("" if none).
func (in *Input) ASNKey() string {
	if in.asnKeyOf != in.Network.ASN || (in.asnKey == "" && in.Network.ASN != 0) {
		return asnKey(in.Network.ASN)
	}
	return in.asnKey
}

// BrowserKey names the event's browser family and OS ("" if unknown).
func (in *Input) BrowserKey() string {
	if in.browserOf != [2]string{in.Agent.Browser, in.Agent.OS} ||
		(in.browserKey == "" && (in.Agent.Browser != "" || in.Agent.OS != "")) {
		return browserKey(in.Agent)
	}
	return in.browserKey
}

func asnKey(asn uint32) string {
	if asn == 0 {
		return ""
	}
	var buf [16]byte
	return string(strconv.AppendUint(append(buf[:0], "AS"...), uint64(asn), 10))
}

func browserKey(a enrich.Agent) string {
	if a.Browser == "" && a.OS == "" {
		return ""
	}
	return a.Browser + "/" + a.OS
}

// Intern passes the strings of the input that an account's state keeps
// (the event type, the user agent, the network and browser keys, the
// currency and statement descriptor) through intern, which returns an
// equal string. Many accounts share these values; the engine uses it so
// that their states share one copy instead of each holding its own.
func (in *Input) Intern(intern func(string) string) {
	ev := in.Event
	ev.Type = intern(ev.Type)
	ev.Context.UserAgent = intern(ev.Context.UserAgent)
	ev.Properties.Currency = intern(ev.Properties.Currency)
	ev.Properties.Descriptor = intern(ev.Properties.Descriptor)
	in.asnKey = intern(in.asnKey)
	in.browserKey = intern(in.browserKey)
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
