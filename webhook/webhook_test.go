package webhook_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/webhook"
)

func TestMessagesOfRecords(t *testing.T) {
	l := openLog(t, t.TempDir())
	for i, r := range []mamori.LogRecord{
		record("a-1", "e1", mamori.LoginSucceeded, 0, allow()),
		record("a-1", "e2", mamori.LoginSucceeded, 1, challenge()),
		record("a-1", "e3", mamori.AccountLockedDown, 2, lockdown("c-3")),
		record("a-1", "e4", mamori.LoginSucceeded, 3, deniedInCase("c-3")),
		record("a-2", "e5", mamori.FraudReported, 4, mamori.Decision{Decision: mamori.Allow,
			Actions: []mamori.Action{mamori.HoldPendingOrders, mamori.NotifyCustomer}, CaseID: "c-3"}),
	} {
		r.Seq = uint64(i + 1)
		appendRecord(t, l, r)
	}
	if err := l.Barrier(context.Background()); err != nil {
		t.Fatal(err)
	}
	store := l.Webhooks()
	recs, err := store.Records(context.Background(), 0, 10)
	if err != nil || len(recs) != 5 {
		t.Fatalf("records: %d, %v", len(recs), err)
	}
	actions := func(seq, n int) []string {
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprintf("msg_%d_action_requested_%d", seq, i))
		}
		return ids
	}
	tests := []struct {
		name string
		seq  int
		want []string
	}{
		{"an allow without actions says nothing", 1, nil},
		{"a challenge is a decision", 2, []string{"msg_2_decision_created_0"}},
		{"a lockdown opens a case and requests seven actions", 3,
			append([]string{"msg_3_decision_created_0", "msg_3_case_opened_0"}, actions(3, 7)...)},
		{"a denial in the open case updates it", 4, []string{"msg_4_decision_created_0", "msg_4_case_updated_0"}},
		{"a case id is new per account; an allow may carry actions", 5,
			append([]string{"msg_5_case_opened_0"}, actions(5, 2)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := recs[tt.seq-1]
			msgs, err := webhook.Messages(context.Background(), rec, store)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range msgs {
				ids = append(ids, m.ID)
				typ, ts, _ := body(t, m.Body)
				if typ != m.Type || !ts.Equal(rec.Time) {
					t.Errorf("%s: body says %s at %s, want %s at the event's time %s", m.ID, typ, ts, m.Type, rec.Time)
				}
				if strings.Contains(m.ID, ".") {
					t.Errorf("message id %s holds a dot", m.ID)
				}
			}
			if strings.Join(ids, " ") != strings.Join(tt.want, " ") {
				t.Errorf("messages %v, want %v", ids, tt.want)
			}
			again, _ := webhook.Messages(context.Background(), rec, store)
			for i := range again {
				if string(again[i].Body) != string(msgs[i].Body) {
					t.Errorf("%s: a second reading gives another body", msgs[i].ID)
				}
			}
		})
	}

	msgs, _ := webhook.Messages(context.Background(), recs[2], store)
	_, _, data := body(t, msgs[2].Body)
	if data["action"] != "lock_account" || data["case_id"] != "c-3" || data["account_id"] != "a-1" ||
		data["event_id"] != "e3" || data["event_type"] != mamori.AccountLockedDown || data["decision"] != "deny" {
		t.Errorf("action.requested data: %v", data)
	}
	_, _, data = body(t, msgs[0].Body)
	if d, _ := data["decision"].(map[string]any); d["decision"] != "deny" || d["case_id"] != "c-3" || data["event_id"] != "e3" {
		t.Errorf("decision.created data: %v", data)
	}
	_, _, data = body(t, msgs[1].Body)
	if data["case_id"] != "c-3" || data["reason"] != "lockdown_requested" {
		t.Errorf("case.opened data: %v", data)
	}
}

