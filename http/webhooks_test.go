package http_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/mamori-dev/mamori"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/webhook"
)

// hookAPI is the test server of server_test.go with the webhook
// dispatcher on; its call decodes a 2xx answer into out.
type hookAPI struct{ *api }

func startHookAPI(t *testing.T, opts webhook.Options) *hookAPI {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second // commits wake the dispatcher
	}
	return &hookAPI{startAPI(t, func(a *api) { a.hookOpts = &opts })}
}

func (a *hookAPI) call(method, path string, body any, out any) (int, []byte) {
	a.t.Helper()
	status, raw := a.api.call(method, path, body)
	if out != nil && status/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return status, raw
}

// hookReceiver is a store's endpoint: it keeps every request, answers
// with what fail says (200 when it says 0).
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookRequest
	fail atomic.Int32
}

type hookRequest struct {
	header http.Header
	body   []byte
	status int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		if f := rc.fail.Load(); f != 0 {
			status = int(f)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{header: r.Header.Clone(), body: body, status: status})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// accepted returns the requests answered 2xx.
func (rc *hookReceiver) accepted() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hookRequest
	for _, r := range rc.got {
		if r.status/100 == 2 {
			out = append(out, r)
		}
	}
	return out
}

// verifyHook checks a request by the specification with the standard
// library, and with the reference library, timestamp included.
func verifyHook(t *testing.T, secret string, r hookRequest) {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	ok := false
	for _, sig := range strings.Fields(r.header.Get("webhook-signature")) {
		ok = ok || hmac.Equal([]byte(sig), []byte(want))
	}
	if !ok {
		t.Errorf("message %s: no signature verifies", r.header.Get("webhook-id"))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.body, r.header); err != nil {
		t.Errorf("message %s: the reference library says %v", r.header.Get("webhook-id"), err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type hookMessage struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type hookData struct {
	AccountID string          `json:"account_id"`
	EventID   string          `json:"event_id"`
	EventType string          `json:"event_type"`
	EventTime time.Time       `json:"event_time"`
	Action    string          `json:"action"`
	CaseID    string          `json:"case_id"`
	Decision  json.RawMessage `json:"decision"`
}

func TestWebhooksTellTheStoreWhatMamoriDecidesAndDoes(t *testing.T) {
	a := startHookAPI(t, webhook.Options{})
	rc := newHookReceiver(t)

	var created struct {
		ID      string           `json:"id"`
		Secret  string           `json:"secret"`
		Events  []string         `json:"events"`
		Secrets []map[string]any `json:"secrets"`
	}
	status, raw := a.call("POST", "/v1/webhooks", map[string]any{"url": rc.srv.URL,
		"events": []string{"decision.created", "action.requested", "case.opened", "case.updated"}}, &created)
	if status != http.StatusCreated || !strings.HasPrefix(created.ID, "wh_") || webhook.CheckSecret("secret", created.Secret) != nil ||
		len(created.Events) != 4 || len(created.Secrets) != 1 || created.Secrets[0]["active"] != true {
		t.Fatalf("register: %d %s", status, raw)
	}

	// Six weeks of ordinary sign-ins, recorded without decisions: they
	// say nothing.
	home := time.Date(2026, 10, 1, 20, 0, 0, 0, time.UTC)
	var history []mamori.Event
	for i := range 12 {
		history = append(history, mamori.Event{ID: fmt.Sprintf("h-%d", i), Type: mamori.LoginSucceeded,
			Time: home.Add(time.Duration(i) * 84 * time.Hour), AccountID: "a-1", SessionID: fmt.Sprintf("s-%d", i),
			Context:    mamori.Context{IP: "203.0.113.7", DeviceID: "laptop", UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"},
			Properties: mamori.Properties{MFA: "totp"}})
	}
	if status, raw := a.call("POST", "/v1/events", map[string]any{"events": history}, nil); status != http.StatusAccepted {
		t.Fatalf("history: %d %s", status, raw)
	}

	// The customer calls: lockdown. Deny, seven actions, a case opened.
	var account mamori.Account
	if status, raw := a.call("POST", "/v1/accounts/a-1/lockdown", map[string]string{"reason": "customer reports a takeover"}, &account); status != 200 || len(account.OpenCaseIDs) != 1 {
		t.Fatalf("lockdown: %d %s", status, raw)
	}
	caseID := account.OpenCaseIDs[0]

	// The attacker tries again: denied, in the same case.
	var d mamori.Decision
	status, raw = a.call("POST", "/v1/risk", mamori.Event{ID: "x-1", Type: mamori.LoginSucceeded, Time: home.Add(43 * 24 * time.Hour),
		AccountID: "a-1", SessionID: "s-x", Context: mamori.Context{IP: "198.51.100.9", DeviceID: "attacker"},
		Properties: mamori.Properties{MFA: "sms"}}, &d)
	if status != 200 || d.Decision != mamori.Deny || d.CaseID != caseID {
		t.Fatalf("risk after lockdown: %d %s (case %s)", status, raw, caseID)
	}

	want := 1 + 1 + 7 + 1 + 1 + len(d.Actions)
	waitFor(t, "every message", func() bool { return len(rc.accepted()) >= want })
	got := rc.accepted()
	if len(got) != want {
		t.Errorf("%d messages, want %d", len(got), want)
	}
	var types []string
	var lockdownID string
	ids := map[string]bool{}
	for i, r := range got {
		verifyHook(t, created.Secret, r)
		id := r.header.Get("webhook-id")
		if ids[id] {
			t.Errorf("message %s twice", id)
		}
		ids[id] = true
		var m hookMessage
		var data hookData
		if err := json.Unmarshal(r.body, &m); err != nil || json.Unmarshal(m.Data, &data) != nil {
			t.Fatalf("message %s: %v: %s", id, err, r.body)
		}
		types = append(types, m.Type)
		if data.AccountID != "a-1" || !m.Timestamp.Equal(data.EventTime) {
			t.Errorf("message %d: %s", i, r.body)
		}
		if i < 9 {
			lockdownID = data.EventID
			if data.EventType != mamori.AccountLockedDown || m.Type != webhook.DecisionCreated && data.CaseID != caseID {
				t.Errorf("message %d of the lockdown: %s", i, r.body)
			}
			if i >= 2 && data.Action != string(mamori.LockdownActions[i-2]) {
				t.Errorf("action %d: %s, want %s", i-2, data.Action, mamori.LockdownActions[i-2])
			}
			continue
		}
		if data.EventID != "x-1" {
			t.Errorf("message %d: %s", i, r.body)
		}
		if m.Type == webhook.DecisionCreated {
			want, _ := json.Marshal(d)
			if string(data.Decision) != string(want) {
				t.Errorf("decision.created says %s, /v1/risk answered %s", data.Decision, want)
			}
		}
	}
	wantTypes := []string{"decision.created", "case.opened"}
	for range 7 {
		wantTypes = append(wantTypes, "action.requested")
	}
	wantTypes = append(wantTypes, "decision.created", "case.updated")
	for range d.Actions {
		wantTypes = append(wantTypes, "action.requested")
	}
	if strings.Join(types, " ") != strings.Join(wantTypes, " ") {
		t.Errorf("message types\n%v\nwant\n%v", types, wantTypes)
	}
	if !strings.HasPrefix(lockdownID, "lockdown-") {
		t.Errorf("lockdown event id %q", lockdownID)
	}

	// The deliveries, newest first, all delivered.
	var list mhttp.DeliveryList
	waitFor(t, "every delivery recorded", func() bool {
		a.call("GET", "/v1/webhooks/"+created.ID+"/deliveries?status=delivered", nil, &list)
		return len(list.Deliveries) == want
	})
	if last := got[len(got)-1].header.Get("webhook-id"); list.Deliveries[0].ID != last || list.Deliveries[0].Attempts != 1 {
		t.Errorf("newest delivery %+v, want %s", list.Deliveries[0], last)
	}

	// Secrets are never shown again.
	_, one := a.call("GET", "/v1/webhooks/"+created.ID, nil, nil)
	_, all := a.call("GET", "/v1/webhooks", nil, nil)
	if strings.Contains(string(one), strings.TrimPrefix(created.Secret, "whsec_")) || strings.Contains(string(all), strings.TrimPrefix(created.Secret, "whsec_")) {
		t.Errorf("a secret is shown: %s %s", one, all)
	}
}

func TestWebhookDeadLetterThroughTheAPI(t *testing.T) {
	a := startHookAPI(t, webhook.Options{MaxAttempts: 2, Backoff: []time.Duration{time.Millisecond}, PollInterval: 5 * time.Millisecond})
	rc := newHookReceiver(t)
	rc.fail.Store(http.StatusInternalServerError)
	var created webhook.Created
	a.call("POST", "/v1/webhooks", map[string]any{"url": rc.srv.URL, "events": []string{"decision.created"}}, &created)
	a.call("POST", "/v1/events", mamori.Event{ID: "e-1", Type: mamori.AccountCreated, Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		AccountID: "a-1", Properties: mamori.Properties{Email: "a@example.com"}}, nil)
	a.call("POST", "/v1/accounts/a-1/lockdown", nil, nil)

	path := "/v1/webhooks/" + created.ID + "/deliveries"
	var dead mhttp.DeliveryList
	waitFor(t, "a dead delivery", func() bool {
		a.call("GET", path+"?status=dead", nil, &dead)
		return len(dead.Deliveries) == 1
	})
	d := dead.Deliveries[0]
	if d.Attempts != 2 || d.LastStatusCode != 500 || d.NextAttempt != nil || d.Type != webhook.DecisionCreated {
		t.Errorf("dead delivery %+v", d)
	}
	var failed mhttp.DeliveryList
	if a.call("GET", path+"?status=failed", nil, &failed); len(failed.Deliveries) != 0 {
		t.Errorf("failed deliveries: %+v", failed.Deliveries)
	}

	rc.fail.Store(0)
	var retried webhook.Delivery
	if status, raw := a.call("POST", path+"/"+d.ID+"/retry", nil, &retried); status != 200 || retried.Status != webhook.Pending {
		t.Fatalf("retry: %d %s", status, raw)
	}
	var now webhook.Delivery
	waitFor(t, "the retried delivery", func() bool {
		a.call("GET", path+"/"+d.ID, nil, &now)
		return now.Status == webhook.Delivered
	})
	if got := rc.accepted(); len(got) != 1 || got[0].header.Get("webhook-id") != d.ID {
		t.Errorf("accepted %d messages after retry", len(got))
	}
	verifyHook(t, created.Secret, rc.accepted()[0])
}

func TestWebhookAPIErrors(t *testing.T) {
	a := startHookAPI(t, webhook.Options{})
	var created webhook.Created
	given := webhook.NewSecret()
	if status, raw := a.call("POST", "/v1/webhooks", map[string]any{"url": "https://store.example/hooks", "events": []string{"case.opened"}, "secret": given}, &created); status != 201 || created.Secret != "" {
		t.Fatalf("register with a secret: %d %s", status, raw)
	}
	id := created.ID
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		{"bad JSON", "POST", "/v1/webhooks", `{"url":`, 400, "invalid_json", ""},
		{"not an object", "POST", "/v1/webhooks", `[]`, 400, "invalid_event", ""},
		{"no body", "POST", "/v1/webhooks", "", 400, "invalid_json", ""},
		{"no url", "POST", "/v1/webhooks", `{"events": ["case.opened"]}`, 400, "invalid_event", "url"},
		{"relative url", "POST", "/v1/webhooks", `{"url": "/hooks", "events": ["case.opened"]}`, 400, "invalid_event", "url"},
		{"ftp url", "POST", "/v1/webhooks", `{"url": "ftp://store.example/", "events": ["case.opened"]}`, 400, "invalid_event", "url"},
		{"url of the wrong type", "POST", "/v1/webhooks", `{"url": 7, "events": ["case.opened"]}`, 400, "invalid_event", "url"},
		{"no events", "POST", "/v1/webhooks", `{"url": "https://s.example/", "events": []}`, 400, "invalid_event", "events"},
		{"unknown event", "POST", "/v1/webhooks", `{"url": "https://s.example/", "events": ["case.opened", "case.closed"]}`, 400, "invalid_event", "events[1]"},
		{"events as a string", "POST", "/v1/webhooks", `{"url": "https://s.example/", "events": "case.opened"}`, 400, "invalid_event", "events"},
		{"secret without prefix", "POST", "/v1/webhooks", `{"url": "https://s.example/", "events": ["case.opened"], "secret": "hunter2"}`, 400, "invalid_event", "secret"},
		{"secret too short", "POST", "/v1/webhooks", `{"url": "https://s.example/", "events": ["case.opened"], "secret": "whsec_AAAA"}`, 400, "invalid_event", "secret"},
		{"unknown webhook", "GET", "/v1/webhooks/wh_nope", nil, 404, "not_found", ""},
		{"delete unknown webhook", "DELETE", "/v1/webhooks/wh_nope", nil, 404, "not_found", ""},
		{"secret for unknown webhook", "POST", "/v1/webhooks/wh_nope/secrets", nil, 404, "not_found", ""},
		{"bad rotation overlap", "POST", "/v1/webhooks/" + id + "/secrets", `{"expire_previous_after": -1}`, 400, "invalid_event", "expire_previous_after"},
		{"unknown secret", "DELETE", "/v1/webhooks/" + id + "/secrets/9", nil, 404, "not_found", ""},
		{"secret not a number", "DELETE", "/v1/webhooks/" + id + "/secrets/first", nil, 404, "not_found", ""},
		{"the only secret", "DELETE", "/v1/webhooks/" + id + "/secrets/1", nil, 400, "invalid_event", ""},
		{"deliveries of unknown webhook", "GET", "/v1/webhooks/wh_nope/deliveries", nil, 404, "not_found", ""},
		{"unknown status", "GET", "/v1/webhooks/" + id + "/deliveries?status=lost", nil, 400, "invalid_event", "status"},
		{"limit zero", "GET", "/v1/webhooks/" + id + "/deliveries?limit=0", nil, 400, "invalid_event", "limit"},
		{"limit not a number", "GET", "/v1/webhooks/" + id + "/deliveries?limit=all", nil, 400, "invalid_event", "limit"},
		{"unknown delivery", "GET", "/v1/webhooks/" + id + "/deliveries/msg_1_case_opened_0", nil, 404, "not_found", ""},
		{"retry unknown delivery", "POST", "/v1/webhooks/" + id + "/deliveries/msg_1_case_opened_0/retry", nil, 404, "not_found", ""},
		{"retry of unknown webhook", "POST", "/v1/webhooks/wh_nope/deliveries/msg_1_case_opened_0/retry", nil, 404, "not_found", ""},
		{"wrong method on the list", "PUT", "/v1/webhooks", nil, 405, "method_not_allowed", ""},
		{"wrong method on a webhook", "POST", "/v1/webhooks/" + id, nil, 405, "method_not_allowed", ""},
		{"wrong method on retry", "GET", "/v1/webhooks/" + id + "/deliveries/msg_1/retry", nil, 405, "method_not_allowed", ""},
		{"no such call", "GET", "/v1/webhooks/" + id + "/attempts", nil, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := a.call(tt.method, tt.path, tt.body, nil)
			var e struct {
				Error struct{ Code, Message, Field string }
			}
			if err := json.Unmarshal(raw, &e); err != nil || status != tt.status || e.Error.Code != tt.code || e.Error.Field != tt.field || e.Error.Message == "" {
				t.Errorf("%s %s: %d %s; want %d %s field %q", tt.method, tt.path, status, raw, tt.status, tt.code, tt.field)
			}
		})
	}

	// Rotation through the API: a secret made, then one given.
	var added struct {
		N      int    `json:"n"`
		Secret string `json:"secret"`
		Active bool   `json:"active"`
	}
	if status, raw := a.call("POST", "/v1/webhooks/"+id+"/secrets", nil, &added); status != 201 || added.N != 2 || !added.Active || webhook.CheckSecret("secret", added.Secret) != nil {
		t.Errorf("add a secret: %d %s", status, raw)
	}
	var given3 webhook.SecretAdded
	if status, raw := a.call("POST", "/v1/webhooks/"+id+"/secrets", map[string]any{"secret": webhook.NewSecret(), "expire_previous_after": 0}, &given3); status != 201 || given3.N != 3 || given3.Value != "" {
		t.Errorf("add a given secret: %d %s", status, raw)
	}
	var e webhook.Endpoint
	if status, raw := a.call("DELETE", "/v1/webhooks/"+id+"/secrets/1", nil, &e); status != 200 || len(e.Secrets) != 2 || e.Secrets[0].N != 2 {
		t.Errorf("remove secret 1: %d %s", status, raw)
	}
	_, raw := a.call("GET", "/v1/webhooks", nil, nil)
	if strings.Contains(string(raw), strings.TrimPrefix(given, "whsec_")) {
		t.Errorf("the given secret is shown: %s", raw)
	}
	var deleted mhttp.WebhookDeleted
	if status, raw := a.call("DELETE", "/v1/webhooks/"+id, nil, &deleted); status != 200 || !deleted.Deleted {
		t.Errorf("delete: %d %s", status, raw)
	}
	if status, _ := a.call("GET", "/v1/webhooks/"+id, nil, nil); status != 404 {
		t.Errorf("deleted webhook: %d", status)
	}
	var list mhttp.WebhookList
	if status, raw := a.call("GET", "/v1/webhooks", nil, &list); status != 200 || list.Webhooks == nil || len(list.Webhooks) != 0 {
		t.Errorf("list after delete: %d %s", status, raw)
	}
}
