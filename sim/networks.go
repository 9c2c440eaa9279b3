package sim

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"sync"

	"github.com/mamori-dev/mamori/enrich"
)

// Pool is a set of real address blocks of one network, as the shipped
// enrich data knows them. Every address the world uses comes from a pool,
// and every pool is checked against the data when a world is built: only
// the /24 blocks whose start, middle and end look up to one of the pool's
// autonomous systems, with the pool's type and country, are used.
type Pool struct {
	Name     string
	Org      string   // what the network is, in words
	ASNs     []uint32 // the autonomous systems the blocks must belong to
	Type     enrich.NetworkType
	Country  string   // ISO 3166-1 alpha-2 the data gives the blocks
	Prefixes []string // where to look for blocks
}

// Names of the pools the world draws from.
const (
	PoolOCN            = "ocn"
	PoolBIGLOBE        = "biglobe"
	PoolSoNet          = "sonet"
	PoolJCOM           = "jcom"
	PoolOPTAGE         = "optage"
	PoolAuHikari       = "au_hikari"
	PoolSoftBankHikari = "softbank_hikari"
	PoolDOCOMO         = "docomo"
	PoolAu             = "au"
	PoolSoftBank       = "softbank_mobile"
	PoolRakuten        = "rakuten_mobile"
	PoolAWSTokyo       = "aws_tokyo"
	PoolVultrTokyo     = "vultr_tokyo"
	PoolDOSingapore    = "digitalocean_sg"
	PoolLinodeTokyo    = "linode_tokyo"
	PoolSakura         = "sakura"
	PoolICloudRelay    = "icloud_relay"
	PoolVPNDatacamp    = "vpn_datacamp_jp"
	PoolVPNM247        = "vpn_m247_jp"
	PoolVPNPacketHub   = "vpn_packethub_jp"
	PoolVPNCyberzone   = "vpn_cyberzone_jp"
	PoolAAISP          = "aaisp_gb"
	PoolBT             = "bt_gb"
	PoolComcast        = "comcast_us"
	PoolSingtel        = "singtel_sg"
	PoolKT             = "kt_kr"
	PoolHiNet          = "hinet_tw"
	PoolHKBN           = "hkbn_hk"
	PoolTelstra        = "telstra_au"
)

