package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Browser is a kind of browser on a kind of device. Its user-agent string
// follows the browser's version, which auto-updates over time as the real
// ones do: Chromium browsers and Firefox every four weeks, Safari with
// the OS a few times a year.
type Browser struct {
	Name   string
	Kind   string // desktop, phone, tablet
	format string // with %s for the version text
	// versions: the version text in force from each date on.
	release func(t time.Time) string
}

// Device kinds.
const (
	KindDesktop = "desktop"
	KindPhone   = "phone"
	KindTablet  = "tablet"
)

// The release trains the world's browsers follow. A device lags behind a
// release by a few days to weeks, as auto-update does.
var (
	chromeTrain  = train{base: 140, from: date(2026, 9, 1), every: 28 * 24 * time.Hour}
	firefoxTrain = train{base: 142, from: date(2026, 9, 8), every: 28 * 24 * time.Hour}
	safariTrain  = []string{"18.6", "26.0", "26.1", "26.2"} // from the dates in safariDates
	safariDates  = []time.Time{date(2026, 1, 1), date(2026, 9, 15), date(2026, 11, 3), date(2026, 12, 9)}
)

// Browsers are the browsers the world's customers use.
var Browsers = []Browser{
	{"Chrome on Windows", KindDesktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", chromeTrain.major},
	{"Edge on Windows", KindDesktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%[1]s.0.0.0 Safari/537.36 Edg/%[1]s.0.0.0", chromeTrain.major},
	{"Firefox on Windows", KindDesktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%[1]s.0) Gecko/20100101 Firefox/%[1]s.0", firefoxTrain.major},
	{"Chrome on macOS", KindDesktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", chromeTrain.major},
	{"Safari on macOS", KindDesktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", safari},
	{"Firefox on macOS", KindDesktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%[1]s.0) Gecko/20100101 Firefox/%[1]s.0", firefoxTrain.major},
	{"Safari on iPhone", KindPhone, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", safari},
	{"Chrome on iPhone", KindPhone, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%s.0.7339.101 Mobile/15E148 Safari/604.1", chromeTrain.major},
	{"Chrome on Android", KindPhone, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Mobile Safari/537.36", chromeTrain.major},
	{"Safari on iPad", KindTablet, "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", safari},
	// iPadOS asks for desktop sites by default: the iPad says it is a Mac.
	{"Safari on iPad (desktop site)", KindTablet, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", safari},
	{"Chrome on Linux", KindDesktop, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", chromeTrain.major},
}

// Browser indexes by kind, with weights by how common they are in Japan.
var (
	desktopBrowsers = []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 11}
	tabletBrowsers  = []int{9, 10, 10}
	iPhoneBrowsers  = []int{6, 6, 6, 7}
	androidBrowsers = []int{8}
)

// UserAgent is the browser's user-agent string at t for a device that
// updates lag after each release.
func (b *Browser) UserAgent(t time.Time, lag time.Duration) string {
	return fmt.Sprintf(b.format, b.release(t.Add(-lag)))
}

// train is a browser release train: version base from date from, one more
// every interval.
type train struct {
	base  int
	from  time.Time
	every time.Duration
}

func (tr train) major(t time.Time) string {
	n := 0
	if t.After(tr.from) {
		n = int(t.Sub(tr.from) / tr.every)
	}
	return fmt.Sprint(tr.base + n)
}

func safari(t time.Time) string {
	v := safariTrain[0]
	for i, d := range safariDates {
		if !t.Before(d) {
			v = safariTrain[i]
		}
	}
	return v
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, jst) }

var jst = time.FixedZone("JST", 9*3600)

// Attacker tools: what fraudsters' browsers and bots say they are.
// Anti-detect browsers claim a common, recent browser; attackerBrowsers
// are the ones they pick (indexes into Browsers), mostly Chrome on
// Windows. Credential-stuffing bots rotate a few stale strings.
var (
	attackerBrowsers = []int{0, 0, 0, 0, 0, 0, 1, 3, 3, 11, 11, 8}
	stufferAgents    = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	}
	attackerLanguages = []string{"ja-JP,ja;q=0.9", "ja,en-US;q=0.7", "en-US,en;q=0.9", "zh-CN,zh;q=0.9,ja;q=0.8", "ja-JP"}
)

// Languages customers' browsers send: mostly Japanese.
var customerLanguages = []string{
	"ja-JP,ja;q=0.9", "ja-JP,ja;q=0.9", "ja-JP,ja;q=0.9", "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7",
	"ja", "ja-JP", "ja-JP", "ja,en-US;q=0.9,en;q=0.8", "en-US,en;q=0.9,ja;q=0.8", "ja-JP,ja;q=0.9",
}

// attackerDevice is an attacker's browser: a new device id and a common
// browser's string, up to date or a few weeks behind, frozen at t.
func attackerDevice(r *rand.Rand, t time.Time) *Device {
	b := &Browsers[pick(r, attackerBrowsers)]
	return &Device{ID: deviceID(r), UserAgent: b.UserAgent(t, time.Duration(r.IntN(50*24))*time.Hour), Language: pick(r, attackerLanguages)}
}

// deviceID makes a stable id for a browser or app install.
func deviceID(r *rand.Rand) string {
	return fmt.Sprintf("dev-%012x", r.Uint64()&0xffffffffffff)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
