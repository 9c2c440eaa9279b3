package enrich

import "testing"

func TestClassifyASByNumberAndName(t *testing.T) {
	tests := []struct {
		asn  uint32
		org  string
		want NetworkType
	}{
		// Hosting, cloud, CDN and VPN providers.
		{16509, "Amazon.com, Inc.", Hosting},
		{15169, "Google LLC", Hosting},
		{8075, "Microsoft Corporation", Hosting},
		{14061, "DigitalOcean, LLC", Hosting},
		{16276, "OVH SAS", Hosting},
		{24940, "Hetzner Online GmbH", Hosting},
		{63949, "Akamai Technologies, Inc.", Hosting},
		{20473, "The Constant Company, LLC", Hosting},
		{51167, "Contabo GmbH", Hosting},
		{9009, "M247 Europe SRL", Hosting},
		{60781, "LeaseWeb Netherlands B.V.", Hosting},
		{45102, "Alibaba (US) Technology Co., Ltd.", Hosting},
		{132203, "Shenzhen Tencent Computer Systems Company Limited", Hosting},
		{31898, "Oracle Corporation", Hosting},
		{13335, "Cloudflare, Inc.", Hosting},
		{9370, "SAKURA Internet Inc.", Hosting},
		{1, "SAKURA Internet Inc.", Hosting},
		{39351, "31173 Services AB", Hosting},
		{136787, "PacketHub S.A.", Hosting},
		{212238, "Datacamp Limited", Hosting},
		{62371, "Proton AG", Hosting},
		{47583, "Hostinger International Limited", Hosting},
		{40065, "CNSERVERS LLC", Hosting},
		{55990, "Huawei Cloud Service data center", Hosting},
		{9597, "KDDI Web Communications Inc.", Hosting},
		// Mobile carriers, by name or by number.
		{9605, "NTT DOCOMO, INC.", Mobile},
		{2516, "KDDI CORPORATION", Mobile},
		{17676, "SoftBank Corp.", Mobile},
		{138384, "Rakuten Mobile, Inc.", Mobile},
		{21928, "T-Mobile USA, Inc.", Mobile},
		{6167, "Verizon Business", Mobile},
		{20057, "AT&T Enterprises, LLC", Mobile},
		{30722, "Vodafone Italia S.p.A.", Mobile},
		{9808, "China Mobile", Mobile},
		{28403, "RadioMovil Dipsa, S.A. de C.V.", Mobile},
		// ISPs and everything else.
		{4713, "NTT Communications Corporation", ISP},
		{4713, "NTT DOCOMO BUSINESS, Inc.", ISP},
		{4725, "SoftBank Corp.", ISP},
		{2518, "BIGLOBE Inc.", ISP},
		{9824, "JCOM Co., Ltd.", ISP},
		{7922, "Comcast Cable Communications, LLC", ISP},
		{7018, "AT&T Enterprises, LLC", ISP},
		{701, "Verizon Business", ISP},
		{16591, "Google Fiber Inc.", ISP},
		{1680, "Cellcom Fixed Line Communication L.P", ISP},
		{11556, "Cable & Wireless Panama", ISP},
		{17306, "JAB Wireless, INC.", ISP},
		{1, "Vodafone Kabel Deutschland GmbH", ISP},
		{1766, "Exxon Mobil Corporation", ISP},
		{37611, "AFRIHOST SP (PTY) LTD", ISP},
		{59499, "Mutua Madrilena Automovilista Sociedad De Seguros a Prima Fija", ISP},
		{2500, "WIDE Project", ISP},
		{1, "", ISP},
		// No data.
		{0, "", Unknown},
	}
	for _, tt := range tests {
		if got := ClassifyAS(tt.asn, tt.org); got != tt.want {
			t.Errorf("ClassifyAS(%d, %q) = %s, want %s", tt.asn, tt.org, got, tt.want)
		}
	}
}

func TestNormalizeOrgKeepsWordsApart(t *testing.T) {
	tests := map[string]string{
		"Amazon.com, Inc.":    " amazon com inc ",
		"  LLC \"SPUTNIK\"":   " llc sputnik ",
		"":                    " ",
		"G-Core Labs S.A.":    " g core labs s a ",
		"Société Générale":    " soci t g n rale ",
		"T-Mobile USA, Inc.":  " t mobile usa inc ",
		"IDC, China Telecom.": " idc china telecom ",
	}
	for in, want := range tests {
		if got := normalizeOrg(in, nil); got != want {
			t.Errorf("normalizeOrg(%q) = %q, want %q", in, got, want)
		}
	}
}
