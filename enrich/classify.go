package enrich

import "strings"

// ClassifyAS tells what kind of network an autonomous system is, from its
// number and its organisation name. The rules, in order:
//
//  1. An AS listed in knownAS has the type given there. The list holds the
//     networks whose names mislead (AT&T Mobility and Verizon Wireless are
//     named "AT&T Enterprises" and "Verizon Business" in the data; Google
//     Fiber is not Google Cloud; NTT Communications is being renamed "NTT
//     DOCOMO BUSINESS" but is the fixed-line OCN) and the carriers that run
//     fixed and mobile subscribers on one AS (KDDI, SoftBank).
//  2. Hosting if the name has a hosting word: a cloud, VPS, CDN or VPN
//     brand (Amazon, Google, Microsoft, DigitalOcean, OVH, Hetzner, Akamai
//     and Linode, Vultr, Contabo, M247, Leaseweb, Alibaba, Tencent, Oracle,
//     Cloudflare, SAKURA Internet, Mullvad, NordVPN's PacketHub, Datacamp,
//     Proton, ...) or a generic one (hosting, server, cloud, data centre,
//     VPS, CDN, colocation, dedicated).
//  3. ISP if the name says fixed line, cable, fibre or broadband, even if it
//     also says mobile ("Cellcom Fixed Line", "Cable & Wireless").
//  4. Mobile if the name has a mobile word (mobile, mobility, cellular,
//     DOCOMO, Vodafone, movil, ...). "Wireless" alone is not one: most
//     networks so named are fixed-wireless ISPs.
//  5. ISP otherwise. Enterprise, university and backbone networks land here
//     too: they are not hosting and not mobile.
//
// A carrier that serves both fixed-line and mobile subscribers from one AS
// is Mobile: its addresses can be shared by many subscribers behind
// carrier-grade NAT and change often, so a new or busy IP from it says
// little. Carriers with separate fixed-line ASes (DOCOMO and OCN, J:COM,
// BIGLOBE, Comcast) get the type of each AS. Users of iCloud Private Relay
// and Cloudflare WARP egress from Akamai, Cloudflare and Fastly and so show
// as Hosting.
//
// The rules are a heuristic over names: extend knownAS where the data
// shows a network misclassified.
func ClassifyAS(asn uint32, org string) NetworkType {
	if t, ok := knownAS(asn); ok {
		return t
	}
	if asn == 0 && org == "" {
		return Unknown
	}
	var buf [96]byte
	name := normalizeOrg(org, buf[:0])
	var hosting, fixed, mobile bool
	// name is " word word ... ": each word ends at a space.
	for rest := name[1:]; rest != ""; {
		i := strings.IndexByte(rest, ' ')
		w := rest[:i]
		rest = rest[i+1:]
		hosting = hosting || hostingWord(w)
		fixed = fixed || fixedWord(w)
		mobile = mobile || mobileWord(w)
	}
	switch {
	case hosting || hostingFragment(name):
		return Hosting
	case fixed:
		return ISP
	case mobile:
		return Mobile
	}
	return ISP
}

// knownAS gives the type of autonomous systems that the name rules would
// get wrong or that need a decision; each number says why.
func knownAS(asn uint32) (NetworkType, bool) {
	switch asn {
	case 2516, // KDDI: au, UQ mobile, povo, and au Hikari fixed lines (mixed carrier)
		17676, // SoftBank Corp.: SoftBank, Y!mobile, LINEMO, and SoftBank Hikari/BB (mixed carrier)
		9605,  // NTT DOCOMO: sp-mode mobile; docomo hikari runs over OCN and others
		6167,  // Verizon Wireless (Cellco), named "Verizon Business" in the data
		22394, // Verizon Wireless (Cellco), named "Verizon Business" in the data
		20057, // AT&T Mobility, named "AT&T Enterprises" in the data
		9644,  // SK Telecom; its fixed lines are SK Broadband, AS9318
		45609: // Bharti Airtel mobile; broadband is AS24560, of the same name
		return Mobile, true
	case 4713, // NTT Communications, renamed NTT DOCOMO BUSINESS: OCN fixed lines
		4725,  // SoftBank Corp., ex-Japan Telecom/ODN: enterprise and backbone
		16591, // Google Fiber, not Google Cloud
		6739,  // Vodafone ONO: Spanish cable network
		1273:  // Vodafone Group: the former Cable & Wireless backbone
		return ISP, true
	case 9597, // KDDI Web Communications: CPI hosting
		7684, 9370, 9371, // SAKURA Internet
		39351, // 31173 Services AB: Mullvad VPN
		20473: // The Constant Company: Vultr, formerly Choopa
		return Hosting, true
	}
	return "", false
}

// hostingWord reports whether w is a word of a hosting, cloud, CDN or VPN
// provider's name.
func hostingWord(w string) bool {
	switch w {
	case "amazon", "aws", "google", "microsoft", "azure", "digitalocean",
		"ovh", "ovhcloud", "hetzner", "linode", "akamai", "vultr", "choopa",
		"contabo", "m247", "leaseweb", "alibaba", "aliyun", "tencent",
		"oracle", "cloudflare", "fastly", "scaleway", "ionos", "godaddy",
		"rackspace", "hivelocity", "zenlayer", "datacamp", "packethub",
		"tefincom", "mullvad", "psychz", "quadranet", "colocrossing",
		"sharktech", "upcloud", "kamatera", "equinix", "xserver", "kagoya",
		"ucloud", "zscaler", "facebook", "frantech", "buyvm", "datapacket",
		"cdn77", "gcore", "selectel", "timeweb", "ipxo",
		"vps", "cdn", "idc", "colocation", "colo", "dedicated", "vpn":
		return true
	}
	return false
}

// hostingFragments may appear inside words ("Webhosting", "CNSERVERS");
// " host" matches words that start with host (Hostinger, HostPapa).
func hostingFragment(name string) bool {
	for _, f := range [...]string{
		" host", "hosting", "server", "cloud", "datacent", "data cent",
		"web services", "sakura internet", "constant company", "31173 services",
		"proton ag", "g core", "fly io", "gmo internet", "digital ocean",
		"private internet access",
	} {
		if strings.Contains(name, f) {
			return true
		}
	}
	return false
}

// fixedWord reports whether w marks a fixed-line access network.
func fixedWord(w string) bool {
	switch w {
	case "fixed", "cable", "kabel", "fiber", "fibre", "broadband", "dsl", "ftth":
		return true
	}
	return false
}

// mobileWord reports whether w is a word of a mobile carrier's name.
func mobileWord(w string) bool {
	switch w {
	case "mobile", "mobility", "cellular", "cellco", "docomo", "vodafone",
		"movil", "moviles", "movilnet", "telemovil", "radiomovil", "telcel",
		"mobily", "mobilink", "selular", "jio":
		return true
	}
	return false
}

// normalizeOrg lowercases org, turns every run of other characters than
// ASCII letters and digits into one space and puts a space at both ends:
// "Amazon.com, Inc." becomes " amazon com inc ". It appends to buf.
func normalizeOrg(org string, buf []byte) string {
	buf = append(buf, ' ')
	for i := 0; i < len(org); i++ {
		c := org[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			if buf[len(buf)-1] == ' ' {
				continue
			}
			c = ' '
		}
		buf = append(buf, c)
	}
	if buf[len(buf)-1] != ' ' {
		buf = append(buf, ' ')
	}
	return string(buf)
}
