package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/internal/cputime"
	"github.com/mamori-dev/mamori/sim"
	"github.com/valyala/fasthttp"
)

const benchUsage = `usage: mamori bench [flags]

Replays the events of a seeded simulated world (its customers, attackers
and store, every account's events in time order) as load:

 1. a closed loop at mamori (started on loopback on a fresh store, or
    --url): --clients clients, each sending its own accounts' events and
    waiting for each answer before the next: the maximum rate;
 2. the same requests at a bare net/http handler that decodes and
    validates the same JSON and answers, with no state and no disk;
    1 and 2 alternate in --rounds rounds, each --duration/--rounds long,
    so that both see the machine's speed as it drifts;
 3. an open loop at mamori paced at --paced times the rate measured in
    1, the requests scheduled at fixed intervals and each latency measured
    from its scheduled send time, so that a stall counts against every
    request it delays; mamori's own metrics, read before and after it,
    say how much of that time was spent in the server (from reading a
    request to answering it) and how long the group commits it waited
    for took (write and sync);
 4. the same open loop at the bare handler: the floor under mamori's
    latency at that rate on this machine (bare_p99_ms);
 5. the durable floor: the bare handler with each body written to a
    file, its answer waiting for a write and a sync shared by all the
    bodies waiting (a group commit, fdatasync into zeros written
    beforehand, as mamori's journal syncs, the commits spaced as
    mamori's, --commit-interval): the floor once every answer
    waits for the disk, as mamori's do. Its closed loop alternates with
    1 and 2 in the rounds; its open loop runs after 4 (durable_p99_ms);
 6. open loops at the bare handler and at the durable floor, each paced
    at --paced times its own rate measured in 2 and 5: whether the p99
    target is within this machine's reach for any server measured this
    way (bare_own_p99_ms), and for any that waits for the disk
    (durable_own_p99_ms).

With --ladder (fractions such as 0.1,0.2,0.3,0.4,0.5,0.6,0.7), before 3,
mamori, the durable floor and the bare handler are each paced at every
fraction of its own maximum rate, alternating at each fraction, for
--ladder-duration each: a table of their p99s, and the line

  LADDER p99_target_ms=X mamori_fraction=F mamori_rps=N durable_fraction=F durable_rps=N bare_fraction=F bare_rps=N rps_of_durable=R

where a server's fraction and rps are those of the highest fraction up
to which its p99 stayed within --p99-target at every fraction, from the
lowest (0 if at none), and rps_of_durable is mamori's rps over the
durable floor's: the rate the target leaves mamori against the rate it
leaves a server that only waits for the disk (left out if the durable
floor's is 0; with --baseline=false the line is mamori's alone).

mamori (mamori serve on a fresh store), the bare handler and the durable
floor each run in a process of their own, this program run again (the
baselines with --serve-baseline), as a server runs in production: a
server's garbage collections then mark only its own heap, not the
clients' and the world's request bodies (about 150 MB), and its
goroutines do not share a scheduler with the clients. --in-process runs
them in the bench's process instead, as the profiles do. CPU figures add
the bench's process (the clients) and the server's.

Request bodies are marshalled before any load runs; each load sends them
with its own id prefix, and each replay of the world within a load takes
fresh account, session, order and event ids. The last two lines are

  PACED fraction=F target_rps=N rps=N p50_ms=X p90_ms=X p99_ms=X p99.9_ms=X errors=N bare_p99_ms=X durable_p99_ms=X p99_target_ms=X met=true|false server_p99_le_ms=X commit_p99_le_ms=X cpu_of_max=F bare_own_p99_ms=X durable_own_p99_ms=X
  BENCH rps=N p99_ms=X baseline_rps=M ratio=R

where BENCH's rps and p99_ms are mamori's closed loop (the maximum rate),
baseline_rps is the bare handler's and ratio is rps/baseline_rps;
bare_p99_ms, durable_p99_ms, bare_own_p99_ms and durable_own_p99_ms are
0 with --baseline=false; server_p99_le_ms and
commit_p99_le_ms are upper bounds of the buckets of mamori's histograms
that hold the p99 (NaN if its metrics could not be read); cpu_of_max is
the CPU mamori and its clients used in the open loop over what they used
in the closed loop, per second (NaN with --url).

flags:
`