func TestSignMatchesSpecificationVector(t *testing.T) {
	// The example of the Standard Webhooks reference libraries.
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	h := http.Header{}
	payload := []byte(`{"test": 2432232314}`)
	if err := webhook.Sign(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), payload, []string{secret, secret}); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != want+" "+want {
		t.Errorf("webhook-signature %q, want %q twice", got, want)
	}
	if h.Get("webhook-id") != "msg_p5jXN8AQM9LWM0D4loKWxJek" || h.Get("webhook-timestamp") != "1614265330" {
		t.Errorf("headers %v", h)
	}
}

func TestCheckSecret(t *testing.T) {
	enc := func(n int) string { return "whsec_" + base64Bytes(n) }
	tests := []struct {
		secret string
		ok     bool
	}{
		{webhook.NewSecret(), true},
		{enc(24), true},
		{enc(64), true},
		{enc(23), false},
		{enc(65), false},
		{base64Bytes(32), false},
		{"whsec_not base64!", false},
		{"", false},
	}
	for _, tt := range tests {
		err := webhook.CheckSecret("secret", tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSecret(%q) = %v, want ok %v", tt.secret, err, tt.ok)
		}
		if err != nil && (mamori.ErrorCode(err) != mamori.EInvalidEvent || !strings.Contains(err.Error(), "secret")) {
			t.Errorf("CheckSecret(%q): error %v names no field", tt.secret, err)
		}
	}
}

func TestDeliveriesAreSignedWithEveryActiveSecret(t *testing.T) {
	h := newHarness(t, testOptions())
	h.start()
	rc := newReceiver(t, nil)
	c := h.create(rc.srv.URL, webhook.DecisionCreated)
	ctx := context.Background()
	secrets := map[string]string{"s1": c.Secret, "s2": webhook.NewSecret()}
	keep := int64(0)
	minute := int64(60)

	steps := []struct {
		name   string
		change func(t *testing.T)
		signs  []string
	}{
		{"the first secret signs", nil, []string{"s1"}},
		{"a second secret signs beside the first", func(t *testing.T) {
			added, err := h.svc.AddSecret(ctx, c.ID, webhook.NewSecretRequest{Secret: secrets["s2"], ExpirePreviousAfter: &keep})
			if err != nil || added.N != 2 || added.Value != "" {
				t.Fatalf("add a given secret: %+v, %v", added, err)
			}
		}, []string{"s1", "s2"}},
		{"a removed secret signs no more", func(t *testing.T) {
			if _, err := h.svc.RemoveSecret(ctx, c.ID, 1); err != nil {
				t.Fatal(err)
			}
		}, []string{"s2"}},
		{"a third secret, the second expiring in a minute", func(t *testing.T) {
			added, err := h.svc.AddSecret(ctx, c.ID, webhook.NewSecretRequest{ExpirePreviousAfter: &minute})
			if err != nil || added.N != 3 || webhook.CheckSecret("secret", added.Value) != nil {
				t.Fatalf("add a made secret: %+v, %v", added, err)
			}
			secrets["s3"] = added.Value
		}, []string{"s2", "s3"}},
		{"an expired secret signs no more", func(t *testing.T) {
			h.clock.Advance(61 * time.Second)
		}, []string{"s3"}},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.change != nil {
				st.change(t)
			}
			h.append(record("a-1", "e"+strconv.Itoa(i), mamori.LoginSucceeded, i, challenge()))
			h.until("a delivery", time.Millisecond, func() bool { return len(rc.accepted()) == i+1 })
			got := rc.accepted()[i]
			if n := len(strings.Fields(got.signature)); n != len(st.signs) {
				t.Errorf("%d signatures, want %d: %s", n, len(st.signs), got.signature)
			}
			for name, secret := range secrets {
				want := false
				for _, s := range st.signs {
					want = want || s == name
				}
				if verify(t, secret, got) != want {
					t.Errorf("secret %s verifies: %v, want %v", name, !want, want)
				}
			}
			if ts, _ := strconv.ParseInt(got.timestamp, 10, 64); ts < h.clock.Now().Unix()-1 || ts > h.clock.Now().Unix() {
				t.Errorf("webhook-timestamp %s, want the sending time %d on the service's clock", got.timestamp, h.clock.Now().Unix())
			}
		})
	}

	_, err := h.svc.RemoveSecret(ctx, c.ID, 3)
	if mamori.ErrorCode(err) != mamori.EInvalidEvent {
		t.Errorf("removing the last active secret: %v, want invalid_event", err)
	}
	e, _ := h.svc.Endpoint(ctx, c.ID)
	if len(e.Secrets) != 2 || e.Secrets[0].Active || !e.Secrets[1].Active || e.Secrets[0].Value != "" || e.Secrets[1].Value != "" {
		t.Errorf("secrets shown: %+v", e.Secrets)
	}
}

