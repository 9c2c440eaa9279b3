package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sim"
)

// The tests below check what bench prints and sends, never how fast: a
// slow machine gives small numbers, not failures.

func TestBenchPrintsEveryLoadAndTheBenchLine(t *testing.T) {
	benchLine := regexp.MustCompile(`^BENCH rps=[0-9]+ p99_ms=[0-9]+\.[0-9]{3} baseline_rps=[0-9]+ ratio=[0-9]+\.[0-9]{3}$`)
	pacedLine := regexp.MustCompile(`^PACED fraction=0\.70 target_rps=[0-9]+ rps=[0-9]+ p50_ms=[0-9.]+ p90_ms=[0-9.]+ p99_ms=[0-9.]+ p99\.9_ms=[0-9.]+ errors=0 bare_p99_ms=[0-9.]+ durable_p99_ms=[0-9.]+ p99_target_ms=5 met=(true|false) server_p99_le_ms=[0-9.]+ commit_p99_le_ms=[0-9.]+ cpu_of_max=[0-9]+\.[0-9]{2} bare_own_p99_ms=[0-9.]+ durable_own_p99_ms=[0-9.]+$`)
	// The paced loop's latency split in two, then the server's own view
	// of it, which counts exactly its requests.
	inside := regexp.MustCompile(`(?m)^mamori paced +[0-9]+ req/s .*\(([0-9]+) requests in .*\n  of that, sent late .*: p50 [0-9.]+ ms  p99 [0-9.]+ ms; from send to answer: p50 [0-9.]+ ms  p90 [0-9.]+ ms  p99 [0-9.]+ ms\n  inside mamori: ([0-9]+) requests, .*; ([0-9]+) group commits .*; [0-9]+ garbage collections; goroutines runnable before they ran: p99 [^,]+, [0-9.]+% over 0\.918 ms\n  mamori and its clients used [0-9.]+ cores at this rate: [0-9.]+ of the [0-9.]+ they used at the maximum rate$`)
	// Each server in a process of its own, the default, is this program
	// run again: the built binary runs the bench then, as it does for a
	// user, where the test's own binary cannot.
	servers := regexp.MustCompile(`(?m)^mamori on (http://127\.0\.0\.1:[0-9]+), process ([0-9]+), store in (\S+) .*\nthe bare handler on http://127\.0\.0\.1:[0-9]+, process ([0-9]+); the durable floor on http://127\.0\.0\.1:[0-9]+, process ([0-9]+)$`)
	tests := []struct {
		name      string
		args      []string
		inProcess bool
	}{
		{"risk", []string{"--path", "/v1/risk"}, false},
		{"risk, in process", []string{"--path", "/v1/risk", "--in-process"}, true},
		{"events in batches", []string{"--path", "/v1/events", "--batch", "7"}, false},
		{"events in batches, in process", []string{"--path", "/v1/events", "--batch", "7", "--in-process"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bench", "--duration", "300ms", "--clients", "3", "--paced-clients", "5",
				"--world-accounts", "25", "--seed", "2"}, tt.args...)
			stdout, stderr, benchPID := runBench(t, args, tt.inProcess)
			if tt.inProcess {
				if !strings.Contains(stdout.String(), ", in the bench's process, store in ") {
					t.Errorf("mamori did not say it ran in the bench's process:\n%s", stdout.String())
				}
			} else {
				m := servers.FindStringSubmatch(stdout.String())
				if m == nil {
					t.Fatalf("want mamori's, the bare handler's and the durable floor's processes named:\n%s", stdout.String())
				}
				// Each server ran apart from the bench, and none outlives
				// it, nor mamori's store.
				for _, pid := range []string{m[2], m[4], m[5]} {
					if pid == strconv.Itoa(benchPID) {
						t.Errorf("a server ran in the bench's process %s", pid)
					}
					if _, err := os.Stat("/proc/" + pid); err == nil {
						t.Errorf("server process %s outlived the bench", pid)
					}
				}
				if m[2] == m[4] || m[4] == m[5] || m[2] == m[5] {
					t.Errorf("servers shared a process: %v", m[2:])
				}
				if _, err := os.Stat(m[3]); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("mamori's store %s left behind: %v", m[3], err)
				}
			}
			if strings.Contains(stderr.String(), "mamori bench:") {
				t.Errorf("a server did not stop cleanly:\n%s", stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			if len(lines) < 2 || !benchLine.MatchString(lines[len(lines)-1]) || !pacedLine.MatchString(lines[len(lines)-2]) {
				t.Fatalf("want a PACED line with errors=0, then the BENCH line, last:\n%s", stdout.String())
			}
			if m := inside.FindStringSubmatch(stdout.String()); m == nil || m[1] != m[2] || m[3] == "0" {
				t.Errorf("want the paced latency's parts, then the server's count of the paced requests, its commits and collections, after the paced line:\n%s", stdout.String())
			}
			if !regexp.MustCompile(`(?m)^  durable floor / bare handler [0-9.]+; mamori / durable floor [0-9.]+$`).MatchString(stdout.String()) {
				t.Errorf("no line of the durable floor's ratios:\n%s", stdout.String())
			}
			if !strings.Contains(stdout.String(), "closed loop, 4 rounds alternating with the bare handler") {
				t.Errorf("the closed loops did not say they alternate:\n%s", stdout.String())
			}
			for _, name := range []string{"mamori", "bare handler", "durable floor", "mamori paced", "bare paced", "durable paced", "bare own paced", "durable own paced"} {
				load := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + ` +[0-9]+ req/s`)
				found := false
				for _, l := range lines {
					if load.MatchString(l) {
						found = true
						if !strings.Contains(l, " errors 0 ") {
							t.Errorf("errors in %q:\n%s", name, stdout.String())
						}
					}
				}
				if !found {
					t.Errorf("no line for %q:\n%s", name, stdout.String())
				}
			}
		})
	}
}

