package enrich

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// loadNetworks decodes the embedded extract once for all tests of the binary.
var loadNetworks = sync.OnceValues(LoadNetworks)

func testNetworks(tb testing.TB) *Networks {
	tb.Helper()
	n, err := loadNetworks()
	if err != nil {
		tb.Fatalf("LoadNetworks: %v", err)
	}
	return n
}

func TestLookupKnownAddressesGiveTheirNetwork(t *testing.T) {
	n := testNetworks(t)
	tests := []struct {
		name    string
		ip      string
		asn     uint32
		org     string // prefix of the organisation name
		country string
		typ     NetworkType
	}{
		{"Google DNS", "8.8.8.8", 15169, "Google", "US", Hosting},
		{"Google DNS, IPv4-mapped", "::ffff:8.8.4.4", 15169, "Google", "US", Hosting},
		{"AWS us-east-1", "52.95.110.1", 16509, "Amazon", "US", Hosting},
		{"Microsoft Azure", "13.107.42.14", 8068, "Microsoft", "US", Hosting},
		{"Cloudflare", "104.16.0.1", 13335, "Cloudflare", "US", Hosting},
		{"Mullvad VPN", "193.138.218.1", 39351, "31173 Services", "SE", Hosting},
		{"NTT DOCOMO mobile", "1.66.96.1", 9605, "NTT DOCOMO", "JP", Mobile},
		{"NTT DOCOMO mobile 49/8", "49.96.0.1", 9605, "NTT DOCOMO", "JP", Mobile},
		{"KDDI au", "106.128.0.1", 2516, "KDDI", "JP", Mobile},
		{"SoftBank", "126.0.0.1", 17676, "SoftBank", "JP", Mobile},
		{"OCN consumer ISP", "153.156.1.1", 4713, "NTT Communications", "JP", ISP},
		{"T-Mobile USA", "172.56.0.1", 21928, "T-Mobile", "US", Mobile},
		{"Comcast", "73.0.0.1", 7922, "Comcast", "US", ISP},
		{"Google DNS IPv6", "2001:4860:4860::8888", 15169, "Google", "US", Hosting},
		{"OCN IPv6", "2400:4050::1", 4713, "NTT Communications", "JP", ISP},
		{"KDDI au IPv6", "2001:268:9000::1", 2516, "KDDI", "JP", Mobile},
		{"WIDE Project IPv6", "2001:200::1", 2500, "WIDE", "JP", ISP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := n.Lookup(netip.MustParseAddr(tt.ip))
			if got.ASN != tt.asn || !strings.HasPrefix(got.Org, tt.org) || got.Country != tt.country || got.Type != tt.typ {
				t.Errorf("Lookup(%s) = %+v, want AS%d %q… %s %s", tt.ip, got, tt.asn, tt.org, tt.country, tt.typ)
			}
		})
	}
}

