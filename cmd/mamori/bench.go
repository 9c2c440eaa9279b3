package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
)

// benchCommand drives a closed-loop load of realistic events at a mamori
// server (one it starts on loopback, or --url), then the same load at a
// bare handler that only decodes the events and answers, and prints both
// with their ratio.
func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	clients := fs.Int("clients", 32, "concurrent clients, each waiting for its answer before the next request")
	duration := fs.Duration("duration", 10*time.Second, "how long each load runs")
	maxRequests := fs.Int("requests", 2_000_000, "stop each load after this many requests")
	path := fs.String("path", "/v1/risk", "/v1/risk (one event per request) or /v1/events (batches)")
	batch := fs.Int("batch", 1, "events per request on /v1/events")
	accounts := fs.Int("accounts", 10_000, "accounts the traffic is spread over")
	url := fs.String("url", "", "target a running server instead of starting one (with --api-key)")
	key := fs.String("api-key", envOr("MAMORI_API_KEY", ""), "API key of the --url server")
	baseline := fs.Bool("baseline", true, "also measure the bare handler")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the mamori load (server and clients) to this file")
	memoryAccounts := fs.Int("memory-accounts", 0, "instead of the load, load this many accounts in-process and report heap and RSS per account")
	memorySim := fs.Int("memory-sim-accounts", 3000, "with --memory-accounts, also report the accounts of a simulated world of this many after its history (0: none)")
	memProfile := fs.String("memprofile", "", "with --memory-accounts, write a heap profile of the loaded accounts to this file")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if *memoryAccounts > 0 {
		return memoryReport(ctx, memoryOptions{accounts: *memoryAccounts, simAccounts: *memorySim, heapProfile: *memProfile}, stdout)
	}
	load := loadSpec{clients: *clients, duration: *duration, max: *maxRequests, path: *path, batch: max(*batch, 1), accounts: *accounts}

	target := *url
	if target == "" {
		dir, err := os.MkdirTemp("", "mamori-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		sctx, cancel := context.WithCancel(ctx)
		ready := make(chan string, 1)
		done := make(chan error, 1)
		*key = "bench-key"
		go func() {
			done <- runServer(sctx, serverConfig{Addr: "127.0.0.1:0", Data: dir, APIKey: *key,
				Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))},
				func(addr string) { ready <- addr })
		}()
		select {
		case addr := <-ready:
			target = "http://" + addr
		case err := <-done:
			cancel()
			return err
		}
		defer func() { cancel(); <-done }()
		fmt.Fprintf(stdout, "mamori on %s, store in %s (durable: fsync per group commit)\n", target, dir)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res, err := runLoad(ctx, target, *key, load, "m")
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	res.print(stdout, "mamori")
	var base loadResult
	if *baseline {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: bareHandler()}
		go srv.Serve(ln)
		defer srv.Close()
		base, err = runLoad(ctx, "http://"+ln.Addr().String(), "", load, "b")
		if err != nil {
			return err
		}
		base.print(stdout, "bare handler")
	}
	ratio := 0.0
	if base.rps > 0 {
		ratio = res.rps / base.rps
	}
	fmt.Fprintf(stdout, "BENCH rps=%.0f p99_ms=%.3f baseline_rps=%.0f ratio=%.3f\n", res.rps, ms(res.pct(0.99)), base.rps, ratio)
	return nil
}

// bareHandler decodes and validates events as mamori does and answers a
// decision, with no state, no decision logic and no disk: the ceiling
// for an HTTP JSON service on this machine.
func bareHandler() http.Handler {
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
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
		answer(w, 200, mamori.Decision{EventID: ev.ID, Decision: mamori.Allow, Reasons: []mamori.Reason{}, Actions: []mamori.Action{}})
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
		answer(w, 202, map[string]int{"accepted": len(evs)})
	})
	return mux
}

type loadSpec struct {
	clients  int
	duration time.Duration
	max      int
	path     string
	batch    int
	accounts int
}

type loadResult struct {
	requests, events, errors int
	took                     time.Duration
	rps, eps                 float64
	latencies                []time.Duration
}

