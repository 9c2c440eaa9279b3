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