// downMessages is the log of TestReceiverDownGetsEverythingInOrder and
// the crash tests: a challenge, a lockdown (deny, case opened, seven
// actions), a denial in the case, a challenge on another account.
func downMessages(h *harness) []string {
	h.append(
		record("a-1", "e1", mamori.LoginSucceeded, 0, challenge()),
		record("a-1", "e2", mamori.AccountLockedDown, 1, lockdown("c-2")),
		record("a-1", "e3", mamori.LoginSucceeded, 2, deniedInCase("c-2")),
		record("a-2", "e4", mamori.LoginSucceeded, 3, challenge()),
	)
	want := []string{"msg_1_decision_created_0", "msg_2_decision_created_0", "msg_2_case_opened_0"}
	for i := range 7 {
		want = append(want, fmt.Sprintf("msg_2_action_requested_%d", i))
	}
	return append(want, "msg_3_decision_created_0", "msg_3_case_updated_0", "msg_4_decision_created_0")
}

func TestReceiverDownGetsEverythingInOrder(t *testing.T) {
	tests := []struct {
		name string
		// down takes the receiver down and returns what brings it back.
		down func(t *testing.T, rc *receiver) (up func())
	}{
		{"answering 503", func(t *testing.T, rc *receiver) func() {
			rc.setAnswer(func(int, received) int { return http.StatusServiceUnavailable })
			return func() { rc.setAnswer(nil) }
		}},
		{"refusing connections", func(t *testing.T, rc *receiver) func() {
			addr := rc.srv.Listener.Addr().String()
			rc.srv.Close()
			return func() { rc.restart(t, addr) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testOptions())
			h.start()
			rc := newReceiver(t, nil)
			c := h.create(rc.srv.URL)
			up := tt.down(t, rc)
			want := downMessages(h)

			h.until("three failed attempts", time.Second, func() bool {
				failed := h.deliveries(c.ID, webhook.Failed)
				return len(failed) == 1 && failed[0].Attempts >= 3
			})
			// The first message holds back the others, untried.
			head := h.deliveries(c.ID, webhook.Failed)[0]
			if head.ID != want[0] || (head.LastStatusCode != 503 && head.LastError == "") || head.NextAttempt == nil {
				t.Errorf("failing delivery %+v", head)
			}
			if pending := h.deliveries(c.ID, webhook.Pending); len(pending) != len(want)-1 || pending[0].Attempts != 0 {
				t.Errorf("%d pending deliveries, want %d untried", len(pending), len(want)-1)
			}

			up()
			h.until("every message delivered", time.Second, func() bool {
				return len(h.deliveries(c.ID, webhook.Delivered)) == len(want)
			})
			checkOnce(t, rc.accepted(), want, false)
			for _, r := range rc.accepted() {
				if !verify(t, c.Secret, r) {
					t.Errorf("message %s does not verify", r.id)
				}
			}
		})
	}
}

// restart serves the receiver again on the address it had.
func (rc *receiver) restart(t *testing.T, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.serve))
	rc.srv.Listener.Close()
	rc.srv.Listener = ln
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
}

