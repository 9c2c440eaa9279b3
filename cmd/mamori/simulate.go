package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/eval"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/memlog"
	"github.com/mamori-dev/mamori/sim"
)

// worldFlags are the flags that say which world to play and against what.
type worldFlags struct {
	accounts, historyDays, days int
	url, apiKey, prefix         string
}

func (f *worldFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.accounts, "accounts", sim.DefaultAccounts, "customer accounts in the world")
	fs.IntVar(&f.historyDays, "history-days", sim.DefaultHistoryDays, "days of honest history recorded before the scored days")
	fs.IntVar(&f.days, "days", sim.DefaultDays, "days played with a decision at every step")
	fs.StringVar(&f.url, "url", "", "play against the mamori server at this URL instead of an in-process engine")
	fs.StringVar(&f.apiKey, "api-key", envOr("MAMORI_API_KEY", ""), "the server's API key (with --url)")
	fs.StringVar(&f.prefix, "prefix", "", "put this in front of every id (default with --url: s<seed>-, so that worlds do not mix on one server)")
}

func (f *worldFlags) config(seed uint64) sim.Config {
	hist := f.historyDays
	if hist == 0 {
		hist = -1 // no history at all
	}
	return sim.Config{Seed: seed, Accounts: f.accounts, HistoryDays: hist, Days: f.days, Prefix: f.prefixFor(seed)}
}

func (f *worldFlags) prefixFor(seed uint64) string {
	if f.prefix == "" && f.url != "" {
		return fmt.Sprintf("s%d-", seed)
	}
	return f.prefix
}

// service opens what a play runs against: a fresh in-process engine with
// its log in memory, or a client of the server at --url.
func (f *worldFlags) service() eval.Service {
	if f.url != "" {
		client := &mhttp.Client{BaseURL: f.url, APIKey: f.apiKey}
		return func(context.Context) (mamori.RiskService, func() error, error) {
			return client, func() error { return nil }, nil
		}
	}
	nets := sync.OnceValues(enrich.LoadNetworks)
	return func(ctx context.Context) (mamori.RiskService, func() error, error) {
		n, err := nets()
		if err != nil {
			return nil, nil, fmt.Errorf("load network data: %w", err)
		}
		// One shard: the play sends one event at a time anyway, and the
		// history batches are then applied in the order given, so that the
		// same seed gives the same decisions.
		e, err := engine.Open(ctx, memlog.New(false), "", engine.Options{Shards: 1, Networks: n, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return nil, nil, err
		}
		return e, e.Close, nil
	}
}

func (f *worldFlags) check() error {
	switch {
	case f.accounts < 1:
		return fmt.Errorf("--accounts must be at least 1")
	case f.days < 1:
		return fmt.Errorf("--days must be at least 1")
	case f.historyDays < 0:
		return fmt.Errorf("--history-days must not be negative")
	}
	return nil
}

// simulateCommand plays one world and prints a short summary.
func simulateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", stderr)
	var wf worldFlags
	wf.register(fs)
	seed := fs.Uint64("seed", 1, "the world's seed: the same seed plays the same world")
	out := fs.String("out", "", "write every event with its decision and ground truth to this JSON Lines file")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if err := wf.check(); err != nil {
		fmt.Fprintln(stderr, "mamori simulate:", err)
		return exitCode(2)
	}
	var opts sim.Options
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w := bufio.NewWriterSize(f, 1<<20)
		defer w.Flush()
		opts.Out = w
	}
	svc, release, err := wf.service()(ctx)
	if err != nil {
		return err
	}
	res, err := sim.Play(ctx, svc, wf.config(*seed), opts)
	if cerr := release(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Summary())
	rep := eval.Evaluate(res)
	fmt.Fprintf(stdout, "attacks: ¥%s lost of ¥%s attempted (%.1f%%), %.1f%% of %d victims lost no gift card\n",
		thousands(rep.Attacks.Lost), thousands(rep.Attacks.Attempted), 100*rep.Attacks.LossShare(),
		100*rep.Attacks.NoGiftCardLoss, rep.Attacks.Victims)
	fmt.Fprintf(stdout, "honest customers: %.2f%% of sign-ins challenged, %.2f%% of orders held, %.1f%% of gift-card buyers held, %d accounts locked\n",
		rep.Legit.ChallengedPct(), rep.Legit.HeldPct(), rep.Legit.GiftHeldPct(), rep.Legit.Locked)
	if *out != "" {
		fmt.Fprintln(stdout, "events written to", *out)
	}
	return nil
}

func thousands(v int64) string {
	s := fmt.Sprint(v)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
