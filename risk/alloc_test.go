package risk_test

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
)

// maxDecideAllocs is the budget of allocations of one decision.
const maxDecideAllocs = 10

func TestDecideStaysWithinItsAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes what allocates")
	}
	p, st, cases := decideCases(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(50, func() { risk.Decide(st, c.in) }); n > maxDecideAllocs {
				t.Errorf("Decide allocates %.0f times, want at most %d", n, maxDecideAllocs)
			}
		})
	}
	t.Run("enrich-decide-apply-activity", func(t *testing.T) {
		ev := activityEvent()
		if n := testing.AllocsPerRun(50, func() { enrichDecideApply(p, st, &ev) }); n > maxDecideAllocs {
			t.Errorf("NewInput, Decide and Apply allocate %.0f times, want at most %d", n, maxDecideAllocs)
		}
	})
}

func TestInputKeys(t *testing.T) {
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	ev := mamori.Event{Type: mamori.LoginSucceeded, Context: mamori.Context{IP: "153.156.78.77",
		UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}}
	tests := []struct {
		name          string
		change        func(in *risk.Input)
		asn, browser  string
		internedKeyed bool
	}{
		{"as enriched", func(*risk.Input) {}, "AS4713", "Chrome/Windows", true},
		{"network changed after", func(in *risk.Input) { in.Network.ASN = 2516 }, "AS2516", "Chrome/Windows", false},
		{"network cleared after", func(in *risk.Input) { in.Network = enrich.Network{} }, "", "Chrome/Windows", false},
		{"agent changed after", func(in *risk.Input) { in.Agent.OS = "Linux" }, "AS4713", "Chrome/Linux", false},
		{"agent cleared after", func(in *risk.Input) { in.Agent = enrich.Agent{} }, "AS4713", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ev
			in := risk.NewInput(&e, 1, nets, nil)
			kept := map[string]string{}
			in.Intern(func(s string) string {
				if c, ok := kept[s]; ok {
					return c
				}
				kept[s] = strings.Clone(s)
				return kept[s]
			})
			tt.change(in)
			if got := in.ASNKey(); got != tt.asn {
				t.Errorf("ASNKey() = %q, want %q", got, tt.asn)
			}
			if got := in.BrowserKey(); got != tt.browser {
				t.Errorf("BrowserKey() = %q, want %q", got, tt.browser)
			}
			if tt.internedKeyed {
				for _, k := range []string{in.ASNKey(), in.BrowserKey(), e.Context.UserAgent, e.Type} {
					if unsafe.StringData(k) != unsafe.StringData(kept[k]) {
						t.Errorf("%q is not the interned copy", k)
					}
				}
			}
		})
	}
}

// TestFillLeavesNothingOfTheLastEvent fills one Input with event after
// event, as the engine does with one on its stack: each must equal a
// fresh NewInput of its event, with nothing left from the one before (a
// network, a parsed agent, a key built for another).
func TestFillLeavesNothingOfTheLastEvent(t *testing.T) {
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	chrome := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	evs := []mamori.Event{
		{Type: mamori.LoginSucceeded, Context: mamori.Context{IP: "153.156.78.77", UserAgent: chrome}},
		{Type: mamori.SessionActivity},
		{Type: mamori.OrderPlaced, Context: mamori.Context{IP: "2001:db8::1"}},
		{Type: mamori.LoginFailed, Context: mamori.Context{UserAgent: "curl/8.5.0"}},
		{Type: mamori.LoginSucceeded, Context: mamori.Context{IP: "153.156.78.77", UserAgent: chrome}},
	}
	var in risk.Input
	for i := range evs {
		in.Fill(&evs[i], uint64(i+1), nets, nil)
		want := risk.NewInput(&evs[i], uint64(i+1), nets, nil)
		if !reflect.DeepEqual(in, *want) {
			t.Errorf("event %d (%s): filled\n%+v\nwant\n%+v", i, evs[i].Type, in, *want)
		}
		if in.ASNKey() != want.ASNKey() || in.BrowserKey() != want.BrowserKey() {
			t.Errorf("event %d: keys %q %q, want %q %q", i, in.ASNKey(), in.BrowserKey(), want.ASNKey(), want.BrowserKey())
		}
	}
}
