package enrich

import (
	"fmt"
	"strconv"
	"testing"
	"unicode/utf8"
)

func TestParseUserAgentGivesBrowserOSAndDevice(t *testing.T) {
	tests := []struct {
		name string
		ua   string
		want Agent
	}{
		{"Chrome on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{"Chrome", "131", "Windows", DeviceDesktop}},
		{"Edge on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
			Agent{"Edge", "131", "Windows", DeviceDesktop}},
		{"Firefox on Windows",
			"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			Agent{"Firefox", "133", "Windows", DeviceDesktop}},
		{"Safari on macOS",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
			Agent{"Safari", "18", "macOS", DeviceDesktop}},
		{"Chrome on macOS",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{"Chrome", "131", "macOS", DeviceDesktop}},
		{"Safari on iPhone",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			Agent{"Safari", "17", "iOS", DeviceMobile}},
		{"Chrome on iPhone",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
			Agent{"Chrome", "131", "iOS", DeviceMobile}},
		{"Safari on iPad",
			"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			Agent{"Safari", "17", "iOS", DeviceTablet}},
		{"Chrome on Android phone",
			"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
			Agent{"Chrome", "131", "Android", DeviceMobile}},
		{"Chrome on Android tablet",
			"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{"Chrome", "131", "Android", DeviceTablet}},
		{"Samsung Internet",
			"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
			Agent{"Samsung Browser", "26", "Android", DeviceMobile}},
		{"Firefox on Linux",
			"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
			Agent{"Firefox", "133", "Linux", DeviceDesktop}},
		{"Firefox on Ubuntu",
			"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
			Agent{"Firefox", "133", "Linux", DeviceDesktop}},
		{"Googlebot",
			"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			Agent{"", "", "", DeviceBot}},
		{"Bingbot",
			"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
			Agent{"", "", "", DeviceBot}},
		{"headless Chrome",
			"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
			Agent{"Chrome", "131", "Linux", DeviceBot}},
		{"curl", "curl/8.5.0", Agent{"", "", "", DeviceBot}},
		{"python-requests", "python-requests/2.32.3", Agent{"", "", "", DeviceBot}},
		{"empty", "", Agent{"", "", "", DeviceUnknown}},
		{"garbage", "\x00\xff not a browser", Agent{"", "", "", DeviceUnknown}},
	}
	var cache AgentCache
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseUserAgent(tt.ua); got != tt.want {
				t.Errorf("ParseUserAgent(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
			}
			for range 2 { // parsed, then remembered
				if got := cache.Parse(tt.ua); got != tt.want {
					t.Errorf("AgentCache.Parse(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
				}
			}
		})
	}
}

// The cache stays within its bound, and answers right after starting
// afresh.
func TestAgentCacheIsBounded(t *testing.T) {
	var cache AgentCache
	chrome := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36"
	for v := range agentCacheSize + 10 {
		ua := fmt.Sprintf(chrome, v)
		if got := cache.Parse(ua); got.Browser != "Chrome" || got.BrowserMajor != strconv.Itoa(v) {
			t.Fatalf("%s: %+v", ua, got)
		}
		if len(cache.agents) > agentCacheSize {
			t.Fatalf("%d entries, bound %d", len(cache.agents), agentCacheSize)
		}
	}
	if n := len(cache.agents); n != 10 {
		t.Errorf("%d entries after starting afresh; want the 10 since", n)
	}
}

func FuzzParseUserAgent(f *testing.F) {
	f.Add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
	f.Add("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	f.Add("Chrome/99999999999999999999999999999999999999999.1")
	f.Add("")
	f.Fuzz(func(t *testing.T, ua string) {
		a := ParseUserAgent(ua)
		switch a.Device {
		case DeviceDesktop, DeviceMobile, DeviceTablet, DeviceBot, DeviceUnknown:
		default:
			t.Errorf("ParseUserAgent(%q): device %q", ua, a.Device)
		}
		if len(a.BrowserMajor) > 32 || !utf8.ValidString(a.Browser) || !utf8.ValidString(a.OS) {
			t.Errorf("ParseUserAgent(%q) = %+v", ua, a)
		}
	})
}