// benchCommand measures mamori under the replayed load of a simulated
// world, against a bare handler in the same run, then at a paced fraction
// of its maximum rate.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	// The maximum rate needs enough requests in flight to fill the group
	// commits while one is being synced: at 32 clients mamori waits on the
	// disk with CPU to spare, at 128 its CPU is the limit, as the bare
	// handler's is at either (BENCHMARKS.md, "How many clients, rounds").
	rounds := fs.Int("rounds", 4, "rounds the closed loops at mamori and at the bare handler alternate in, each --duration/--rounds long, so that both see the machine's speed as it drifts (1 with a profile)")
	clients := fs.Int("clients", 128, "concurrent clients of the closed loop, each waiting for its answer before its next request")
	duration := fs.Duration("duration", 10*time.Second, "how long each closed loop runs")
	maxRequests := fs.Int("requests", 2_000_000, "stop each load after this many requests")
	path := fs.String("path", "/v1/risk", "/v1/risk (one event per request) or /v1/events (--batch events per request)")
	batch := fs.Int("batch", 1, "events per request on /v1/events")
	worldAccounts := fs.Int("world-accounts", sim.DefaultAccounts, "customer accounts of the simulated world replayed (90 days of their events)")
	seed := fs.Uint64("seed", 1, "seed of the simulated world")
	paced := fs.Float64("paced", 0.7, "fraction of mamori's closed-loop rate the open loop is paced at (0: no open loop)")
	pacedClients := fs.Int("paced-clients", 128, "connections of the open loop; each sends its own accounts' events in order")
	pacedDuration := fs.Duration("paced-duration", 0, "how long the open loop runs (default: --duration)")
	p99Target := fs.Duration("p99-target", 5*time.Millisecond, "the open loop's p99 target")
	ladderFlag := fs.String("ladder", "", "fractions such as 0.1,0.2,0.3: also pace mamori, the durable floor and the bare handler at each fraction of its own maximum rate, alternating, and print where each one's p99 stays within --p99-target (the LADDER line)")
	ladderDuration := fs.Duration("ladder-duration", 4*time.Second, "how long each server runs at each fraction of --ladder")
	commitEvery := fs.Duration("commit-interval", defaultCommitInterval, "as mamori serve --commit-interval, for the started server and the durable floor: "+commitIntervalUsage)
	active := fs.Int("active-accounts", 0, "accounts the started server keeps decoded (0: its default); 1 packs every account between its events, the worst case of packing")
	var limit memoryLimit
	fs.Var(&limit, "memory-limit", "as mamori serve --memory-limit, for the started server and the baselines (with --in-process, for this process: the servers, the clients and the world's requests, about 150 MB)")
	url := fs.String("url", "", "target a running server instead of starting one (with --api-key)")
	key := fs.String("api-key", envOr("MAMORI_API_KEY", ""), "API key of the --url server")
	baseline := fs.Bool("baseline", true, "also measure the bare handler")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of mamori's closed loop (server and clients; implies --in-process) to this file")
	pacedProfile := fs.String("paced-cpuprofile", "", "write a CPU profile of mamori's paced loop (server and clients; implies --in-process) to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile (see alloc_space) of the process after mamori's closed loop to this file (implies --in-process); with --memory-accounts, a heap profile of the loaded accounts")
	memoryAccounts := fs.Int("memory-accounts", 0, "instead of the load, load this many accounts in-process and report heap and RSS per account")
	memorySim := fs.Int("memory-sim-accounts", 3000, "with --memory-accounts, also report the accounts of a simulated world of this many after its history (0: none)")
	inProcess := fs.Bool("in-process", false, "run mamori, the bare handler and the durable floor in this process, beside the clients, instead of each in a process of its own (the profiles imply it: they are of this process)")
	serveKind := fs.String("serve-baseline", "", "serve the bare handler (bare) or the durable floor (durable) on loopback until stopped, printing its URL, instead of the load: how the bench runs them in processes of their own")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if *memoryAccounts > 0 {
		return memoryReport(ctx, memoryOptions{accounts: *memoryAccounts, simAccounts: *memorySim, heapProfile: *memProfile}, stdout)
	}
	if err := checkBenchFlags(*path, *batch, *clients, *pacedClients, *maxRequests, *rounds, *paced, *commitEvery, *serveKind); err != nil {
		fmt.Fprintf(stderr, "mamori bench: %v\n", err)
		return exitCode(2)
	}
	if *pacedDuration <= 0 {
		*pacedDuration = *duration
	}
	ladder, err := parseLadder(*ladderFlag)
	if err == nil && len(ladder) > 0 && *ladderDuration <= 0 {
		err = fmt.Errorf("--ladder-duration %s: must be positive", *ladderDuration)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mamori bench: %v\n", err)
		return exitCode(2)
	}
	defer limit.apply()()
	// The durable floor's zeros: 50 MB a second of its loops, more than
	// it writes on this machine, up to 512 MiB.
	loops := *duration + *pacedDuration + time.Duration(len(ladder))*(*ladderDuration)
	ahead := min(512<<20, int64(loops.Seconds()*50e6))
	if *serveKind != "" {
		return serveBaseline(ctx, *serveKind, ahead, *commitEvery, stdout)
	}
	if *cpuProfile != "" || *pacedProfile != "" || *memProfile != "" {
		*inProcess = true
	}
	// A server in a process of its own is this program run again.
	self, err := os.Executable()
	if err != nil && !*inProcess {
		return fmt.Errorf("bench: find this program to run its servers: %w", err)
	}
	// The servers' command lines pass on the flags they share with the
	// bench.
	shared := []string{"--commit-interval", commitEvery.String()}
	if limit.bytes > 0 {
		shared = append(shared, "--memory-limit", strconv.FormatInt(limit.bytes, 10))
	}

	t0 := time.Now()
	evs, err := sim.Events(ctx, sim.Config{Seed: *seed, Accounts: *worldAccounts, Prefix: idSlot})
	if err != nil {
		return fmt.Errorf("bench world: %w", err)
	}
	w, err := newWorkload(evs, *path, *batch, max(*clients, *pacedClients))
	if err != nil {
		return err
	}
	evs = nil // the bodies are all the loads need
	fmt.Fprintf(stdout, "world %d: %d accounts, %d events, %d requests to %s, prepared in %s\n",
		*seed, w.accounts, w.events, len(w.bodies), *path, time.Since(t0).Round(time.Millisecond))

	var bare, durable *target // the bare handler and the durable floor, with --baseline
	mamURL, pid := *url, 0
	if mamURL == "" {
		dir, err := os.MkdirTemp("", "mamori-bench-")
		if err != nil {
			return fmt.Errorf("bench data directory: %w", err)
		}
		// Deferred first, so that it runs after the server has stopped.
		defer os.RemoveAll(dir)
		*key = "bench-key"
		where := "in the bench's process"
		if *inProcess {
			sctx, cancel := context.WithCancel(ctx)
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() {
				done <- runServer(sctx, serverConfig{Addr: "127.0.0.1:0", Data: dir, APIKey: *key, ActiveAccounts: *active, CommitInterval: *commitEvery,
					Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))},
					func(addr string) { ready <- addr })
			}()
			select {
			case addr := <-ready:
				mamURL = "http://" + addr
			case err := <-done:
				cancel()
				return fmt.Errorf("bench server: %w", err)
			}
			defer func() { cancel(); <-done }()
		} else {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--api-key", *key, "--log-level", "warn"}, shared...)
			if *active > 0 {
				args = append(args, "--active-accounts", strconv.Itoa(*active))
			}
			srv, err := startBenchServer(ctx, "mamori serve", self, args, stderr)
			if err != nil {
				return fmt.Errorf("bench server: %w", err)
			}
			defer stopBenchServer(srv, stderr)
			mamURL, pid = srv.url, srv.pid()
			where = fmt.Sprintf("process %d", pid)
		}
		fmt.Fprintf(stdout, "mamori on %s, %s, store in %s (durable: a write and a sync per group commit)\n", mamURL, where, dir)
	}
	// A random part in every id keeps a second bench against the same
	// --url server from replaying ids it has already recorded.
	nonce := rand.Uint32() & 0xfffff

	mam := newTarget(mamURL, *key, max(*clients, *pacedClients))
	mam.pid = pid
	defer mam.close()
	mamLoad := newClosedLoad(mam, w, closedSpec{clients: *clients, max: *maxRequests, run: ids{'m', nonce}})
	// The durable floor (serveDurableFloor) goes with the bare handler.
	var bareLoad, durableLoad *closedLoad
	if *baseline {
		conns := max(*clients, *pacedClients)
		if *inProcess {
			var stop func()
			bare, stop, err = serveBare(nil, conns)
			if err != nil {
				return err
			}
			defer stop()
			durable, stop, err = serveDurableFloor(conns, ahead, *commitEvery)
			if err != nil {
				return err
			}
			defer stop()
		} else {
			var stop func()
			// The same flags give the baselines' processes the same zeros.
			sizing := []string{"--duration", duration.String(), "--paced-duration", pacedDuration.String()}
			if len(ladder) > 0 {
				sizing = append(sizing, "--ladder", *ladderFlag, "--ladder-duration", ladderDuration.String())
			}
			bare, durable, stop, err = startBaselines(ctx, self, append(sizing, shared...), conns, stderr)
			if err != nil {
				return err
			}
			defer stop()
			fmt.Fprintf(stdout, "the bare handler on %s, process %d; the durable floor on %s, process %d\n", bare.url, bare.pid, durable.url, durable.pid)
		}
		bareLoad = newClosedLoad(bare, w, closedSpec{clients: *clients, max: *maxRequests, run: ids{'b', nonce}})
		durableLoad = newClosedLoad(durable, w, closedSpec{clients: *clients, max: *maxRequests, run: ids{'f', nonce}})
	}
	// The two closed loops alternate in rounds, so that a change in the
	// machine's speed during the run weighs on both alike. Profiles are of
	// mamori's loop alone, so they take one round each.
	n := *rounds
	if bareLoad == nil || *cpuProfile != "" || *memProfile != "" {
		n = 1
	}
	for range n {
		if err := profiledRound(ctx, mamLoad, *duration/time.Duration(n), *cpuProfile, *memProfile); err != nil {
			return err
		}
		if bareLoad != nil {
			if err := bareLoad.round(ctx, *duration/time.Duration(n)); err != nil {
				return err
			}
			if err := durableLoad.round(ctx, *duration/time.Duration(n)); err != nil {
				return err
			}
		}
	}
	how := fmt.Sprintf("%d clients, closed loop", *clients)
	if n > 1 {
		how += fmt.Sprintf(", %d rounds alternating with the bare handler", n)
	}
	res := mamLoad.result()
	res.print(stdout, "mamori", how)
	var base, dur loadResult
	if bareLoad != nil {
		base = bareLoad.result()
		base.print(stdout, "bare handler", how)
		dur = durableLoad.result()
		dur.print(stdout, "durable floor", how+"; the bare handler, each body written and synced in a group commit before its answer")
		if dur.rps > 0 && base.rps > 0 {
			fmt.Fprintf(stdout, "  durable floor / bare handler %.3f; mamori / durable floor %.3f\n", dur.rps/base.rps, res.rps/dur.rps)
		}
	}

	if len(ladder) > 0 {
		servers := []ladderServer{{"mamori", mam, res.rps, ladderMamori}}
		if bare != nil {
			servers = append(servers, ladderServer{"durable floor", durable, dur.rps, ladderDurable}, ladderServer{"bare handler", bare, base.rps, ladderBare})
		}
		if err := runLadder(ctx, w, servers, ladderSpec{fractions: ladder, clients: *pacedClients, duration: *ladderDuration,
			max: *maxRequests, nonce: nonce, target: *p99Target}, stdout); err != nil {
			return err
		}
	}

	if *paced > 0 {
		rate := *paced * res.rps
		route := strings.TrimPrefix(*path, "/v1/")
		before, scrapeErr := scrapeServer(ctx, mam, route)
		var pres loadResult
		err = cpuProfiled(*pacedProfile, func() (err error) {
			pres, err = runPaced(ctx, mam, w, pacedSpec{clients: *pacedClients, rate: rate, duration: *pacedDuration, max: *maxRequests, run: ids{'p', nonce}})
			return err
		})
		if err != nil {
			return err
		}
		pres.print(stdout, "mamori paced", fmt.Sprintf("%d clients, open loop at %.0f req/s, latency from the scheduled send", *pacedClients, rate))
		// What the server itself measured of the paced loop: its time
		// from reading a request to answering, and its commits.
		serverP99, commitP99 := math.NaN(), math.NaN()
		var after serverView
		if scrapeErr == nil {
			after, scrapeErr = scrapeServer(ctx, mam, route)
		}
		if scrapeErr == nil {
			fmt.Fprintf(stdout, "  %s\n", describe(before, after))
			serverP99 = after.requests.since(before.requests).quantile(0.99)
			commitP99 = after.commits.since(before.commits).quantile(0.99)
		} else {
			fmt.Fprintf(stdout, "  mamori's metrics unread: %v\n", scrapeErr)
		}
		// How busy the machine is at this rate: the cost of a request
		// grows as its commit and its wake-ups are shared by fewer, so a
		// fraction of the maximum rate is a larger fraction of the CPU.
		cpuOfMax := math.NaN()
		if *url == "" && res.took > 0 && pres.took > 0 && res.cpu > 0 {
			cores, maxCores := pres.cpu.Seconds()/pres.took.Seconds(), res.cpu.Seconds()/res.took.Seconds()
			cpuOfMax = cores / maxCores
			fmt.Fprintf(stdout, "  mamori and its clients used %.2f cores at this rate: %.2f of the %.2f they used at the maximum rate\n", cores, cpuOfMax, maxCores)
		}
		// The same open loop at the bare handler is the floor under
		// mamori's p99: what the machine, the clients and net/http take at
		// this rate before any decision or disk.
		var floor, durableFloor, bareOwn, durableOwn time.Duration
		if bare != nil {
			bres, err := runPaced(ctx, bare, w, pacedSpec{clients: *pacedClients, rate: rate, duration: *pacedDuration, max: *maxRequests, run: ids{'q', nonce}})
			if err != nil {
				return err
			}
			bres.print(stdout, "bare paced", fmt.Sprintf("%d clients, open loop at %.0f req/s, latency from the scheduled send", *pacedClients, rate))
			floor = bres.pct(0.99)
			dres, err := runPaced(ctx, durable, w, pacedSpec{clients: *pacedClients, rate: rate, duration: *pacedDuration, max: *maxRequests, run: ids{'d', nonce}})
			if err != nil {
				return err
			}
			dres.print(stdout, "durable paced", fmt.Sprintf("%d clients, open loop at %.0f req/s, latency from the scheduled send; the durable floor", *pacedClients, rate))
			durableFloor = dres.pct(0.99)
			// The bare handler and the durable floor at the same fraction
			// of their own maximum rates: whether the target is within
			// this machine's reach at all, for any server measured this
			// way, and for any that waits for the disk.
			for _, o := range []struct {
				ladderServer
				p99 *time.Duration
			}{
				{ladderServer{"bare handler", bare, base.rps, 'o'}, &bareOwn},
				{ladderServer{"durable floor", durable, dur.rps, 'e'}, &durableOwn},
			} {
				ores, err := runPaced(ctx, o.to, w, pacedSpec{clients: *pacedClients, rate: *paced * o.max, duration: *pacedDuration, max: *maxRequests, run: ids{o.run, nonce}})
				if err != nil {
					return err
				}
				ores.print(stdout, strings.Fields(o.name)[0]+" own paced", fmt.Sprintf("%d clients, open loop at %.0f req/s, %.2f of the %s's own maximum rate", *pacedClients, *paced*o.max, *paced, o.name))
				*o.p99 = ores.pct(0.99)
			}
		}
		p99 := pres.pct(0.99)
		fmt.Fprintf(stdout, "PACED fraction=%.2f target_rps=%.0f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p99.9_ms=%.3f errors=%d bare_p99_ms=%.3f durable_p99_ms=%.3f p99_target_ms=%g met=%t server_p99_le_ms=%g commit_p99_le_ms=%g cpu_of_max=%.2f bare_own_p99_ms=%.3f durable_own_p99_ms=%.3f\n",
			*paced, rate, pres.rps, ms(pres.pct(0.5)), ms(pres.pct(0.9)), ms(p99), ms(pres.pct(0.999)), pres.errors,
			ms(floor), ms(durableFloor), ms(*p99Target), pres.errors == 0 && p99 <= *p99Target, serverP99*1000, commitP99*1000, cpuOfMax, ms(bareOwn), ms(durableOwn))
	}

	ratio := 0.0
	if base.rps > 0 {
		ratio = res.rps / base.rps
	}
	fmt.Fprintf(stdout, "BENCH rps=%.0f p99_ms=%.3f baseline_rps=%.0f ratio=%.3f\n", res.rps, ms(res.pct(0.99)), base.rps, ratio)
	return nil
}

