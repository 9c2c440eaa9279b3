package statepack

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// filler sets every field of a value, recursively, to distinct non-zero
// values: a field the codec forgets then fails the round trip.
type filler struct {
	n int
	// elems is the length of every slice; short makes strings short
	// (the fuzz target's seeds are best small).
	elems int
	short bool
}

var (
	timeType = reflect.TypeFor[time.Time]()
	caseType = reflect.TypeFor[mamori.Case]()
)

// Times of the filler: zones, nanoseconds in every form the codec knows,
// and years far apart.
var (
	fillZones = []*time.Location{time.UTC, time.FixedZone("", 9*3600), time.FixedZone("JST", 9*3600),
		time.FixedZone("", 5*3600+1800), time.FixedZone("", -7*3600), time.FixedZone("", 0)}
	fillNanos = []int{123456789, 500_000_000, 123_456_000, 1, 0, 999_999_999}
	fillYears = []int{2026, 9999, 1970, 2027, 2100}
)

func (f *filler) fill(t testing.TB, v reflect.Value, path string) {
	t.Helper()
	f.n++
	n := f.n
	if v.Type() == timeType {
		tm := time.Date(fillYears[n%len(fillYears)], time.Month(1+n%12), 1+n%28, n%24, n%60, (n*7)%60,
			fillNanos[n%len(fillNanos)], fillZones[n%len(fillZones)])
		v.Set(reflect.ValueOf(tm))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if f.short {
			v.SetString(fmt.Sprint(n))
		} else {
			v.SetString(fmt.Sprintf("%s=%d", path, n))
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		// Negative ones too: zigzag.
		if n%3 == 0 {
			v.SetInt(-int64(n))
		} else {
			v.SetInt(int64(n) * 1000003)
		}
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		v.SetUint(uint64(n) * 0x9E3779B97F4A7C15 >> 1)
	case reflect.Float64:
		// Thousandths (risk scores), and fractions with every bit used.
		if n%2 == 0 {
			v.SetFloat(float64(n%1000+1) / 1000)
		} else {
			v.SetFloat(float64(n) + 1.0/3)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), f.elems, f.elems)
		for i := range f.elems {
			f.fill(t, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if v.Type() == caseType && (name == "Timeline" || name == "Orders") {
				continue // not part of a state: filled when one case is read
			}
			if !v.Field(i).CanSet() {
				t.Fatalf("cannot fill %s.%s: the filler and the codec need to learn it", path, name)
			}
			f.fill(t, v.Field(i), path+"."+name)
		}
	default:
		t.Fatalf("cannot fill %s of kind %s: the filler and the codec need to learn it", path, v.Kind())
	}
}

// filledState returns a state with every field set, two elements in
// every slice.
func filledState(t testing.TB) *risk.State {
	t.Helper()
	st := &risk.State{}
	f := filler{elems: 2}
	f.fill(t, reflect.ValueOf(st).Elem(), "State")
	return st
}

// flatten lists every field of v as "path = value" lines, each time as
// its Unix seconds, nanoseconds and zone offset, each float as its bits,
// an empty slice as empty whether nil or not.
// Two states are equal when their lines are.
func flatten(v reflect.Value, path string, out []string) []string {
	if v.Type() == timeType {
		tm := v.Interface().(time.Time)
		_, off := tm.Zone()
		return append(out, fmt.Sprintf("%s = time %d.%09d%+d", path, tm.Unix(), tm.Nanosecond(), off))
	}
	switch v.Kind() {
	case reflect.Float64:
		return append(out, fmt.Sprintf("%s = float %#x", path, math.Float64bits(v.Float())))
	case reflect.String:
		return append(out, fmt.Sprintf("%s = %q", path, v.String()))
	case reflect.Slice:
		// Unpack gives nil for every empty slice.
		if v.Len() == 0 {
			return append(out, path+" = empty")
		}
		out = append(out, fmt.Sprintf("%s = len %d", path, v.Len()))
		for i := range v.Len() {
			out = flatten(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
		return out
	case reflect.Struct:
		for i := range v.NumField() {
			out = flatten(v.Field(i), path+"."+v.Type().Field(i).Name, out)
		}
		return out
	}
	return append(out, fmt.Sprintf("%s = %v", path, v.Interface()))
}

func lines(st *risk.State) []string {
	return flatten(reflect.ValueOf(st).Elem(), "State", nil)
}

// equal reports whether a and b hold the same values, as flatten lists
// them, without formatting them: the fuzz target compares states
// thousands of times a second.
func equal(a, b reflect.Value) bool {
	if a.Type() == timeType {
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ta.Unix() == tb.Unix() && ta.Nanosecond() == tb.Nanosecond() && oa == ob
	}
	switch a.Kind() {
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Interface() == b.Interface()
}

func equalStates(a, b *risk.State) bool {
	return equal(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem())
}

// sameState reports the first differences between two states.
func sameState(t *testing.T, want, got *risk.State) {
	t.Helper()
	if equalStates(want, got) {
		return
	}
	w, g := lines(want), lines(got)
	if reflect.DeepEqual(w, g) {
		t.Fatal("equal and flatten disagree")
	}
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			t.Errorf("want %s\n           got  %s", wl, gl)
			shown++
		}
	}
	t.FailNow()
}

func roundTrip(t *testing.T, st *risk.State, tab *Strings) (*risk.State, []byte) {
	t.Helper()
	b := Append(nil, st, tab)
	got, err := Unpack(b, tab)
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	sameState(t, st, got)
	return got, b
}

func TestEveryFieldRoundTrips(t *testing.T) {
	st := filledState(t)
	for _, l := range lines(st) {
		caseOnly := strings.HasPrefix(l, "State.Cases[") &&
			(strings.HasSuffix(l, "].Timeline = empty") || strings.HasSuffix(l, "].Orders = empty"))
		if !caseOnly && (strings.HasSuffix(l, " = empty") || strings.HasSuffix(l, ` = ""`) ||
			strings.HasSuffix(l, " = 0") || strings.HasSuffix(l, " = false")) {
			t.Fatalf("the filler left %s", l)
		}
	}
	tests := []struct {
		name  string
		table *Strings
	}{
		{"table with room", NewStrings(1 << 10)},
		{"full table", NewStrings(0)},
		{"table full halfway", NewStrings(20)},
		{"no table", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := roundTrip(t, st, tt.table)
			// Again from the unpacked state, against the table as it is now.
			roundTrip(t, got, tt.table)
		})
	}
}

func TestZeroStateRoundTrips(t *testing.T) {
	for _, tab := range []*Strings{NewStrings(10), nil} {
		_, b := roundTrip(t, &risk.State{}, tab)
		t.Logf("zero state: %d bytes", len(b))
	}
}

func TestFullTableWritesSharedStringsInline(t *testing.T) {
	st := filledState(t)
	full := NewStrings(0)
	b := Append(nil, st, full)
	if full.Len() != 1 {
		t.Errorf("a table of limit 0 learnt %d strings", full.Len()-1)
	}
	roomy := NewStrings(1 << 10)
	small := Append(nil, st, roomy)
	if len(b) <= len(small) {
		t.Errorf("inline: %d bytes, with the table: %d", len(b), len(small))
	}
	// A table loaded with room learns them later, and unpacking the
	// inline form then gives its copies.
	tab := LoadStrings(roomy.List(), 1<<10)
	got, err := Unpack(b, tab)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, st, got)
	ua := got.Sessions[0].UserAgent
	if i := index(tab, ua); i < 0 || unsafe.StringData(tab.List()[i]) != unsafe.StringData(ua) {
		t.Error("a shared string written inline is not the table's copy after all")
	}
}