func (r loadResult) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r loadResult) print(w io.Writer, name string) {
	fmt.Fprintf(w, "%-13s %8.0f req/s %8.0f events/s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  errors %d  (%d requests in %s)\n",
		name, r.rps, r.eps, ms(r.pct(0.5)), ms(r.pct(0.9)), ms(r.pct(0.99)), ms(r.pct(0.999)), r.errors, r.requests, r.took.Round(time.Millisecond))
}

// runLoad runs spec.clients closed loops against url. Each client owns
// its accounts, so that each account's events go in time order.
func runLoad(ctx context.Context, url, key string, spec loadSpec, run string) (loadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, spec.duration)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: spec.clients, MaxConnsPerHost: spec.clients}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	var (
		mu     sync.Mutex
		res    loadResult
		wg     sync.WaitGroup
		budget = make(chan struct{}, spec.max)
	)
	for range spec.max {
		budget <- struct{}{}
	}
	start := time.Now()
	for c := range spec.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gen := newTraffic(run, c, spec.clients, spec.accounts)
			var lat []time.Duration
			var events, errs int
			for ctx.Err() == nil {
				select {
				case <-budget:
				default:
					cancel()
					continue
				}
				var body any
				n := 1
				if spec.path == "/v1/events" && spec.batch > 1 {
					evs := make([]mamori.Event, spec.batch)
					for i := range evs {
						evs[i] = gen.next()
					}
					body, n = map[string]any{"events": evs}, spec.batch
				} else {
					body = gen.next()
				}
				raw, _ := json.Marshal(body)
				req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), "POST", url+spec.path, bytes.NewReader(raw))
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode >= 300 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					continue
				}
				events += n
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.events += events
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	res.rps = float64(res.requests-res.errors) / res.took.Seconds()
	res.eps = float64(res.events) / res.took.Seconds()
	return res, nil
}

// traffic makes a plausible stream for one client's accounts: sign-ins
// from a home network, page views, orders (now and then a gift card) and
// sign-outs, a minute apart per account.
type traffic struct {
	run      string
	client   int
	accounts []string
	clock    []time.Time
	step     []int
	n        int
}

func newTraffic(run string, client, clients, accounts int) *traffic {
	t := &traffic{run: run, client: client}
	for a := client; a < accounts; a += clients {
		t.accounts = append(t.accounts, fmt.Sprintf("bench-acct-%d", a))
		t.clock = append(t.clock, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		t.step = append(t.step, 0)
	}
	if len(t.accounts) == 0 {
		t.accounts, t.clock, t.step = []string{fmt.Sprintf("bench-acct-c%d", client)}, []time.Time{time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}, []int{0}
	}
	return t
}

func (t *traffic) next() mamori.Event {
	i := t.n % len(t.accounts)
	t.n++
	t.clock[i] = t.clock[i].Add(time.Minute)
	step := t.step[i]
	t.step[i]++
	acct := t.accounts[i]
	ev := mamori.Event{
		ID: fmt.Sprintf("%s-%d-%d", t.run, t.client, t.n), AccountID: acct, Time: t.clock[i],
		SessionID: fmt.Sprintf("%s-%s-s%d", t.run, acct, step/5),
		Context: mamori.Context{IP: fmt.Sprintf("153.156.%d.%d", i%250, 10+step%7), DeviceID: "dev-" + acct,
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	}
	switch step % 5 {
	case 0:
		ev.Type, ev.Properties.MFA = mamori.LoginSucceeded, "totp"
	case 1, 2:
		ev.Type, ev.Properties.Page = mamori.SessionActivity, "orders"
	case 3:
		amt := int64(1200 + 300*(step%11))
		gift := step%7 == 3
		ev.Type = mamori.OrderPlaced
		ev.Properties = mamori.Properties{OrderID: ev.ID, Amount: &amt, Currency: "JPY",
			Items:    []mamori.Item{{SKU: "sku-1", Name: "item", Category: "books", GiftCard: gift, Digital: gift}},
			Payment:  &mamori.Payment{MethodID: "pm-1", Type: "credit"},
			Delivery: &mamori.Delivery{Type: "ship", AddressID: "addr-1"}}
	default:
		ev.Type = mamori.Logout
	}
	return ev
}
