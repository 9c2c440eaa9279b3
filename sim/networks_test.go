package sim

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestPoolsMatchNetworkData checks every pool of the table against the
// shipped network data: each address a pool gives, however it is drawn,
// is of the pool's autonomous systems, type and country.
func TestPoolsMatchNetworkData(t *testing.T) {
	nets, err := LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range Pools {
		t.Run(p.Name, func(t *testing.T) {
			n := nets.Pool(p.Name)
			if n.Blocks() < 2 {
				t.Fatalf("%d usable /24s", n.Blocks())
			}
			var ips []string
			for range 100 {
				ips = append(ips, n.Address(r))
			}
			line := n.NewLine(r)
			for range 50 {
				ips = append(ips, line.IP(), line.Neighbour(r))
				line.Drift(r)
			}
			for _, ip := range ips {
				got := nets.Lookup(ip)
				if got.Type != p.Type || got.Country != p.Country || !slices.Contains(p.ASNs, got.ASN) {
					t.Fatalf("%s: AS%d %s %s %q, want AS%v %s %s", ip, got.ASN, got.Country, got.Type, got.Org, p.ASNs, p.Country, p.Type)
				}
			}
		})
	}
}

// TestLineDriftStaysInSixteen checks that a home line moves between /24s
// of one /16, and that a neighbour is in the /16 but not the /24.
func TestLineDriftStaysInSixteen(t *testing.T) {
	nets, err := LoadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	line := nets.Pool(PoolOCN).NewLine(r)
	first := netip.MustParseAddr(line.IP())
	sixteen, _ := first.Prefix(16)
	blocks := map[netip.Prefix]bool{}
	for range 40 {
		line.Drift(r)
		a := netip.MustParseAddr(line.IP())
		if !sixteen.Contains(a) {
			t.Fatalf("drifted to %s, out of %s", a, sixteen)
		}
		p, _ := a.Prefix(24)
		blocks[p] = true
		own, _ := netip.MustParseAddr(line.IP()).Prefix(24)
		nb := netip.MustParseAddr(line.Neighbour(r))
		if !sixteen.Contains(nb) || own.Contains(nb) {
			t.Fatalf("neighbour %s of %s: want the same /16, another /24", nb, line.IP())
		}
	}
	if len(blocks) < 2 {
		t.Fatalf("a line drifted over %d /24s only", len(blocks))
	}
}