// profiledRound runs a round of c for d, with a CPU profile of it written
// to cpuProfile and, after it, an allocation profile of the process to
// memProfile, when they are named.
func profiledRound(ctx context.Context, c *closedLoad, d time.Duration, cpuProfile, memProfile string) error {
	if err := cpuProfiled(cpuProfile, func() error { return c.round(ctx, d) }); err != nil {
		return err
	}
	if memProfile != "" {
		return writeProfile("allocs", memProfile)
	}
	return nil
}

// cpuProfiled runs load with a CPU profile of the process written to
// path, if it is named.
func cpuProfiled(path string, load func() error) error {
	if path == "" {
		return load()
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("cpu profile %s: %w", path, err)
	}
	err = load()
	pprof.StopCPUProfile()
	return err
}

func checkBenchFlags(path string, batch, clients, pacedClients, maxRequests, rounds int, paced float64, commitEvery time.Duration, serveKind string) error {
	switch {
	case serveKind != "" && serveKind != "bare" && serveKind != "durable":
		return fmt.Errorf("--serve-baseline %s: want bare or durable", serveKind)
	case path != "/v1/risk" && path != "/v1/events":
		return fmt.Errorf("--path %s: want /v1/risk or /v1/events", path)
	case batch < 1 || batch > 1000:
		return fmt.Errorf("--batch %d: want 1 to 1000", batch)
	case batch > 1 && path != "/v1/events":
		return errors.New("--batch needs --path /v1/events")
	case clients < 1 || pacedClients < 1:
		return errors.New("--clients and --paced-clients must be at least 1")
	case maxRequests < 1:
		return errors.New("--requests must be at least 1")
	case rounds < 1:
		return errors.New("--rounds must be at least 1")
	case paced < 0:
		return fmt.Errorf("--paced %g: want a fraction ≥ 0", paced)
	case commitEvery < 0:
		return fmt.Errorf("--commit-interval %s: must not be negative", commitEvery)
	}
	return nil
}