// runBench runs mamori bench with args in the test's process, or as the
// built binary when the servers run in processes of their own (the
// test's own binary cannot be run again as mamori), and returns what it
// printed and the process it ran in.
func runBench(t *testing.T, args []string, inProcess bool) (stdout, stderr *bytes.Buffer, pid int) {
	t.Helper()
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	if inProcess {
		if err := run(context.Background(), args, stdout, stderr); err != nil {
			t.Fatalf("bench: %v\n%s", err, stdout.String())
		}
		return stdout, stderr, os.Getpid()
	}
	cmd := exec.Command(mamoriBin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	return stdout, stderr, cmd.Process.Pid
}

// TestWorkloadKeepsAccountsWhole checks that however many clients share
// the load, each account's events go through one client in time order,
// and that every send of the world, in every load, has ids of its own.
func TestWorkloadKeepsAccountsWhole(t *testing.T) {
	evs, err := sim.Events(context.Background(), sim.Config{Seed: 7, Accounts: 40, HistoryDays: 4, Days: 4, Prefix: idSlot})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path           string
		batch, clients int
	}{
		{"/v1/risk", 1, 1},
		{"/v1/risk", 1, 3},
		{"/v1/risk", 1, 64},
		{"/v1/events", 10, 4},
		{"/v1/events", 1000, 2},
	}
	for _, tt := range tests {
		w, err := newWorkload(evs, tt.path, tt.batch, tt.clients)
		if err != nil {
			t.Fatal(err)
		}
		lanes := w.lanes(tt.clients)
		if len(lanes) == 0 || len(lanes) > tt.clients {
			t.Fatalf("%+v: %d lanes", tt, len(lanes))
		}
		owner := map[string]int{}
		last := map[string]time.Time{}
		seen := map[string]bool{}
		sent := 0
		for ln, idx := range lanes {
			l := newLane(w, idx, ids{run: 'm', nonce: 0xabcde})
			// Twice round the lane's bodies: the second pass replays the
			// world under other ids, as fresh accounts.
			for range 2 * len(idx) {
				raw, n, err := l.take()
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(raw, []byte("~~~")) {
					t.Fatalf("%+v: an id without its load's prefix: %s", tt, raw)
				}
				got := decodeBody(t, tt.path, raw)
				if len(got) != n || n > tt.batch {
					t.Fatalf("%+v: %d events in a body said to hold %d", tt, len(got), n)
				}
				for _, ev := range got {
					key := ev.AccountID
					if key == "" {
						// Usernames, like devices and networks, come again
						// in the next pass, with the pass's event ids.
						key = ev.ID[:len(idSlot)] + "username:" + ev.Properties.Username
					}
					if o, ok := owner[key]; ok && o != ln {
						t.Fatalf("%+v: %s sent by clients %d and %d", tt, key, o, ln)
					}
					owner[key] = ln
					if ev.Time.Before(last[key]) {
						t.Fatalf("%+v: %s at %s after %s", tt, key, ev.Time, last[key])
					}
					last[key] = ev.Time
					if seen[ev.ID] {
						t.Fatalf("%+v: id %s sent twice", tt, ev.ID)
					}
					seen[ev.ID] = true
					sent++
				}
			}
		}
		if sent != 2*len(evs) {
			t.Errorf("%+v: sent %d events, want the world's %d twice", tt, sent, len(evs))
		}
	}
}

