package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real binary as a child process, as a store would.

var mamoriBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mamori-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mamoriBin = filepath.Join(dir, "mamori")
	build := exec.Command("go", "build", "-o", mamoriBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mamori:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const childKey = "child-key"

type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncWriter
	exited chan error
}

// startChild runs `mamori serve` on a loopback port over dir and waits
// until it is healthy.
func startChild(t *testing.T, dir string, flags ...string) *child {
	t.Helper()
	cmd := exec.Command(mamoriBin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--api-key", childKey}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &syncWriter{}, exited: make(chan error, 1)}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- cmd.Wait() }()
	// A test that fails half-way must not leave its server running.
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "mamori listening on "); ok {
				found <- strings.Fields(rest)[0]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("mamori exited before listening: %s", c.stderr)
		}
		c.url = u
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("mamori did not start: %s", c.stderr)
	}
	resp, err := http.Get(c.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	return c
}

// syncWriter collects a child's log while the test reads it.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func post(ctx context.Context, client *http.Client, url, path string, body any) (int, []byte, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", url+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+childKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func getAccount(t *testing.T, url, id string) (map[string]any, int) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/accounts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+childKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acct map[string]any
	json.NewDecoder(resp.Body).Decode(&acct)
	return acct, resp.StatusCode
}

// ledger remembers every event sent and which were acknowledged.
type ledger struct {
	mu        sync.Mutex
	sent      map[string]map[string]any // id -> event
	acked     map[string]bool
	decisions map[string][]byte // /v1/risk answers by event id
	order     []string
}

func newLedger() *ledger {
	return &ledger{sent: map[string]map[string]any{}, acked: map[string]bool{}, decisions: map[string][]byte{}}
}

func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *ledger) send(evs ...map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range evs {
		id := ev["id"].(string)
		if l.sent[id] == nil {
			l.order = append(l.order, id)
		}
		l.sent[id] = ev
	}
}

func (l *ledger) ack(decision []byte, evs ...map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range evs {
		id := ev["id"].(string)
		l.acked[id] = true
		if decision != nil {
			l.decisions[id] = decision
		}
	}
}

// worker drives one client's accounts: sign-ins that start sessions,
// activity in them, sometimes batched, with event time moving forward.
type worker struct {
	id       int
	round    int
	accounts []string
	clock    map[string]time.Time
	n        int
}

func (w *worker) event(account, typ, session string, props map[string]any) map[string]any {
	w.n++
	w.clock[account] = w.clock[account].Add(time.Minute)
	return map[string]any{
		"id": fmt.Sprintf("r%d-w%d-e%d", w.round, w.id, w.n), "type": typ, "account_id": account,
		"session_id": session, "time": w.clock[account].Format(time.RFC3339),
		"context":    map[string]any{"ip": fmt.Sprintf("153.156.%d.%d", w.id, 10+w.n%5), "device_id": fmt.Sprintf("dev-%s", account)},
		"properties": props,
	}
}

// maxRounds bounds a worker's sessions per run, so that no account
// outgrows the sessions its view lists.
const maxRounds = 60

func (w *worker) run(ctx context.Context, url string, l *ledger) {
	client := &http.Client{Timeout: 20 * time.Second}
	for i := 0; ctx.Err() == nil && i < maxRounds; i++ {
		account := w.accounts[i%len(w.accounts)]
		session := fmt.Sprintf("r%d-w%d-s%d", w.round, w.id, i)
		login := w.event(account, "login.succeeded", session, map[string]any{"mfa": "totp"})
		l.send(login)
		status, body, err := post(ctx, client, url, "/v1/risk", login)
		if err != nil {
			return
		}
		if status != 200 {
			panic(fmt.Sprintf("login: %d %s", status, body))
		}
		l.ack(body, login)
		batch := []map[string]any{
			w.event(account, "session.activity", session, map[string]any{"page": "home"}),
			w.event(account, "session.activity", session, map[string]any{"page": "orders"}),
			w.event(account, "logout", session, nil),
		}
		l.send(batch...)
		if i%2 == 0 {
			status, body, err = post(ctx, client, url, "/v1/events", map[string]any{"events": batch})
		} else {
			status, body, err = post(ctx, client, url, "/v1/events", batch[0])
			if err == nil && status == 202 {
				l.ack(nil, batch[0])
				batch = batch[1:]
				status, body, err = post(ctx, client, url, "/v1/events", map[string]any{"events": batch})
			}
		}
		if err != nil {
			return
		}
		if status != 202 {
			panic(fmt.Sprintf("events: %d %s", status, body))
		}
		l.ack(nil, batch...)
	}
}

