package main

import (
	"runtime/debug"
	"testing"
)

func TestMemoryLimitFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"4GiB", 4 << 30, false},
		{"512MiB", 512 << 20, false},
		{"2GB", 2_000_000_000, false},
		{"256MiB", 256 << 20, false},
		{"255MiB", 0, true}, // below the smallest limit
		{"1KiB", 0, true},
		{"lots", 0, true},
		{"-1GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m memoryLimit
			err := m.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v, want an error: %t", tt.in, err, tt.wantErr)
			}
			if err == nil && m.bytes != tt.want {
				t.Errorf("Set(%q): %d bytes, want %d", tt.in, m.bytes, tt.want)
			}
		})
	}
}

// TestMemoryLimitApplies checks that a limit turns the heap-doubling
// trigger off and sets the runtime's limit, and that restoring puts both
// back; without a limit nothing changes.
func TestMemoryLimitApplies(t *testing.T) {
	limit0 := debug.SetMemoryLimit(-1)
	percent0 := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent0)

	memoryLimit{}.apply()()
	if got := debug.SetMemoryLimit(-1); got != limit0 {
		t.Errorf("no limit changed the runtime's limit to %d", got)
	}

	restore := memoryLimit{bytes: 3 << 30}.apply()
	gotLimit := debug.SetMemoryLimit(-1)
	gotPercent := debug.SetGCPercent(-1) // reading it turns it off, as it already is
	restore()
	if gotLimit != 3<<30 || gotPercent != -1 {
		t.Errorf("with a 3 GiB limit: runtime limit %d, GC percent %d; want %d and -1 (off)", gotLimit, gotPercent, int64(3<<30))
	}
	if got := debug.SetMemoryLimit(-1); got != limit0 {
		t.Errorf("restored limit %d, want %d", got, limit0)
	}
	if got := debug.SetGCPercent(percent0); got != percent0 {
		t.Errorf("restored GC percent %d, want %d", got, percent0)
	}
}
