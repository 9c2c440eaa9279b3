package engine

import (
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// crowd keeps what is seen across accounts, on event time, in bounded
// structures: sign-in failures per address and per /24 over the last
// hour (credential stuffing), how common each network, country and
// browser is among sign-ins (the population of the sign-in model), and
// which accounts used an e-mail recipient or a device id recently.
// Shards read and update it concurrently; one mutex is enough at the
// rates one machine sees, and keeps it simple.
type crowd struct {
	mu sync.Mutex
	c  crowdState
}

// crowdState is the part of the crowd a snapshot holds.
type crowdState struct {
	IPFails     map[string]recent
	PrefixFails map[string]recent
	Recipients  map[string]recent
	Devices     map[string]recent
	ASNs        map[string]float64 // decayed counts of verified sign-ins
	Countries   map[string]float64
	Browsers    map[string]float64
	SignIns     float64
	Now         time.Time // the latest event time seen
	Touched     int
}

const (
	failWindow      = time.Hour
	recipientWindow = 30 * 24 * time.Hour
	maxRecent       = 24      // entries kept per key
	maxKeys         = 200_000 // new keys between sweeps of stale ones
)

// recent holds the latest sightings of one key, oldest first: one slice
// of pairs rather than a slice each of who and when, as one array costs
// less than two, and a key is most often seen once.
type recent []sighting

// sighting is one account (who) seen with a key, and when.
type sighting struct {
	Who  string
	When time.Time
}

func newCrowd() *crowd {
	return &crowd{c: crowdState{
		IPFails: map[string]recent{}, PrefixFails: map[string]recent{},
		Recipients: map[string]recent{}, Devices: map[string]recent{},
		ASNs: map[string]float64{}, Countries: map[string]float64{}, Browsers: map[string]float64{},
	}}
}

// view fills in.Crowd with what other accounts show at the event's time.
func (c *crowd) view(in *risk.Input) {
	ev := in.Event
	self := ev.RouteKey()
	t := ev.Time
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := &in.Crowd
	if ev.Type == mamori.LoginSucceeded {
		cr.IPFailures, cr.IPFailedAccounts = c.c.IPFails[in.IP.String()].count(t.Add(-failWindow), self)
		cr.PrefixFailures, cr.PrefixFailedAccounts = c.c.PrefixFails[in.Prefix].count(t.Add(-failWindow), self)
		if c.c.SignIns > 0 {
			cr.ASNShare = c.c.ASNs[in.ASNKey()] / c.c.SignIns
			cr.CountryShare = c.c.Countries[in.Network.Country] / c.c.SignIns
			cr.BrowserShare = c.c.Browsers[in.BrowserKey()] / c.c.SignIns
		}
	}
	if ev.Type == mamori.OrderPlaced {
		if r := risk.Recipient(&ev.Properties); r != "" {
			_, cr.RecipientAccounts = c.c.Recipients[r].count(t.Add(-recipientWindow), self)
		}
		if d := ev.Context.DeviceID; d != "" {
			_, cr.DeviceAccounts = c.c.Devices[d].count(t.Add(-recipientWindow), self)
		}
	}
}

// observe records the event and its decision; who is the event's route
// key, as the account's state holds it, so that the crowd shares it.
func (c *crowd) observe(in *risk.Input, d *mamori.Decision, who string) {
	ev := in.Event
	t := ev.Time
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.c.Now) {
		c.c.Now = t
	}
	switch ev.Type {
	case mamori.LoginFailed:
		if in.IP.IsValid() {
			c.add(c.c.IPFails, in.IP.String(), who, t)
			c.add(c.c.PrefixFails, in.Prefix, who, t)
		}
	case mamori.LoginSucceeded:
		if d.Decision == mamori.Allow {
			c.countSignIn(in)
		}
	case mamori.ChallengeSucceeded:
		if d.Decision == mamori.Allow {
			c.countSignIn(in)
		}
	case mamori.OrderPlaced:
		if r := risk.Recipient(&ev.Properties); r != "" && d.Decision != mamori.Deny {
			c.addLatest(c.c.Recipients, r, who, t)
		}
	}
	if dev := ev.Context.DeviceID; dev != "" && ev.AccountID != "" &&
		(ev.Type == mamori.LoginSucceeded || ev.Type == mamori.OrderPlaced) {
		c.addLatest(c.c.Devices, dev, who, t)
	}
}

