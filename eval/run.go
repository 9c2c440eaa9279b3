package eval

import (
	"context"
	"fmt"
	"io"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sim"
)

// Service opens the risk service one play runs against and returns it
// with a function that releases it: a fresh in-process engine per play,
// or a client of one server for all.
type Service func(ctx context.Context) (mamori.RiskService, func() error, error)

// Options of Run.
type Options struct {
	// Config is the world to play; its Seed is replaced by each of Seeds.
	Config sim.Config
	Seeds  []uint64
	// Prefix, if set, makes each world's ids unique on a shared server:
	// it is called with the seed and its result becomes Config.Prefix.
	Prefix  func(seed uint64) string
	Service Service
	// Log receives a line as each play starts and ends; nil: none.
	Log io.Writer
	// NoSeedStory skips the seed story.
	NoSeedStory bool
}

// Run plays the seed story once, then one world per seed, each against a
// service from opts.Service, and evaluates every play.
func Run(ctx context.Context, opts Options) ([]*Report, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	var story *sim.SeedOutcome
	if !opts.NoSeedStory {
		o, err := playSeedStory(ctx, opts.Service)
		if err != nil {
			return nil, err
		}
		story = &o
		fmt.Fprintf(log, "seed story: %s\n", o.Summary())
	}
	reps := make([]*Report, 0, len(opts.Seeds))
	for _, seed := range opts.Seeds {
		cfg := opts.Config
		cfg.Seed = seed
		if opts.Prefix != nil {
			cfg.Prefix = opts.Prefix(seed)
		}
		res, err := playWorld(ctx, opts.Service, cfg)
		if err != nil {
			return nil, fmt.Errorf("seed %d: %w", seed, err)
		}
		fmt.Fprintf(log, "%s\n", res.Summary())
		rep := Evaluate(res)
		if story != nil {
			rep.AddSeedStory(*story)
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

func playSeedStory(ctx context.Context, open Service) (sim.SeedOutcome, error) {
	svc, release, err := open(ctx)
	if err != nil {
		return sim.SeedOutcome{}, err
	}
	o, err := sim.PlaySeed(ctx, svc, nil)
	if cerr := release(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return o, fmt.Errorf("seed story: %w", err)
	}
	return o, nil
}

func playWorld(ctx context.Context, open Service, cfg sim.Config) (*sim.Result, error) {
	svc, release, err := open(ctx)
	if err != nil {
		return nil, err
	}
	res, err := sim.Play(ctx, svc, cfg, sim.Options{})
	if cerr := release(); err == nil && cerr != nil {
		err = cerr
	}
	return res, err
}
