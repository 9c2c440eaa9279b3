package http_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/mamori-dev/mamori/webhook"
)

const testKey = "test-key-0123456789"

// api is a real mamori: a SQLite file in a temporary directory, the
// engine and the HTTP handlers on a loopback listener.
type api struct {
	t    *testing.T
	dir  string
	eng  *engine.Engine
	srv  *httptest.Server
	url  string
	wrap func(mamori.RiskService) mamori.RiskService
	cfg  func(*mhttp.Config)
	now  func() time.Time // the wall clock of case deadlines (nil: real)
	// hookOpts, when set, runs the webhook dispatcher with these options.
	hookOpts *webhook.Options
	hooks    *webhook.Service
}

func startAPI(t *testing.T, opts ...func(*api)) *api {
	t.Helper()
	a := &api{t: t, dir: t.TempDir()}
	for _, o := range opts {
		o(a)
	}
	a.start()
	t.Cleanup(a.stop)
	return a
}

func (a *api) start() {
	a.t.Helper()
	ctx := context.Background()
	committed := make(chan struct{}, 1)
	log, err := sqlite.Open(ctx, a.dir, sqlite.Options{OnIndexed: func(int, time.Duration) {
		select {
		case committed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		a.t.Fatal(err)
	}
	a.eng, err = engine.Open(ctx, log, a.dir, engine.Options{Networks: networks(a.t), Now: a.now})
	if err != nil {
		a.t.Fatal(err)
	}
	var svc mamori.RiskService = a.eng
	if a.wrap != nil {
		svc = a.wrap(svc)
	}
	cfg := mhttp.Config{Service: svc, Cases: a.eng, APIKey: testKey, Healthy: a.eng.Err, OpenAPI: mhttp.OpenAPI}
	cfg.Messages = a.eng
	cfg.Labels = a.eng
	cfg.Networks = networks(a.t)
	cfg.Links = testLinks(a)
	if a.hookOpts != nil {
		opts := *a.hookOpts
		opts.Committed = committed
		a.hooks = webhook.New(log.Webhooks(), opts)
		if err := a.hooks.Start(); err != nil {
			a.t.Fatal(err)
		}
		cfg.Webhooks = a.hooks
	}
	if a.cfg != nil {
		a.cfg(&cfg)
	}
	a.srv = httptest.NewServer(mhttp.New(cfg))
	a.url = a.srv.URL
}

// networks loads the shipped network data once for the test binary.
var networks = func() func(testing.TB) *enrich.Networks {
	load := sync.OnceValues(enrich.LoadNetworks)
	return func(t testing.TB) *enrich.Networks {
		nets, err := load()
		if err != nil {
			t.Fatal(err)
		}
		return nets
	}
}()

// homeHistory is an account's ordinary past: created, then a sign-in a
// day for n days from the same laptop at home.
func homeHistory(account string, n int) []any {
	evs := []any{event(account+"-h0", "account.created", account, 0, map[string]any{"properties": map[string]any{"email": "a@example.jp"}})}
	for i := 1; i <= n; i++ {
		evs = append(evs, login(fmt.Sprintf("%s-h%d", account, i), account, fmt.Sprintf("%s-hs%d", account, i), "dev-home", "153.156.78.12", i))
	}
	return evs
}

func (a *api) stop() {
	if a.srv == nil {
		return
	}
	a.srv.Close()
	if a.hooks != nil {
		a.hooks.Close()
	}
	if err := a.eng.Close(); err != nil {
		a.t.Errorf("close engine: %v", err)
	}
	a.srv = nil
}

func (a *api) restart() {
	a.stop()
	a.start()
}

// call sends a request with the test key and returns status and body.
func (a *api) call(method, path string, body any) (int, []byte) {
	a.t.Helper()
	return a.callKey(method, path, body, testKey)
}

func (a *api) callKey(method, path string, body any, key string) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.url+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, out
}

func (a *api) account(id string) mamori.Account {
	a.t.Helper()
	status, body := a.call("GET", "/v1/accounts/"+id, nil)
	if status != 200 {
		a.t.Fatalf("GET account %s: %d %s", id, status, body)
	}
	var acct mamori.Account
	if err := json.Unmarshal(body, &acct); err != nil {
		a.t.Fatal(err)
	}
	return acct
}

func (a *api) decide(ev map[string]any) mamori.Decision {
	a.t.Helper()
	status, body := a.call("POST", "/v1/risk", ev)
	if status != 200 {
		a.t.Fatalf("POST /v1/risk %v: %d %s", ev["id"], status, body)
	}
	var d mamori.Decision
	if err := json.Unmarshal(body, &d); err != nil {
		a.t.Fatal(err)
	}
	return d
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func decodeError(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body lacks code or message: %s", body)
	}
	return e
}

var base = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// event builds a valid event; fields may be overridden.
func event(id, typ, account string, minute int, extra map[string]any) map[string]any {
	ev := map[string]any{
		"id": id, "type": typ, "account_id": account,
		"time":    base.Add(time.Duration(minute) * time.Minute).Format(time.RFC3339),
		"context": map[string]any{"ip": "153.156.78.12", "device_id": "dev-1", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0"},
	}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func login(id, account, session, device, ip string, minute int) map[string]any {
	return event(id, "login.succeeded", account, minute, map[string]any{
		"session_id": session,
		"context":    map[string]any{"ip": ip, "device_id": device, "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0"},
		"properties": map[string]any{"mfa": "totp"},
	})
}

func TestStatusCodes(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", event("e-0", "account.created", "a-1", 0, map[string]any{"properties": map[string]any{"email": "a@example.jp"}}))
	big := `{"id":"big","type":"session.activity","account_id":"a-1","time":"2026-11-01T09:00:00Z","properties":{"page":"` +
		strings.Repeat("x", mhttp.MaxBody) + `"}}`
	tests := []struct {
		name, method, path string
		body               any
		key                string
		status             int
		code               string
	}{
		{"risk decides", "POST", "/v1/risk", event("e-1", "session.activity", "a-1", 1, nil), testKey, 200, ""},
		{"events accepted", "POST", "/v1/events", event("e-2", "logout", "a-1", 2, nil), testKey, 202, ""},
		{"account read", "GET", "/v1/accounts/a-1", nil, testKey, 200, ""},
		{"lockdown", "POST", "/v1/accounts/a-1/lockdown", map[string]any{"reason": "owner called"}, testKey, 200, ""},
		{"no key", "POST", "/v1/risk", event("e-3", "logout", "a-1", 3, nil), "", 401, "unauthorized"},
		{"wrong key", "GET", "/v1/accounts/a-1", nil, "nope", 401, "unauthorized"},
		{"wrong key of same length", "GET", "/v1/accounts/a-1", nil, strings.Repeat("x", len(testKey)), 401, "unauthorized"},
		{"not json", "POST", "/v1/risk", "{not json", testKey, 400, "invalid_json"},
		{"empty body", "POST", "/v1/risk", "", testKey, 400, "invalid_json"},
		{"bad field", "POST", "/v1/risk", event("e-4", "nope", "a-1", 4, nil), testKey, 400, "invalid_event"},
		{"unknown account", "GET", "/v1/accounts/never-seen", nil, testKey, 404, "not_found"},
		{"lockdown unknown account", "POST", "/v1/accounts/never-seen/lockdown", map[string]any{"reason": "x"}, testKey, 404, "not_found"},
		{"unknown route", "GET", "/v1/nothing", nil, testKey, 404, "not_found"},
		{"too large risk", "POST", "/v1/risk", big, testKey, 413, "too_large"},
		{"too large events", "POST", "/v1/events", big, testKey, 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := a.callKey(tt.method, tt.path, tt.body, tt.key)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" {
				if e := decodeError(t, body); e.Error.Code != tt.code {
					t.Fatalf("code %q, want %q", e.Error.Code, tt.code)
				}
			}
		})
	}
	t.Run("healthz needs no key", func(t *testing.T) {
		status, body := a.callKey("GET", "/healthz", nil, "")
		if status != 200 {
			t.Fatalf("healthz %d %s", status, body)
		}
	})
	t.Run("metrics by route and decision", func(t *testing.T) {
		status, body := a.callKey("GET", "/metrics", nil, "")
		if status != 200 {
			t.Fatalf("metrics %d", status)
		}
		for _, want := range []string{
			`mamori_http_request_duration_seconds_bucket{decision="allow",route="risk"`,
			`mamori_http_requests_total{route="risk",status="401"}`,
			`mamori_decisions_total{decision="allow",type="session.activity"}`,
		} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// gate blocks Decide until released, to hold requests in flight.
type gate struct {
	mamori.RiskService
	entered chan struct{}
	release chan struct{}
	err     error
}

func (g *gate) Decide(ctx context.Context, ev mamori.Event) (mamori.Decision, error) {
	if g.err != nil {
		return mamori.Decision{}, g.err
	}
	g.entered <- struct{}{}
	<-g.release
	return g.RiskService.Decide(ctx, ev)
}

func TestTooManyInFlightGets429(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	a := startAPI(t, func(a *api) {
		a.wrap = func(s mamori.RiskService) mamori.RiskService { g.RiskService = s; return g }
		a.cfg = func(c *mhttp.Config) { c.MaxInFlight = 1 }
	})
	done := make(chan int)
	go func() {
		status, _ := a.call("POST", "/v1/risk", event("held", "logout", "a-1", 0, nil))
		done <- status
	}()
	<-g.entered
	status, body := a.call("POST", "/v1/risk", event("second", "logout", "a-1", 1, nil))
	if status != 429 || decodeError(t, body).Error.Code != "rate_limited" {
		t.Fatalf("second request: %d %s, want 429 rate_limited", status, body)
	}
	close(g.release)
	if s := <-done; s != 200 {
		t.Fatalf("held request: %d", s)
	}
}

func TestInternalErrorHidesDetails(t *testing.T) {
	g := &gate{err: errors.New("disk on fire at /secret/path")}
	a := startAPI(t, func(a *api) {
		a.wrap = func(s mamori.RiskService) mamori.RiskService { g.RiskService = s; return g }
	})
	status, body := a.call("POST", "/v1/risk", event("e-1", "logout", "a-1", 0, nil))
	if status != 500 {
		t.Fatalf("status %d, want 500", status)
	}
	e := decodeError(t, body)
	if e.Error.Code != "internal" || strings.Contains(string(body), "secret") {
		t.Fatalf("internal error leaks or has wrong code: %s", body)
	}
}

func TestValidationErrorsNameTheirField(t *testing.T) {
	a := startAPI(t)
	order := func(mut func(p map[string]any)) map[string]any {
		p := map[string]any{
			"order_id": "o-1", "amount": 5000, "currency": "JPY",
			"items": []any{
				map[string]any{"sku": "s", "name": "n", "category": "books", "quantity": 1, "unit_price": 5000},
				map[string]any{"sku": "g", "name": "gift", "category": "gift_cards", "quantity": 1, "unit_price": 5000, "gift_card": true},
			},
			"delivery": map[string]any{"type": "email", "recipient_email": "x@example.com"},
		}
		mut(p)
		return event("o-ev", "order.placed", "a-1", 0, map[string]any{"properties": p})
	}
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"gift_card as string", order(func(p map[string]any) { p["items"].([]any)[1].(map[string]any)["gift_card"] = "yes" }), "properties.items[1].gift_card"},
		{"quantity zero", order(func(p map[string]any) { p["items"].([]any)[0].(map[string]any)["quantity"] = 0 }), "properties.items[0].quantity"},
		{"negative amount", order(func(p map[string]any) { p["amount"] = -5 }), "properties.amount"},
		{"fractional amount", order(func(p map[string]any) { p["amount"] = 10.5 }), "properties.amount"},
		{"amount as string", order(func(p map[string]any) { p["amount"] = "5000" }), "properties.amount"},
		{"lower-case currency", order(func(p map[string]any) { p["currency"] = "jpy" }), "properties.currency"},
		{"unknown currency", order(func(p map[string]any) { p["currency"] = "ABC" }), "properties.currency"},
		{"missing order id", order(func(p map[string]any) { delete(p, "order_id") }), "properties.order_id"},
		{"bad recipient", order(func(p map[string]any) { p["delivery"].(map[string]any)["recipient_email"] = "nobody" }), "properties.delivery.recipient_email"},
		{"bad time", event("t", "logout", "a-1", 0, map[string]any{"time": "yesterday"}), "time"},
		{"time as number", event("t", "logout", "a-1", 0, map[string]any{"time": 1700000000}), "time"},
		{"missing id", event("", "logout", "a-1", 0, nil), "id"},
		{"long id", event(strings.Repeat("i", 129), "logout", "a-1", 0, nil), "id"},
		{"unknown type", event("t", "order.teleported", "a-1", 0, nil), "type"},
		{"missing account", event("t", "logout", "", 0, nil), "account_id"},
		{"bad ip", event("t", "logout", "a-1", 0, map[string]any{"context": map[string]any{"ip": "999.1.1.1"}}), "context.ip"},
		{"context as string", event("t", "logout", "a-1", 0, map[string]any{"context": "x"}), "context"},
		{"bad mfa", event("t", "login.succeeded", "a-1", 0, map[string]any{"properties": map[string]any{"mfa": "carrier-pigeon"}}), "properties.mfa"},
		{"remembered_device as string", event("t", "login.succeeded", "a-1", 0, map[string]any{"properties": map[string]any{"remembered_device": "yes"}}), "properties.remembered_device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/v1/risk", "/v1/events"} {
				status, body := a.call("POST", path, tt.body)
				if status != 400 {
					t.Fatalf("%s: status %d, want 400: %s", path, status, body)
				}
				e := decodeError(t, body)
				if e.Error.Code != "invalid_event" || e.Error.Field != tt.field {
					t.Fatalf("%s: got %s/%q, want invalid_event/%q (%s)", path, e.Error.Code, e.Error.Field, tt.field, e.Error.Message)
				}
			}
		})
	}
	t.Run("login.failed may name a username instead of an account", func(t *testing.T) {
		ev := event("lf", "login.failed", "", 0, map[string]any{"properties": map[string]any{"username": "hana", "reason": "bad_password"}})
		delete(ev, "account_id")
		if status, body := a.call("POST", "/v1/risk", ev); status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("unknown fields are ignored", func(t *testing.T) {
		ev := event("fwd", "session.activity", "a-2", 0, map[string]any{"future_field": map[string]any{"x": 1},
			"properties": map[string]any{"page": "orders", "new_thing": true}})
		if status, body := a.call("POST", "/v1/risk", ev); status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("bad input changes nothing", func(t *testing.T) {
		if status, _ := a.call("GET", "/v1/accounts/a-1", nil); status != 404 {
			t.Fatalf("a rejected event created account a-1: %d", status)
		}
	})
}

func TestBatchIsAllOrNothing(t *testing.T) {
	a := startAPI(t)
	var evs []any
	for i := 0; i < 8; i++ {
		evs = append(evs, event(fmt.Sprintf("b-%d", i), "session.activity", fmt.Sprintf("acct-%d", i), i, nil))
	}
	bad := event("b-6", "session.activity", "acct-6", 6, map[string]any{"time": "not a time"})
	withBad := append(append([]any{}, evs[:6]...), bad, evs[7])
	status, body := a.call("POST", "/v1/events", map[string]any{"events": withBad})
	if status != 400 {
		t.Fatalf("status %d: %s", status, body)
	}
	if e := decodeError(t, body); e.Error.Field != "events[6].time" {
		t.Fatalf("field %q, want events[6].time", e.Error.Field)
	}
	for i := 0; i < 8; i++ {
		if status, _ := a.call("GET", fmt.Sprintf("/v1/accounts/acct-%d", i), nil); status != 404 {
			t.Fatalf("acct-%d exists after a rejected batch", i)
		}
	}
	status, body = a.call("POST", "/v1/events", map[string]any{"events": evs})
	if status != 202 || !bytes.Contains(body, []byte(`"accepted":8`)) {
		t.Fatalf("good batch: %d %s", status, body)
	}
	for i := 0; i < 8; i++ {
		if acct := a.account(fmt.Sprintf("acct-%d", i)); acct.EventCount != 1 {
			t.Fatalf("acct-%d has %d events", i, acct.EventCount)
		}
	}
	tooMany := make([]any, mamori.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = event(fmt.Sprintf("m-%d", i), "logout", "a-1", 0, nil)
	}
	status, body = a.call("POST", "/v1/events", map[string]any{"events": tooMany})
	if status != 400 || decodeError(t, body).Error.Field != "events" {
		t.Fatalf("oversized batch: %d %s", status, body)
	}
}

func TestRepeatedEventIsAnsweredVerbatim(t *testing.T) {
	a := startAPI(t)
	hist := homeHistory("a-1", 8)
	a.call("POST", "/v1/events", map[string]any{"events": hist})
	attack := login("x-1", "a-1", "s-2", "dev-new", "45.76.210.33", 60)
	_, first := a.call("POST", "/v1/risk", attack)
	if !bytes.Contains(first, []byte(`"decision":"challenge"`)) {
		t.Fatalf("a new device on a new network should be challenged: %s", first)
	}
	_, again := a.call("POST", "/v1/risk", attack)
	if !bytes.Equal(first, again) {
		t.Fatalf("repeat differs:\n%s\n%s", first, again)
	}
	// The same id with another body is still the first event.
	changed := login("x-1", "a-1", "s-2", "dev-home", "153.156.78.12", 61)
	if _, other := a.call("POST", "/v1/risk", changed); !bytes.Equal(first, other) {
		t.Fatalf("same id, other body: %s", other)
	}
	status, body := a.call("POST", "/v1/events", map[string]any{"events": hist})
	if status != 202 || !bytes.Contains(body, []byte(`"duplicates":9`)) {
		t.Fatalf("re-sent batch: %d %s", status, body)
	}
	if n := a.account("a-1").EventCount; n != 10 {
		t.Fatalf("event count %d after repeats, want 10", n)
	}
	a.restart()
	if _, afterRestart := a.call("POST", "/v1/risk", attack); !bytes.Equal(first, afterRestart) {
		t.Fatalf("repeat after restart differs:\n%s\n%s", first, afterRestart)
	}
	if n := a.account("a-1").EventCount; n != 10 {
		t.Fatalf("event count %d after restart, want 10", n)
	}
}

func TestConcurrentRepeatsRecordOnce(t *testing.T) {
	a := startAPI(t)
	ev := event("dup-1", "session.activity", "a-1", 0, nil)
	var wg sync.WaitGroup
	bodies := make([][]byte, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, bodies[i] = a.call("POST", "/v1/risk", ev)
		}()
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatalf("answers differ: %s vs %s", b, bodies[0])
		}
	}
	if n := a.account("a-1").EventCount; n != 1 {
		t.Fatalf("recorded %d times", n)
	}
}

func TestAccountViewAfterASequence(t *testing.T) {
	a := startAPI(t)
	evs := []any{
		event("v-1", "account.created", "a-1", 0, map[string]any{"properties": map[string]any{"email": "a@example.jp"}}),
		login("v-2", "a-1", "s-1", "dev-home", "153.156.78.12", 1),
		event("v-3", "device.trusted", "a-1", 2, map[string]any{"session_id": "s-1",
			"context": map[string]any{"ip": "153.156.78.12", "device_id": "dev-home"}}),
		event("v-4", "logout", "a-1", 3, map[string]any{"session_id": "s-1"}),
		login("v-5", "a-1", "s-2", "dev-home", "153.156.78.40", 600),
	}
	if status, body := a.call("POST", "/v1/events", map[string]any{"events": evs}); status != 202 {
		t.Fatalf("%d %s", status, body)
	}
	d := a.decide(login("v-6", "a-1", "s-3", "dev-phone", "153.156.78.41", 700))
	if d.Decision != mamori.Allow {
		t.Fatalf("new phone on the home network: %+v", d)
	}
	acct := a.account("a-1")
	if acct.Status != "active" || acct.EventCount != 6 {
		t.Fatalf("status %s, events %d", acct.Status, acct.EventCount)
	}
	var ids []string
	for _, s := range acct.Sessions {
		ids = append(ids, s.SessionID)
	}
	if strings.Join(ids, ",") != "s-3,s-2,s-1" {
		t.Fatalf("sessions %v, want most recent first", ids)
	}
	if s := acct.Sessions[0]; s.DeviceID != "dev-phone" || s.IP != "153.156.78.41" || s.Revoked || !s.Started.Equal(base.Add(700*time.Minute)) {
		t.Fatalf("latest session %+v", s)
	}
	if len(acct.TrustedDevices) != 1 || acct.TrustedDevices[0].DeviceID != "dev-home" || !acct.TrustedDevices[0].Since.Equal(base.Add(2*time.Minute)) {
		t.Fatalf("trusted devices %+v", acct.TrustedDevices)
	}
	if len(acct.OpenCaseIDs) != 0 {
		t.Fatalf("open cases %v", acct.OpenCaseIDs)
	}
}

func TestLockdown(t *testing.T) {
	a := startAPI(t)
	evs := []any{
		event("l-1", "account.created", "a-1", 0, map[string]any{"properties": map[string]any{"email": "a@example.jp"}}),
		login("l-2", "a-1", "s-1", "dev-home", "153.156.78.12", 1),
		event("l-3", "device.trusted", "a-1", 2, map[string]any{"session_id": "s-1",
			"context": map[string]any{"ip": "153.156.78.12", "device_id": "dev-home"}}),
		login("l-4", "a-1", "s-2", "dev-home", "153.156.78.12", 100),
	}
	a.call("POST", "/v1/events", map[string]any{"events": evs})
	status, body := a.call("POST", "/v1/accounts/a-1/lockdown", map[string]any{"reason": "customer says: this wasn't me"})
	if status != 200 {
		t.Fatalf("lockdown: %d %s", status, body)
	}
	var acct mamori.Account
	json.Unmarshal(body, &acct)
	if acct.Status != "locked" || !acct.PasswordResetRequired || len(acct.TrustedDevices) != 0 || len(acct.OpenCaseIDs) != 1 {
		t.Fatalf("after lockdown: %s", body)
	}
	for _, s := range acct.Sessions {
		if !s.Revoked {
			t.Fatalf("session %s not revoked", s.SessionID)
		}
	}
	if len(acct.Actions) != len(mamori.LockdownActions) {
		t.Fatalf("the account view shows %d actions, want the %d of a lockdown: %+v", len(acct.Actions), len(mamori.LockdownActions), acct.Actions)
	}
	for i, a := range acct.Actions {
		if a.CaseID != acct.OpenCaseIDs[0] || a.EventID == "" || a.Action != mamori.LockdownActions[i] {
			t.Fatalf("action %d %+v: want %s, with its case and event", i, a, mamori.LockdownActions[i])
		}
	}
	d := a.decide(login("l-5", "a-1", "s-3", "dev-home", "153.156.78.12", 200))
	if d.Decision != mamori.Deny || d.Reasons[0].Code != "account_locked" {
		t.Fatalf("sign-in on a locked account: %+v", d)
	}
	a.decide(event("l-6", "account.unlocked", "a-1", 300, map[string]any{"properties": map[string]any{"by": "support"}}))
	if acct := a.account("a-1"); acct.Status != "active" || acct.PasswordResetRequired {
		t.Fatalf("after unlock: %+v", acct)
	}
	a.restart()
	if acct := a.account("a-1"); acct.Status != "active" || len(acct.OpenCaseIDs) != 1 || acct.EventCount != 7 {
		t.Fatalf("after restart: %+v", acct)
	}
}

func TestWrongMethodOnAKnownPathGets405(t *testing.T) {
	a := startAPI(t)
	for _, tt := range []struct{ method, path, allow string }{
		{"GET", "/v1/risk", "POST"},
		{"PUT", "/v1/events", "POST"},
		{"DELETE", "/v1/accounts/a-1", "GET"},
		{"GET", "/v1/accounts/a-1/lockdown", "POST"},
		{"DELETE", "/v1/cases/c-1", "GET, PATCH"},
		{"GET", "/v1/orders/o-1/release", "POST"},
	} {
		status, body := a.call(tt.method, tt.path, nil)
		if status != 405 || decodeError(t, body).Error.Code != "method_not_allowed" {
			t.Errorf("%s %s: %d %s, want 405 method_not_allowed", tt.method, tt.path, status, body)
		}
	}
}

func TestAChallengedStepLeavesTheSessionUnverified(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", map[string]any{"events": homeHistory("a-1", 8)})
	if d := a.decide(login("c-3", "a-1", "s-2", "dev-new", "45.76.210.33", 100)); d.Decision != mamori.Challenge {
		t.Fatalf("sign-in: %+v", d)
	}
	a.decide(event("c-4", "challenge.succeeded", "a-1", 101, map[string]any{"session_id": "s-2",
		"context": map[string]any{"ip": "45.76.210.33", "device_id": "dev-new"}}))
	change := event("c-5", "email.changed", "a-1", 102, map[string]any{"session_id": "s-2",
		"context": map[string]any{"ip": "45.76.210.33", "device_id": "dev-new"}, "properties": map[string]any{"new_email": "x@mail.example"}})
	if d := a.decide(change); d.Decision != mamori.Challenge {
		t.Fatalf("e-mail change in a risky session: %+v", d)
	}
	next := event("c-6", "password.changed", "a-1", 103, map[string]any{"session_id": "s-2",
		"context": map[string]any{"ip": "45.76.210.33", "device_id": "dev-new"}})
	if d := a.decide(next); d.Decision != mamori.Deny || d.Reasons[0].Code != "session_unverified" {
		t.Fatalf("a step before the challenge is met: %+v", d)
	}
}

func TestLockdownBodyMustBeAnObject(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", event("o-1", "logout", "a-1", 0, nil))
	for _, body := range []string{`[]`, `"x"`, `5`} {
		status, raw := a.call("POST", "/v1/accounts/a-1/lockdown", body)
		e := decodeError(t, raw)
		if status != 400 || e.Error.Code != "invalid_event" || strings.Contains(e.Error.Message, "string") {
			t.Errorf("lockdown body %s: %d %s", body, status, raw)
		}
	}
	status, raw := a.call("POST", "/v1/accounts/a-1/lockdown", `{"reason": 7}`)
	if status != 400 || decodeError(t, raw).Error.Field != "reason" {
		t.Errorf("reason as a number: %d %s", status, raw)
	}
}

// TestBodiesOfEveryLength sends /v1/risk bodies whose length the request
// states, does not state (chunked), or states wrongly: the server reads
// a stated length into one buffer of that size, and the rest as it
// comes, with the same limit and errors either way.
func TestBodiesOfEveryLength(t *testing.T) {
	a := startAPI(t)
	ev := func(id string) []byte {
		raw, err := json.Marshal(event(id, "session.activity", "a-1", 1, nil))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	big := []byte(`{"id":"big","type":"session.activity","account_id":"a-1","time":"2026-11-01T09:00:00Z","properties":{"page":"` +
		strings.Repeat("x", mhttp.MaxBody) + `"}}`)
	// hidden hides the reader's length, so that the client sends the body
	// chunked.
	type hidden struct{ io.Reader }
	host := strings.TrimPrefix(a.url, "http://")
	tests := []struct {
		name   string
		send   func() (int, []byte)
		status int
		code   string
	}{
		{"stated length", func() (int, []byte) { return post(t, a.url, bytes.NewReader(ev("e-len"))) }, 200, ""},
		{"chunked", func() (int, []byte) { return post(t, a.url, hidden{bytes.NewReader(ev("e-chunked"))}) }, 200, ""},
		{"chunked, too large", func() (int, []byte) { return post(t, a.url, hidden{bytes.NewReader(big)}) }, 413, "too_large"},
		{"stated, too large", func() (int, []byte) { return post(t, a.url, bytes.NewReader(big)) }, 413, "too_large"},
		{"shorter than stated", func() (int, []byte) {
			body := ev("e-short")
			return rawPost(t, host, fmt.Sprintf("Content-Length: %d\r\n", len(body)+10), body)
		}, 400, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.send()
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" {
				if e := decodeError(t, body); e.Error.Code != tt.code {
					t.Fatalf("code %q, want %q", e.Error.Code, tt.code)
				}
			}
		})
	}
}

func post(t *testing.T, url string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/v1/risk", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	return answer(t, resp, err)
}

// answer reads a response in full.
func answer(t *testing.T, resp *http.Response, err error) (int, []byte) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// rawPost writes a request to /v1/risk by hand, with headers of its
// own, then closes its side: the body may be shorter than stated.
func rawPost(t *testing.T, host, headers string, body []byte) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/risk HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n%s\r\n", host, testKey, headers)
	conn.Write(body)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	return answer(t, resp, err)
}
