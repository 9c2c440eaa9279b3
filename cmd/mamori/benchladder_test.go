package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseLadder(t *testing.T) {
	tests := []struct {
		in      string
		want    []float64
		wantErr bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"0.3,0.1, 0.2", []float64{0.1, 0.2, 0.3}, false},
		{"0.5,0.5,1", []float64{0.5, 1}, false},
		{"0", nil, true},
		{"-0.1", nil, true},
		{"1.01", nil, true},
		{"NaN", nil, true},
		{"0.1,,0.2", nil, true},
		{"a tenth", nil, true},
		{"0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08,0.09,0.1,0.11,0.12,0.13,0.14,0.15,0.16", []float64{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16}, false},
		{"0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08,0.09,0.1,0.11,0.12,0.13,0.14,0.15,0.16,0.17", nil, true},
	}
	for _, tt := range tests {
		got, err := parseLadder(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseLadder(%q) error %v, want error %t", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseLadder(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHeldUpTo(t *testing.T) {
	const target = 5 * time.Millisecond
	ok, slow, failed := rung{p99: 4 * time.Millisecond}, rung{p99: 9 * time.Millisecond}, rung{p99: time.Millisecond, errors: 1}
	tests := []struct {
		name string
		rs   []rung
		want int
	}{
		{"every rung held", []rung{ok, ok, ok}, 2},
		{"the target itself holds", []rung{{p99: target}}, 0},
		{"held up to the second", []rung{ok, ok, slow, slow}, 1},
		{"the lowest did not hold", []rung{slow, ok, ok}, -1},
		{"a rung that held above one that did not is luck", []rung{ok, slow, ok}, 0},
		{"errors do not hold, however fast", []rung{ok, failed, ok}, 0},
		{"no rungs", nil, -1},
	}
	for _, tt := range tests {
		if got := heldUpTo(tt.rs, target); got != tt.want {
			t.Errorf("%s: heldUpTo = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestLadderIDsAreApart checks that every rung of every server of the
// ladder sends ids no other load of the bench sends: mamori would take a
// repeated id for a retry and answer it from its log.
func TestLadderIDsAreApart(t *testing.T) {
	const nonce = 0xfabcd
	seen := map[string]string{}
	add := func(what string, x ids) {
		p := string(x.prefix(3))
		if len(p) != len(idSlot) {
			t.Fatalf("%s: prefix %q is not as long as the slot it fills", what, p)
		}
		if was, ok := seen[p]; ok {
			t.Errorf("%s and %s share the prefix %q", what, was, p)
		}
		seen[p] = what
	}
	for _, run := range "mbfpqdoe" {
		add("load "+string(run), ids{run: byte(run), nonce: nonce})
	}
	for _, run := range []byte{ladderMamori, ladderDurable, ladderBare} {
		for i := range maxRungs {
			add("ladder "+string(run)+" rung "+string(rune('a'+i)), ladderIDs(run, nonce, i))
		}
	}
}

// TestBenchLadder runs the ladder with the servers in the bench's
// process and in processes of their own, whose command lines then carry
// the ladder's flags (the durable floor sizes its zeros by them).
func TestBenchLadder(t *testing.T) {
	ladderLine := regexp.MustCompile(`(?m)^LADDER p99_target_ms=5 mamori_fraction=[0-9.]+ mamori_rps=[0-9]+ durable_fraction=[0-9.]+ durable_rps=[0-9]+ bare_fraction=[0-9.]+ bare_rps=[0-9]+( rps_of_durable=[0-9]+\.[0-9]{3})?$`)
	row := regexp.MustCompile(`(?m)^  (0\.[0-9]{2}) +([0-9.]+ ms at [0-9]+/s +){2}[0-9.]+ ms at [0-9]+/s$`)
	for _, inProcess := range []bool{true, false} {
		args := []string{"bench", "--duration", "300ms", "--clients", "3", "--paced-clients", "5",
			"--world-accounts", "25", "--seed", "2", "--ladder", "0.4,0.2", "--ladder-duration", "200ms"}
		if inProcess {
			args = append(args, "--in-process")
		}
		stdout, stderr, _ := runBench(t, args, inProcess)
		out := stdout.String()
		rows := row.FindAllStringSubmatch(out, -1)
		if len(rows) != 2 || rows[0][1] != "0.20" || rows[1][1] != "0.40" {
			t.Errorf("in process %t: want a row for each fraction, ascending:\n%s", inProcess, out)
		}
		m := ladderLine.FindString(out)
		if m == "" {
			t.Fatalf("in process %t: no LADDER line:\n%s", inProcess, out)
		}
		// Every fraction in the line is a rung's, or 0 where none held.
		for _, f := range strings.Fields(m)[2:] {
			k, v, _ := strings.Cut(f, "=")
			if strings.HasSuffix(k, "_fraction") && v != "0.00" && v != "0.20" && v != "0.40" {
				t.Errorf("in process %t: %s is none of the ladder's fractions:\n%s", inProcess, f, out)
			}
		}
		if !strings.Contains(out, "p99 ≤ 5 ms held, from the lowest rate up: mamori ") {
			t.Errorf("in process %t: no sentence of where each held:\n%s", inProcess, out)
		}
		// The ladder comes before the paced loop: PACED and BENCH stay last.
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], "PACED ") || !strings.HasPrefix(lines[len(lines)-1], "BENCH ") {
			t.Errorf("in process %t: want PACED, then BENCH, last:\n%s", inProcess, out)
		}
		if strings.Contains(stderr.String(), "mamori bench:") {
			t.Errorf("in process %t: a server did not stop cleanly:\n%s", inProcess, stderr.String())
		}
	}
}

func TestBenchRefusesABadLadder(t *testing.T) {
	for _, args := range [][]string{
		{"--ladder", "0.2,2"},
		{"--ladder", "0.2", "--ladder-duration", "0s"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"bench"}, args...), io.Discard, &stderr)
		var code exitCode
		if !errors.As(err, &code) || code != 2 || !strings.Contains(stderr.String(), "--ladder") {
			t.Errorf("bench %v: %v, %q; want exit code 2 naming the flag", args, err, stderr.String())
		}
	}
}