// Pools is the table of every network the world uses. Types are what
// enrich.ClassifyAS says, which is not always what the network sells:
// KDDI and SoftBank run their fibre lines (au Hikari, SoftBank Hikari) on
// their mobile autonomous systems, so a home there looks "mobile"; the
// Surfshark exits (Cyberzone) look like an ISP; iCloud Private Relay
// egresses from Cloudflare, which the data places in the US.
var Pools = []Pool{
	// Fixed lines at home in Japan.
	{PoolOCN, "NTT OCN (fibre)", []uint32{4713}, enrich.ISP, "JP", []string{"153.128.0.0/10"}},
	{PoolBIGLOBE, "BIGLOBE", []uint32{2518}, enrich.ISP, "JP", []string{"118.108.0.0/14", "125.192.0.0/13", "133.200.0.0/13"}},
	{PoolSoNet, "So-net / NURO Hikari", []uint32{2527}, enrich.ISP, "JP", []string{"118.236.0.0/15", "182.168.0.0/14", "223.132.0.0/14"}},
	{PoolJCOM, "J:COM cable", []uint32{9824}, enrich.ISP, "JP", []string{"27.136.0.0/13", "42.144.0.0/13", "110.128.0.0/13"}},
	{PoolOPTAGE, "OPTAGE eo Hikari (Kansai)", []uint32{17511}, enrich.ISP, "JP", []string{"58.188.0.0/14", "121.80.0.0/13", "180.144.0.0/14"}},
	{PoolAuHikari, "KDDI au Hikari (fibre on KDDI's mixed AS)", []uint32{2516}, enrich.Mobile, "JP", []string{"118.152.0.0/13", "113.144.0.0/13", "222.0.0.0/13"}},
	{PoolSoftBankHikari, "SoftBank Hikari / BBIQ (fibre on SoftBank's mixed AS)", []uint32{17676}, enrich.Mobile, "JP", []string{"60.64.0.0/11"}},
	// Mobile carriers in Japan.
	{PoolDOCOMO, "NTT DOCOMO sp-mode", []uint32{9605}, enrich.Mobile, "JP", []string{"49.96.0.0/12", "1.72.0.0/13", "27.228.0.0/14"}},
	{PoolAu, "KDDI au mobile", []uint32{2516}, enrich.Mobile, "JP", []string{"106.128.0.0/10", "182.248.0.0/14"}},
	{PoolSoftBank, "SoftBank / Y!mobile", []uint32{17676}, enrich.Mobile, "JP", []string{"126.0.0.0/8"}},
	{PoolRakuten, "Rakuten Mobile", []uint32{138384}, enrich.Mobile, "JP", []string{"133.106.0.0/16", "157.192.0.0/16", "110.165.128.0/17"}},
	// Hosting.
	{PoolAWSTokyo, "AWS ap-northeast-1", []uint32{16509}, enrich.Hosting, "JP", []string{"13.112.0.0/14", "18.176.0.0/13", "52.192.0.0/13"}},
	{PoolVultrTokyo, "Vultr Tokyo", []uint32{20473}, enrich.Hosting, "JP", []string{"45.76.0.0/16", "45.32.0.0/16", "167.179.64.0/18"}},
	{PoolDOSingapore, "DigitalOcean Singapore", []uint32{14061}, enrich.Hosting, "SG", []string{"128.199.0.0/16", "139.59.0.0/16", "68.183.0.0/16", "152.42.0.0/16"}},
	{PoolLinodeTokyo, "Linode (Akamai) Tokyo", []uint32{63949}, enrich.Hosting, "JP", []string{"139.162.0.0/16"}},
	{PoolSakura, "SAKURA Internet", []uint32{7684, 9370, 9371}, enrich.Hosting, "JP", []string{"133.242.0.0/16", "160.16.0.0/16", "163.43.0.0/16"}},
	// Privacy relays and commercial VPN exits.
	{PoolICloudRelay, "iCloud Private Relay egress (Cloudflare)", []uint32{13335}, enrich.Hosting, "US", []string{"104.28.0.0/16"}},
	{PoolVPNDatacamp, "Datacamp / CDN77 VPN exits in Tokyo", []uint32{212238}, enrich.Hosting, "JP", []string{"45.39.128.0/17", "5.180.76.0/22", "37.19.205.0/24", "45.11.1.0/24", "62.105.208.0/23", "45.88.40.0/22"}},
	{PoolVPNM247, "M247 VPN exits in Tokyo", []uint32{9009}, enrich.Hosting, "JP", []string{"31.133.196.0/22", "37.120.154.0/24", "45.81.119.0/24", "45.84.45.0/24", "45.156.52.0/24", "36.255.207.0/24"}},
	{PoolVPNPacketHub, "PacketHub (NordVPN) exits in Tokyo", []uint32{136787}, enrich.Hosting, "JP", []string{"2.56.252.0/24", "31.187.66.0/24", "31.220.8.0/22"}},
	{PoolVPNCyberzone, "Cyberzone (Surfshark) exits in Tokyo, typed ISP by the data", []uint32{209854}, enrich.ISP, "JP", []string{"2.59.202.0/23", "82.26.173.0/24", "82.26.192.0/24", "84.46.131.0/24", "84.46.145.0/24", "86.104.2.0/24", "86.104.213.0/24"}},
	// Consumer ISPs abroad, for travellers.
	{PoolAAISP, "Andrews & Arnold", []uint32{20712}, enrich.ISP, "GB", []string{"81.187.0.0/16", "90.155.0.0/16", "81.2.0.0/16"}},
	{PoolBT, "BT", []uint32{2856}, enrich.ISP, "GB", []string{"81.128.0.0/11", "86.128.0.0/12"}},
	{PoolComcast, "Comcast Xfinity", []uint32{7922}, enrich.ISP, "US", []string{"73.0.0.0/10"}},
	{PoolSingtel, "Singtel (SingNet)", []uint32{3758}, enrich.ISP, "SG", []string{"58.185.0.0/16", "118.201.0.0/16", "42.61.0.0/16"}},
	{PoolKT, "KT (Korea Telecom)", []uint32{4766}, enrich.ISP, "KR", []string{"14.64.0.0/12", "118.32.0.0/12"}},
	{PoolHiNet, "Chunghwa Telecom HiNet", []uint32{3462}, enrich.ISP, "TW", []string{"1.160.0.0/12", "36.224.0.0/12", "114.32.0.0/12"}},
	{PoolHKBN, "Hong Kong Broadband Network", []uint32{9269}, enrich.ISP, "HK", []string{"14.198.0.0/16", "14.136.0.0/16", "59.148.0.0/16"}},
	{PoolTelstra, "Telstra", []uint32{1221}, enrich.ISP, "AU", []string{"1.120.0.0/13", "101.160.0.0/11"}},
}