// index returns the position of s in the table, or -1.
func index(t *Strings, s string) int {
	for i, e := range t.List() {
		if e == s {
			return i
		}
	}
	return -1
}

func TestSimulatedStatesRoundTrip(t *testing.T) {
	tab := NewStrings(1 << 16)
	for _, st := range testStates(t) {
		roundTrip(t, st, tab)
	}
}

// Case.Timeline and Case.Orders are filled only when one case is read.
func TestCaseTimelineAndOrdersAreNotKept(t *testing.T) {
	st := &risk.State{Cases: []mamori.Case{{
		ID: "c-1", Timeline: []mamori.TimelineEntry{{InCase: true}}, Orders: []mamori.CaseOrder{{OrderID: "o-1"}},
	}}}
	got, err := Unpack(Append(nil, st, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Cases[0]; c.ID != "c-1" || c.Timeline != nil || c.Orders != nil {
		t.Errorf("case unpacked as %+v", c)
	}
}

func TestTimesKeepInstantAndOffset(t *testing.T) {
	utc := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tokyo := utc.In(time.FixedZone("JST", 9*3600))
	tests := []struct {
		name    string
		last    time.Time // LastTime, utc if zero
		in      time.Time
		wantUTC bool // unpacked in time.UTC itself
		maxSize int  // bytes, as Created
	}{
		{"zero", time.Time{}, time.Time{}, true, 1},
		{"utc, an hour before", time.Time{}, utc.Add(-time.Hour), true, 3},
		{"utc, 60 days before", time.Time{}, utc.AddDate(0, 0, -60), true, 4},
		{"utc, milliseconds", time.Time{}, utc.Add(-1500 * time.Millisecond), true, 5},
		{"utc, nanoseconds", time.Time{}, utc.Add(-time.Nanosecond), true, 7},
		{"tokyo, last time in utc", time.Time{}, tokyo, false, 6},
		{"tokyo, last time in tokyo, 60 days before", tokyo, tokyo.AddDate(0, 0, -60), false, 4},
		{"utc, last time in tokyo", tokyo, utc.Add(-time.Hour), true, 4},
		{"offset 0, not utc", time.Time{}, utc.In(time.FixedZone("", 0)), false, 3},
		{"half-hour offset", time.Time{}, utc.In(time.FixedZone("IST", 5*3600+1800)), false, 6},
		{"year 9999", time.Time{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true, 15},
		{"year 1", time.Time{}, time.Date(1, 1, 1, 0, 0, 1, 0, time.FixedZone("", -3600)), false, 15},
		{"zero instant in a zone", time.Time{}, time.Time{}.In(time.FixedZone("", 3600)), false, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := tt.last
			if last.IsZero() {
				last = utc
			}
			st := &risk.State{LastTime: last, Created: tt.in}
			got, err := Unpack(Append(nil, st, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			c := got.Created
			_, wantOff := tt.in.Zone()
			name, off := c.Zone()
			if !c.Equal(tt.in) || c.Nanosecond() != tt.in.Nanosecond() || off != wantOff {
				t.Errorf("unpacked %v, want %v", c, tt.in)
			}
			if (c.Location() == time.UTC) != tt.wantUTC {
				t.Errorf("unpacked in %v, want UTC: %v", c.Location(), tt.wantUTC)
			}
			if !tt.wantUTC && name != "" {
				t.Errorf("unpacked with zone name %q", name)
			}
			size := len(Append(nil, st, nil)) - len(Append(nil, &risk.State{LastTime: last}, nil)) + 1
			if size > tt.maxSize {
				t.Errorf("%d bytes, want at most %d", size, tt.maxSize)
			}
		})
	}
}

func TestFloatsKeepTheirBits(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 0.001, 0.5, 1, 0.123, 1.0 / 3, -0.25, 1e300,
		math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, 4294967.295} {
		st := &risk.State{Risk: f}
		got, err := Unpack(Append(nil, st, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(got.Risk) != math.Float64bits(f) {
			t.Errorf("%v unpacked as %v", f, got.Risk)
		}
	}
}

// Accounts live long, and the spare capacity of their slices would be
// kept for good.
func TestUnpackedSlicesAreExactlySized(t *testing.T) {
	var check func(v reflect.Value, path string)
	check = func(v reflect.Value, path string) {
		switch {
		case v.Type() == timeType:
		case v.Kind() == reflect.Slice:
			if v.Len() != v.Cap() || v.Len() == 0 && !v.IsNil() {
				t.Errorf("%s: len %d, cap %d, nil %v", path, v.Len(), v.Cap(), v.IsNil())
			}
			for i := range v.Len() {
				check(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				check(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	}
	tab := NewStrings(1 << 10)
	for _, st := range append(testStates(t), filledState(t)) {
		got, err := Unpack(Append(nil, st, tab), tab)
		if err != nil {
			t.Fatal(err)
		}
		check(reflect.ValueOf(got).Elem(), "State "+st.AccountID)
	}
}

func TestSharedStringsAreTheTablesCopy(t *testing.T) {
	tab := NewStrings(1 << 10)
	// Two accounts whose strings were decoded from different events: the
	// same values in different memory.
	state := func() *risk.State {
		c := strings.Clone
		return &risk.State{
			AccountID: c("acct"),
			Agents:    []risk.Seen{{Key: c("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")}},
			Sessions:  []risk.Session{{ID: c("s1"), UserAgent: c("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"), ASN: c("AS4713")}},
			Orders:    []risk.Order{{ID: c("o1"), Currency: c("JPY"), Status: c("placed")}},
			Actions:   []mamori.ActionTaken{{Action: mamori.Action(c("hold_pending_orders"))}},
			Messages:  []risk.Message{{Kind: c("risky_order"), Actions: []mamori.Action{mamori.Action(c("revoke_sessions"))}}},
		}
	}
	a, err := Unpack(Append(nil, state(), tab), tab)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Unpack(Append(nil, state(), tab), tab)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a, b string
	}{
		{"agent key", a.Agents[0].Key, b.Agents[0].Key},
		{"session user agent", a.Sessions[0].UserAgent, b.Sessions[0].UserAgent},
		{"session user agent and agent key", a.Sessions[0].UserAgent, b.Agents[0].Key},
		{"asn", a.Sessions[0].ASN, b.Sessions[0].ASN},
		{"currency", a.Orders[0].Currency, b.Orders[0].Currency},
		{"status", a.Orders[0].Status, b.Orders[0].Status},
		{"action", string(a.Actions[0].Action), string(b.Actions[0].Action)},
		{"message kind", a.Messages[0].Kind, b.Messages[0].Kind},
		{"message action", string(a.Messages[0].Actions[0]), string(b.Messages[0].Actions[0])},
	}
	for _, tt := range tests {
		if tt.a != tt.b || unsafe.StringData(tt.a) != unsafe.StringData(tt.b) {
			t.Errorf("%s: two copies of %q", tt.name, tt.a)
		}
		if i := index(tab, tt.a); i < 0 || unsafe.StringData(tab.List()[i]) != unsafe.StringData(tt.a) {
			t.Errorf("%s: not the table's copy", tt.name)
		}
	}
}

func TestLoadedTableUnpacksOldStates(t *testing.T) {
	old := NewStrings(1 << 10)
	st := filledState(t)
	b := Append(nil, st, old)
	tab := LoadStrings(old.List(), 1<<10)
	if tab.Len() != old.Len() {
		t.Fatalf("loaded %d entries of %d", tab.Len(), old.Len())
	}
	got, err := Unpack(b, tab)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, st, got)
	if ua := got.Sessions[0].UserAgent; unsafe.StringData(ua) != unsafe.StringData(tab.List()[index(tab, ua)]) {
		t.Error("unpacked against a loaded table, a shared string is not the table's copy")
	}
	// It goes on learning after the old entries.
	st.AcceptLanguage = "ja-JP,ja;q=0.9"
	roundTrip(t, st, tab)
	if tab.Len() != old.Len()+1 {
		t.Errorf("the loaded table holds %d entries, want %d", tab.Len(), old.Len()+1)
	}
}

func TestStringsListIsACopy(t *testing.T) {
	tab := NewStrings(4)
	Append(nil, &risk.State{AcceptLanguage: "en"}, tab)
	list := tab.List()
	list[1] = "changed"
	if got := tab.List(); got[1] != "en" || len(got) != 2 || got[0] != "" {
		t.Errorf("table lists %q", got)
	}
	if l := LoadStrings(nil, 4); l.Len() != 1 {
		t.Errorf("a table loaded from nothing holds %d entries", l.Len())
	}
}

// Accounts are packed and unpacked on every shard at once, against one
// table that is still learning (run with -race).
func TestConcurrentPackersShareATable(t *testing.T) {
	states := testStates(t)
	tab := NewStrings(60) // fills up halfway through
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(states); i += 8 {
				b := Append(nil, states[i], tab)
				got, err := Unpack(b, tab)
				if err != nil {
					t.Error(err)
					return
				}
				if !equalStates(got, states[i]) {
					t.Errorf("account %s changed in a round trip", states[i].AccountID)
					return
				}
			}
		})
	}
	wg.Wait()
	if tab.Len() != 61 {
		t.Errorf("table of limit 60 holds %d entries", tab.Len())
	}
}

func TestPackedSizeOfSimulatedAccounts(t *testing.T) {
	states := testStates(t)
	tab := NewStrings(1 << 16)
	total, biggest := 0, 0
	for _, st := range states {
		n := len(Append(nil, st, tab))
		total += n
		biggest = max(biggest, n)
	}
	avg := float64(total) / float64(len(states))
	// gob, all the states in one stream (its type descriptions once), is
	// what the snapshots held before: the yardstick.
	var gobbed bytes.Buffer
	enc := gob.NewEncoder(&gobbed)
	if err := enc.Encode(&risk.State{}); err != nil {
		t.Fatal(err)
	}
	types := gobbed.Len()
	for _, st := range states {
		if err := enc.Encode(st); err != nil {
			t.Fatal(err)
		}
	}
	gobAvg := float64(gobbed.Len()-types) / float64(len(states))
	t.Logf("%d accounts: %.0f bytes on average, %d at most; %d strings in the table; gob in one stream: %.0f bytes on average",
		len(states), avg, biggest, tab.Len(), gobAvg)
	if avg >= gobAvg {
		t.Errorf("packed states take %.0f bytes on average, gob %.0f", avg, gobAvg)
	}
	if avg > 1400 {
		t.Errorf("%.0f bytes per account on average, want at most 1400", avg)
	}
}

// TestEmailReadsOnlyTheEmail checks Email against Unpack on every kind
// of state, with shared strings in the table and inline, and on states
// whose e-mail is empty or in a zone other than UTC's.
func TestEmailReadsOnlyTheEmail(t *testing.T) {
	jst := time.FixedZone("", 9*3600)
	at := time.Date(2026, 11, 1, 9, 0, 0, 5, jst)
	states := append(fuzzSeeds(t), testStates(t)...)
	states = append(states,
		&risk.State{AccountID: "a", Email: "Hanako@Example.jp", LastTime: at, Created: at.Add(-time.Hour).UTC()},
		&risk.State{Email: "no-id@example.jp"},
		&risk.State{AccountID: "same@example.jp", Email: "same@example.jp"},
	)
	for _, tab := range []*Strings{nil, NewStrings(1 << 10)} {
		for i, st := range states {
			b := Append(nil, st, tab)
			got, err := Email(b)
			if err != nil || string(got) != st.Email {
				t.Errorf("state %d: Email = %q, %v; want %q", i, got, err, st.Email)
			}
			if len(got) > 0 && cap(got) != len(got) {
				t.Errorf("state %d: the e-mail's slice reaches past it (cap %d, len %d)", i, cap(got), len(got))
			}
			for _, cut := range []int{0, 1, len(b) / 2, len(b) - 1} {
				if _, err := Email(b[:cut]); err == nil && cut < 2 {
					t.Errorf("state %d cut to %d bytes: no error", i, cut)
				}
			}
		}
	}
}
