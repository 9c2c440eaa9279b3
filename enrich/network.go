// Package enrich tells what an event's IP address and user agent are: the
// network (autonomous system, organisation, country, kind of network) from
// data shipped inside this package, and the browser, OS and device class
// from the user-agent string. Nothing is fetched at run time.
//
// Load the network data once with LoadNetworks and share the *Networks: it
// is read-only and safe for concurrent use.
package enrich

import (
	"encoding/binary"
	"net/netip"
)

// NetworkType says what kind of network an address belongs to. It is
// derived from the autonomous system's number and organisation name by
// ClassifyAS; see classify.go for the rules.
type NetworkType string

// The kinds of network.
const (
	// Hosting is a cloud, VPS, data-centre, CDN or VPN provider: traffic
	// from it is rarely a person on their own connection.
	Hosting NetworkType = "hosting"
	// Mobile is a mobile carrier, including carriers that also sell fixed
	// lines: its addresses may be shared by many subscribers (CGNAT) and
	// change often, so IP-level history from it is weak.
	Mobile NetworkType = "mobile"
	// ISP is a consumer or business access provider, or any other network
	// not known to be hosting or mobile.
	ISP NetworkType = "isp"
	// Unknown means there is no data for the address: private, reserved
	// or unannounced space.
	Unknown NetworkType = "unknown"
)

// Network is what the shipped data says about one IP address.
type Network struct {
	// ASN is the autonomous system number that announces the address; 0 if unknown.
	ASN uint32
	// Org is the autonomous system's organisation name; "" if unknown.
	Org string
	// Country is the ISO 3166-1 alpha-2 code of the country the address
	// is registered or located in; "" if unknown.
	Country string
	// Type is the kind of network; Unknown when ASN is 0.
	Type NetworkType
}

// Networks maps IP addresses to networks. Create it with LoadNetworks; it
// is immutable and safe for concurrent use.
type Networks struct {
	source    string
	systems   []autonomousSystem // index i+1 in the range tables
	orgs      string             // every system's organisation name, in order
	countries []string           // index i+1 in the range tables
	v4ASN     rangeTable[uint32]
	v4Country rangeTable[uint32]
	v6ASN     rangeTable[uint64] // keys: upper 64 bits of the address
	v6Country rangeTable[uint64]
}

// autonomousSystem holds no pointer, so that the garbage collector need
// not scan the table of all of them (3 MiB) in every cycle.
type autonomousSystem struct {
	number uint32
	orgEnd uint32 // the name is orgs[the previous system's orgEnd:orgEnd]
	typ    networkCode
}

// networkCode is a NetworkType in one byte.
type networkCode uint8

func codeOf(t NetworkType) networkCode {
	switch t {
	case Hosting:
		return 1
	case Mobile:
		return 2
	case ISP:
		return 3
	}
	return 0
}

func (c networkCode) NetworkType() NetworkType {
	switch c {
	case 1:
		return Hosting
	case 2:
		return Mobile
	case 3:
		return ISP
	}
	return Unknown
}

// org returns the organisation name of systems[i].
func (n *Networks) org(i int) string {
	start := uint32(0)
	if i > 0 {
		start = n.systems[i-1].orgEnd
	}
	return n.orgs[start:n.systems[i].orgEnd]
}

// LoadNetworks decodes the extract embedded in the package. It takes about
// 0.1 s and the result holds about 17 MiB: call it once at start-up and
// share the result.
func LoadNetworks() (*Networks, error) {
	return decodeNetworks(embeddedNetworks)
}

// Lookup returns the network of ip. Addresses without data (private,
// loopback, link-local, multicast, unannounced, the zero Addr) give a
// Network with Type Unknown. IPv4-mapped IPv6 addresses are looked up as
// IPv4; IPv6 addresses are resolved per /64. Lookup does not allocate.
func (n *Networks) Lookup(ip netip.Addr) Network {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return Network{Type: Unknown}
	}
	var as, cc uint32
	if ip.Is4() {
		b := ip.As4()
		k := binary.BigEndian.Uint32(b[:])
		as, cc = n.v4ASN.find(k), n.v4Country.find(k)
	} else {
		b := ip.As16()
		k := binary.BigEndian.Uint64(b[:8])
		as, cc = n.v6ASN.find(k), n.v6Country.find(k)
	}
	net := Network{Type: Unknown}
	if as != 0 {
		s := &n.systems[as-1]
		net.ASN, net.Org, net.Type = s.number, n.org(int(as-1)), s.typ.NetworkType()
	}
	if cc != 0 {
		net.Country = n.countries[cc-1]
	}
	return net
}

// Source names the data the extract was made from and its version.
func (n *Networks) Source() string { return n.source }

// IPPrefix returns the network an address sits in for "same network"
// comparisons: its /24 for IPv4 (and IPv4-mapped IPv6), its /48 for IPv6,
// as text such as "203.0.113.0/24" or "2001:db8:1::/48". The zone is
// dropped. It returns "" for the zero Addr.
func IPPrefix(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits) // cannot fail: valid, zoneless, bits in range
	return p.String()
}

// rangeTable maps keys to value indexes: starts[i] begins a range that
// runs to starts[i+1]-1 and has value vals[i]; 0 means no data.
//
// first cuts the key space from base into 1<<16 buckets of 1<<shift keys
// and holds, for each bucket, the index of its first start; first[1<<16]
// is the index of the first start past the last bucket. A lookup searches
// only the starts in its key's bucket. IPv4 buckets are /16s; IPv6 ones the
// /20s of 2000::/4, which holds all global unicast space in use.
type rangeTable[K uint32 | uint64] struct {
	starts []K
	vals   []uint32
	first  []uint32
	base   K
	shift  uint8
}

const buckets = 1 << 16

// newRangeTable makes a table of ascending starts and their values.
func newRangeTable[K uint32 | uint64](starts []K, vals []uint32, base K, shift uint8) rangeTable[K] {
	t := rangeTable[K]{starts: starts, vals: vals, first: make([]uint32, buckets+1), base: base, shift: shift}
	i := 0
	for p := range buckets + 1 {
		for i < len(starts) && t.bucket(starts[i]) < p {
			i++
		}
		t.first[p] = uint32(i)
	}
	return t
}

// bucket returns k's bucket: -1 below base, buckets past the last.
func (t *rangeTable[K]) bucket(k K) int {
	if k < t.base {
		return -1
	}
	return int(min(uint64(k-t.base)>>t.shift, buckets))
}

// find returns the value index of the range holding k, 0 if none.
func (t *rangeTable[K]) find(k K) uint32 {
	if len(t.first) == 0 {
		return 0
	}
	// Binary search, among the starts in k's bucket, for the end of those
	// <= k; the range holding k is the one before.
	var lo, hi int
	switch p := t.bucket(k); {
	case p < 0:
		lo, hi = 0, int(t.first[0])
	case p == buckets:
		lo, hi = int(t.first[buckets]), len(t.starts)
	default:
		lo, hi = int(t.first[p]), int(t.first[p+1])
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.starts[m] <= k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return t.vals[lo-1]
}