// bareHandler decodes and validates events as mamori does and answers a
// decision, with no state, no decision logic and no disk: the ceiling
// for an HTTP JSON service on this machine. With keep, each valid body is
// handed to it before the answer (the durable floor: syncFile.append).
func bareHandler(keep func(context.Context, []byte) error) http.Handler {
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	kept := func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if keep == nil {
			return true
		}
		if err := keep(r.Context(), body); err != nil {
			answer(w, 503, map[string]string{"error": err.Error()})
			return false
		}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/risk", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			answer(w, 413, map[string]string{"error": "too_large"})
			return
		}
		ev, err := mamori.DecodeEvent(body)
		if err != nil {
			answer(w, 400, map[string]string{"error": err.Error()})
			return
		}
		if kept(w, r, body) {
			answer(w, 200, mamori.Decision{EventID: ev.ID, Decision: mamori.Allow, Reasons: []mamori.Reason{}, Actions: []mamori.Action{}})
		}
	})
	mux.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			answer(w, 413, map[string]string{"error": "too_large"})
			return
		}
		evs, err := mamori.DecodeEvents(body)
		if err != nil {
			answer(w, 400, map[string]string{"error": err.Error()})
			return
		}
		if kept(w, r, body) {
			answer(w, 202, map[string]int{"accepted": len(evs)})
		}
	})
	return mux
}

