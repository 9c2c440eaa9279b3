package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mamori-dev/mamori/console"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/seclink"
	"github.com/mamori-dev/mamori/securitycenter"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/mamori-dev/mamori/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// serverConfig is what running mamori needs.
type serverConfig struct {
	Addr     string
	Data     string
	APIKey   string
	Insecure bool
	Logger   *slog.Logger
	// Playbooks is a file overriding the built-in playbook ("": none).
	Playbooks string
	// LinkKey signs the security center's links ("": derived from
	// APIKey, or DATA/link.key without one); BaseURL is mamori as
	// customers reach it ("": the host the store called).
	LinkKey string
	BaseURL string
	// ActiveAccounts is how many accounts the engine keeps decoded (0:
	// its default); the others are kept packed until their next event.
	ActiveAccounts int
	// CommitInterval is sqlite.Options.CommitInterval: the least time
	// from the start of a shared group commit to the next (0: none).
	CommitInterval time.Duration
}

// listeningPrefix starts the line a server prints on its stdout once it
// serves, followed by its URL: mamori serve's, and the bench's baselines'
// (--serve-baseline), which the bench waits for (startBenchServer).
const listeningPrefix = "mamori listening on "

// defaultCommitInterval spaces the group commits of mamori serve: see
// datasync.Pacer, and BENCHMARKS.md for how it was chosen.
const defaultCommitInterval = 500 * time.Microsecond

const commitIntervalUsage = "least time from the start of a group commit that several events shared to the start of the next (0: none): the events that arrive meanwhile share the next commit's sync, paid once however many events it carries; an event waits at most this long for it"

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfg := serverConfig{}
	fs.StringVar(&cfg.Addr, "addr", envOr("MAMORI_ADDR", "127.0.0.1:8080"), "address to listen on (MAMORI_ADDR)")
	fs.StringVar(&cfg.Data, "data", envOr("MAMORI_DATA", "./mamori-data"), "data directory, created if missing (MAMORI_DATA)")
	fs.StringVar(&cfg.APIKey, "api-key", envOr("MAMORI_API_KEY", ""), "API key stores send as 'Authorization: Bearer KEY' (MAMORI_API_KEY)")
	fs.BoolVar(&cfg.Insecure, "insecure-dev", false, "accept requests without an API key (local development only)")
	fs.StringVar(&cfg.Playbooks, "playbooks", envOr("MAMORI_PLAYBOOKS", ""), "JSON file overriding the built-in playbook: which actions go with which situation (MAMORI_PLAYBOOKS)")
	fs.StringVar(&cfg.LinkKey, "link-key", envOr("MAMORI_LINK_KEY", ""), "key signing links to the security center /me (MAMORI_LINK_KEY; default: derived from the API key)")
	fs.StringVar(&cfg.BaseURL, "base-url", envOr("MAMORI_BASE_URL", ""), "mamori as customers reach it, for security-center links (MAMORI_BASE_URL; default: the host the store called)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	every := defaultCommitInterval
	if v := os.Getenv("MAMORI_COMMIT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(stderr, "mamori: MAMORI_COMMIT_INTERVAL:", err)
			return exitCode(2)
		}
		every = d
	}
	fs.DurationVar(&cfg.CommitInterval, "commit-interval", every, commitIntervalUsage+" (MAMORI_COMMIT_INTERVAL)")
	fs.IntVar(&cfg.ActiveAccounts, "active-accounts", 0, "accounts kept decoded in memory, the others packed until their next event (0: 65,536): more costs memory, fewer costs an unpacking of a few microseconds at more events")
	var limit memoryLimit
	if err := limit.Set(os.Getenv("MAMORI_MEMORY_LIMIT")); err != nil {
		fmt.Fprintln(stderr, "mamori: MAMORI_MEMORY_LIMIT:", err)
		return exitCode(2)
	}
	fs.Var(&limit, "memory-limit", "collect garbage only as mamori's memory nears this size, such as 4GiB (MAMORI_MEMORY_LIMIT; default: each time the heap doubles): fewer collections, each of which slows answers under load; leave room over the live state")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if cfg.CommitInterval < 0 {
		fmt.Fprintln(stderr, "mamori: --commit-interval must not be negative")
		return exitCode(2)
	}
	if cfg.APIKey == "" && !cfg.Insecure {
		fmt.Fprintln(stderr, "mamori: refusing to start without an API key: pass --api-key KEY or set MAMORI_API_KEY (or --insecure-dev for local development)")
		return exitCode(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "mamori: --log-level:", err)
		return exitCode(2)
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if cfg.Insecure && cfg.APIKey == "" {
		cfg.Logger.Warn("running without an API key (--insecure-dev): every request is accepted")
	}
	defer limit.apply()()
	if limit.bytes > 0 {
		cfg.Logger.Info("garbage collection waits for the memory limit", "limit", limit.String())
		go limit.watch(ctx, cfg.Logger, 10*time.Second)
	}
	return runServer(ctx, cfg, func(addr string) {
		fmt.Fprintf(stdout, "%shttp://%s (data in %s)\n", listeningPrefix, addr, cfg.Data)
	})
}

