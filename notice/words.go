package notice

import (
	"regexp"
	"strconv"
	"strings"
)

// country is a country's name in both languages.
type country struct{ ja, en string }

// countries names the countries sign-ins most often come from; others are
// told by their ISO code.
var countries = map[string]country{
	"JP": {"日本", "Japan"},
	"US": {"米国", "the United States"},
	"CA": {"カナダ", "Canada"},
	"MX": {"メキシコ", "Mexico"},
	"BR": {"ブラジル", "Brazil"},
	"AR": {"アルゼンチン", "Argentina"},
	"GB": {"英国", "the United Kingdom"},
	"IE": {"アイルランド", "Ireland"},
	"FR": {"フランス", "France"},
	"DE": {"ドイツ", "Germany"},
	"NL": {"オランダ", "the Netherlands"},
	"BE": {"ベルギー", "Belgium"},
	"LU": {"ルクセンブルク", "Luxembourg"},
	"CH": {"スイス", "Switzerland"},
	"AT": {"オーストリア", "Austria"},
	"IT": {"イタリア", "Italy"},
	"ES": {"スペイン", "Spain"},
	"PT": {"ポルトガル", "Portugal"},
	"SE": {"スウェーデン", "Sweden"},
	"NO": {"ノルウェー", "Norway"},
	"DK": {"デンマーク", "Denmark"},
	"FI": {"フィンランド", "Finland"},
	"PL": {"ポーランド", "Poland"},
	"CZ": {"チェコ", "Czechia"},
	"RO": {"ルーマニア", "Romania"},
	"BG": {"ブルガリア", "Bulgaria"},
	"UA": {"ウクライナ", "Ukraine"},
	"RU": {"ロシア", "Russia"},
	"TR": {"トルコ", "Türkiye"},
	"IL": {"イスラエル", "Israel"},
	"AE": {"アラブ首長国連邦", "the United Arab Emirates"},
	"IN": {"インド", "India"},
	"PK": {"パキスタン", "Pakistan"},
	"BD": {"バングラデシュ", "Bangladesh"},
	"BT": {"ブータン", "Bhutan"},
	"CN": {"中国", "China"},
	"HK": {"香港", "Hong Kong"},
	"MO": {"マカオ", "Macao"},
	"TW": {"台湾", "Taiwan"},
	"KR": {"韓国", "South Korea"},
	"MN": {"モンゴル", "Mongolia"},
	"SG": {"シンガポール", "Singapore"},
	"MY": {"マレーシア", "Malaysia"},
	"TH": {"タイ", "Thailand"},
	"VN": {"ベトナム", "Vietnam"},
	"KH": {"カンボジア", "Cambodia"},
	"PH": {"フィリピン", "the Philippines"},
	"ID": {"インドネシア", "Indonesia"},
	"AU": {"オーストラリア", "Australia"},
	"NZ": {"ニュージーランド", "New Zealand"},
	"ZA": {"南アフリカ", "South Africa"},
	"NG": {"ナイジェリア", "Nigeria"},
	"EG": {"エジプト", "Egypt"},
}

// countryJA and countryEN name a country ("" for none).
func countryJA(code string) string {
	if c, ok := countries[code]; ok {
		return c.ja
	}
	if code == "" {
		return ""
	}
	return "国・地域コード " + code
}

func countryEN(code string) string {
	if c, ok := countries[code]; ok {
		return c.en
	}
	if code == "" {
		return ""
	}
	return "the country with code " + code
}

// minorDigits is how many digits of an amount in minor units are after
// the decimal point, for the currencies that differ from two.
var minorDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BIF": 0, "DJF": 0, "GNF": 0, "KMF": 0, "RWF": 0, "VUV": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// amount writes an amount in minor units: "5,000" for JPY 5000, "12.50"
// for USD 1250.
func amount(v int64, currency string) string {
	digits, ok := minorDigits[currency]
	if !ok {
		digits = 2
	}
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	frac := ""
	if digits > 0 {
		for len(s) <= digits {
			s = "0" + s
		}
		s, frac = s[:len(s)-digits], "."+s[len(s)-digits:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + frac
}

// moneyJA: "5,000円", "12.50 USD".
func moneyJA(v int64, currency string) string {
	if currency == "JPY" || currency == "" {
		return amount(v, "JPY") + "円"
	}
	return amount(v, currency) + " " + currency
}

// moneyEN: "¥5,000", "USD 12.50".
func moneyEN(v int64, currency string) string {
	if currency == "JPY" || currency == "" {
		return "¥" + amount(v, "JPY")
	}
	return currency + " " + amount(v, currency)
}

// domainLike matches a name's domain ending ("Amazon.com", "Sonic.net",
// "foo.co.uk"): app text views turn such words into links.
var domainLike = regexp.MustCompile(`(?i)([a-z0-9-])((?:\.(?:com|net|org|info|biz|io|co|jp|ne|or|ad|ru|de|uk|cn|us|eu|nl|fr|it|pl|br|au|in|kr|tw|hk|sg|me|tv|cc|online|cloud|host|hosting|tech|app|dev|xyz|site))+)\b`)

// plainOrg writes a network's organisation name so that nothing in it
// reads as a web address: "Amazon.com, Inc." becomes "Amazon, Inc.". A
// name that still looks like one is left out.
func plainOrg(org string) string {
	org = domainLike.ReplaceAllString(org, "$1")
	lower := strings.ToLower(org)
	if strings.Contains(lower, "http") || strings.Contains(lower, "www") || strings.Contains(lower, "/") || strings.Contains(lower, "@") {
		return ""
	}
	return strings.TrimSpace(org)
}