// serveDurableFloor starts the bare handler in front of a syncFile in a
// directory of its own, with ahead bytes of zeros written before any
// load and its commits spaced every apart: the floor under mamori once
// every answer waits for the disk. Its stop removes the directory.
func serveDurableFloor(conns int, ahead int64, every time.Duration) (*target, func(), error) {
	dir, err := os.MkdirTemp("", "mamori-bench-floor-")
	if err != nil {
		return nil, nil, fmt.Errorf("durable floor: %w", err)
	}
	sf, err := openSyncFile(dir, ahead, every)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	t, stop, err := serveBare(sf.append, conns)
	if err != nil {
		sf.close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return t, func() { stop(); sf.close(); os.RemoveAll(dir) }, nil
}

// serveBare starts the bare handler on loopback, in front of keep (nil:
// no disk), and returns its target and how to stop it.
func serveBare(keep func(context.Context, []byte) error, conns int) (*target, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("bare handler: %w", err)
	}
	srv := &http.Server{Handler: bareHandler(keep), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t := newTarget("http://"+ln.Addr().String(), "", conns)
	return t, func() { t.close(); srv.Close() }, nil
}

// idSlot is the world's id prefix in the marshalled bodies, overwritten
// before each send with the load's own prefix (ids.prefix), of the same
// length, so that bodies are marshalled once for every load.
const idSlot = "~~~~~~~~~~-"

// ids makes the id prefix of one load: its letter, the bench's nonce and
// the number of the world's replay, so that no two sends share an id.
type ids struct {
	run   byte
	nonce uint32
}

const maxPass = 0xffff

func (x ids) prefix(pass int) []byte {
	return fmt.Appendf(nil, "%c%05x%04x-", x.run, x.nonce&0xfffff, pass)
}

// workload is the world's events as request bodies. Accounts are spread
// over groups; a load with k clients gives each client the groups g with
// g%k equal to its number, so that one client sends all of an account's
// events, in time order, and clients send in parallel.
//
// The bodies live in two arrays without pointers, data and slots, that
// bodies index into. The load runs in the server's process, and a
// quarter of a million separate buffers would give the server's garbage
// collector work that no server in production has: each cycle would
// take longer, and stall requests for longer.
type workload struct {
	path     string
	bodies   []body // in the order of their first event
	data     []byte
	slots    []int32
	groups   int
	accounts int
	events   int
}

type body struct {
	at, end       int   // the body is data[at:end]
	slotAt, slotN int32 // offsets of idSlot in it are slots[slotAt:slotAt+slotN]
	group         int32
	events        int32
}

// newWorkload marshals evs into requests to path: one event each, or on
// /v1/events batches of up to batch events of one group.
func newWorkload(evs []mamori.Event, path string, batch, maxClients int) (*workload, error) {
	w := &workload{path: path, groups: max(1024, maxClients), events: len(evs)}
	seen := make(map[string]bool)
	type pending struct {
		first int
		evs   []mamori.Event
	}
	var bodies []struct {
		first int
		body
	}
	open := make(map[int32]*pending)
	emit := func(g int32, p *pending) error {
		var v any = p.evs[0]
		if path == "/v1/events" {
			v = map[string][]mamori.Event{"events": p.evs}
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("marshal event %s: %w", p.evs[0].ID, err)
		}
		b := body{at: len(w.data), group: g, events: int32(len(p.evs)), slotAt: int32(len(w.slots))}
		w.data = append(w.data, raw...)
		b.end = len(w.data)
		for off := 0; ; {
			i := bytes.Index(raw[off:], []byte(idSlot))
			if i < 0 {
				break
			}
			w.slots = append(w.slots, int32(off+i))
			off += i + len(idSlot)
		}
		b.slotN = int32(len(w.slots)) - b.slotAt
		bodies = append(bodies, struct {
			first int
			body
		}{p.first, b})
		return nil
	}
	for i, ev := range evs {
		// A failed sign-in on an unknown account has only a username:
		// it goes with whatever else is sent under that name.
		key := ev.AccountID
		if key == "" {
			key = "username:" + ev.Properties.Username
		} else if !seen[key] {
			seen[key] = true
			w.accounts++
		}
		h := fnv.New32a()
		h.Write([]byte(key))
		g := int32(h.Sum32() % uint32(w.groups))
		p := open[g]
		if p == nil {
			p = &pending{first: i}
			open[g] = p
		}
		p.evs = append(p.evs, ev)
		if len(p.evs) >= batch {
			if err := emit(g, p); err != nil {
				return nil, err
			}
			delete(open, g)
		}
	}
	for g, p := range open {
		if err := emit(g, p); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(bodies, func(a, b struct {
		first int
		body
	}) int {
		return a.first - b.first
	})
	w.bodies = make([]body, len(bodies))
	for i := range bodies {
		w.bodies[i] = bodies[i].body
	}
	if len(w.bodies) == 0 {
		return nil, errors.New("the world has no events")
	}
	return w, nil
}

// lanes splits the bodies among at most k clients, leaving out clients
// that would get none: each lane is the indexes of its bodies, in order.
func (w *workload) lanes(k int) [][]int32 {
	out := make([][]int32, k)
	for i := range w.bodies {
		l := int(w.bodies[i].group) % k
		out[l] = append(out[l], int32(i))
	}
	return slices.DeleteFunc(out, func(l []int32) bool { return len(l) == 0 })
}

// lane is one client's way through its bodies; when they run out it
// replays them with the next pass's ids, as fresh accounts.
type lane struct {
	w      *workload
	idx    []int32
	next   int
	pass   int
	ids    ids
	prefix []byte
}

func newLane(w *workload, idx []int32, x ids) *lane {
	return &lane{w: w, idx: idx, ids: x, prefix: x.prefix(0)}
}

// take returns the next request body, with this load's ids.
func (l *lane) take() ([]byte, int, error) {
	if l.next == len(l.idx) {
		if l.pass == maxPass {
			return nil, 0, fmt.Errorf("the world was replayed %d times: make it bigger (--world-accounts)", maxPass+1)
		}
		l.next, l.pass = 0, l.pass+1
		l.prefix = l.ids.prefix(l.pass)
	}
	b := &l.w.bodies[l.idx[l.next]]
	l.next++
	// A fresh copy each time: the transport may still hold the last one.
	raw := slices.Clone(l.w.data[b.at:b.end])
	for _, at := range l.w.slots[b.slotAt : b.slotAt+b.slotN] {
		copy(raw[at:], l.prefix)
	}
	return raw, int(b.events), nil
}

// target is a server under load.
type target struct {
	url, key  string
	client    *http.Client
	transport *http.Transport // for mamori's metrics
	fast      *fasthttp.HostClient
	auth      string // the Authorization header, if any
	// pid is the target's process when the bench started it in one of
	// its own, else 0 (in the bench's process, or --url).
	pid int
}

// cpu is the CPU time used so far by the bench's process (its clients,
// and any server in it) and by the target's own process if it has one:
// a load's cost is what it took of the machine on both sides.
func (t *target) cpu() time.Duration {
	c := cputime.Process()
	if t.pid != 0 {
		// A server whose /proc cannot be read counts as nothing: the
		// per-request figures then undercount, as with --url.
		own, _ := cputime.Of(t.pid)
		c += own
	}
	return c
}

func newTarget(base, key string, conns int) *target {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	t := &target{url: base, key: key, transport: tr, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	if key != "" {
		t.auth = "Bearer " + key
	}
	// The loads' client is fasthttp's: on two cores the clients share the
	// machine with the server, and net/http's client (three goroutines a
	// request, about 3 KiB allocated) took as much of it as mamori did
	// (BENCHMARKS.md, "Servers in processes of their own").
	t.fast = &fasthttp.HostClient{Name: "mamori-bench", MaxConns: conns, MaxConnWaitTimeout: 30 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxResponseBodySize: 1 << 20}
	if u, err := url.Parse(base); err == nil {
		t.fast.Addr = fasthttp.AddMissingPort(u.Host, u.Scheme == "https")
		t.fast.IsTLS = u.Scheme == "https"
	}
	return t
}

func (t *target) close() {
	t.transport.CloseIdleConnections()
	t.fast.CloseIdleConnections()
}

// send posts raw to path and reads the whole answer: an error unless its
// status is 2xx. It returns at once if ctx is done; a request sent runs
// to its answer or to the client's 30 s timeouts.
func (t *target) send(ctx context.Context, path string, raw []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("post %s: %w", path, err)
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(t.url + path)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if t.auth != "" {
		req.Header.Set(fasthttp.HeaderAuthorization, t.auth)
	}
	req.SetBodyRaw(raw)
	if err := t.fast.Do(req, resp); err != nil {
		return fmt.Errorf("post %s %s: %w", t.url, path, err)
	}
	if code := resp.StatusCode(); code < 200 || code >= 300 {
		return fmt.Errorf("post %s: status %d: %s", path, code, bytes.TrimSpace(resp.Body()))
	}
	return nil
}

type loadResult struct {
	requests, events, errors int
	firstErr                 error
	took                     time.Duration
	// cpu is the CPU time (user and system) of the clients and the
	// server alike during the load (target.cpu): per request, it is
	// steadier than req/s when other work shares the machine.
	cpu       time.Duration
	rps, eps  float64
	latencies []time.Duration // sorted
	// Of an open loop: how long each request waited past its due time
	// for its client (busy with the answer before), and how long it took
	// from its send to its answer; sorted, each on its own.
	late, trip []time.Duration
}

// writeProfile writes the runtime profile name ("allocs", "heap") to path.
func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s profile: %w", name, err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("%s profile %s: %w", name, path, err)
	}
	return f.Close()
}

// laneResult is what one client measured; merged when the load ends.
type laneResult struct {
	latencies  []time.Duration
	late, trip []time.Duration // of an open loop
	events     int
	errors     int
	firstErr   error
}

func (r *laneResult) add(lat time.Duration, events int, err error) {
	r.latencies = append(r.latencies, lat)
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.events += events
}

func merge(lanes []laneResult, took, cpu time.Duration) loadResult {
	res := loadResult{took: took, cpu: cpu}
	for _, l := range lanes {
		res.latencies = append(res.latencies, l.latencies...)
		res.late = append(res.late, l.late...)
		res.trip = append(res.trip, l.trip...)
		res.events += l.events
		res.errors += l.errors
		if res.firstErr == nil {
			res.firstErr = l.firstErr
		}
	}
	slices.Sort(res.latencies)
	slices.Sort(res.late)
	slices.Sort(res.trip)
	res.requests = len(res.latencies)
	res.rps = float64(res.requests-res.errors) / took.Seconds()
	res.eps = float64(res.events) / took.Seconds()
	return res
}

func (r loadResult) pct(p float64) time.Duration { return pct(r.latencies, p) }

// pct returns the p-th quantile of sorted durations (0 if none).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r loadResult) print(w io.Writer, name, how string) {
	cpuPerReq := 0.0
	if r.requests > 0 {
		cpuPerReq = float64(r.cpu.Microseconds()) / float64(r.requests)
	}
	fmt.Fprintf(w, "%-13s %8.0f req/s %8.0f events/s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  cpu %.0f µs/req  errors %d  (%d requests in %s; %s)\n",
		name, r.rps, r.eps, ms(r.pct(0.5)), ms(r.pct(0.9)), ms(r.pct(0.99)), ms(r.pct(0.999)), cpuPerReq, r.errors, r.requests, r.took.Round(time.Millisecond), how)
	if len(r.late) > 0 {
		fmt.Fprintf(w, "  of that, sent late (its client still awaiting the answer before, or not yet run): p50 %.3f ms  p99 %.3f ms; from send to answer: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms\n",
			ms(pct(r.late, 0.5)), ms(pct(r.late, 0.99)), ms(pct(r.trip, 0.5)), ms(pct(r.trip, 0.9)), ms(pct(r.trip, 0.99)))
	}
	if r.firstErr != nil {
		fmt.Fprintf(w, "%-13s first error: %v\n", "", r.firstErr)
	}
}

