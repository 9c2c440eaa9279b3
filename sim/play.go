package sim

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/mamori-dev/mamori"
)

// Options of a play.
type Options struct {
	// Out receives every event as JSON Lines: {"phase", "event",
	// "decision" (scored days only), "truth"}. nil writes nothing.
	Out io.Writer
}

// Result is what happened in a play: every decided event with the truth
// behind it, the store's ledger of orders, and the locks.
type Result struct {
	Config  Config
	World   *World
	History int      // events recorded in the history days
	Records []Record // events of the scored days, in the order sent
	Orders  []*Order // every order, in the order placed
	Locks   []Lock
	Elapsed time.Duration // wall-clock time of the play
}

// Play builds the world of cfg and plays it against svc: the history days
// recorded in time-ordered batches (Record), the scored days decided event
// by event (Decide) with the store obeying every decision. All accounts'
// events interleave in event time; one account's are strictly in order.
// The same cfg against the same deterministic service gives the same
// result.
func Play(ctx context.Context, svc mamori.RiskService, cfg Config, opts Options) (*Result, error) {
	start := time.Now()
	w, err := NewWorld(cfg)
	if err != nil {
		return nil, err
	}
	cfg = w.Config
	s := &scheduler{now: cfg.Start, ctx: ctx}
	st := newStore(ctx, svc, s, cfg, opts.Out)
	st.nets = w.nets
	for i, c := range w.Customers {
		st.open(c)
		for j, p := range c.People {
			first := j == 0
			s.spawn(cfg.Start, seedFor(cfg.Seed, 1, i*4+j), func(a *actor) { w.runShopper(st, a, c, p, first) })
		}
	}
	for _, atk := range w.Attacks {
		s.spawn(cfg.Start, rand.New(rand.NewPCG(atk.seed, 0x61747461636b)), func(a *actor) { w.runAttack(st, a, atk) })
	}
	err = s.run(cfg.End())
	if err == nil {
		err = flushSafely(st)
	}
	if err != nil {
		return nil, err
	}
	victims := make(map[string]bool)
	for _, a := range w.Attacks {
		for _, v := range a.Victims {
			victims[v.ID] = true
		}
	}
	for i := range st.locks {
		st.locks[i].Victim = victims[st.locks[i].Account]
	}
	return &Result{
		Config: cfg, World: w, History: st.history, Records: st.records, Orders: st.orders, Locks: st.locks,
		Elapsed: time.Since(start),
	}, nil
}

func flushSafely(st *store) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	st.flush()
	return nil
}

// Summary is a few lines on what was played.
func (r *Result) Summary() string {
	decided, fraud, nonAllow := 0, 0, 0
	for i := range r.Records {
		rec := &r.Records[i]
		decided++
		if rec.Truth.Fraud {
			fraud++
		}
		if rec.Decision != mamori.Allow {
			nonAllow++
		}
	}
	victims, attempted, lost := 0, int64(0), int64(0)
	for _, a := range r.World.Attacks {
		victims += len(a.Victims)
	}
	for _, o := range r.Orders {
		if o.Truth.Fraud && o.Truth.Source == SourceAttacker {
			attempted += o.Amount
			lost += o.Lost()
		}
	}
	days := max(r.Config.HistoryDays, 0) + r.Config.Days
	total := r.History + decided
	rate := float64(total) / max(r.Elapsed.Seconds(), 1e-9)
	return fmt.Sprintf(
		"world %d (seed %d): %d accounts, %d attacks on %d victims (%.1f%%), %s to %s\n"+
			"events: %d history (recorded), %d scored (decided; %d of attacks, %d not allowed); %d orders\n"+
			"attackers tried ¥%s, got ¥%s; %d account locks\n"+
			"played %d days in %s (%.0f events/s)",
		r.Config.Seed, r.Config.Seed, len(r.World.Customers), len(r.World.Attacks), victims,
		100*float64(victims)/float64(max(1, len(r.World.Customers))),
		r.Config.Start.Format("2006-01-02"), r.Config.End().Format("2006-01-02"),
		r.History, decided, fraud, nonAllow, len(r.Orders),
		yen(attempted), yen(lost), len(r.Locks),
		days, r.Elapsed.Round(time.Millisecond), rate)
}

func itoa(n int) string { return strconv.Itoa(n) }
