package engine

import (
	"fmt"
	"testing"
	"time"
)

func TestTheCrowdSweepsStaleKeysAsItGrows(t *testing.T) {
	c := newCrowd()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Keys first seen long ago, then enough new ones to make a sweep run:
	// the old ones go, the new ones stay, and nothing breaks on the way.
	for i := range maxKeys + 10 {
		at := start
		if i >= 100 {
			at = start.Add(60 * 24 * time.Hour)
		}
		c.c.Now = at
		c.add(c.c.Recipients, fmt.Sprintf("r%d@example.com", i), "acct", at)
	}
	if _, ok := c.c.Recipients["r0@example.com"]; ok {
		t.Fatal("a key stale for longer than any window survived the sweep")
	}
	if _, ok := c.c.Recipients[fmt.Sprintf("r%d@example.com", maxKeys+9)]; !ok {
		t.Fatal("a fresh key was swept")
	}
}

// TestAKeyKeepsTheAccountsThatUsedIt: for recipients and devices only
// how many accounts used a key counts, so the owner's daily sign-ins
// must neither grow the key nor push out the other accounts that used it.
func TestAKeyKeepsTheAccountsThatUsedIt(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	type use struct {
		who string
		at  time.Duration // after start
	}
	owner := func(n int) []use {
		var u []use
		for i := range n {
			u = append(u, use{"owner", time.Duration(i) * time.Hour})
		}
		return u
	}
	tests := []struct {
		name    string
		uses    []use
		since   time.Duration
		entries int // kept for the key
		others  int // accounts other than the owner since since
	}{
		{"the owner alone, daily", owner(60), 0, 1, 0},
		{"a stranger before the owner's many sign-ins", append([]use{{"stranger", 0}}, owner(3*maxRecent)...), 0, 2, 1},
		{"a stranger outside the window", append([]use{{"stranger", 0}}, owner(3)...), day, 2, 0},
		{"a late sighting older than the one kept", []use{{"stranger", 2 * time.Hour}, {"stranger", time.Hour}}, 90 * time.Minute, 1, 1},
		{"more accounts than a key keeps", func() []use {
			var u []use
			for i := range maxRecent + 5 {
				u = append(u, use{fmt.Sprintf("acct-%d", i), time.Duration(i) * time.Minute})
			}
			return u
		}(), 0, maxRecent, maxRecent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCrowd()
			for _, u := range tt.uses {
				c.addLatest(c.c.Devices, "device-1", u.who, start.Add(u.at))
			}
			r := c.c.Devices["device-1"]
			if len(r) != tt.entries {
				t.Errorf("the key keeps %d entries, want %d", len(r), tt.entries)
			}
			if _, others := r.count(start.Add(tt.since), "owner"); others != tt.others {
				t.Errorf("%d other accounts counted, want %d", others, tt.others)
			}
		})
	}
}
