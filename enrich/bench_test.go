package enrich

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadNetworks(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchAddrs picks addresses from random ranges that have an AS, so that
// lookups spread over the whole table and caches do not flatter them.
func benchAddrs(n *Networks, v6 bool) []netip.Addr {
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := make([]netip.Addr, 0, 4096)
	for len(addrs) < cap(addrs) {
		if v6 {
			i := rng.IntN(len(n.v6ASN.starts))
			if n.v6ASN.vals[i] == 0 {
				continue
			}
			var a [16]byte
			binary.BigEndian.PutUint64(a[:8], n.v6ASN.starts[i])
			binary.BigEndian.PutUint64(a[8:], rng.Uint64())
			addrs = append(addrs, netip.AddrFrom16(a))
		} else {
			i := rng.IntN(len(n.v4ASN.starts))
			if n.v4ASN.vals[i] == 0 {
				continue
			}
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], n.v4ASN.starts[i]+uint32(rng.IntN(256)))
			addrs = append(addrs, netip.AddrFrom4(a))
		}
	}
	return addrs
}

func benchmarkLookup(b *testing.B, v6 bool) {
	n := testNetworks(b)
	addrs := benchAddrs(n, v6)
	known := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if n.Lookup(addrs[i%len(addrs)]).ASN != 0 {
			known++
		}
		i++
	}
	b.ReportMetric(float64(known)/float64(i), "known/op")
}

func BenchmarkLookupIPv4(b *testing.B) { benchmarkLookup(b, false) }
func BenchmarkLookupIPv6(b *testing.B) { benchmarkLookup(b, true) }

func BenchmarkParseUserAgent(b *testing.B) {
	const ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	ParseUserAgent(ua) // build the parser outside the timing
	b.ReportAllocs()
	for b.Loop() {
		ParseUserAgent(ua)
	}
}

func BenchmarkIPPrefix(b *testing.B) {
	ip := netip.MustParseAddr("2400:4050:1:2::1")
	b.ReportAllocs()
	for b.Loop() {
		IPPrefix(ip)
	}
}