type closedSpec struct {
	clients int
	max     int
	run     ids
}

// closedLoad is a closed loop: each client sends its next request as
// soon as it has the answer to the last. It runs in rounds; between them
// its clients wait, and in the next they go on where they stopped, so a
// round never sends an id twice.
type closedLoad struct {
	t       *target
	w       *workload
	max     int
	lanes   []*lane
	results []laneResult
	sent    atomic.Int64
	took    time.Duration
	cpu     time.Duration
}

func newClosedLoad(t *target, w *workload, spec closedSpec) *closedLoad {
	c := &closedLoad{t: t, w: w, max: spec.max}
	for _, idx := range w.lanes(spec.clients) {
		c.lanes = append(c.lanes, newLane(w, idx, spec.run))
	}
	c.results = make([]laneResult, len(c.lanes))
	return c
}

// round runs the loop for d. Every client sends at least one request,
// however slow the machine.
func (c *closedLoad) round(ctx context.Context, d time.Duration) error {
	// The round's time starts before its deadline is set, so that it
	// never counts less than d.
	cpuStart := c.t.cpu()
	start := time.Now()
	lctx, cancel := context.WithDeadline(ctx, start.Add(d))
	defer cancel()
	var wg sync.WaitGroup
	fail := make(chan error, len(c.lanes))
	for i, l := range c.lanes {
		wg.Go(func() {
			r := &c.results[i]
			for first := true; first || lctx.Err() == nil; first = false {
				if c.sent.Add(1) > int64(c.max) {
					return
				}
				raw, n, err := l.take()
				if err != nil {
					fail <- err
					return
				}
				t0 := time.Now()
				// The requests in flight when the time is up finish: their
				// latencies count.
				err = c.t.send(ctx, c.w.path, raw)
				r.add(time.Since(t0), n, err)
			}
		})
	}
	err := settle(ctx, &wg, fail, "closed loop")
	c.took += time.Since(start)
	c.cpu += c.t.cpu() - cpuStart
	return err
}