func (c *crowd) countSignIn(in *risk.Input) {
	// Halving every count once the total reaches a million keeps the
	// shares, lets them follow a changing mix and bounds the maps.
	c.c.SignIns++
	if k := in.ASNKey(); k != "" {
		c.c.ASNs[k]++
	}
	if k := in.Network.Country; k != "" {
		c.c.Countries[k]++
	}
	if k := in.BrowserKey(); k != "" {
		c.c.Browsers[k]++
	}
	if c.c.SignIns >= 1_000_000 {
		halve := func(m map[string]float64) {
			for k, v := range m {
				if v < 2 {
					delete(m, k)
				} else {
					m[k] = v / 2
				}
			}
		}
		halve(c.c.ASNs)
		halve(c.c.Countries)
		halve(c.c.Browsers)
		c.c.SignIns /= 2
	}
}

// addLatest is add for keys of which only the accounts that used them
// are counted, not how often (recipients, devices): an account's earlier
// sighting of the key gives way to its new one. So a key keeps up to
// maxRecent accounts, however often its owner uses it, and a device
// signed in with every day costs one entry, not one a day.
func (c *crowd) addLatest(m map[string]recent, key, who string, t time.Time) {
	if key == "" {
		return
	}
	r := m[key]
	for i := range r {
		if r[i].Who == who {
			if t.Before(r[i].When) {
				return
			}
			copy(r[i:], r[i+1:])
			r[len(r)-1] = sighting{Who: who, When: t}
			return
		}
	}
	c.add(m, key, who, t)
}

func (c *crowd) add(m map[string]recent, key, who string, t time.Time) {
	if key == "" {
		return
	}
	r, found := m[key]
	fresh := !found
	switch {
	case len(r) >= maxRecent:
		r = append(r[:0], r[1:]...)
	case len(r) == cap(r):
		// Grown by a quarter, not doubled: most keys stay small, and
		// a doubled array keeps its spare room for good.
		grown := make(recent, len(r), len(r)+1+len(r)/4)
		copy(grown, r)
		r = grown
	}
	m[key] = append(r, sighting{Who: who, When: t})
	// Sweep only once the new key holds its entry: a sweep looks at every
	// key's latest entry.
	if fresh {
		c.c.Touched++
		if c.c.Touched%maxKeys == 0 {
			c.sweep()
		}
	}
}

// whos returns every account the counters name.
func (c *crowd) whos() map[string]struct{} {
	ids := map[string]struct{}{}
	for _, m := range []map[string]recent{c.c.IPFails, c.c.PrefixFails, c.c.Recipients, c.c.Devices} {
		for _, r := range m {
			for _, s := range r {
				ids[s.Who] = struct{}{}
			}
		}
	}
	return ids
}

// shareIDs replaces the accounts the counters name with the copies id
// returns: decoded from a snapshot, each sighting has its own copy of
// the account id, where the account's state has one already.
func (c *crowd) shareIDs(id func(string) string) {
	for _, m := range []map[string]recent{c.c.IPFails, c.c.PrefixFails, c.c.Recipients, c.c.Devices} {
		for _, r := range m {
			for i := range r {
				r[i].Who = id(r[i].Who)
			}
		}
	}
}

// sweep drops keys whose latest entry is older than any window.
func (c *crowd) sweep() {
	for _, m := range []map[string]recent{c.c.IPFails, c.c.PrefixFails, c.c.Recipients, c.c.Devices} {
		for k, r := range m {
			if c.c.Now.Sub(r[len(r)-1].When) > recipientWindow {
				delete(m, k)
			}
		}
	}
}

// count returns how many entries fall at or after since, and how many
// distinct others than self made them.
func (r recent) count(since time.Time, self string) (int, int) {
	n := 0
	var others []string
	for _, s := range r {
		if s.When.Before(since) {
			continue
		}
		n++
		if w := s.Who; w != self && !contains(others, w) {
			others = append(others, w)
		}
	}
	return n, len(others)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