// check verifies that every acknowledged event is recorded once: each
// acknowledged sign-in's session is in the account view, no session
// twice, and the account holds no more events than were sent.
func (l *ledger) check(t *testing.T, url string, accounts []string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	sentPer := map[string]int{}
	ackedPer := map[string]int{}
	ackedSessions := map[string][]string{}
	for id, ev := range l.sent {
		acct := ev["account_id"].(string)
		sentPer[acct]++
		if l.acked[id] {
			ackedPer[acct]++
			if ev["type"] == "login.succeeded" {
				ackedSessions[acct] = append(ackedSessions[acct], ev["session_id"].(string))
			}
		}
	}
	for _, acct := range accounts {
		if sentPer[acct] == 0 {
			continue
		}
		view, status := getAccount(t, url, acct)
		if status != 200 {
			if ackedPer[acct] > 0 {
				t.Fatalf("account %s: %d after %d acknowledged events", acct, status, ackedPer[acct])
			}
			continue
		}
		have := map[string]int{}
		for _, s := range view["sessions"].([]any) {
			have[s.(map[string]any)["session_id"].(string)]++
		}
		for sid, n := range have {
			if n > 1 {
				t.Fatalf("account %s: session %s listed %d times", acct, sid, n)
			}
		}
		for _, sid := range ackedSessions[acct] {
			if have[sid] == 0 {
				t.Fatalf("account %s: acknowledged session %s lost", acct, sid)
			}
		}
		count := int(view["event_count"].(float64))
		if count < ackedPer[acct] || count > sentPer[acct] {
			t.Fatalf("account %s: %d events recorded, %d acknowledged, %d sent", acct, count, ackedPer[acct], sentPer[acct])
		}
	}
}

func TestKill9LosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary under load")
	}
	dir := t.TempDir()
	l := newLedger()
	const workers = 32
	var accounts []string
	ws := make([]*worker, workers)
	for i := range ws {
		ws[i] = &worker{id: i, clock: map[string]time.Time{}}
		for k := 0; k < 3; k++ {
			a := fmt.Sprintf("crash-w%d-a%d", i, k)
			ws[i].accounts = append(ws[i].accounts, a)
			ws[i].clock[a] = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			accounts = append(accounts, a)
		}
	}
	const rounds = 3
	for round := 0; round < rounds; round++ {
		c := startChild(t, dir)
		l.check(t, c.url, accounts)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, w := range ws {
			w.round = round
			wg.Add(1)
			go func() { defer wg.Done(); w.run(ctx, c.url, l) }()
		}
		// Kill mid-load: once this round has had some events acknowledged,
		// well before the workers run out of work.
		target := l.ackedCount() + 800 + 600*round
		for l.ackedCount() < target {
			time.Sleep(2 * time.Millisecond)
		}
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-c.exited
		cancel()
		wg.Wait()
		l.mu.Lock()
		t.Logf("round %d: %d events sent, %d acknowledged so far", round, len(l.sent), len(l.acked))
		l.mu.Unlock()
	}

	// After the last crash: every acknowledged event is there, a repeated
	// /v1/risk gives the first answer, and re-sending everything ever sent
	// records each event exactly once.
	c := startChild(t, dir)
	defer func() {
		c.cmd.Process.Signal(os.Interrupt)
		<-c.exited
	}()
	l.check(t, c.url, accounts)
	client := &http.Client{}
	ctx := context.Background()
	checked := 0
	for id, want := range l.decisions {
		if checked == 200 {
			break
		}
		status, got, err := post(ctx, client, c.url, "/v1/risk", l.sent[id])
		if err != nil || status != 200 || !bytes.Equal(got, want) {
			t.Fatalf("repeat of %s after crashes: %d %v\n got %s\nwant %s", id, status, err, got, want)
		}
		checked++
	}
	var all []map[string]any
	for _, id := range l.order {
		all = append(all, l.sent[id])
	}
	for len(all) > 0 {
		n := min(len(all), 500)
		if status, body, err := post(ctx, client, c.url, "/v1/events", map[string]any{"events": all[:n]}); err != nil || status != 202 {
			t.Fatalf("re-send: %d %v %s", status, err, body)
		}
		all = all[n:]
	}
	for _, id := range l.order {
		l.acked[id] = true
	}
	l.check(t, c.url, accounts)
	perAccount := map[string]int{}
	for _, ev := range l.sent {
		perAccount[ev["account_id"].(string)]++
	}
	for acct, n := range perAccount {
		view, _ := getAccount(t, c.url, acct)
		if got := int(view["event_count"].(float64)); got != n {
			t.Fatalf("account %s: %d events after re-sending all, want exactly %d", acct, got, n)
		}
	}
	t.Logf("%d events sent over %d crashes; all acknowledged ones survived, none twice", len(l.sent), rounds)
}