// runServer runs mamori until ctx ends, then stops taking requests,
// lets those in flight finish, flushes the store and returns.
func runServer(ctx context.Context, cfg serverConfig, ready func(addr string)) error {
	log := cfg.Logger
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.Data, err)
	}
	unlock, err := lockDir(cfg.Data)
	if err != nil {
		return err
	}
	defer unlock()

	reg := prometheus.NewRegistry()
	// The scheduler's metrics add how long goroutines were runnable
	// before they ran (go_sched_latencies_seconds): under load, the wait
	// for a free P that no handler's own timing shows.
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	commitSize := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "mamori_commit_events", Help: "Events per group commit (one fsync each).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 13),
	})
	commitTime := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "mamori_commit_duration_seconds", Help: "Time to write and sync one group commit.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
	})
	indexTime := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "mamori_index_duration_seconds", Help: "Time to index committed events, one batch for one or more commits.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	reg.MustRegister(commitSize, commitTime, indexTime)

	start := time.Now()
	committed := make(chan struct{}, 1) // wakes the webhook dispatcher
	store, err := sqlite.Open(ctx, cfg.Data, sqlite.Options{Logger: log, CommitInterval: cfg.CommitInterval, OnCommit: func(n int, took time.Duration) {
		commitSize.Observe(float64(n))
		commitTime.Observe(took.Seconds())
	}, OnIndexed: func(_ int, took time.Duration) {
		indexTime.Observe(took.Seconds())
		select {
		case committed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		return err
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mamori_index_lag_commits", Help: "Acknowledged group commits not yet indexed (they are in the journal).",
	}, func() float64 { return float64(store.IndexLag()) }))
	nets, err := enrich.LoadNetworks()
	if err != nil {
		store.Close()
		return fmt.Errorf("load network data: %w", err)
	}
	playbook := risk.DefaultPlaybook()
	if cfg.Playbooks != "" {
		raw, err := os.ReadFile(cfg.Playbooks)
		if err == nil {
			playbook, err = risk.ParsePlaybook(raw)
		}
		if err != nil {
			store.Close()
			return fmt.Errorf("playbooks %s: %w", cfg.Playbooks, err)
		}
		log.Info("playbook loaded", "file", cfg.Playbooks, "version", playbook.Version)
	}
	eng, err := engine.Open(ctx, store, cfg.Data, engine.Options{Logger: log, Networks: nets, Playbook: playbook, ActiveAccounts: cfg.ActiveAccounts})
	if err != nil {
		store.Close()
		return err
	}
	log.Info("store open", "data", cfg.Data, "took", time.Since(start).Round(time.Millisecond))
	hooks := webhook.New(store.Webhooks(), webhook.Options{Logger: log, Committed: committed})
	if err := hooks.Start(); err != nil {
		eng.Close()
		return fmt.Errorf("start webhooks: %w", err)
	}

	linkKey, err := resolveLinkKey(cfg.LinkKey, cfg.APIKey, cfg.Data, true)
	var signer *seclink.Signer
	if err == nil {
		signer, err = seclink.NewSigner(linkKey)
	}
	if err != nil {
		hooks.Close()
		eng.Close()
		return fmt.Errorf("security center links: %w", err)
	}
	api := mhttp.New(mhttp.Config{
		Service: eng, Cases: eng, Labels: eng, APIKey: cfg.APIKey, Insecure: cfg.Insecure,
		Healthy: eng.Err, Registry: reg, Logger: log, OpenAPI: mhttp.OpenAPI, Webhooks: hooks,
		Messages: eng,
		Networks: nets,
		Links:    &seclink.Issuer{Signer: signer, BaseURL: cfg.BaseURL},
	})
	con, err := console.New(console.Config{Store: store.Users(), Cases: eng, Review: eng, Risk: eng, Networks: nets, Logger: log})
	if err != nil {
		hooks.Close()
		eng.Close()
		return err
	}
	me, err := securitycenter.New(securitycenter.Config{Links: signer, Accounts: eng, Security: eng, Messages: eng,
		Networks: nets, Logger: log})
	if err != nil {
		hooks.Close()
		eng.Close()
		return err
	}
	root := http.NewServeMux()
	root.Handle(console.Prefix, con)
	root.Handle(securitycenter.Path, me)
	root.Handle(securitycenter.Prefix, me)
	root.Handle("/", api)
	srv := &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		hooks.Close()
		eng.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		hooks.Close()
		eng.Close()
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutErr := srv.Shutdown(shutCtx)
	hooks.Close()
	if err := eng.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	if shutErr != nil && !errors.Is(shutErr, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", shutErr)
	}
	log.Info("stopped cleanly")
	return nil
}

// lockDir makes sure only one mamori uses a data directory at a time.
func lockDir(dir string) (func(), error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another mamori: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
