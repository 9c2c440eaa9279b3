package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/mamori-dev/mamori/webhook"
)

// fakeClock is a wall clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// harness is a webhook service over a real SQLite log in a temporary
// directory, on a fake clock.
type harness struct {
	t     *testing.T
	dir   string
	log   *sqlite.Log
	clock *fakeClock
	opts  webhook.Options
	svc   *webhook.Service
	seq   uint64
}

// testOptions dispatch fast: short polls, a short retry schedule.
func testOptions() webhook.Options {
	return webhook.Options{
		PollInterval: 5 * time.Millisecond,
		Backoff:      []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute},
		MaxAttempts:  8,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// newHarness opens the log and makes the service; start starts it.
func newHarness(t *testing.T, opts webhook.Options) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clock: newFakeClock(), opts: opts}
	h.log = openLog(t, h.dir)
	h.opts.Clock = h.clock
	h.svc = webhook.New(h.log.Webhooks(), h.opts)
	t.Cleanup(func() { h.svc.Close() })
	return h
}

func (h *harness) start() {
	h.t.Helper()
	if err := h.svc.Start(); err != nil {
		h.t.Fatal(err)
	}
}

func openLog(t *testing.T, dir string) *sqlite.Log {
	t.Helper()
	l, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// append records events with their decisions in the log, numbered next.
func (h *harness) append(recs ...mamori.LogRecord) {
	h.t.Helper()
	for _, r := range recs {
		h.seq++
		r.Seq = h.seq
		appendRecord(h.t, h.log, r)
	}
	if err := h.log.Barrier(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func appendRecord(t *testing.T, l *sqlite.Log, r mamori.LogRecord) {
	t.Helper()
	l.Append(r, func(err error) {
		if err != nil {
			t.Errorf("append %s: %v", r.ID, err)
		}
	})
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// record is an event of account with the decision mamori gave it, at
// minute min after t0.
func record(account, id, typ string, min int, d mamori.Decision) mamori.LogRecord {
	ev := mamori.Event{ID: id, Type: typ, Time: t0.Add(time.Duration(min) * time.Minute), AccountID: account, SessionID: "s-" + account}
	d.EventID = id
	if d.Decision == "" {
		d.Decision = mamori.Allow
	}
	if d.Actions == nil {
		d.Actions = []mamori.Action{}
	}
	evJSON, _ := json.Marshal(ev)
	decJSON, _ := json.Marshal(d)
	return mamori.LogRecord{ID: id, Account: account, Type: typ, Time: ev.Time, Event: evJSON, Decision: decJSON}
}

func allow() mamori.Decision { return mamori.Decision{Decision: mamori.Allow} }

func challenge() mamori.Decision {
	return mamori.Decision{Decision: mamori.Challenge, Score: 0.68, Reasons: []mamori.Reason{{Code: "new_device", Message: "new device"}}}
}

func lockdown(caseID string) mamori.Decision {
	return mamori.Decision{Decision: mamori.Deny, Score: 1, Reasons: []mamori.Reason{{Code: "lockdown_requested", Message: "lockdown"}},
		Actions: mamori.LockdownActions, CaseID: caseID}
}

func deniedInCase(caseID string) mamori.Decision {
	return mamori.Decision{Decision: mamori.Deny, Score: 1, Reasons: []mamori.Reason{{Code: "account_locked", Message: "locked"}}, CaseID: caseID}
}

// create registers an endpoint and returns it with its secret.
func (h *harness) create(url string, events ...string) webhook.Created {
	h.t.Helper()
	if len(events) == 0 {
		events = webhook.Types
	}
	c, err := h.svc.Create(context.Background(), webhook.NewEndpoint{URL: url, Events: events})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// until advances the clock by step until cond holds, for at most 10 s
// of real time.
func (h *harness) until(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	until(h.t, h.clock, what, step, cond)
}

func until(t *testing.T, clock *fakeClock, what string, step time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		clock.Advance(step)
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) deliveries(endpoint string, status webhook.Status) []webhook.Delivery {
	h.t.Helper()
	ds, err := h.svc.Deliveries(context.Background(), endpoint, webhook.DeliveryQuery{Status: status, Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// received is one request a receiver got.
type received struct {
	id, timestamp, signature string
	header                   http.Header
	body                     []byte
	status                   int // the answer
}

// receiver is a store's webhook endpoint on 127.0.0.1: it records every
// request and answers what answer says (200 when nil).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, r received) int
	// retryAfter, when set, goes with every answer other than 2xx.
	retryAfter string
}

func newReceiver(t *testing.T, answer func(n int, r received) int) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	got := received{id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
		signature: r.Header.Get("webhook-signature"), header: r.Header.Clone(), body: body}
	rc.mu.Lock()
	n := len(rc.got)
	answer := rc.answer
	rc.mu.Unlock()
	got.status = http.StatusOK
	if answer != nil {
		got.status = answer(n, got)
	}
	rc.mu.Lock()
	rc.got = append(rc.got, got)
	rc.mu.Unlock()
	if rc.retryAfter != "" && got.status/100 != 2 {
		w.Header().Set("Retry-After", rc.retryAfter)
	}
	w.WriteHeader(got.status)
}

// accepted returns the requests answered 2xx.
func (rc *receiver) accepted() []received {
	var out []received
	for _, r := range rc.requests() {
		if r.status/100 == 2 {
			out = append(out, r)
		}
	}
	return out
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) setAnswer(f func(n int, r received) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

// verify checks a request as the specification describes, written here
// apart from the signer: HMAC-SHA256 keyed by the secret's bytes over
// id.timestamp.body, compared in constant time with each v1 signature of
// the space-separated header. It also asks the reference library, and
// fails the test if the two disagree.
func verify(t *testing.T, secret string, r received) bool {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.id + "." + r.timestamp + "."))
	mac.Write(r.body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	ours := false
	for _, sig := range strings.Fields(r.signature) {
		version, value, ok := strings.Cut(sig, ",")
		if ok && version == "v1" && hmac.Equal([]byte(value), []byte(want)) {
			ours = true
		}
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	theirs := wh.VerifyIgnoringTimestamp(r.body, r.header) == nil
	if ours != theirs {
		t.Errorf("message %s: our verification says %v, the library's %v", r.id, ours, theirs)
	}
	return ours
}

// body decodes a message body.
func body(t *testing.T, raw []byte) (typ string, ts time.Time, data map[string]any) {
	t.Helper()
	var b struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	return b.Type, b.Timestamp, b.Data
}

// checkOnce checks that the messages accepted are exactly want, in that
// order, that a repeated id came with the same body, and that no body
// came under two ids. Repeats are allowed only when repeats is set (a
// crash between the answer and its record).
func checkOnce(t *testing.T, got []received, want []string, repeats bool) {
	t.Helper()
	bodies := map[string]string{}
	ids := map[string]string{}
	var order []string
	for _, r := range got {
		if b, ok := bodies[r.id]; ok {
			if !repeats {
				t.Errorf("message %s accepted twice", r.id)
			}
			if b != string(r.body) {
				t.Errorf("message %s came twice with different bodies:\n%s\n%s", r.id, b, r.body)
			}
			continue
		}
		if other, ok := ids[string(r.body)]; ok {
			t.Errorf("one body came under two ids, %s and %s: %s", other, r.id, r.body)
		}
		bodies[r.id], ids[string(r.body)] = string(r.body), r.id
		order = append(order, r.id)
	}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("messages received, in order:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
}