func TestFailingReceiverIsDeadLettered(t *testing.T) {
	opts := testOptions()
	opts.MaxAttempts = 3
	h := newHarness(t, opts)
	h.start()
	var failing atomic.Bool
	failing.Store(true)
	rc := newReceiver(t, func(n int, r received) int {
		if failing.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	c := h.create(rc.srv.URL, webhook.DecisionCreated)
	h.append(
		record("a-1", "e1", mamori.LoginSucceeded, 0, challenge()),
		record("a-1", "e2", mamori.LoginSucceeded, 1, challenge()),
	)
	h.until("two dead deliveries", time.Second, func() bool { return len(h.deliveries(c.ID, webhook.Dead)) == 2 })
	for _, d := range h.deliveries(c.ID, webhook.Dead) {
		if d.Attempts != 3 || d.LastStatusCode != 500 || d.NextAttempt != nil || d.LastError == "" {
			t.Errorf("dead delivery %+v", d)
		}
	}
	if n := len(rc.requests()); n != 6 {
		t.Errorf("%d requests, want 3 attempts of each of 2 messages", n)
	}

	failing.Store(false)
	ctx := context.Background()
	d, err := h.svc.Retry(ctx, c.ID, "msg_1_decision_created_0")
	if err != nil || d.Status != webhook.Pending || d.Attempts != 0 {
		t.Fatalf("retry: %+v, %v", d, err)
	}
	h.until("the retried message delivered", time.Second, func() bool {
		d, _ := h.svc.Delivery(ctx, c.ID, "msg_1_decision_created_0")
		return d.Status == webhook.Delivered
	})
	if d, _ := h.svc.Delivery(ctx, c.ID, "msg_1_decision_created_0"); d.Attempts != 1 || d.DeliveredAt == nil || len(rc.accepted()) != 1 {
		t.Errorf("after retry: %d attempts, delivered %v, %d accepted", d.Attempts, d.DeliveredAt, len(rc.accepted()))
	}
	if dead := h.deliveries(c.ID, webhook.Dead); len(dead) != 1 || dead[0].ID != "msg_2_decision_created_0" {
		t.Errorf("dead letter after one retry: %+v", dead)
	}
	if _, err := h.svc.Retry(ctx, c.ID, "msg_9_decision_created_0"); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("retry of an unknown delivery: %v", err)
	}
}

func TestGoneEndsDeliveryAtOnce(t *testing.T) {
	h := newHarness(t, testOptions())
	h.start()
	rc := newReceiver(t, func(int, received) int { return http.StatusGone })
	c := h.create(rc.srv.URL, webhook.DecisionCreated)
	h.append(record("a-1", "e1", mamori.LoginSucceeded, 0, challenge()))
	h.until("a dead delivery", time.Second, func() bool { return len(h.deliveries(c.ID, webhook.Dead)) == 1 })
	if d := h.deliveries(c.ID, webhook.Dead)[0]; d.Attempts != 1 || d.LastStatusCode != http.StatusGone {
		t.Errorf("delivery answered 410: %+v", d)
	}
}

func TestRetriesBackOffWithFullJitter(t *testing.T) {
	opts := testOptions()
	opts.MaxAttempts = 5
	h := newHarness(t, opts)
	h.start()
	rc := newReceiver(t, func(int, received) int { return http.StatusInternalServerError })
	c := h.create(rc.srv.URL, webhook.DecisionCreated)
	h.append(record("a-1", "e1", mamori.LoginSucceeded, 0, challenge()))
	// The wait scheduled after each failed attempt, as far as seen.
	waits := map[int]time.Duration{}
	h.until("a dead delivery", time.Second, func() bool {
		ds := h.deliveries(c.ID, "")
		if len(ds) == 0 {
			return false
		}
		if d := ds[0]; d.Status == webhook.Failed {
			waits[d.Attempts] = d.NextAttempt.Sub(*d.LastAttempt)
		}
		return ds[0].Status == webhook.Dead
	})
	caps := map[int]time.Duration{1: 5 * time.Second, 2: 30 * time.Second, 3: 2 * time.Minute, 4: 2 * time.Minute}
	for attempt, wait := range waits {
		if wait < 0 || wait > caps[attempt] {
			t.Errorf("wait after attempt %d: %s, want 0 to %s", attempt, wait, caps[attempt])
		}
	}
	if len(waits) < 2 {
		t.Errorf("saw the waits after %d attempts only", len(waits))
	}
	if n := len(rc.requests()); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t, testOptions())
	h.start()
	rc := newReceiver(t, func(n int, r received) int {
		if n == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	rc.retryAfter = "20"
	c := h.create(rc.srv.URL, webhook.DecisionCreated)
	h.append(record("a-1", "e1", mamori.LoginSucceeded, 0, challenge()))
	h.until("a failed attempt", 0, func() bool { return len(h.deliveries(c.ID, webhook.Failed)) == 1 })
	d := h.deliveries(c.ID, webhook.Failed)[0]
	if wait := d.NextAttempt.Sub(*d.LastAttempt); wait != 20*time.Second {
		t.Errorf("wait after Retry-After: 20: %s (the schedule's first step is 5 s)", wait)
	}
	if d.LastStatusCode != http.StatusTooManyRequests {
		t.Errorf("last status %d", d.LastStatusCode)
	}
	h.until("the message accepted", time.Second, func() bool { return len(rc.accepted()) == 1 })
}

func TestSubscriptionsAndRegistrationTime(t *testing.T) {
	h := newHarness(t, testOptions())
	h.start()
	actions, all, late := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
	ca := h.create(actions.srv.URL, webhook.ActionRequested)
	h.create(all.srv.URL)
	h.append(record("a-1", "e1", mamori.AccountLockedDown, 0, lockdown("c-1")))
	h.until("the lockdown dispatched", time.Millisecond, func() bool { return len(all.accepted()) == 9 })
	cl := h.create(late.srv.URL)
	h.append(record("a-1", "e2", mamori.LoginSucceeded, 1, deniedInCase("c-1")))
	h.until("the denial dispatched", time.Millisecond, func() bool { return len(all.accepted()) == 11 && len(late.accepted()) == 2 })

	if n := len(actions.accepted()); n != 7 {
		t.Errorf("subscriber to action.requested got %d messages, want 7", n)
	}
	for _, r := range actions.accepted() {
		if typ, _, _ := body(t, r.body); typ != webhook.ActionRequested {
			t.Errorf("subscriber to action.requested got %s", typ)
		}
	}
	checkOnce(t, late.accepted(), []string{"msg_2_decision_created_0", "msg_2_case_updated_0"}, false)

	// A deleted endpoint gets nothing more and is gone with its deliveries.
	ctx := context.Background()
	if err := h.svc.Delete(ctx, ca.ID); err != nil {
		t.Fatal(err)
	}
	h.append(record("a-1", "e3", mamori.AccountLockedDown, 2, lockdown("c-1")))
	h.until("the second lockdown dispatched", time.Millisecond, func() bool { return len(late.accepted()) == 11 })
	if n := len(actions.accepted()); n != 7 {
		t.Errorf("a deleted endpoint got %d messages, want still 7", n)
	}
	if _, err := h.svc.Deliveries(ctx, ca.ID, webhook.DeliveryQuery{}); mamori.ErrorCode(err) != mamori.ENotFound {
		t.Errorf("deliveries of a deleted endpoint: %v", err)
	}
	if _, err := h.svc.Endpoint(ctx, cl.ID); err != nil {
		t.Error(err)
	}
}

func TestGapsInTheLog(t *testing.T) {
	opts := testOptions()
	opts.GapTimeout = time.Minute
	h := newHarness(t, opts)
	rc := newReceiver(t, nil)
	h.create(rc.srv.URL, webhook.DecisionCreated)
	at := func(seq uint64) {
		r := record("a-1", "e"+strconv.FormatUint(seq, 10), mamori.LoginSucceeded, int(seq), challenge())
		r.Seq = seq
		appendRecord(t, h.log, r)
		if err := h.log.Barrier(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	id := func(seq int) string { return fmt.Sprintf("msg_%d_decision_created_0", seq) }

	// 2 is missing for good: it was numbered but lost before this start.
	at(1)
	at(3)
	h.start()
	h.until("records before the start", time.Millisecond, func() bool { return len(rc.accepted()) == 2 })

	// 5 is numbered but not committed yet: 6 waits for it.
	at(4)
	at(6)
	h.until("record 4", 0, func() bool { return len(rc.accepted()) == 3 })
	time.Sleep(30 * time.Millisecond)
	if n := len(rc.accepted()); n != 3 {
		t.Errorf("%d messages while 5 is missing, want 3", n)
	}
	at(5)
	h.until("records 5 and 6", 0, func() bool { return len(rc.accepted()) == 5 })

	// 8 never comes: after GapTimeout, 9 goes without it.
	at(9)
	time.Sleep(30 * time.Millisecond)
	h.until("record 9, after the gap timeout", 10*time.Second, func() bool { return len(rc.accepted()) == 6 })
	checkOnce(t, rc.accepted(), []string{id(1), id(3), id(4), id(5), id(6), id(9)}, false)
}

// crashStore is a store that dies: once crashed, it fails every call, as
// if the process had been killed, so nothing more is stored or sent.
type crashStore struct {
	webhook.Store
	at   string // "enqueue", "enqueued" or "updated": where it crashes
	dead atomic.Bool
}

var errKilled = errors.New("killed")

func (c *crashStore) kill() { c.dead.Store(true) }

func (c *crashStore) Records(ctx context.Context, after uint64, limit int) ([]mamori.LogRecord, error) {
	if c.dead.Load() {
		return nil, errKilled
	}
	return c.Store.Records(ctx, after, limit)
}

func (c *crashStore) Enqueue(ctx context.Context, from, to uint64, fan func([]webhook.Endpoint) []webhook.Delivery) error {
	if c.dead.Load() || c.at == "enqueue" {
		c.kill()
		return errKilled
	}
	err := c.Store.Enqueue(ctx, from, to, fan)
	if c.at == "enqueued" {
		c.kill()
	}
	return err
}

func (c *crashStore) NextDelivery(ctx context.Context, endpoint string) (webhook.Delivery, bool, error) {
	if c.dead.Load() {
		return webhook.Delivery{}, false, errKilled
	}
	return c.Store.NextDelivery(ctx, endpoint)
}

func (c *crashStore) UpdateDelivery(ctx context.Context, d webhook.Delivery) error {
	if c.dead.Load() {
		return errKilled
	}
	err := c.Store.UpdateDelivery(ctx, d)
	if c.at == "updated" {
		c.kill()
	}
	return err
}

// RoundTrip sends nothing once the store is dead.
func (c *crashStore) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.dead.Load() {
		return nil, errKilled
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestCrashLosesNoMessage(t *testing.T) {
	tests := []struct {
		name string
		at   string
		// answer is the receiver's answer to request n before the crash.
		answer  func(cs *crashStore, n int) int
		repeats bool
		// left is the state of the first delivery the crash leaves, ""
		// for none.
		left webhook.Status
	}{
		{name: "before the deliveries are stored", at: "enqueue"},
		{name: "after the deliveries are stored", at: "enqueued", left: webhook.Pending},
		{name: "after the receiver accepted, before that is stored", repeats: true, left: webhook.Pending,
			answer: func(cs *crashStore, n int) int { cs.kill(); return http.StatusOK }},
		{name: "after a failure is stored", at: "updated", left: webhook.Failed,
			answer: func(cs *crashStore, n int) int { return http.StatusServiceUnavailable }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first run crashes.
			h := newHarness(t, testOptions())
			cs := &crashStore{Store: h.log.Webhooks(), at: tt.at}
			rc := newReceiver(t, func(n int, r received) int {
				if tt.answer != nil && !cs.dead.Load() {
					return tt.answer(cs, n)
				}
				return http.StatusOK
			})
			opts := h.opts
			opts.Client = &http.Client{Transport: cs}
			crashed := webhook.New(cs, opts)
			c, err := crashed.Create(context.Background(), webhook.NewEndpoint{URL: rc.srv.URL, Events: webhook.Types})
			if err != nil {
				t.Fatal(err)
			}
			if err := crashed.Start(); err != nil {
				t.Fatal(err)
			}
			want := downMessages(h)
			h.until("the crash", time.Millisecond, cs.dead.Load)
			crashed.Close() // only stops goroutines that can do nothing more
			left, err := h.log.Webhooks().Deliveries(context.Background(), c.ID, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			if tt.left == "" && len(left) > 0 || tt.left != "" && (len(left) == 0 || left[len(left)-1].Status != tt.left) {
				t.Fatalf("the crash left %d deliveries, the first %+v; want the first %q", len(left), left, tt.left)
			}

			// The second run, on a new handle of the same files (the
			// first handle lets go of them, as the crashed process would).
			if err := h.log.Close(); err != nil {
				t.Fatal(err)
			}
			again := webhook.New(openLog(t, h.dir).Webhooks(), h.opts)
			if err := again.Start(); err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			h.until("every message accepted", time.Second, func() bool {
				return len(rc.accepted()) >= len(want)+boolInt(tt.repeats)
			})
			time.Sleep(20 * time.Millisecond) // room for a message sent twice
			checkOnce(t, rc.accepted(), want, tt.repeats)
			for _, r := range rc.accepted() {
				if !verify(t, c.Secret, r) {
					t.Errorf("message %s does not verify", r.id)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func base64Bytes(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

func TestCursorOverQuietRecordsIsSavedLazily(t *testing.T) {
	h := newHarness(t, testOptions())
	rc := newReceiver(t, nil)
	h.create(rc.srv.URL)
	store := h.log.Webhooks()
	cursor := func() uint64 {
		c, err := store.Cursor(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	quiet := func(n int) {
		for range n {
			h.append(record("a-1", "e"+strconv.FormatUint(h.seq+1, 10), mamori.LoginSucceeded, int(h.seq), allow()))
		}
	}
	quiet(3)
	h.start()
	h.until("the first save", 0, func() bool { return cursor() == 3 })
	quiet(2)
	time.Sleep(30 * time.Millisecond)
	if c := cursor(); c != 3 {
		t.Errorf("cursor saved at %d within seconds of the last save; want it still at 3", c)
	}
	h.clock.Advance(6 * time.Second)
	quiet(1)
	h.until("a save after 5 s", 0, func() bool { return cursor() == 6 })
	h.append(record("a-1", "e7", mamori.LoginSucceeded, 7, challenge()))
	h.until("the cursor saved with a delivery", 0, func() bool { return cursor() == 7 && len(rc.accepted()) == 1 })
	quiet(1)
	time.Sleep(30 * time.Millisecond)
	h.svc.Close()
	if c := cursor(); c != 8 {
		t.Errorf("cursor %d after Close, want 8", c)
	}
}

// readCounter counts the reads of records.
type readCounter struct {
	webhook.Store
	reads atomic.Int64
}

func (c *readCounter) Records(ctx context.Context, after uint64, limit int) ([]mamori.LogRecord, error) {
	c.reads.Add(1)
	return c.Store.Records(ctx, after, limit)
}

func TestRecordsBeforeTheFirstEndpointAreNotRead(t *testing.T) {
	h := newHarness(t, testOptions())
	store := &readCounter{Store: h.log.Webhooks()}
	h.svc = webhook.New(store, h.opts)
	t.Cleanup(func() { h.svc.Close() })
	cursor := func() uint64 {
		c, err := store.Cursor(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	h.start()
	// Each of these would give a message, had anyone asked for them.
	for i := range 3 {
		h.append(record("a-1", "e"+strconv.Itoa(i+1), mamori.LoginSucceeded, i, challenge()))
	}
	// Records that give no message move the saved cursor at most every
	// 5 s of the service's clock once it has been saved (cursorSaveEvery),
	// and a dispatch may have saved it after the first record: the wait
	// moves the clock 10 ms a step, to pass that within its deadline.
	h.until("the cursor past the records", 10*time.Millisecond, func() bool { return cursor() == 3 })
	if n := store.reads.Load(); n != 0 {
		t.Errorf("records read %d times with no endpoint, want 0", n)
	}

	rc := newReceiver(t, nil)
	h.create(rc.srv.URL)
	h.append(record("a-1", "e4", mamori.LoginSucceeded, 3, challenge()))
	h.until("the record after the endpoint", time.Millisecond, func() bool { return len(rc.accepted()) == 1 })
	time.Sleep(30 * time.Millisecond)
	checkOnce(t, rc.accepted(), []string{"msg_4_decision_created_0"}, false)
	if store.reads.Load() == 0 {
		t.Error("records were not read once an endpoint existed")
	}
}