// Groups of pools the world chooses from.
var (
	homePools      = []string{PoolOCN, PoolOCN, PoolOCN, PoolBIGLOBE, PoolSoNet, PoolSoNet, PoolJCOM, PoolOPTAGE, PoolAuHikari, PoolAuHikari, PoolSoftBankHikari, PoolSoftBankHikari}
	carrierPools   = []string{PoolDOCOMO, PoolDOCOMO, PoolDOCOMO, PoolAu, PoolAu, PoolSoftBank, PoolSoftBank, PoolRakuten}
	vpnPools       = []string{PoolVPNDatacamp, PoolVPNM247, PoolVPNPacketHub, PoolVPNCyberzone, PoolICloudRelay, PoolICloudRelay}
	abroadPools    = []string{PoolAAISP, PoolBT, PoolComcast, PoolSingtel, PoolKT, PoolKT, PoolHiNet, PoolHiNet, PoolHKBN, PoolTelstra}
	attackerPools  = []string{PoolAWSTokyo, PoolVultrTokyo, PoolDOSingapore, PoolLinodeTokyo, PoolSakura}
	attackVPNPools = []string{PoolVPNDatacamp, PoolVPNM247, PoolVPNPacketHub, PoolVPNCyberzone}
)

// Network is a pool checked against the enrich data: the /24 blocks that
// are what the pool says, grouped by /16.
type Network struct {
	Pool
	data   *enrich.Networks
	blocks []uint32            // /24 starts, ascending
	by16   map[uint32][]uint32 // /16 start -> its /24 starts, ascending
	wide   []uint32            // /16 starts holding at least two blocks, ascending
}

// Networks is every pool of the table, checked.
type Networks struct {
	data  *enrich.Networks
	pools map[string]*Network
}

var loadEnrich = sync.OnceValues(enrich.LoadNetworks)

// LoadNetworks checks every pool of Pools against enrich.LoadNetworks and
// returns the usable blocks. It fails if a pool has no /16 with at least
// two usable /24s: the data no longer says what the table does.
func LoadNetworks() (*Networks, error) {
	data, err := loadEnrich()
	if err != nil {
		return nil, fmt.Errorf("load network data: %w", err)
	}
	ns := &Networks{data: data, pools: make(map[string]*Network, len(Pools))}
	for _, p := range Pools {
		n, err := checkPool(data, p)
		if err != nil {
			return nil, err
		}
		ns.pools[p.Name] = n
	}
	return ns, nil
}

var loadNetworks = sync.OnceValues(LoadNetworks)

func checkPool(data *enrich.Networks, p Pool) (*Network, error) {
	n := &Network{Pool: p, data: data, by16: make(map[uint32][]uint32)}
	for _, s := range p.Prefixes {
		pfx, err := netip.ParsePrefix(s)
		if err != nil || !pfx.Addr().Is4() || pfx.Bits() > 24 {
			return nil, fmt.Errorf("pool %s: bad prefix %q", p.Name, s)
		}
		start := u32(pfx.Masked().Addr())
		count := uint32(1) << (24 - pfx.Bits())
		for i := uint32(0); i < count; i++ {
			block := start + i<<8
			if n.blockMatches(data, block) {
				n.blocks = append(n.blocks, block)
			}
		}
	}
	sort.Slice(n.blocks, func(i, j int) bool { return n.blocks[i] < n.blocks[j] })
	for _, b := range n.blocks {
		n.by16[b&^0xffff] = append(n.by16[b&^0xffff], b)
	}
	for k, v := range n.by16 {
		if len(v) >= 2 {
			n.wide = append(n.wide, k)
		}
	}
	sort.Slice(n.wide, func(i, j int) bool { return n.wide[i] < n.wide[j] })
	if len(n.wide) == 0 {
		return nil, fmt.Errorf("pool %s (%s): the network data has no /16 with two /24s of AS%v, type %s, country %s in %v",
			p.Name, p.Org, p.ASNs, p.Type, p.Country, p.Prefixes)
	}
	return n, nil
}