func decodeBody(t *testing.T, path string, raw []byte) []mamori.Event {
	t.Helper()
	if path == "/v1/events" {
		var b struct {
			Events []mamori.Event `json:"events"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		return b.Events
	}
	ev, err := mamori.DecodeEvent(raw)
	if err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return []mamori.Event{ev}
}

// TestMemoryReportSaysWhatCollectionsScan checks the memory report's
// lines: the heap per account, and the part of it that holds pointers,
// which can be no more than the heap.
func TestMemoryReportSaysWhatCollectionsScan(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"bench", "--memory-accounts", "3000", "--memory-sim-accounts", "40"}, &stdout, io.Discard); err != nil {
		t.Fatalf("bench: %v\n%s", err, stdout.String())
	}
	short := regexp.MustCompile(`account state \(.*\): heap (-?[0-9]+) B/account \((-?[0-9]+) B of it scanned by every garbage collection\), RSS -?[0-9]+ B/account`)
	m := short.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no account state line:\n%s", stdout.String())
	}
	heap, scanned := atoi(t, m[1]), atoi(t, m[2])
	if scanned <= 0 || scanned > heap {
		t.Errorf("%d B scanned of a heap of %d B an account:\n%s", scanned, heap, stdout.String())
	}
	// The simulated accounts, decoded and packed: packed, an account
	// holds no pointers of its own.
	sim := regexp.MustCompile(`(all decoded|packed) \(.*\): heap (-?[0-9]+) B/account beyond the empty engine \((-?[0-9]+) B of it scanned by every garbage collection\)`)
	lines := sim.FindAllStringSubmatch(stdout.String(), -1)
	if len(lines) != 2 || lines[0][1] != "all decoded" || lines[1][1] != "packed" {
		t.Fatalf("no lines for the simulated accounts decoded and packed:\n%s", stdout.String())
	}
	decoded, packed := atoi(t, lines[0][2]), atoi(t, lines[1][2])
	if packed >= decoded {
		t.Errorf("packed accounts take %d B each, decoded ones %d B:\n%s", packed, decoded, stdout.String())
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClosedLoopRoundsGoOnWhereTheyStopped checks that a closed loop run
// in rounds sends no id twice and counts every request of every round,
// against a server on loopback that records what it is sent.
func TestClosedLoopRoundsGoOnWhereTheyStopped(t *testing.T) {
	evs, err := sim.Events(context.Background(), sim.Config{Seed: 3, Accounts: 20, HistoryDays: 2, Days: 2, Prefix: idSlot})
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorkload(evs, "/v1/risk", 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := mamori.DecodeEvent(body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		seen[ev.ID]++
		mu.Unlock()
		rw.Write([]byte(`{}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	tgt := newTarget("http://"+ln.Addr().String(), "", 4)
	defer tgt.close()

	c := newClosedLoad(tgt, w, closedSpec{clients: 4, max: 1 << 30, run: ids{run: 'm', nonce: 1}})
	rounds := 3
	for range rounds {
		if err := c.round(context.Background(), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	res := c.result()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for id, n := range seen {
		if n > 1 {
			t.Errorf("id %s sent %d times", id, n)
		}
		total += n
	}
	if res.requests != total || res.errors != 0 {
		t.Errorf("counted %d requests (%d errors); the server saw %d", res.requests, res.errors, total)
	}
	if res.took < time.Duration(rounds)*50*time.Millisecond {
		t.Errorf("took %s over %d rounds of 50ms", res.took, rounds)
	}
}

// TestBenchWritesItsProfiles asks for the closed loop's and the paced
// loop's CPU profiles and the allocation profile, and finds each written
// as a profile (gzipped protocol buffers), each its own file.
func TestBenchWritesItsProfiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"--cpuprofile":       filepath.Join(dir, "closed.pprof"),
		"--paced-cpuprofile": filepath.Join(dir, "paced.pprof"),
		"--memprofile":       filepath.Join(dir, "allocs.pprof"),
	}
	args := []string{"bench", "--duration", "300ms", "--clients", "3", "--paced-clients", "5",
		"--world-accounts", "25", "--seed", "2", "--baseline=false"}
	for flag, path := range files {
		args = append(args, flag, path)
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), args, &stdout, io.Discard); err != nil {
		t.Fatalf("bench: %v\n%s", err, stdout.String())
	}
	seen := map[string]string{}
	for flag, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
			t.Errorf("%s wrote %d bytes that are not a gzipped profile", flag, len(raw))
		}
		if other, ok := seen[string(raw)]; ok {
			t.Errorf("%s and %s wrote the same profile", flag, other)
		}
		seen[string(raw)] = flag
	}
}