func TestLookupWithoutDataIsUnknown(t *testing.T) {
	n := testNetworks(t)
	addrs := []netip.Addr{
		{}, // the zero Addr
		netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("10.1.2.3"),
		netip.MustParseAddr("172.16.0.1"),
		netip.MustParseAddr("192.168.1.1"),
		netip.MustParseAddr("127.0.0.1"),
		netip.MustParseAddr("169.254.1.1"),
		netip.MustParseAddr("224.0.0.1"),
		netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("100.64.0.1"), // carrier-grade NAT
		netip.MustParseAddr("192.0.2.1"),  // documentation
		netip.MustParseAddr("::"),
		netip.MustParseAddr("::1"),
		netip.MustParseAddr("fe80::1%eth0"),
		netip.MustParseAddr("fc00::1"),
		netip.MustParseAddr("ff02::1"),
		netip.MustParseAddr("2001:db8::1"), // documentation
		netip.MustParseAddr("::ffff:10.0.0.1"),
	}
	for _, ip := range addrs {
		got := n.Lookup(ip)
		if got != (Network{Type: Unknown}) {
			t.Errorf("Lookup(%v) = %+v, want only Type unknown", ip, got)
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	n := testNetworks(t)
	v4, v6 := netip.MustParseAddr("153.156.1.1"), netip.MustParseAddr("2400:4050::1")
	allocs := testing.AllocsPerRun(100, func() {
		_ = n.Lookup(v4)
		_ = n.Lookup(v6)
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times, want 0", allocs)
	}
}

func TestLoadedTablesAreSortedAndIndexed(t *testing.T) {
	n := testNetworks(t)
	if !strings.HasPrefix(n.Source(), "ip-location-db") {
		t.Errorf("Source() = %q", n.Source())
	}
	if len(n.systems) < 50000 || len(n.countries) < 200 {
		t.Fatalf("%d systems, %d countries: extract looks truncated", len(n.systems), len(n.countries))
	}
	for i := 1; i < len(n.systems); i++ {
		if n.systems[i].number <= n.systems[i-1].number {
			t.Fatalf("systems not ascending at %d", i)
		}
	}
	for _, c := range n.countries {
		if len(c) != 2 || strings.ToUpper(c) != c {
			t.Errorf("country code %q", c)
		}
	}
	checkTable(t, "v4 ASN", n.v4ASN, len(n.systems))
	checkTable(t, "v4 country", n.v4Country, len(n.countries))
	checkTable(t, "v6 ASN", n.v6ASN, len(n.systems))
	checkTable(t, "v6 country", n.v6Country, len(n.countries))
}

func checkTable[K uint32 | uint64](t *testing.T, name string, tab rangeTable[K], values int) {
	t.Helper()
	if len(tab.starts) != len(tab.vals) || len(tab.starts) == 0 {
		t.Fatalf("%s: %d starts, %d values", name, len(tab.starts), len(tab.vals))
	}
	for i := range tab.starts {
		if i > 0 && tab.starts[i] <= tab.starts[i-1] {
			t.Fatalf("%s: starts not ascending at %d", name, i)
		}
		if int(tab.vals[i]) > values {
			t.Fatalf("%s: value %d out of range", name, tab.vals[i])
		}
		if i > 0 && tab.vals[i] == tab.vals[i-1] {
			t.Fatalf("%s: adjacent ranges %d and %d not merged", name, i-1, i)
		}
	}
}

func TestRangeTableFindsTheRangeHoldingTheKey(t *testing.T) {
	tab := newRangeTable([]uint32{10, 20, 30, 0x10000, 0x20005}, []uint32{1, 0, 2, 3, 4}, 0, v4Shift)
	for _, tt := range []struct {
		key  uint32
		want uint32
	}{
		{0, 0}, {9, 0}, {10, 1}, {19, 1}, {20, 0}, {29, 0}, {30, 2}, {0xffff, 2},
		{0x10000, 3}, {0x20004, 3}, {0x20005, 4}, {0x30000, 4}, {1<<32 - 1, 4},
	} {
		if got := tab.find(tt.key); got != tt.want {
			t.Errorf("find(%#x) = %d, want %d", tt.key, got, tt.want)
		}
	}
	tab6 := newRangeTable([]uint64{
		0x0100_0000_0000_0000, 0x0200_0000_0000_0000, // below 2000::/4
		0x2001_0000_0000_0000, 0x2001_0db8_0000_0000,
		0x3000_0000_0000_0000, 0x3001_0000_0000_0000, 0xff00_0000_0000_0000, // above
	}, []uint32{5, 0, 1, 0, 6, 7, 0}, v6Base, v6Shift)
	for _, tt := range []struct {
		key  uint64
		want uint32
	}{
		{0, 0}, {0x0100_0000_0000_0000, 5}, {0x01ff_ffff_ffff_ffff, 5}, {0x0200_0000_0000_0000, 0},
		{0x2000_ffff_ffff_ffff, 0}, {0x2001_0000_0000_0000, 1},
		{0x2001_0db7_ffff_ffff, 1}, {0x2001_0db8_0000_0000, 0}, {0x2fff_ffff_ffff_ffff, 0},
		{0x3000_0000_0000_0000, 6}, {0x3000_ffff_0000_0000, 6}, {0x3001_0000_0000_0000, 7},
		{0xfeff_ffff_ffff_ffff, 7}, {1<<64 - 1, 0},
	} {
		if got := tab6.find(tt.key); got != tt.want {
			t.Errorf("find(%#x) = %d, want %d", tt.key, got, tt.want)
		}
	}
	for _, empty := range []rangeTable[uint64]{{}, newRangeTable[uint64](nil, nil, v6Base, v6Shift)} {
		if got := empty.find(5); got != 0 {
			t.Errorf("empty find = %d", got)
		}
	}
}

func TestCorruptExtractIsAnError(t *testing.T) {
	raw, err := gunzip(embeddedNetworks)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":        nil,
		"bad magic":    []byte("mamori-networks 9\n"),
		"only magic":   []byte(networksMagic),
		"truncated":    raw[:len(raw)/2],
		"trailing":     append(raw[:len(raw):len(raw)], 0),
		"huge count":   append([]byte(networksMagic), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"overlong var": append([]byte(networksMagic), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
	}
	for name, b := range cases {
		if _, err := parseNetworks(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err = %v, want errCorrupt", name, err)
		}
	}
	if _, err := decodeNetworks("not gzip"); !errors.Is(err, errCorrupt) {
		t.Errorf("not gzip: err = %v, want errCorrupt", err)
	}
}

func TestIPPrefixIsTheSlash24OrSlash48(t *testing.T) {
	tests := []struct {
		ip   netip.Addr
		want string
	}{
		{netip.MustParseAddr("203.0.113.77"), "203.0.113.0/24"},
		{netip.MustParseAddr("::ffff:203.0.113.77"), "203.0.113.0/24"},
		{netip.MustParseAddr("2001:db8:1234:5678::1"), "2001:db8:1234::/48"},
		{netip.MustParseAddr("fe80::1%eth0"), "fe80::/48"},
		{netip.Addr{}, ""},
	}
	for _, tt := range tests {
		if got := IPPrefix(tt.ip); got != tt.want {
			t.Errorf("IPPrefix(%v) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func FuzzLookup(f *testing.F) {
	n := testNetworks(f)
	for _, s := range []string{"8.8.8.8", "::ffff:1.66.96.1", "2001:4860::1", "::", "ff02::1"} {
		b := netip.MustParseAddr(s).As16()
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a [16]byte
		copy(a[:], b)
		ip := netip.AddrFrom16(a)
		got := n.Lookup(ip)
		if got.Type == "" || (got.ASN == 0) != (got.Type == Unknown) || (got.ASN == 0 && got.Org != "") {
			t.Errorf("Lookup(%v) = %+v: inconsistent", ip, got)
		}
		if got.Country != "" && len(got.Country) != 2 {
			t.Errorf("Lookup(%v) country %q", ip, got.Country)
		}
		if IPPrefix(ip) == "" {
			t.Errorf("IPPrefix(%v) empty", ip)
		}
	})
}

func FuzzParseNetworks(f *testing.F) {
	f.Add([]byte(networksMagic))
	f.Add([]byte(networksMagic + "\x00\x01\x00\x41\x00\x00\x00\x00\x00"))
	f.Add([]byte(networksMagic + "\x01x\x01\x01\x02AB\x01\x05\x01\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseNetworks(b)
		if err != nil {
			return
		}
		_ = n.Lookup(netip.MustParseAddr("1.2.3.4"))
		_ = n.Lookup(netip.MustParseAddr("2001:db8::1"))
	})
}

// TestTheTablesHoldNoPointers keeps the loaded tables out of every
// garbage collection's marking: the collector scans only memory that may
// hold pointers, and mamori keeps these tables for its whole life.
func TestTheTablesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[autonomousSystem](),
		reflect.TypeFor[rangeTable[uint32]](),
		reflect.TypeFor[rangeTable[uint64]](),
	} {
		if p := pointerIn(typ); p != "" {
			t.Errorf("%v holds a pointer: %s", typ, p)
		}
	}
}

// pointerIn names a part of t's elements that holds a pointer, or "".
// A slice's own header is a pointer, but what it points to is allocated
// apart and scanned only if its element type holds pointers.
func pointerIn(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		for f := range t.Fields() {
			if f.Type.Kind() == reflect.Slice {
				if p := pointerIn(f.Type.Elem()); p != "" {
					return f.Name + "[]." + p
				}
				continue
			}
			if p := pointerIn(f.Type); p != "" {
				return f.Name + ": " + p
			}
		}
		return ""
	case reflect.Array:
		return pointerIn(t.Elem())
	case reflect.String, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan,
		reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return t.Kind().String()
	}
	return ""
}

func TestSystemsKeepTheirNamesAndTypes(t *testing.T) {
	n := testNetworks(t)
	for _, typ := range []NetworkType{Hosting, Mobile, ISP, Unknown} {
		if got := codeOf(typ).NetworkType(); got != typ {
			t.Errorf("%s comes back as %s", typ, got)
		}
	}
	for i := range n.systems {
		s := &n.systems[i]
		if got, want := s.typ.NetworkType(), ClassifyAS(s.number, n.org(i)); got != want {
			t.Fatalf("AS%d %q: type %s, classified %s", s.number, n.org(i), got, want)
		}
	}
	if got := n.Lookup(netip.MustParseAddr("8.8.8.8")); got.Org == "" || got.ASN != 15169 {
		t.Errorf("8.8.8.8: %+v", got)
	}
}