// TestSigtermFinishesRequestsInFlight runs mamori with one account
// decoded at a time, so that the accounts are packed and unpacked at
// nearly every event and the snapshot of the clean stop holds them
// packed (the crash test runs the default).
func TestSigtermFinishesRequestsInFlight(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir, "--active-accounts", "1")
	l := newLedger()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var accounts []string
	var statusMu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 16; i++ {
		w := &worker{id: i, clock: map[string]time.Time{}}
		a := fmt.Sprintf("term-%d", i)
		w.accounts, w.clock[a] = []string{a}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		accounts = append(accounts, a)
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			for j := 0; ctx.Err() == nil; j++ {
				ev := w.event(a, "session.activity", fmt.Sprintf("s-%d", j), map[string]any{"page": "home"})
				l.send(ev)
				status, body, err := post(ctx, client, c.url, "/v1/risk", ev)
				if err != nil {
					return
				}
				statusMu.Lock()
				statuses[status]++
				statusMu.Unlock()
				if status == 200 {
					l.ack(body, ev)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("mamori exited with %v after SIGINT: %s", err, c.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mamori did not stop within 30s of SIGINT")
	}
	cancel()
	wg.Wait()
	for status, n := range statuses {
		if status != 200 {
			t.Fatalf("%d requests got %d during shutdown", n, status)
		}
	}
	if !strings.Contains(c.stderr.String(), "stopped cleanly") {
		t.Fatalf("no clean stop in the log: %s", c.stderr)
	}
	c = startChild(t, dir, "--active-accounts", "1")
	l.check(t, c.url, accounts)
	if !strings.Contains(c.stderr.String(), `"replayed":0`) {
		t.Errorf("a clean stop should leave a snapshot, so that nothing is replayed: %s", c.stderr)
	}
	c.cmd.Process.Signal(os.Interrupt)
	<-c.exited
	t.Logf("%d requests answered 200 across the shutdown", statuses[200])
}

func TestServeRefusesToStartWithoutAKey(t *testing.T) {
	cmd := exec.Command(mamoriBin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "MAMORI_API_KEY=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve started without a key")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "--api-key") || !strings.Contains(lines[0], "MAMORI_API_KEY") {
		t.Fatalf("want one clear line naming --api-key and MAMORI_API_KEY, got:\n%s", out)
	}
}

// TestServeRefusesABadCommitInterval starts serve with a commit interval
// it cannot use, from the flag or the environment: it must stop at once,
// naming the setting.
func TestServeRefusesABadCommitInterval(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"negative flag", []string{"--commit-interval", "-1ms"}, "", "--commit-interval"},
		{"flag not a duration", []string{"--commit-interval", "soon"}, "", "commit-interval"},
		{"environment not a duration", nil, "soon", "MAMORI_COMMIT_INTERVAL"},
		{"negative environment", nil, "-5ms", "--commit-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--api-key", "k"}, tt.args...)
			cmd := exec.Command(mamoriBin, args...)
			cmd.Env = append(os.Environ(), "MAMORI_COMMIT_INTERVAL="+tt.env)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("serve %v: %v, want exit status 2; output:\n%s", tt.args, err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("output does not name %s:\n%s", tt.want, out)
			}
		})
	}
}

func TestServeTakesItsSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(mamoriBin, "serve")
	cmd.Env = append(os.Environ(), "MAMORI_ADDR=127.0.0.1:0", "MAMORI_DATA="+filepath.Join(dir, "d"), "MAMORI_API_KEY=env-key")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.Fields(strings.TrimPrefix(line, "mamori listening on "))[0]
	req, _ := http.NewRequest("GET", url+"/v1/accounts/x", nil)
	req.Header.Set("Authorization", "Bearer env-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("with the key from MAMORI_API_KEY: %d, want 404", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "d", "mamori.db")); err != nil {
		t.Fatalf("MAMORI_DATA not used: %v", err)
	}
}

func TestDemoStopsTheSeedStoryAtTheFirstGiftCard(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, &out, io.Discard); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	last := strings.TrimSpace(out.String())
	last = last[strings.LastIndex(last, "\n")+1:]
	if !strings.HasPrefix(last, "attacker got ¥0 of gift cards") || !strings.Contains(last, "first gift card: review") {
		t.Fatalf("summary: %s", last)
	}
}