// blockMatches looks up three addresses of the /24 starting at block.
// The data can split a /24 (Cloudflare's relays change country inside
// one), so every address drawn is looked up again: see host.
func (n *Network) blockMatches(data *enrich.Networks, block uint32) bool {
	for _, host := range [...]uint32{1, 128, 254} {
		if !n.matches(data, block+host) {
			return false
		}
	}
	return true
}

func (n *Network) matches(data *enrich.Networks, ip uint32) bool {
	got := data.Lookup(addr(ip))
	return got.Type == n.Type && got.Country == n.Country && containsASN(n.ASNs, got.ASN)
}

// host draws a host of the /24 whose address the data says is what the
// pool is; .1, checked when the pool was built, if none is found soon.
func (n *Network) host(block uint32, r *rand.Rand) uint32 {
	for range 32 {
		h := 2 + r.Uint32N(252)
		if n.matches(n.data, block+h) {
			return h
		}
	}
	return 1
}

func containsASN(list []uint32, asn uint32) bool {
	for _, a := range list {
		if a == asn {
			return true
		}
	}
	return false
}

// Pool returns the checked pool of that name; it panics on a name not in
// the table, which is a bug of the simulator.
func (ns *Networks) Pool(name string) *Network {
	n, ok := ns.pools[name]
	if !ok {
		panic("sim: no network pool " + name)
	}
	return n
}

// Lookup tells what the enrich data says of ip.
func (ns *Networks) Lookup(ip string) enrich.Network {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return enrich.Network{Type: enrich.Unknown}
	}
	return ns.data.Lookup(a)
}

// Blocks returns how many /24 blocks of the pool are usable.
func (n *Network) Blocks() int { return len(n.blocks) }

// Address returns a random address of the pool.
func (n *Network) Address(r *rand.Rand) string {
	b := n.blocks[r.IntN(len(n.blocks))]
	return addr(b + n.host(b, r)).String()
}

// Line is a subscriber's place in a network: a /16 it stays in and the
// /24 it has now. Home lines drift to another /24 of the /16 now and then.
type Line struct {
	Net   *Network
	Wide  uint32 // the /16
	Block uint32 // the current /24
	Host  uint32 // the current last octet
}

// NewLine places a subscriber in a random /16 of the pool.
func (n *Network) NewLine(r *rand.Rand) *Line {
	w := n.wide[r.IntN(len(n.wide))]
	bs := n.by16[w]
	b := bs[r.IntN(len(bs))]
	return &Line{Net: n, Wide: w, Block: b, Host: n.host(b, r)}
}

// IP is the line's current address.
func (l *Line) IP() string { return addr(l.Block + l.Host).String() }

// Drift moves the line to another /24 of its /16, as a home line does
// when the router reconnects.
func (l *Line) Drift(r *rand.Rand) {
	bs := l.Net.by16[l.Wide]
	for {
		b := bs[r.IntN(len(bs))]
		if b != l.Block || len(bs) == 1 {
			l.Block = b
			break
		}
	}
	l.Host = l.Net.host(l.Block, r)
}

// Neighbour returns an address in the line's /16 but another /24 than
// the line's, as an attacker renting a line from the same ISP would get.
func (l *Line) Neighbour(r *rand.Rand) string {
	bs := l.Net.by16[l.Wide]
	for {
		b := bs[r.IntN(len(bs))]
		if b != l.Block {
			return addr(b + l.Net.host(b, r)).String()
		}
	}
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
