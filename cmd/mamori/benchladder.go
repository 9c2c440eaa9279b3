package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The ladder paces each server at a series of fractions of its own
// maximum rate and finds the highest rate at which its p99 stays within
// the target: the throughput a latency target leaves, for mamori and for
// the servers beneath it, measured in one run. The paced loop's single
// fraction says whether the target holds there; the ladder says where it
// stops holding, and whether mamori stops before its floors do.

// maxRungs bounds the ladder: each rung's ids take one of sixteen values
// of the nonce's top hex digit (ladderIDs).
const maxRungs = 16

// parseLadder reads --ladder: fractions of a maximum rate, comma
// separated, each above 0 and at most 1; they are returned ascending.
// The empty string is no ladder.
func parseLadder(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > 1 {
			return nil, fmt.Errorf("--ladder %s: %q is not a fraction above 0 and at most 1", s, f)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxRungs {
		return nil, fmt.Errorf("--ladder %s: at most %d fractions", s, maxRungs)
	}
	return out, nil
}

// ladderServer is a server the ladder paces.
type ladderServer struct {
	name string
	to   *target
	max  float64 // its closed-loop rate in this run, requests per second
	run  byte    // the letter of its loads' ids, its own among the bench's
}

type ladderSpec struct {
	fractions []float64 // ascending
	clients   int
	duration  time.Duration
	max       int
	nonce     uint32
	target    time.Duration // the p99 target
}

// rung is what one server gave at one fraction of its maximum rate.
type rung struct {
	rps    float64
	p99    time.Duration
	errors int
}

func (r rung) held(target time.Duration) bool { return r.errors == 0 && r.p99 <= target }

// ladderIDs gives each rung of a server its own ids: the rung's number
// goes in the top hex digit of the nonce.
func ladderIDs(run byte, nonce uint32, i int) ids {
	return ids{run: run, nonce: (nonce & 0xffff) | uint32(i)<<16}
}

// runLadder paces every server at every fraction of spec, servers
// alternating at each rung so that a change in the machine's speed
// weighs on all of them alike, and prints a table of the p99s and where
// each server's held.
func runLadder(ctx context.Context, w *workload, servers []ladderServer, spec ladderSpec, stdout io.Writer) error {
	rungs := make([][]rung, len(servers)) // rungs[s][i]: server s at fraction i
	for s := range servers {
		rungs[s] = make([]rung, len(spec.fractions))
	}
	for i, f := range spec.fractions {
		for s, srv := range servers {
			res, err := runPaced(ctx, srv.to, w, pacedSpec{clients: spec.clients, rate: f * srv.max, duration: spec.duration,
				max: spec.max, run: ladderIDs(srv.run, spec.nonce, i)})
			if err != nil {
				return fmt.Errorf("ladder, %s at %.2f of its maximum: %w", srv.name, f, err)
			}
			rungs[s][i] = rung{rps: res.rps, p99: res.pct(0.99), errors: res.errors}
		}
	}
	printLadder(stdout, servers, spec, rungs)
	return nil
}

// heldUpTo is the last rung of the run of rungs, from the lowest, whose
// p99 held: -1 if the lowest did not. A rung that held above one that
// did not is left out, as the machine's luck rather than the server's
// capacity.
func heldUpTo(rs []rung, target time.Duration) int {
	last := -1
	for i, r := range rs {
		if !r.held(target) {
			break
		}
		last = i
	}
	return last
}

func printLadder(out io.Writer, servers []ladderServer, spec ladderSpec, rungs [][]rung) {
	fmt.Fprintf(out, "p99 by rate: each server paced at fractions of its own maximum rate (%d clients, open loop, %s a rung, servers alternating at each)\n",
		spec.clients, spec.duration)
	var b strings.Builder
	fmt.Fprintf(&b, "  %-8s", "fraction")
	for _, s := range servers {
		fmt.Fprintf(&b, "  %-26s", s.name)
	}
	fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	for i, f := range spec.fractions {
		b.Reset()
		fmt.Fprintf(&b, "  %-8.2f", f)
		for s := range servers {
			r := rungs[s][i]
			cell := fmt.Sprintf("%.3f ms at %.0f/s", ms(r.p99), r.rps)
			if r.errors > 0 {
				cell += fmt.Sprintf(", %d errors", r.errors)
			}
			fmt.Fprintf(&b, "  %-26s", cell)
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
	line := fmt.Sprintf("LADDER p99_target_ms=%g", ms(spec.target))
	var parts []string
	var heldRPS []float64
	for s, srv := range servers {
		key := strings.Fields(srv.name)[0]
		f, rps := 0.0, 0.0
		if i := heldUpTo(rungs[s], spec.target); i >= 0 {
			f, rps = spec.fractions[i], rungs[s][i].rps
			parts = append(parts, fmt.Sprintf("%s up to %.2f of its maximum (%.0f req/s)", srv.name, f, rps))
		} else {
			parts = append(parts, fmt.Sprintf("%s at none of these rates", srv.name))
		}
		heldRPS = append(heldRPS, rps)
		line += fmt.Sprintf(" %s_fraction=%.2f %s_rps=%.0f", key, f, key, rps)
	}
	// mamori's rate within the target against the durable floor's: the
	// throughput ratio, under a latency target instead of none.
	for s, srv := range servers {
		if s > 0 && srv.run == ladderDurable && heldRPS[s] > 0 {
			line += fmt.Sprintf(" rps_of_durable=%.3f", heldRPS[0]/heldRPS[s])
		}
	}
	fmt.Fprintf(out, "  p99 ≤ %g ms held, from the lowest rate up: %s\n", ms(spec.target), strings.Join(parts, "; "))
	fmt.Fprintln(out, line)
}

// The ladder's id letters, apart from every other load's.
const (
	ladderMamori  = 'K'
	ladderDurable = 'L'
	ladderBare    = 'N'
)