func callChild(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+childKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestKill9WithWebhooksPending kills mamori while webhook deliveries wait
// for a receiver that is down; after the restart, with the receiver back,
// every message arrives once, and none under two ids.
func TestKill9WithWebhooksPending(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	var mu sync.Mutex
	down := true
	got := map[string][]byte{} // webhook-id -> body
	sameMessage := map[string]string{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		id := r.Header.Get("webhook-id")
		if prev, ok := got[id]; ok && !bytes.Equal(prev, body) {
			t.Errorf("message %s delivered with two bodies", id)
		}
		got[id] = body
		// The same message under another id would repeat its type, event
		// and action.
		var m struct {
			Type string `json:"type"`
			Data struct {
				EventID string `json:"event_id"`
				Action  string `json:"action"`
			} `json:"data"`
		}
		json.Unmarshal(body, &m)
		key := m.Type + "/" + m.Data.EventID + "/" + m.Data.Action
		if other, ok := sameMessage[key]; ok && other != id {
			t.Errorf("message %s arrived under two ids: %s and %s", key, other, id)
		}
		sameMessage[key] = id
	}))
	defer receiver.Close()

	dir := t.TempDir()
	c := startChild(t, dir)
	var hook struct {
		ID string `json:"id"`
	}
	if s := callChild(t, "POST", c.url+"/v1/webhooks", map[string]any{"url": receiver.URL,
		"events": []string{"decision.created", "action.requested", "case.opened", "case.updated"}}, &hook); s != 201 {
		t.Fatalf("subscribe: %d", s)
	}
	const accounts = 5
	for i := 0; i < accounts; i++ {
		acct := fmt.Sprintf("hook-%d", i)
		ev := map[string]any{"id": acct + "-0", "type": "account.created", "account_id": acct,
			"time": "2026-11-01T00:00:00Z", "properties": map[string]any{"email": acct + "@example.jp"}}
		if s := callChild(t, "POST", c.url+"/v1/events", ev, nil); s != 202 {
			t.Fatalf("event: %d", s)
		}
		if s := callChild(t, "POST", c.url+"/v1/accounts/"+acct+"/lockdown", map[string]any{"reason": "test"}, nil); s != 200 {
			t.Fatalf("lockdown: %d", s)
		}
	}
	// Each lockdown: its decision, seven actions, the case opened.
	const want = accounts * 9
	var list struct {
		Deliveries []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"deliveries"`
	}
	waitUntil := func(what string, cond func() bool) {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUntil("the deliveries to be stored", func() bool {
		callChild(t, "GET", c.url+"/v1/webhooks/"+hook.ID+"/deliveries?limit=1000", nil, &list)
		return len(list.Deliveries) == want
	})
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-c.exited

	mu.Lock()
	down = false
	mu.Unlock()
	c = startChild(t, dir)
	defer func() { c.cmd.Process.Signal(os.Interrupt); <-c.exited }()
	// Retry now rather than wait for the backoff.
	callChild(t, "GET", c.url+"/v1/webhooks/"+hook.ID+"/deliveries?limit=1000", nil, &list)
	for _, d := range list.Deliveries {
		if d.Status != "delivered" {
			callChild(t, "POST", c.url+"/v1/webhooks/"+hook.ID+"/deliveries/"+d.ID+"/retry", nil, nil)
		}
	}
	waitUntil("every message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == want
	})
	time.Sleep(200 * time.Millisecond) // let a duplicate show itself, if any
	mu.Lock()
	defer mu.Unlock()
	if len(got) != want {
		t.Fatalf("%d messages, want %d", len(got), want)
	}
}

// The metrics tell an operator how the journal and the tables keep up:
// commits, the indexer's transactions, and the commits the tables still
// lack, which comes back to 0 once the load stops.
func TestMetricsShowTheJournalAndTheTables(t *testing.T) {
	c := startChild(t, t.TempDir())
	w := &worker{id: 0, clock: map[string]time.Time{}}
	w.accounts, w.clock["metrics-1"] = []string{"metrics-1"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	client := &http.Client{Timeout: 20 * time.Second}
	for j := range 20 {
		ev := w.event("metrics-1", "session.activity", fmt.Sprintf("s-%d", j), map[string]any{"page": "home"})
		if status, body, err := post(context.Background(), client, c.url, "/v1/risk", ev); err != nil || status != 200 {
			t.Fatalf("event %d: %d %s %v", j, status, body, err)
		}
	}
	metric := func(text, name string) (float64, bool) {
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(line, name+" "); ok {
				v, err := strconv.ParseFloat(rest, 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", c.url+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+childKey)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		text := string(raw)
		events, okE := metric(text, "mamori_commit_events_sum")
		indexed, okI := metric(text, "mamori_index_duration_seconds_count")
		lag, okL := metric(text, "mamori_index_lag_commits")
		if !okE || !okI || !okL {
			t.Fatalf("metrics lack the journal's: %v %v %v", okE, okI, okL)
		}
		if events == 20 && indexed >= 1 && lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %v events committed, %v index transactions, lag %v", events, indexed, lag)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