// result is what the rounds so far measured, together.
func (c *closedLoad) result() loadResult { return merge(c.results, c.took, c.cpu) }

type pacedSpec struct {
	clients  int
	rate     float64 // requests per second
	duration time.Duration
	max      int
	run      ids
}

// runPaced runs an open loop: request k is due at start + k/rate, sent
// by client k mod clients, and its latency runs from when it was due, so
// that a request delayed by the one before it (the client's connection
// busy, the server stalled) counts its wait.
func runPaced(ctx context.Context, t *target, w *workload, spec pacedSpec) (loadResult, error) {
	lanes := w.lanes(spec.clients)
	results := make([]laneResult, len(lanes))
	n := min(max(1, int(spec.rate*spec.duration.Seconds())), spec.max)
	interval := float64(time.Second) / max(spec.rate, 1e-9)
	var (
		wg   sync.WaitGroup
		fail = make(chan error, len(lanes))
	)
	// Every client is waiting for its first slot before the first is due.
	cpuStart := t.cpu()
	start := time.Now().Add(20 * time.Millisecond)
	for i, idx := range lanes {
		wg.Go(func() {
			l, r := newLane(w, idx, spec.run), &results[i]
			timer := time.NewTimer(0)
			defer timer.Stop()
			for k := i; k < n; k += len(lanes) {
				due := start.Add(time.Duration(float64(k) * interval))
				if d := time.Until(due); d > 0 {
					timer.Reset(d)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return
					}
				}
				raw, m, err := l.take()
				if err != nil {
					fail <- err
					return
				}
				sent := time.Now()
				err = t.send(ctx, w.path, raw)
				r.add(time.Since(due), m, err)
				r.late = append(r.late, max(0, sent.Sub(due)))
				r.trip = append(r.trip, time.Since(sent))
			}
		})
	}
	return finish(ctx, &wg, fail, t, results, start, cpuStart, "paced loop")
}

// finish waits for a loop's clients and gathers what they measured.
func finish(ctx context.Context, wg *sync.WaitGroup, fail chan error, t *target, results []laneResult, start time.Time, cpuStart time.Duration, loop string) (loadResult, error) {
	err := settle(ctx, wg, fail, loop)
	took := time.Since(start)
	if err != nil {
		return loadResult{}, err
	}
	return merge(results, took, t.cpu()-cpuStart), nil
}

// settle waits for a load's clients and returns the first error one of
// them met, or the context's.
func settle(ctx context.Context, wg *sync.WaitGroup, fail chan error, loop string) error {
	wg.Wait()
	close(fail)
	if err := <-fail; err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", loop, err)
	}
	return nil
}
