package http_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	oasbase "github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/evidence"
	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/notice"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/seclink"
	"github.com/mamori-dev/mamori/sim"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/mamori-dev/mamori/webhook"
)

// The tests in this file hold http/openapi.yaml true: the document is
// parsed as OpenAPI 3.1 and checked against the domain types, and every
// path, example and error it shows is played against the real handlers
// over a real engine and event log.

const oasKey = "oas-test-key"

// oasClient bounds every request, so that a hung handler fails the test
// instead of stalling it.
var oasClient = &http.Client{Timeout: 10 * time.Second}

// oasDoc is the parsed document with its validator.
type oasDoc struct {
	model *v3.Document
	check validator.Validator
}

var loadOASDoc = sync.OnceValues(func() (*oasDoc, error) {
	doc, err := libopenapi.NewDocument(mhttp.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapi.yaml is OpenAPI %q, want 3.1.x", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build model of openapi.yaml: %w", err)
	}
	check, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator for openapi.yaml: %w", errors.Join(errs...))
	}
	return &oasDoc{model: &m.Model, check: check}, nil
})

func oasLoad(t *testing.T) *oasDoc {
	t.Helper()
	d, err := loadOASDoc()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// oasOp is one documented operation.
type oasOp struct {
	method, path string // path as documented, with {params}
	op           *v3.Operation
	params       []*v3.Parameter
}

func (o oasOp) String() string { return o.method + " " + o.path }

// secured reports whether the operation needs the API key.
func (o oasOp) secured() bool { return len(o.op.Security) > 0 }

// url is the operation's path with each path parameter replaced by its
// example, and the query parameters that have an example added.
func (o oasOp) url(t *testing.T) string {
	t.Helper()
	return o.urlWith(t, nil)
}

// urlWith is url with the path parameters named in vars set to their
// values there instead of their examples: ids that only a running server
// knows, such as the case a story opened.
func (o oasOp) urlWith(t *testing.T, vars map[string]string) string {
	t.Helper()
	p := o.path
	query := neturl.Values{}
	for _, prm := range o.params {
		var ex any
		hasExample := prm.Example != nil && prm.Example.Decode(&ex) == nil && ex != nil && fmt.Sprint(ex) != ""
		v := fmt.Sprint(ex)
		switch prm.In {
		case "path":
			if vv, ok := vars[prm.Name]; ok {
				v, hasExample = vv, true
			}
			if !hasExample {
				t.Fatalf("%s: path parameter %s has no example", o, prm.Name)
			}
			p = strings.ReplaceAll(p, "{"+prm.Name+"}", neturl.PathEscape(v))
		case "query":
			if hasExample {
				query.Set(prm.Name, v)
			}
		}
	}
	if len(query) > 0 {
		p += "?" + query.Encode()
	}
	return p
}

// hasOptionalQuery reports whether the operation takes query parameters
// that may all be left out.
func (o oasOp) hasOptionalQuery() bool {
	some := false
	for _, prm := range o.params {
		if prm.In != "query" {
			continue
		}
		if prm.Required != nil && *prm.Required {
			return false
		}
		some = true
	}
	return some
}

// bodyOptional reports whether the operation documents a request body
// that may be left out.
func (o oasOp) bodyOptional() bool {
	rb := o.op.RequestBody
	return rb != nil && (rb.Required == nil || !*rb.Required)
}

// requestExamples returns the operation's JSON request examples in
// document order.
func (o oasOp) requestExamples(t *testing.T) []oasExample {
	t.Helper()
	if o.op.RequestBody == nil || o.op.RequestBody.Content == nil {
		return nil
	}
	mt := o.op.RequestBody.Content.GetOrZero("application/json")
	if mt == nil {
		t.Fatalf("%s: request body is not application/json", o)
	}
	return oasExamples(t, o.String()+" request", mt)
}

// response returns the documented response for a status, or nil.
func (o oasOp) response(status int) *v3.Response {
	if o.op.Responses == nil || o.op.Responses.Codes == nil {
		return nil
	}
	return o.op.Responses.Codes.GetOrZero(strconv.Itoa(status))
}

func (d *oasDoc) operations() []oasOp {
	var ops []oasOp
	for path, item := range d.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			params := slices.Concat(item.Parameters, op.Parameters)
			ops = append(ops, oasOp{method: strings.ToUpper(method), path: path, op: op, params: params})
		}
	}
	return ops
}

func (d *oasDoc) op(t *testing.T, method, path string) oasOp {
	t.Helper()
	for _, o := range d.operations() {
		if o.method == method && o.path == path {
			return o
		}
	}
	t.Fatalf("openapi.yaml does not document %s %s", method, path)
	return oasOp{}
}

func (d *oasDoc) schema(t *testing.T, name string) *oasbase.Schema {
	t.Helper()
	p := d.model.Components.Schemas.GetOrZero(name)
	if p == nil {
		t.Fatalf("openapi.yaml has no schema %s", name)
	}
	s := p.Schema()
	if s == nil {
		t.Fatalf("schema %s: %v", name, p.GetBuildError())
	}
	return s
}

// oasExample is one named example, as JSON.
type oasExample struct {
	name string
	json []byte
}

func oasExamples(t *testing.T, where string, mt *v3.MediaType) []oasExample {
	t.Helper()
	var out []oasExample
	for name, ex := range mt.Examples.FromOldest() {
		if ex.Value == nil {
			t.Fatalf("%s example %s has no value", where, name)
		}
		var v any
		if err := ex.Value.Decode(&v); err != nil {
			t.Fatalf("%s example %s: %v", where, name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s example %s: %v", where, name, err)
		}
		out = append(out, oasExample{name: name, json: b})
	}
	return out
}

func (d *oasDoc) mustValidateRequest(t *testing.T, req *http.Request) {
	t.Helper()
	if ok, errs := d.check.ValidateHttpRequestSync(req); !ok {
		t.Errorf("%s %s: request does not match openapi.yaml:\n%s", req.Method, req.URL.Path, oasErrors(errs))
	}
}

func (d *oasDoc) mustValidateResponse(t *testing.T, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := d.check.ValidateHttpResponse(req, res); !ok {
		t.Errorf("%s %s: %d response does not match openapi.yaml:\n%s\nbody: %.600s",
			req.Method, req.URL.Path, res.StatusCode, oasErrors(errs), body)
	}
}

func oasErrors(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %s: %s\n", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "    at %s: %s\n", f.FieldPath, f.Reason)
		}
	}
	return b.String()
}

// oasServer is a real mamori server on loopback, with its webhook
// dispatcher.
type oasServer struct {
	url   string
	eng   *engine.Engine
	hooks *webhook.Service
}

func oasStart(t *testing.T, cfg mhttp.Config) *httptest.Server {
	t.Helper()
	cfg.APIKey = oasKey
	cfg.OpenAPI = mhttp.OpenAPI
	cfg.Logger = slog.New(slog.DiscardHandler)
	ts := httptest.NewServer(mhttp.New(cfg))
	t.Cleanup(ts.Close)
	return ts
}

// oasStartEngine starts a server over a real engine and event log in a
// temporary directory.
func oasStartEngine(t *testing.T) oasServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	committed := make(chan struct{}, 1)
	store, err := sqlite.Open(ctx, dir, sqlite.Options{OnIndexed: func(int, time.Duration) {
		select {
		case committed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	nets, err := oasNetworks()
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, store, dir, engine.Options{Shards: 2, Networks: nets, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	// The webhook dispatcher as http/webhooks_test.go runs it: woken by
	// each group commit, with few attempts and short waits, so that a
	// delivery to a failing receiver is dead within milliseconds.
	hooks := webhook.New(store.Webhooks(), webhook.Options{Committed: committed, Logger: slog.New(slog.DiscardHandler),
		MaxAttempts: oasHookAttempts, Backoff: []time.Duration{time.Millisecond}, PollInterval: 5 * time.Millisecond})
	if err := hooks.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hooks.Close() })
	ts := oasStart(t, mhttp.Config{Service: eng, Cases: eng, Labels: eng, Messages: eng, Networks: nets, Healthy: eng.Err, Webhooks: hooks,
		Links: oasLinks(t)})
	return oasServer{url: ts.URL, eng: eng, hooks: hooks}
}

// oasLinks is the security center's link issuer of the test servers, its
// key derived from the API key as serve does.
func oasLinks(t *testing.T) *seclink.Issuer {
	t.Helper()
	s, err := seclink.NewSigner(seclink.KeyFromAPIKey(oasKey))
	if err != nil {
		t.Fatal(err)
	}
	return &seclink.Issuer{Signer: s}
}

// oasNetworks loads the shipped network data once for the test binary:
// the message center and the evidence pack name the networks of
// addresses.
var oasNetworks = sync.OnceValues(enrich.LoadNetworks)

// oasHookAttempts is how many attempts a delivery gets on the test
// servers before it is dead.
const oasHookAttempts = 2

// oasCall sends one request and returns it (for validation, with a fresh
// body), the response and its body.
func oasCall(t *testing.T, base, method, path, key string, body []byte) (*http.Request, *http.Response, []byte) {
	t.Helper()
	return oasCallWith(t, base, method, path, key, nil, body)
}

// oasCallWith is oasCall with more request headers.
func oasCallWith(t *testing.T, base, method, path, key string, header http.Header, body []byte) (*http.Request, *http.Response, []byte) {
	t.Helper()
	newReq := func() *http.Request {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		for name, values := range header {
			req.Header[name] = values
		}
		return req
	}
	res, err := oasClient.Do(newReq())
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return newReq(), res, got
}

// oasEvents returns the request examples of POST /v1/risk and POST
// /v1/events as events, in the order the test sends them.
func oasEvents(t *testing.T, d *oasDoc) (decided, recorded []oasExample) {
	t.Helper()
	return d.op(t, "POST", "/v1/risk").requestExamples(t), d.op(t, "POST", "/v1/events").requestExamples(t)
}

// TestOpenAPIIsValid31 checks the document is OpenAPI 3.1 and valid
// against the specification's own schema.
func TestOpenAPIIsValid31(t *testing.T) {
	d := oasLoad(t)
	if !strings.HasPrefix(d.model.Version, "3.1.") {
		t.Fatalf("openapi: %q, want 3.1.x", d.model.Version)
	}
	if ok, errs := d.check.ValidateDocument(); !ok {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document:\n%s", oasErrors(errs))
	}
	want := []string{
		"GET /healthz", "GET /metrics", "GET /openapi.yaml", "POST /v1/risk", "POST /v1/events",
		"GET /v1/accounts/{account_id}", "POST /v1/accounts/{account_id}/lockdown",
		"GET /v1/accounts/{account_id}/messages", "POST /v1/accounts/{account_id}/messages/{message_id}/read",
		"POST /v1/accounts/{account_id}/security-link",
		"GET /v1/cases", "GET /v1/cases/{case_id}", "PATCH /v1/cases/{case_id}", "POST /v1/cases/{case_id}/notes",
		"GET /v1/cases/{case_id}/evidence",
		"POST /v1/orders/{order_id}/release", "POST /v1/orders/{order_id}/cancel",
		"GET /v1/labels",
		"POST /v1/webhooks", "GET /v1/webhooks", "GET /v1/webhooks/{webhook_id}", "DELETE /v1/webhooks/{webhook_id}",
		"POST /v1/webhooks/{webhook_id}/secrets", "DELETE /v1/webhooks/{webhook_id}/secrets/{n}",
		"GET /v1/webhooks/{webhook_id}/deliveries", "GET /v1/webhooks/{webhook_id}/deliveries/{delivery_id}",
		"POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
	}
	var got []string
	for _, o := range d.operations() {
		got = append(got, o.String())
		if v1 := strings.HasPrefix(o.path, "/v1/"); v1 != o.secured() {
			t.Errorf("%s: secured %v, want %v (bearerAuth on exactly the /v1/ calls)", o, o.secured(), v1)
		}
		if o.secured() && o.op.Security[0].ContainsEmptyRequirement {
			t.Errorf("%s: security may be skipped", o)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("documented operations:\n %q\nwant\n %q", got, want)
	}

	// The messages mamori sends: one webhook per type, a POST that needs
	// no key of mamori's (the signature stands for it).
	var hooks []string
	for name, item := range d.model.Webhooks.FromOldest() {
		hooks = append(hooks, name)
		if ops := item.GetOperations(); ops.Len() != 1 || item.Post == nil {
			t.Errorf("webhook %s: want exactly one operation, a post", name)
			continue
		}
		if len(item.Post.Security) > 0 {
			t.Errorf("webhook %s: has security; messages are signed instead", name)
		}
		if rb := item.Post.RequestBody; rb == nil || rb.Required == nil || !*rb.Required || rb.Content.GetOrZero("application/json") == nil {
			t.Errorf("webhook %s: want a required application/json body", name)
		}
	}
	oasEqual(t, "webhooks", slices.Sorted(slices.Values(hooks)), slices.Sorted(slices.Values(webhook.Types)))
}

// TestOpenAPIMatchesDomainTypes checks the schemas against the Go types
// they describe: the same JSON fields, required exactly when always
// present, and the same enums.
func TestOpenAPIMatchesDomainTypes(t *testing.T) {
	d := oasLoad(t)
	for _, c := range []struct {
		schema string
		typ    any
		// request: fields are optional on the wire, so required is not
		// compared.
		request bool
	}{
		{"EventBase", mamori.Event{}, true},
		{"Context", mamori.Context{}, true},
		{"AllProperties", mamori.Properties{}, true},
		{"Item", mamori.Item{}, true},
		{"Payment", mamori.Payment{}, true},
		{"Delivery", mamori.Delivery{}, true},
		{"LockdownRequest", mhttp.LockdownRequest{}, true},
		{"EventsAccepted", mhttp.EventsAccepted{}, false},
		{"Decision", mamori.Decision{}, false},
		{"Reason", mamori.Reason{}, false},
		{"Account", mamori.Account{}, false},
		{"ActionTaken", mamori.ActionTaken{}, false},
		{"Session", mamori.Session{}, false},
		{"TrustedDevice", mamori.TrustedDevice{}, false},
		{"Case", mamori.Case{}, false},
		{"CaseChange", mamori.CaseChange{}, false},
		{"CaseNote", mamori.CaseNote{}, false},
		{"TimelineEntry", mamori.TimelineEntry{}, false},
		{"CaseOrder", mamori.CaseOrder{}, false},
		{"CaseList", mhttp.CaseList{}, false},
		{"Label", mamori.Label{}, false},
		{"LabelList", mhttp.LabelList{}, false},
		{"Message", mamori.Message{}, false},
		{"MessageList", mhttp.MessageList{}, false},
		{"SecurityLink", mhttp.SecurityLink{}, false},
		{"Evidence", evidence.Evidence{}, false},
		{"EvidenceWindow", evidence.Window{}, false},
		{"EvidenceCharge", evidence.Charge{}, false},
		{"EvidenceTotal", evidence.Total{}, false},
		{"EvidenceNetwork", evidence.Network{}, false},
		{"EvidenceAgent", evidence.Agent{}, false},
		{"EvidenceSession", evidence.Session{}, false},
		{"EvidenceUsualDevice", evidence.UsualDevice{}, false},
		{"EvidenceUsualNetwork", evidence.UsualNetwork{}, false},
		{"EvidenceStep", evidence.Step{}, false},
		{"CasePatch", mamori.CasePatch{}, true},
		{"NoteRequest", mhttp.NoteRequest{}, true},
		{"OrderDecision", mhttp.OrderDecision{}, true},
		{"NewWebhook", webhook.NewEndpoint{}, true},
		{"NewWebhookSecret", webhook.NewSecretRequest{}, true},
		{"Webhook", webhook.Endpoint{}, false},
		{"WebhookSecret", webhook.Secret{}, false},
		{"WebhookCreated", webhook.Created{}, false},
		{"WebhookSecretAdded", webhook.SecretAdded{}, false},
		{"WebhookList", mhttp.WebhookList{}, false},
		{"WebhookDeleted", mhttp.WebhookDeleted{}, false},
		{"WebhookDelivery", webhook.Delivery{}, false},
		{"WebhookDeliveryList", mhttp.DeliveryList{}, false},
		{"DecisionCreatedMessage", webhook.Body{}, false},
		{"CaseOpenedMessage", webhook.Body{}, false},
		{"CaseUpdatedMessage", webhook.Body{}, false},
		{"ActionRequestedMessage", webhook.Body{}, false},
		{"WebhookEventRef", webhook.EventRef{}, false},
		{"DecisionCreatedData", webhook.DecisionData{}, false},
		{"ActionRequestedData", webhook.ActionData{}, false},
		{"CaseMessageData", webhook.CaseData{}, false},
	} {
		s := d.schema(t, c.schema)
		fields, always := jsonFields(reflect.TypeOf(c.typ))
		props, required := oasFlat(s)
		if !slices.Equal(props, fields) {
			t.Errorf("schema %s has properties %q; %T has %q", c.schema, props, c.typ, fields)
		}
		if c.request {
			continue
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %q; %T always has %q", c.schema, required, c.typ, always)
		}
	}

	// The events mamori records itself have a subset of the fields of
	// an event.
	eventFields, _ := jsonFields(reflect.TypeOf(mamori.Event{}))
	for _, f := range oasPropertyNames(d.schema(t, "RecordedEventBase")) {
		if !slices.Contains(eventFields, f) {
			t.Errorf("RecordedEventBase has %s, which mamori.Event does not have", f)
		}
	}

	// Every per-type property is a property of mamori.Properties, and
	// each of those is used by some type: a type stores send (Event) or
	// one mamori records itself (RecordedEvent).
	props, _ := jsonFields(reflect.TypeOf(mamori.Properties{}))
	used := map[string]bool{}
	for _, union := range []string{"Event", "RecordedEvent"} {
		for _, v := range d.schema(t, union).OneOf {
			for _, p := range oasPropertyNames(oasVariantProperties(t, v.Schema())) {
				if !slices.Contains(props, p) {
					t.Errorf("%s documents properties.%s, which mamori.Properties does not have", v.GetReference(), p)
				}
				used[p] = true
			}
		}
	}
	for _, p := range props {
		if !used[p] {
			t.Errorf("properties.%s is documented for no event type", p)
		}
	}

	// A timeline's event is one a store sent or one mamori recorded.
	var timeline []string
	for _, v := range d.schema(t, "TimelineEvent").OneOf {
		timeline = append(timeline, v.GetReference())
	}
	oasEqual(t, "TimelineEvent.oneOf", timeline, []string{"#/components/schemas/Event", "#/components/schemas/RecordedEvent"})

	// Enums.
	types := oasEnum(t, d.schema(t, "EventType"))
	if len(types) != 24 {
		t.Errorf("EventType lists %d types, the contract has 24", len(types))
	}
	for _, typ := range types {
		if !mamori.IsEventType(typ) {
			t.Errorf("EventType %q is not an event type of mamori", typ)
		}
	}
	mapping := d.schema(t, "Event").Discriminator.Mapping
	for _, typ := range types {
		if _, ok := mapping.Get(typ); !ok {
			t.Errorf("Event's discriminator does not map %q", typ)
		}
	}
	// The types mamori records itself: documented apart from those stores
	// send, and refused when a store sends them.
	recorded := oasEnum(t, d.schema(t, "RecordedEventType"))
	oasEqual(t, "RecordedEventType", recorded, []string{mamori.AccountLockedDown, mamori.CaseUpdated, mamori.MessageRead,
		mamori.CustomerSignedOutEverywhere, mamori.CustomerRemovedTrustedDevices})
	recordedMapping := d.schema(t, "RecordedEvent").Discriminator.Mapping
	for _, typ := range recorded {
		if mamori.IsEventType(typ) || slices.Contains(types, typ) {
			t.Errorf("RecordedEventType %q is a type stores may send", typ)
		}
		if _, ok := recordedMapping.Get(typ); !ok {
			t.Errorf("RecordedEvent's discriminator does not map %q", typ)
		}
		raw := fmt.Sprintf(`{"id": "e-rec", "type": %q, "time": "2026-11-20T01:00:00Z", "account_id": "a-1"}`, typ)
		_, err := mamori.DecodeEvent([]byte(raw))
		var me *mamori.Error
		if !errors.As(err, &me) || me.Code != mamori.EInvalidEvent || me.Field != "type" {
			t.Errorf("a store sending %s: got %v, want invalid_event on type", typ, err)
		}
	}
	oasEqual(t, "Decision.decision", oasEnum(t, oasProp(t, d.schema(t, "Decision"), "decision")),
		[]string{string(mamori.Allow), string(mamori.Challenge), string(mamori.Review), string(mamori.Deny)})
	var actions []string
	for _, a := range mamori.LockdownActions {
		actions = append(actions, string(a))
	}
	oasEqual(t, "Action", oasEnum(t, d.schema(t, "Action")), actions)
	oasEqual(t, "Account.status", oasEnum(t, oasProp(t, d.schema(t, "Account"), "status")),
		[]string{mamori.StatusActive, mamori.StatusLocked})
	caseStatuses := []string{mamori.CaseOpen, mamori.CaseInvestigating, mamori.CaseResolvedFraud, mamori.CaseResolvedLegit}
	oasEqual(t, "CaseStatus", oasEnum(t, d.schema(t, "CaseStatus")), caseStatuses)
	for _, c := range []struct{ schema, prop string }{{"Case", "status"}, {"CaseChange", "status"}, {"CasePatch", "status"}} {
		oasEqual(t, c.schema+"."+c.prop, oasEnum(t, oasProp(t, d.schema(t, c.schema), c.prop)), caseStatuses)
	}
	for _, s := range caseStatuses {
		if !mamori.IsCaseStatus(s) {
			t.Errorf("case status %q is not one mamori accepts", s)
		}
	}
	oasEqual(t, "CaseOrder.status", oasEnum(t, oasProp(t, d.schema(t, "CaseOrder"), "status")),
		[]string{risk.OrderPlacedStatus, risk.OrderHeldStatus, risk.OrderVoidedStatus, risk.OrderDeniedStatus,
			risk.OrderCancelledStatus, risk.OrderDeclinedStatus})
	// Labels: what each source says.
	oasEqual(t, "Label.kind", oasEnum(t, oasProp(t, d.schema(t, "Label"), "kind")), []string{"order", "case", "account"})
	oasEqual(t, "Label.label", oasEnum(t, oasProp(t, d.schema(t, "Label"), "label")), []string{"fraud", "legit"})
	oasEqual(t, "Label.source", oasEnum(t, oasProp(t, d.schema(t, "Label"), "source")),
		[]string{mamori.OrderReleased, mamori.OrderCancelled, mamori.CaseUpdated, mamori.FraudReported})
	oasEqual(t, "Outcome", oasEnum(t, d.schema(t, "Outcome")),
		[]string{string(mamori.Allow), string(mamori.Challenge), string(mamori.Review), string(mamori.Deny)})
	oasEqual(t, "WebhookEventType", oasEnum(t, d.schema(t, "WebhookEventType")), webhook.Types)

	// The message center and the evidence pack.
	oasEqual(t, "Message.kind", oasEnum(t, oasProp(t, d.schema(t, "Message"), "kind")),
		[]string{risk.MessageRiskyOrder, risk.MessageStolenSession, risk.MessageFraudReported, risk.MessageLockdown,
			risk.MessageProtected, risk.MessageCaseFraud, risk.MessageCaseLegit, risk.MessageOrderReleased, risk.MessageOrderCancelled})
	messageLangs := []string{string(notice.Japanese), string(notice.English)}
	oasEqual(t, "MessageLang", oasEnum(t, d.schema(t, "MessageLang")), messageLangs)
	for _, l := range messageLangs {
		if _, ok := notice.ParseLang(l); !ok {
			t.Errorf("message language %q is not one mamori takes", l)
		}
	}
	evidenceLangs := oasEnum(t, d.schema(t, "EvidenceLang"))
	oasEqual(t, "EvidenceLang", evidenceLangs, []string{evidence.English, evidence.Japanese})
	for _, l := range evidenceLangs {
		if !evidence.IsLang(l) {
			t.Errorf("evidence language %q is not one mamori takes", l)
		}
	}
	for _, prm := range d.op(t, "GET", "/v1/cases/{case_id}/evidence").params {
		if prm.Name == "format" {
			oasEqual(t, "evidence format", oasEnum(t, prm.Schema.Schema()), []string{"json", "html"})
		}
	}
	oasEqual(t, "Evidence.attribution", oasEnumOrConst(t, oasProp(t, d.schema(t, "Evidence"), "attribution")), []string{evidence.Attribution})
	oasEqual(t, "EvidenceCharge.fulfilment", oasEnum(t, oasProp(t, d.schema(t, "EvidenceCharge"), "fulfilment")),
		[]string{evidence.Delivered, evidence.Redeemed, evidence.Voided, evidence.Held, evidence.Cancelled, evidence.Released})
	oasEqual(t, "EvidenceCharge.settlement", oasEnum(t, oasProp(t, d.schema(t, "EvidenceCharge"), "settlement")),
		[]string{evidence.Authorised, evidence.Settled, evidence.ClaimReady})
	oasEqual(t, "EvidenceNetwork.type", oasEnum(t, oasProp(t, d.schema(t, "EvidenceNetwork"), "type")),
		[]string{string(enrich.Hosting), string(enrich.Mobile), string(enrich.ISP), string(enrich.Unknown)})
	oasEqual(t, "EvidenceAgent.device", oasEnum(t, oasProp(t, d.schema(t, "EvidenceAgent"), "device")),
		[]string{string(enrich.DeviceDesktop), string(enrich.DeviceMobile), string(enrich.DeviceTablet), string(enrich.DeviceBot), string(enrich.DeviceUnknown)})
	oasEqual(t, "WebhookDeliveryStatus", oasEnum(t, d.schema(t, "WebhookDeliveryStatus")),
		[]string{string(webhook.Pending), string(webhook.Delivered), string(webhook.Failed), string(webhook.Dead)})
	messageMapping := d.schema(t, "WebhookMessage").Discriminator.Mapping
	for _, typ := range webhook.Types {
		ref, ok := messageMapping.Get(typ)
		if !ok {
			t.Errorf("WebhookMessage's discriminator does not map %q", typ)
			continue
		}
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		oasEqual(t, name+".type", oasEnumOrConst(t, oasProp(t, d.schema(t, name), "type")), []string{typ})
		if hook := d.model.Webhooks.GetOrZero(typ); hook == nil || hook.Post == nil ||
			hook.Post.RequestBody.Content.GetOrZero("application/json").Schema.GetReference() != ref {
			t.Errorf("webhook %s does not send %s", typ, ref)
		}
	}
	// A secret's pattern takes exactly what mamori takes.
	secretSchema := d.schema(t, "WebhookSecretValue")
	secretPattern := regexp.MustCompile(secretSchema.Pattern)
	for n := 1; n <= 70; n++ {
		s := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n))
		if ok := webhook.CheckSecret("secret", s) == nil; ok != secretPattern.MatchString(s) {
			t.Errorf("a secret of %d bytes: mamori takes it %v, the pattern %v", n, ok, !ok)
		}
	}
	oasEqual(t, "Error.error.code", oasEnum(t, oasProp(t, oasProp(t, d.schema(t, "Error"), "error"), "code")),
		[]string{mamori.EInvalidJSON, mamori.EInvalidEvent, mamori.EUnauthorized, mamori.ENotFound,
			mamori.ETooLarge, mamori.ERateLimited, mamori.EInternal, mamori.EUnavailable, mamori.EMethodNotAllowed})
	for _, c := range oasEnum(t, d.schema(t, "Currency")) {
		if !mamori.IsCurrency(c) {
			t.Errorf("Currency %q is not a currency mamori accepts", c)
		}
	}

	// Reason codes: the table in Decision's description lists exactly
	// risk.ReasonCodes, with their messages.
	table := map[string]string{}
	for _, line := range strings.Split(d.schema(t, "Decision").Description, "\n") {
		line = strings.TrimSpace(line)
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !strings.HasPrefix(line, "| `") || len(cells) != 2 {
			continue
		}
		table[strings.Trim(strings.TrimSpace(cells[0]), "`")] = strings.TrimSpace(cells[1])
	}
	codes := risk.ReasonCodes()
	for code, msg := range codes {
		if got, ok := table[code]; !ok {
			t.Errorf("reason code %s is not documented in Decision", code)
		} else if got != msg {
			t.Errorf("reason code %s is documented as %q; its message is %q", code, got, msg)
		}
	}
	for code := range table {
		if _, ok := codes[code]; !ok {
			t.Errorf("Decision documents reason code %s, which risk does not have", code)
		}
	}
}

// TestOpenAPIExampleEventsAreValid checks every example event decodes
// with mamori.DecodeEvent(s), has a unique id, arrives in time order per
// account, and that each event type has an example. It also checks the
// documented enums and required properties against the decoder.
func TestOpenAPIExampleEventsAreValid(t *testing.T) {
	d := oasLoad(t)
	riskExamples, batchExamples := oasEvents(t, d)
	var all []mamori.Event
	byType := map[string][]oasExample{}
	for _, ex := range riskExamples {
		ev, err := mamori.DecodeEvent(ex.json)
		if err != nil {
			t.Errorf("POST /v1/risk example %s: %v", ex.name, err)
			continue
		}
		all = append(all, ev)
		byType[ev.Type] = append(byType[ev.Type], ex)
	}
	for _, ex := range batchExamples {
		evs, err := mamori.DecodeEvents(ex.json)
		if err != nil {
			t.Errorf("POST /v1/events example %s: %v", ex.name, err)
			continue
		}
		all = append(all, evs...)
	}
	for _, typ := range oasEnum(t, d.schema(t, "EventType")) {
		if len(byType[typ]) == 0 {
			t.Errorf("POST /v1/risk has no example of %s", typ)
		}
	}
	ids := map[string]bool{}
	last := map[string]time.Time{}
	for _, ev := range all {
		if ids[ev.ID] {
			t.Errorf("example event id %s is used twice", ev.ID)
		}
		ids[ev.ID] = true
		if ev.Time.Before(last[ev.RouteKey()]) {
			t.Errorf("example event %s (%s) is earlier than the one before it on %s", ev.ID, ev.Type, ev.RouteKey())
		}
		last[ev.RouteKey()] = ev.Time
	}

	// Each documented enum value is accepted and a value outside the enum
	// is rejected; removing a documented required property is rejected.
	for _, v := range d.schema(t, "Event").OneOf {
		vs := v.Schema()
		for _, typ := range oasEnumOrConst(t, oasProp(t, vs.AllOf[1].Schema(), "type")) {
			exs := byType[typ]
			if len(exs) == 0 {
				continue
			}
			for _, c := range oasPropertyChecks(t, oasVariantProperties(t, vs), "properties") {
				for _, want := range c.enum {
					if !oasSomeDecodes(exs, c.path, want) {
						t.Errorf("%s: %s %q is documented but rejected", typ, c.path, want)
					}
				}
				if len(c.enum) > 0 && oasSomeDecodes(exs, c.path, "not-documented") {
					t.Errorf("%s: %s accepts a value outside the documented enum", typ, c.path)
				}
			}
			for _, req := range oasRequired(t, vs) {
				raw := oasEdit(t, exs[0].json, req, nil)
				_, err := mamori.DecodeEvent(raw)
				var me *mamori.Error
				if !errors.As(err, &me) || me.Code != mamori.EInvalidEvent || me.Field != req {
					t.Errorf("%s without the required %s: got %v, want invalid_event on %s", typ, req, err, req)
				}
			}
		}
	}
}

// TestOpenAPIAgainstServer plays the document against a real server:
// every documented operation answers with a documented status, every
// request example is accepted, and every response matches its schema.
// The seed story is played first, so that the case calls and the order
// calls have a real case and real orders to work on.
func TestOpenAPIAgainstServer(t *testing.T) {
	d := oasLoad(t)
	srv := oasStartEngine(t)

	seed, err := sim.PlaySeed(context.Background(), &mhttp.Client{BaseURL: srv.url, APIKey: oasKey, HTTP: oasClient}, nil)
	if err != nil {
		t.Fatalf("seed story: %v", err)
	}
	if seed.CaseID == "" {
		t.Fatal("the seed story opened no case")
	}
	vars := map[string]string{"case_id": seed.CaseID}

	// play sends one request and checks the answer is a documented
	// success that matches its schema.
	play := func(o oasOp, path, name string, body []byte) []byte {
		t.Helper()
		key := ""
		if o.secured() {
			key = oasKey
		}
		req, res, got := oasCall(t, srv.url, o.method, path, key, body)
		if body != nil {
			d.mustValidateRequest(t, req)
		}
		if o.response(res.StatusCode) == nil {
			t.Errorf("%s %s: status %d is not documented; body %s", o, name, res.StatusCode, got)
			return nil
		}
		if res.StatusCode/100 != 2 {
			t.Errorf("%s %s: %d %s", o, name, res.StatusCode, got)
			return nil
		}
		d.mustValidateResponse(t, req, res, got)
		oasCheckRequired(t, d, o, res, got)
		return got
	}
	// The seed customer's message center right after the attack, as the
	// examples show it: in her language (Japanese: her browser asks for
	// it) and in English; then the first message read.
	messagesOp := d.op(t, "GET", "/v1/accounts/{account_id}/messages")
	readOp := d.op(t, "POST", "/v1/accounts/{account_id}/messages/{message_id}/read")
	messagesPath := "/v1/accounts/" + sim.SeedAccount + "/messages"
	if p := strings.SplitN(messagesOp.url(t), "?", 2)[0]; p != messagesPath {
		t.Fatalf("%s: the example path is %s; want the seed story's account, %s", messagesOp, p, messagesPath)
	}
	queries := map[string]string{"japanese": "", "english": "?lang=en"}
	for _, ex := range oasExamples(t, messagesOp.String(), messagesOp.response(200).Content.GetOrZero("application/json")) {
		query, ok := queries[ex.name]
		if !ok {
			t.Fatalf("%s: the test does not know how to ask for example %s", messagesOp, ex.name)
		}
		oasMatchExample(t, fmt.Sprintf("%s example %s", messagesOp, ex.name), ex.json, play(messagesOp, messagesPath+query, "example "+ex.name, nil))
	}
	oasMatchExample(t, readOp.String()+" example read", oasExampleOf(t, readOp, 200, "read"), play(readOp, readOp.url(t), "example", nil))

	// The case's evidence pack while it is open: a draft, here in
	// Japanese.
	evidenceOp := d.op(t, "GET", "/v1/cases/{case_id}/evidence")
	evidencePath := "/v1/cases/" + seed.CaseID + "/evidence"
	oasMatchExample(t, evidenceOp.String()+" example draft", oasExampleOf(t, evidenceOp, 200, "draft"),
		play(evidenceOp, evidencePath+"?lang=ja", "the draft", nil), "network_data")

	// The final pack: Aiko resolves the case as fraud, and the bank
	// settles the first gift card.
	if _, res, body := oasCall(t, srv.url, "PATCH", "/v1/cases/"+seed.CaseID, oasKey, []byte(`{"status": "resolved_fraud", "by": "aiko"}`)); res.StatusCode != 200 {
		t.Fatalf("resolve %s: %d %s", seed.CaseID, res.StatusCode, body)
	}
	settle := []byte(`{"id": "settle-9002", "type": "payment.settled", "time": "2026-11-20T01:00:00Z", "account_id": "` + sim.SeedAccount +
		`", "properties": {"order_id": "ord-9002", "amount": 5000, "currency": "JPY", "descriptor": "MAMORI-MART TOKYO"}}`)
	if _, res, body := oasCall(t, srv.url, "POST", "/v1/events", oasKey, settle); res.StatusCode != 202 {
		t.Fatalf("settle ord-9002: %d %s", res.StatusCode, body)
	}
	final := play(evidenceOp, evidencePath, "the final pack", nil)
	oasMatchExample(t, evidenceOp.String()+" example final", oasExampleOf(t, evidenceOp, 200, "final"), final, "network_data")
	if again := play(evidenceOp, evidencePath+"?format=json&lang=en", "the final pack, asked for", nil); !bytes.Equal(again, final) {
		t.Errorf("%s?format=json&lang=en differs from the default answer:\n%s\n%s", evidencePath, again, final)
	}
	// The printable page: HTML, served with the documented policy, in
	// the language asked for or preferred.
	var csp string
	if h := evidenceOp.response(200).Headers.GetOrZero("Content-Security-Policy"); h == nil || h.Example == nil || h.Example.Decode(&csp) != nil {
		t.Fatalf("%s: no Content-Security-Policy header example", evidenceOp)
	}
	var pageExample string
	if ex := evidenceOp.response(200).Content.GetOrZero("text/html").Examples.GetOrZero("page"); ex == nil || ex.Value.Decode(&pageExample) != nil {
		t.Fatalf("%s: no text/html example page", evidenceOp)
	}
	for _, c := range []struct{ query, acceptLanguage, lang string }{
		{"?format=html&lang=ja", "", "ja"},
		{"?format=html&lang=en", "ja-JP", "en"},
		{"?format=html", "ja-JP,ja;q=0.9,en;q=0.8", "ja"},
		{"?format=html", "", "en"},
	} {
		var header http.Header
		if c.acceptLanguage != "" {
			header = http.Header{"Accept-Language": {c.acceptLanguage}}
		}
		req, res, page := oasCallWith(t, srv.url, "GET", evidencePath+c.query, oasKey, header, nil)
		what := fmt.Sprintf("GET %s%s (Accept-Language %q)", evidencePath, c.query, c.acceptLanguage)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %s", what, res.StatusCode, res.Header.Get("Content-Type"))
			continue
		}
		if got := res.Header.Get("Content-Security-Policy"); got != csp {
			t.Errorf("%s: Content-Security-Policy %q, documented %q", what, got, csp)
		}
		d.mustValidateResponse(t, req, res, page)
		if !bytes.Contains(page, []byte(`<html lang="`+c.lang+`"`)) || !bytes.Contains(page, []byte(seed.CaseID)) {
			t.Errorf("%s: not the page of %s in %s: %.300s", what, seed.CaseID, c.lang, page)
		}
		if c.lang != "ja" {
			continue
		}
		for _, line := range strings.Split(pageExample, "\n") {
			if line = strings.TrimSpace(line); line != "" && line != "…" && !bytes.Contains(page, []byte(line)) {
				t.Errorf("%s: the example page's line %q is not in the page", what, line)
			}
		}
	}

	for _, o := range d.operations() {
		if oasWebhookCall(o) {
			continue // played by TestOpenAPIWebhooksAgainstServer, in an order that gives them real ids
		}
		path := o.urlWith(t, vars)
		exs := o.requestExamples(t)
		if len(exs) == 0 || o.bodyOptional() {
			exs = append(exs, oasExample{name: "(no body)"})
		}
		for _, ex := range exs {
			play(o, path, "example "+ex.name, ex.json)
		}
		if o.hasOptionalQuery() {
			play(o, strings.SplitN(path, "?", 2)[0], "without query", nil)
		}
	}

	// The labels after the story and the examples: the case resolved as
	// fraud, the orders released and cancelled, the fraud reports; as the
	// example shows them, the page the example query asks for.
	labelsOp := d.op(t, "GET", "/v1/labels")
	labels := play(labelsOp, labelsOp.url(t), "the example", nil)
	// The ids of the events mamori records itself are random.
	oasMatchExample(t, labelsOp.String()+" example labels", oasExampleOf(t, labelsOp, 200, "labels"), labels, "event_id")
	var page mhttp.LabelList
	if err := json.Unmarshal(labels, &page); err != nil || len(page.Labels) == 0 {
		t.Fatalf("%s: %v; %s", labelsOp.url(t), err, labels)
	}
	// Read on from next: nothing more, and next stays.
	var rest mhttp.LabelList
	json.Unmarshal(play(labelsOp, fmt.Sprintf("/v1/labels?after=%d", page.Next), "after the last page", nil), &rest)
	if len(rest.Labels) != 0 || rest.Next != page.Next {
		t.Errorf("GET /v1/labels?after=%d: %+v, want no labels and next %d", page.Next, rest, page.Next)
	}
	// Page by page, one record at a time, the same labels.
	var paged []mamori.Label
	for after, n := uint64(0), 0; ; n++ {
		var p mhttp.LabelList
		json.Unmarshal(play(labelsOp, fmt.Sprintf("/v1/labels?after=%d&limit=1", after), "one record a page", nil), &p)
		if p.Next == after || n > 100 {
			break
		}
		paged, after = append(paged, p.Labels...), p.Next
	}
	if !reflect.DeepEqual(paged, page.Labels) {
		t.Errorf("GET /v1/labels one record a page: %+v\nwant %+v", paged, page.Labels)
	}

	// The case calls worked on the seed story's case: its timeline holds
	// what mamori recorded for them, and its orders the seed's orders.
	caseOp := d.op(t, "GET", "/v1/cases/{case_id}")
	seen := map[string]bool{}
	readCase := func(id string) mamori.Case {
		t.Helper()
		var c mamori.Case
		if body := play(caseOp, "/v1/cases/"+id, "case "+id, nil); body != nil {
			if err := json.Unmarshal(body, &c); err != nil {
				t.Fatalf("case %s: %v", id, err)
			}
		}
		for _, e := range c.Timeline {
			seen[e.Event.Type] = true
		}
		return c
	}
	c := readCase(seed.CaseID)
	if len(c.History) < 2 || len(c.Notes) == 0 {
		t.Errorf("case %s after the examples: history %+v, notes %+v", c.ID, c.History, c.Notes)
	}
	orders := map[string]bool{}
	for _, o := range c.Orders {
		orders[o.OrderID] = true
	}
	for _, o := range []string{"/v1/orders/{order_id}/release", "/v1/orders/{order_id}/cancel"} {
		id := strings.Split(d.op(t, "POST", o).url(t), "/")[3]
		if !orders[id] {
			t.Errorf("%s: the example order %s is not among the orders of case %s", o, id, c.ID)
		}
	}
	// The security link the example shows: under the server's own host
	// (it has no public address configured), opening for 15 minutes. The
	// token and the time differ each call.
	linkOp := d.op(t, "POST", "/v1/accounts/{account_id}/security-link")
	asked := time.Now()
	if body := play(linkOp, linkOp.url(t), "the example", nil); body != nil {
		oasMatchExample(t, linkOp.String()+" example link", oasExampleOf(t, linkOp, 201, "link"), body, "url", "expires")
		var link mhttp.SecurityLink
		if err := json.Unmarshal(body, &link); err != nil {
			t.Fatalf("%s: %v", linkOp, err)
		}
		if !strings.HasPrefix(link.URL, srv.url+"/me?t=") || len(link.URL) == len(srv.url+"/me?t=") {
			t.Errorf("%s: url %s, want %s/me?t=TOKEN", linkOp, link.URL, srv.url)
		}
		if ttl := link.Expires.Sub(asked); ttl < seclink.DefaultTTL-2*time.Second || ttl > seclink.DefaultTTL+2*time.Second {
			t.Errorf("%s: expires %s, %s after the call; want %s", linkOp, link.Expires, ttl, seclink.DefaultTTL)
		}
	}

	// The lockdown examples opened or joined a case of their account;
	// there the customer, in her security center, signs out everywhere
	// and removes her trusted devices.
	accountOp := d.op(t, "GET", "/v1/accounts/{account_id}")
	account := strings.Split(accountOp.url(t), "/")[3]
	if _, err := srv.eng.SignOutEverywhere(context.Background(), account); err != nil {
		t.Fatalf("sign %s out everywhere: %v", account, err)
	}
	if _, err := srv.eng.RemoveTrustedDevices(context.Background(), account); err != nil {
		t.Fatalf("remove the trusted devices of %s: %v", account, err)
	}
	var acct mamori.Account
	if body := play(accountOp, accountOp.url(t), "after the lockdown", nil); body != nil {
		json.Unmarshal(body, &acct)
	}
	if len(acct.OpenCaseIDs) == 0 {
		t.Errorf("%s: no open case after the lockdown examples", accountOp.url(t))
	}
	for _, id := range acct.OpenCaseIDs {
		readCase(id)
	}
	// Each type mamori records itself was in a timeline that matched its
	// schema.
	for _, typ := range append(oasEnum(t, d.schema(t, "RecordedEventType")), mamori.OrderReleased, mamori.OrderCancelled) {
		if !seen[typ] {
			t.Errorf("no timeline checked against the document holds a %s event", typ)
		}
	}

	// The protective actions the seed story's account shows are those the
	// order calls' example shows.
	var exAcct, gotAcct struct {
		Actions json.RawMessage `json:"actions"`
	}
	json.Unmarshal(oasExampleOf(t, d.op(t, "POST", "/v1/orders/{order_id}/cancel"), 200, "cancelled"), &exAcct)
	json.Unmarshal(play(accountOp, "/v1/accounts/"+sim.SeedAccount, "the seed account", nil), &gotAcct)
	oasMatchExample(t, "the actions of POST /v1/orders/{order_id}/cancel example cancelled", exAcct.Actions, gotAcct.Actions)

	// Each decision example answers one of the request examples.
	ids := map[string]bool{}
	for _, ex := range d.op(t, "POST", "/v1/risk").requestExamples(t) {
		var ev struct{ ID string }
		json.Unmarshal(ex.json, &ev)
		ids[ev.ID] = true
	}
	for _, ex := range oasExamples(t, "POST /v1/risk 200", d.op(t, "POST", "/v1/risk").response(200).Content.GetOrZero("application/json")) {
		var dec mamori.Decision
		if err := json.Unmarshal(ex.json, &dec); err != nil || !ids[dec.EventID] {
			t.Errorf("decision example %s answers event %q, which is no request example (%v)", ex.name, dec.EventID, err)
		}
	}

	// The document served is this document.
	_, res, body := oasCall(t, srv.url, "GET", "/openapi.yaml", "", nil)
	if res.StatusCode != 200 || !bytes.Equal(body, mhttp.OpenAPI) {
		t.Errorf("GET /openapi.yaml: %d, %d bytes; want 200 and the embedded document", res.StatusCode, len(body))
	}

	// Idempotence, as documented: the first example again gets the
	// decision it got the first time.
	riskOp := d.op(t, "POST", "/v1/risk")
	first := riskOp.requestExamples(t)[0]
	_, res1, body1 := oasCall(t, srv.url, "POST", "/v1/risk", oasKey, first.json)
	_, res2, body2 := oasCall(t, srv.url, "POST", "/v1/risk", oasKey, first.json)
	if res1.StatusCode != 200 || !bytes.Equal(body1, body2) {
		t.Errorf("resending %s: %d %s then %d %s", first.name, res1.StatusCode, body1, res2.StatusCode, body2)
	}
}

// oasCheckRequired checks, beyond the validator, that a JSON response
// has every field its schema requires.
func oasCheckRequired(t *testing.T, d *oasDoc, o oasOp, res *http.Response, body []byte) {
	t.Helper()
	mt := o.response(res.StatusCode).Content.GetOrZero("application/json")
	if mt == nil || mt.Schema == nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return
	}
	s := mt.Schema.Schema()
	if len(s.Required) == 0 {
		return
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Errorf("%s: %d body is not a JSON object: %v", o, res.StatusCode, err)
		return
	}
	for _, f := range s.Required {
		if _, ok := got[f]; !ok {
			t.Errorf("%s: %d body lacks the required %s: %s", o, res.StatusCode, f, body)
		}
	}
}

// oasExampleOf returns the named example of the operation's JSON answer
// with the given status.
func oasExampleOf(t *testing.T, o oasOp, status int, name string) []byte {
	t.Helper()
	resp := o.response(status)
	if resp == nil {
		t.Fatalf("%s: %d is not documented", o, status)
	}
	for _, ex := range oasExamples(t, fmt.Sprintf("%s %d", o, status), resp.Content.GetOrZero("application/json")) {
		if ex.name == name {
			return ex.json
		}
	}
	t.Fatalf("%s: %d has no example %s", o, status, name)
	return nil
}

// oasMatchExample checks that a documented example shows what the server
// answered: the same fields with the same values, except that an array of
// the example may be shortened (its elements are some of the answer's, in
// the same order). The fields named in loose need only be there.
func oasMatchExample(t *testing.T, what string, example, got []byte, loose ...string) {
	t.Helper()
	var ex, g any
	if err := json.Unmarshal(example, &ex); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: the answer is not JSON: %v", what, err)
		return
	}
	if err := oasMatch(ex, g, "", loose); err != nil {
		t.Errorf("%s is not what the server answered: %v\nanswered: %s", what, err, got)
	}
}

func oasMatch(ex, got any, path string, loose []string) error {
	switch e := ex.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object in the example, %T answered", path, got)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := e[k]; !ok {
				return fmt.Errorf("%s.%s: answered, left out of the example", path, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(e)) {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: in the example, not answered", path, k)
			}
			if slices.Contains(loose, k) {
				continue
			}
			if err := oasMatch(e[k], gv, path+"."+k, loose); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: an array in the example, %T answered", path, got)
		}
		if len(e) == 0 && len(g) > 0 {
			return fmt.Errorf("%s: empty in the example, %d elements answered", path, len(g))
		}
		j := 0
		for i, v := range e {
			for j < len(g) && oasMatch(v, g[j], "", loose) != nil {
				j++
			}
			if j == len(g) {
				err := fmt.Errorf("%s[%d]: not among the answer's elements, in order", path, i)
				if i < len(g) {
					err = fmt.Errorf("%w; against the answer's [%d]: %w", err, i, oasMatch(v, g[i], fmt.Sprintf("%s[%d]", path, i), loose))
				}
				return err
			}
			j++
		}
		return nil
	}
	if !reflect.DeepEqual(ex, got) {
		return fmt.Errorf("%s: %v in the example, %v answered", path, ex, got)
	}
	return nil
}

// oasWebhookCall reports whether the operation is one of the webhook API,
// played by TestOpenAPIWebhooksAgainstServer.
func oasWebhookCall(o oasOp) bool {
	return o.path == "/v1/webhooks" || strings.HasPrefix(o.path, "/v1/webhooks/")
}

// oasSuccess returns the operation's documented 2xx status.
func oasSuccess(t *testing.T, o oasOp) int {
	t.Helper()
	var ok []int
	for code := range o.op.Responses.Codes.KeysFromOldest() {
		if n, err := strconv.Atoi(code); err == nil && n/100 == 2 {
			ok = append(ok, n)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%s: documents %d successes, want one", o, len(ok))
	}
	return ok[0]
}

// oasReceiver is a store's webhook endpoint on loopback: it keeps every
// message it accepts and answers with status (200 when 0).
type oasReceiver struct {
	url    string
	status atomic.Int32
	mu     sync.Mutex
	got    []oasReceived
}

type oasReceived struct {
	header http.Header
	body   []byte
}

func oasNewReceiver(t *testing.T) *oasReceiver {
	t.Helper()
	rc := &oasReceiver{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := int(rc.status.Load())
		if status == 0 {
			status = http.StatusOK
		}
		if status/100 == 2 {
			rc.mu.Lock()
			rc.got = append(rc.got, oasReceived{header: r.Header.Clone(), body: body})
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(ts.Close)
	rc.url = ts.URL + "/hooks/mamori"
	return rc
}

func (rc *oasReceiver) accepted() []oasReceived {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// oasWait waits up to 10 s for cond.
func oasWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// oasValidateSchema checks a JSON value against a schema of the document.
func oasValidateSchema(t *testing.T, what string, s *oasbase.Schema, value []byte) {
	t.Helper()
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytesWithVersion(s, value, 3.1); !ok {
		t.Errorf("%s does not match its schema in openapi.yaml:\n%s\nvalue: %.600s", what, oasErrors(errs), value)
	}
}

// oasCheckMessage checks a webhook message, its headers and its body,
// against the document's webhook of its type, and returns the type.
func oasCheckMessage(t *testing.T, d *oasDoc, what string, header http.Header, body []byte) string {
	t.Helper()
	var m struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Errorf("%s: %v: %s", what, err, body)
		return ""
	}
	hook := d.model.Webhooks.GetOrZero(m.Type)
	if hook == nil || hook.Post == nil {
		t.Errorf("%s: type %q is not documented under webhooks", what, m.Type)
		return m.Type
	}
	for _, p := range hook.Post.Parameters {
		v := header.Get(p.Name)
		if v == "" {
			t.Errorf("%s: no %s header", what, p.Name)
			continue
		}
		raw, _ := json.Marshal(v)
		oasValidateSchema(t, what+" header "+p.Name, p.Schema.Schema(), raw)
	}
	oasValidateSchema(t, what, hook.Post.RequestBody.Content.GetOrZero("application/json").Schema.Schema(), body)
	if id := header.Get("webhook-id"); !strings.Contains(id, "_"+strings.ReplaceAll(m.Type, ".", "_")+"_") {
		t.Errorf("%s: webhook-id %s is not that of a %s", what, id, m.Type)
	}
	return m.Type
}

// oasShape names the fields of a message: its own and those of its data.
func oasShape(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	var data map[string]any
	if err := json.Unmarshal(body, &m); err != nil || json.Unmarshal(m["data"], &data) != nil {
		t.Fatalf("message %s: not an object with an object data", body)
	}
	return strings.Join(slices.Sorted(maps.Keys(m)), ",") + " data: " + strings.Join(slices.Sorted(maps.Keys(data)), ",")
}

// oasMessageBody encodes a documented message example with mamori's own
// types, as mamori sends it: the bytes it is signed over. The example
// must hold no field those types lack and lose nothing on the way.
func oasMessageBody(t *testing.T, what, typ string, example []byte) []byte {
	t.Helper()
	var m struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(example, &m); err != nil || m.Type != typ {
		t.Errorf("%s: %v; type %q, want %q", what, err, m.Type, typ)
		return nil
	}
	var data any
	switch typ {
	case webhook.DecisionCreated:
		data = &webhook.DecisionData{}
	case webhook.ActionRequested:
		data = &webhook.ActionData{}
	default:
		data = &webhook.CaseData{}
	}
	dec := json.NewDecoder(bytes.NewReader(m.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(data); err != nil {
		t.Errorf("%s: data is not what mamori sends: %v", what, err)
		return nil
	}
	body, err := json.Marshal(webhook.Body{Type: m.Type, Timestamp: m.Timestamp, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	json.Unmarshal(example, &want)
	json.Unmarshal(body, &got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: mamori would send %s", what, body)
	}
	return body
}

// oasDocumentedSecrets returns the signing secrets the document's
// webhook API examples show.
func oasDocumentedSecrets(t *testing.T, d *oasDoc) []string {
	t.Helper()
	re := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)
	var out []string
	for _, o := range d.operations() {
		if !oasWebhookCall(o) {
			continue
		}
		exs := o.requestExamples(t)
		for _, resp := range o.op.Responses.Codes.FromOldest() {
			if mt := resp.Content.GetOrZero("application/json"); mt != nil {
				exs = append(exs, oasExamples(t, o.String(), mt)...)
			}
		}
		for _, ex := range exs {
			for _, s := range re.FindAllString(string(ex.json), -1) {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// TestOpenAPIWebhookMessages checks the messages documented under
// `webhooks`: every example matches its schema and is exactly what
// mamori's types encode, its headers match theirs, and each of its
// signatures is made, over those bytes, with a secret the webhook API
// examples show.
func TestOpenAPIWebhookMessages(t *testing.T) {
	d := oasLoad(t)
	secrets := oasDocumentedSecrets(t, d)
	if len(secrets) < 2 {
		t.Fatalf("the webhook API examples show %d secrets", len(secrets))
	}
	for _, s := range secrets {
		if err := webhook.CheckSecret("secret", s); err != nil {
			t.Errorf("documented secret %s: %v", s, err)
		}
	}
	for typ, hook := range d.model.Webhooks.FromOldest() {
		o := hook.Post
		if o == nil {
			continue // reported by TestOpenAPIIsValid31
		}
		exs := oasExamples(t, "webhook "+typ, o.RequestBody.Content.GetOrZero("application/json"))
		if len(exs) == 0 {
			t.Errorf("webhook %s has no example", typ)
		}
		// The headers of each example, by the example's name.
		headers := map[string]http.Header{}
		for _, p := range o.Parameters {
			if p.In != "header" || p.Required == nil || !*p.Required {
				t.Errorf("webhook %s: parameter %s is not a required header", typ, p.Name)
			}
			for name, ex := range p.Examples.FromOldest() {
				var v string
				if err := ex.Value.Decode(&v); err != nil {
					t.Fatalf("webhook %s header %s example %s: %v", typ, p.Name, name, err)
				}
				if headers[name] == nil {
					headers[name] = http.Header{}
				}
				headers[name].Set(p.Name, v)
			}
		}
		for _, ex := range exs {
			what := fmt.Sprintf("webhook %s example %s", typ, ex.name)
			h := headers[ex.name]
			if h == nil {
				t.Errorf("%s has no headers", what)
				continue
			}
			if got := oasCheckMessage(t, d, what, h, ex.json); got != typ {
				t.Errorf("%s is of type %q", what, got)
			}
			var m struct {
				Timestamp time.Time `json:"timestamp"`
				Data      struct {
					EventTime time.Time `json:"event_time"`
				} `json:"data"`
			}
			if json.Unmarshal(ex.json, &m) != nil || !m.Timestamp.Equal(m.Data.EventTime) {
				t.Errorf("%s: timestamp %s is not the event time %s", what, m.Timestamp, m.Data.EventTime)
			}
			body := oasMessageBody(t, what, typ, ex.json)
			if body == nil {
				continue
			}
			for _, sig := range strings.Fields(h.Get("webhook-signature")) {
				one := h.Clone()
				one.Set("webhook-signature", sig)
				ok := false
				for _, s := range secrets {
					wh, err := standardwebhooks.NewWebhook(s)
					ok = ok || err == nil && wh.VerifyIgnoringTimestamp(body, one) == nil
				}
				if !ok {
					t.Errorf("%s: signature %s is made with no documented secret over %s", what, sig, body)
				}
			}
		}
		for name := range headers {
			if !slices.ContainsFunc(exs, func(ex oasExample) bool { return ex.name == name }) {
				t.Errorf("webhook %s: header examples %s belong to no message example", typ, name)
			}
		}
	}
}

// TestOpenAPIWebhooksAgainstServer plays the webhook API of the document
// against a real server with its dispatcher: every example request is
// accepted and every answer matches its schema; a receiver on loopback
// subscribes to every message type while the story of the POST /v1/risk
// examples, a lockdown and an analyst's change are recorded, and every
// message it gets is signed, matches the document's webhook of its type
// and has the fields of one of its examples (and each example those of
// a message sent); the deliveries are listed and read; a receiver that
// fails gets a dead delivery, retried by hand.
func TestOpenAPIWebhooksAgainstServer(t *testing.T) {
	d := oasLoad(t)
	srv := oasStartEngine(t)
	played := map[string]bool{}
	play := func(o oasOp, path, name string, body []byte) []byte {
		t.Helper()
		req, res, got := oasCall(t, srv.url, o.method, path, oasKey, body)
		if body != nil {
			d.mustValidateRequest(t, req)
		}
		if want := oasSuccess(t, o); res.StatusCode != want {
			t.Fatalf("%s %s (%s): %d %s, want %d", o.method, path, name, res.StatusCode, got, want)
		}
		d.mustValidateResponse(t, req, res, got)
		oasCheckRequired(t, d, o, res, got)
		played[o.String()] = true
		return got
	}
	createOp := d.op(t, "POST", "/v1/webhooks")
	listOp := d.op(t, "GET", "/v1/webhooks")
	getOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}")
	deleteOp := d.op(t, "DELETE", "/v1/webhooks/{webhook_id}")
	secretAddOp := d.op(t, "POST", "/v1/webhooks/{webhook_id}/secrets")
	secretRemoveOp := d.op(t, "DELETE", "/v1/webhooks/{webhook_id}/secrets/{n}")
	deliveriesOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}/deliveries")
	deliveryOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}")
	retryOp := d.op(t, "POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")

	// The examples, as they are: endpoints registered, read, their secrets
	// rotated, and deleted before anything is recorded.
	var ids []string
	for _, ex := range createOp.requestExamples(t) {
		var req webhook.NewEndpoint
		var created webhook.Created
		if json.Unmarshal(ex.json, &req) != nil || json.Unmarshal(play(createOp, createOp.url(t), "example "+ex.name, ex.json), &created) != nil {
			t.Fatalf("example %s", ex.name)
		}
		if (req.Secret == "") != (created.Secret != "") || created.Secret != "" && webhook.CheckSecret("secret", created.Secret) != nil {
			t.Errorf("example %s (secret %q): answered secret %q", ex.name, req.Secret, created.Secret)
		}
		ids = append(ids, created.ID)
	}
	var list mhttp.WebhookList
	json.Unmarshal(play(listOp, listOp.url(t), "the examples", nil), &list)
	if len(list.Webhooks) != len(ids) {
		t.Errorf("%d webhooks listed, %d registered", len(list.Webhooks), len(ids))
	}
	vars := map[string]string{"webhook_id": ids[0]}
	play(getOp, getOp.urlWith(t, vars), "example 1", nil)
	exs := append(secretAddOp.requestExamples(t), oasExample{name: "(no body)"})
	for _, ex := range exs {
		var added webhook.SecretAdded
		json.Unmarshal(play(secretAddOp, secretAddOp.urlWith(t, vars), "example "+ex.name, ex.json), &added)
		if given := strings.Contains(string(ex.json), `"secret"`); given == (added.Value != "") {
			t.Errorf("secret example %s: answered secret %q", ex.name, added.Value)
		}
	}
	var rotated webhook.Endpoint
	json.Unmarshal(play(secretRemoveOp, secretRemoveOp.urlWith(t, vars), "example", nil), &rotated)
	if len(rotated.Secrets) != len(exs) {
		t.Errorf("after adding %d secrets and removing one: %+v", len(exs), rotated.Secrets)
	}
	for _, id := range ids {
		play(deleteOp, deleteOp.urlWith(t, map[string]string{"webhook_id": id}), "example endpoint", nil)
	}

	// The store's receiver subscribes (the first example, at its URL),
	// and a failing one to case.opened.
	good, bad := oasNewReceiver(t), oasNewReceiver(t)
	bad.status.Store(http.StatusServiceUnavailable)
	first := createOp.requestExamples(t)[0]
	var goodHook, badHook webhook.Created
	json.Unmarshal(play(createOp, "/v1/webhooks", "the store's receiver", oasEdit(t, first.json, "url", good.url)), &goodHook)
	json.Unmarshal(play(createOp, "/v1/webhooks", "a failing receiver", []byte(`{"url": "`+bad.url+`", "events": ["case.opened"]}`)), &badHook)
	var req webhook.NewEndpoint
	json.Unmarshal(first.json, &req)
	secret := cmp.Or(req.Secret, goodHook.Secret)
	if len(req.Events) != len(webhook.Types) {
		t.Fatalf("the first POST /v1/webhooks example subscribes to %v, want every type", req.Events)
	}

	// The story of the POST /v1/risk examples, a lockdown of its account
	// and an analyst taking the case.
	want := 0
	decisions := map[string][]byte{}
	for _, ex := range d.op(t, "POST", "/v1/risk").requestExamples(t) {
		_, res, body := oasCall(t, srv.url, "POST", "/v1/risk", oasKey, ex.json)
		var dec mamori.Decision
		if res.StatusCode != 200 || json.Unmarshal(body, &dec) != nil {
			t.Fatalf("risk example %s: %d %s", ex.name, res.StatusCode, body)
		}
		decisions[dec.EventID] = bytes.TrimSpace(body)
		want += len(dec.Actions)
		if dec.Decision != mamori.Allow {
			want++
		}
		if dec.CaseID != "" {
			want++
		}
	}
	lockdownOp := d.op(t, "POST", "/v1/accounts/{account_id}/lockdown")
	_, res, body := oasCall(t, srv.url, "POST", lockdownOp.url(t), oasKey, lockdownOp.requestExamples(t)[0].json)
	var acct mamori.Account
	if res.StatusCode != 200 || json.Unmarshal(body, &acct) != nil || len(acct.OpenCaseIDs) != 1 {
		t.Fatalf("lockdown example: %d %s", res.StatusCode, body)
	}
	want += 2 + len(mamori.LockdownActions) // decision.created, case.opened or case.updated, the actions
	_, res, body = oasCall(t, srv.url, "PATCH", "/v1/cases/"+acct.OpenCaseIDs[0], oasKey,
		d.op(t, "PATCH", "/v1/cases/{case_id}").requestExamples(t)[0].json)
	if res.StatusCode != 200 {
		t.Fatalf("case update example: %d %s", res.StatusCode, body)
	}
	want++ // case.updated

	// Every message: signed with the store's secret, as documented.
	oasWait(t, fmt.Sprintf("%d messages", want), func() bool { return len(good.accepted()) >= want })
	got := good.accepted()
	if len(got) != want {
		t.Errorf("%d messages, want %d", len(got), want)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	received := map[string][]byte{}
	shapes := map[string]map[string]string{} // type → fields → a message id
	for _, r := range got {
		id := r.header.Get("webhook-id")
		what := "message " + id
		if received[id] != nil {
			t.Errorf("%s twice", what)
		}
		received[id] = r.body
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", what, ct)
		}
		typ := oasCheckMessage(t, d, what, r.header, r.body)
		if shapes[typ] == nil {
			shapes[typ] = map[string]string{}
		}
		shapes[typ][oasShape(t, r.body)] = id
		if typ == webhook.DecisionCreated {
			var m struct {
				Data struct {
					EventID  string          `json:"event_id"`
					Decision json.RawMessage `json:"decision"`
				} `json:"data"`
			}
			json.Unmarshal(r.body, &m)
			if answered, ok := decisions[m.Data.EventID]; ok && !bytes.Equal(m.Data.Decision, answered) {
				t.Errorf("%s: decision %s; POST /v1/risk answered %s", what, m.Data.Decision, answered)
			}
		}
	}
	// The examples have the fields of messages sent, and the messages
	// sent those of an example.
	for typ, hook := range d.model.Webhooks.FromOldest() {
		documented := map[string]string{}
		for _, ex := range oasExamples(t, "webhook "+typ, hook.Post.RequestBody.Content.GetOrZero("application/json")) {
			shape := oasShape(t, ex.json)
			documented[shape] = ex.name
			if _, ok := shapes[typ][shape]; !ok {
				t.Errorf("webhook %s example %s has the fields %s; no message sent has them (sent: %q)", typ, ex.name, shape, slices.Collect(maps.Keys(shapes[typ])))
			}
		}
		for shape, id := range shapes[typ] {
			if _, ok := documented[shape]; !ok {
				t.Errorf("message %s has the fields %s; no example of webhook %s has them", id, shape, typ)
			}
		}
	}

	// The deliveries: listed newest first, each with the body received.
	hookPath := "/v1/webhooks/" + goodHook.ID + "/deliveries"
	var delivered mhttp.DeliveryList
	oasWait(t, "every delivery recorded", func() bool {
		_, _, body := oasCall(t, srv.url, "GET", hookPath+"?status=delivered&limit=1000", oasKey, nil)
		return json.Unmarshal(body, &delivered) == nil && len(delivered.Deliveries) == want
	})
	json.Unmarshal(play(deliveriesOp, hookPath+"?status=delivered&limit=1000", "every delivery", nil), &delivered)
	for _, dl := range delivered.Deliveries {
		if !bytes.Equal(dl.Payload, received[dl.ID]) {
			t.Errorf("delivery %s: payload %s, received %s", dl.ID, dl.Payload, received[dl.ID])
		}
	}
	if newest := got[len(got)-1].header.Get("webhook-id"); len(delivered.Deliveries) == 0 || delivered.Deliveries[0].ID != newest {
		t.Errorf("newest delivery listed is not %s, the last received", newest)
	}
	hookVars := map[string]string{"webhook_id": goodHook.ID, "delivery_id": delivered.Deliveries[0].ID}
	play(deliveriesOp, deliveriesOp.urlWith(t, hookVars), "example query", nil)
	play(deliveriesOp, strings.SplitN(deliveriesOp.urlWith(t, hookVars), "?", 2)[0], "without query", nil)
	play(deliveryOp, deliveryOp.urlWith(t, hookVars), "the newest", nil)

	// The failing receiver's delivery is dead after its attempts, then
	// retried by hand once the receiver is fixed.
	badPath := "/v1/webhooks/" + badHook.ID + "/deliveries"
	var dead mhttp.DeliveryList
	oasWait(t, "a dead delivery", func() bool {
		_, _, body := oasCall(t, srv.url, "GET", badPath+"?status=dead", oasKey, nil)
		return json.Unmarshal(body, &dead) == nil && len(dead.Deliveries) > 0
	})
	json.Unmarshal(play(deliveriesOp, badPath+"?status=dead", "the dead letter", nil), &dead)
	dl := dead.Deliveries[0]
	if len(dead.Deliveries) != 1 || dl.Type != webhook.CaseOpened || dl.Attempts != oasHookAttempts || dl.LastStatusCode != 503 || dl.NextAttempt != nil {
		t.Errorf("dead letter: %+v", dead.Deliveries)
	}
	bad.status.Store(0)
	badVars := map[string]string{"webhook_id": badHook.ID, "delivery_id": dl.ID}
	var retried webhook.Delivery
	json.Unmarshal(play(retryOp, retryOp.urlWith(t, badVars), "the dead letter", nil), &retried)
	if retried.Status != webhook.Pending || retried.Attempts != 0 {
		t.Errorf("retried: %+v", retried)
	}
	oasWait(t, "the retried delivery", func() bool {
		var now webhook.Delivery
		_, _, body := oasCall(t, srv.url, "GET", badPath+"/"+dl.ID, oasKey, nil)
		return json.Unmarshal(body, &now) == nil && now.Status == webhook.Delivered
	})
	play(deliveryOp, deliveryOp.urlWith(t, badVars), "retried and delivered", nil)
	if got := bad.accepted(); len(got) != 1 || got[0].header.Get("webhook-id") != dl.ID || !bytes.Equal(got[0].body, dl.Payload) {
		t.Errorf("the fixed receiver got %d messages", len(got))
	}

	// Every webhook call of the document was played.
	for _, o := range d.operations() {
		if oasWebhookCall(o) && !played[o.String()] {
			t.Errorf("%s is documented but not played against the server", o)
		}
	}
}

// TestOpenAPIResponseExamplesMatchSchemas checks every response example
// of the document against its own schema.
func TestOpenAPIResponseExamplesMatchSchemas(t *testing.T) {
	d := oasLoad(t)
	for _, o := range d.operations() {
		for code, resp := range o.op.Responses.Codes.FromOldest() {
			status, _ := strconv.Atoi(code)
			for ctype, mt := range resp.Content.FromOldest() {
				if ctype != "application/json" {
					continue
				}
				for _, ex := range oasExamples(t, o.String()+" "+code, mt) {
					req, err := http.NewRequest(o.method, "http://127.0.0.1:8080"+o.url(t), nil)
					if err != nil {
						t.Fatal(err)
					}
					res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ctype}}}
					for name, h := range resp.Headers.FromOldest() {
						var v string
						if h.Example != nil && h.Example.Decode(&v) == nil {
							res.Header.Set(name, v)
						}
					}
					d.mustValidateResponse(t, req, res, ex.json)
				}
			}
		}
	}
}

// TestOpenAPIErrorsMatchServer sends the bad requests the document's
// error examples describe and checks the real server answers each with
// the documented status, code and field; every error example of the
// document is exercised.
func TestOpenAPIErrorsMatchServer(t *testing.T) {
	d := oasLoad(t)
	srv := oasStartEngine(t)
	riskOp := d.op(t, "POST", "/v1/risk")
	eventsOp := d.op(t, "POST", "/v1/events")
	accountOp := d.op(t, "GET", "/v1/accounts/{account_id}")
	lockdownOp := d.op(t, "POST", "/v1/accounts/{account_id}/lockdown")
	messagesOp := d.op(t, "GET", "/v1/accounts/{account_id}/messages")
	readOp := d.op(t, "POST", "/v1/accounts/{account_id}/messages/{message_id}/read")
	linkOp := d.op(t, "POST", "/v1/accounts/{account_id}/security-link")
	casesOp := d.op(t, "GET", "/v1/cases")
	labelsOp := d.op(t, "GET", "/v1/labels")
	caseOp := d.op(t, "GET", "/v1/cases/{case_id}")
	caseUpdateOp := d.op(t, "PATCH", "/v1/cases/{case_id}")
	noteOp := d.op(t, "POST", "/v1/cases/{case_id}/notes")
	evidenceOp := d.op(t, "GET", "/v1/cases/{case_id}/evidence")
	releaseOp := d.op(t, "POST", "/v1/orders/{order_id}/release")
	cancelOp := d.op(t, "POST", "/v1/orders/{order_id}/cancel")
	hookCreateOp := d.op(t, "POST", "/v1/webhooks")
	hookOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}")
	hookDeleteOp := d.op(t, "DELETE", "/v1/webhooks/{webhook_id}")
	secretAddOp := d.op(t, "POST", "/v1/webhooks/{webhook_id}/secrets")
	secretRemoveOp := d.op(t, "DELETE", "/v1/webhooks/{webhook_id}/secrets/{n}")
	deliveriesOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}/deliveries")
	deliveryOp := d.op(t, "GET", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}")
	retryOp := d.op(t, "POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")

	// A webhook endpoint with a single secret, mamori's, at a receiver on
	// loopback (the lockdown below sends it a case.opened).
	var hook webhook.Created
	for _, ex := range hookCreateOp.requestExamples(t) {
		if hook.ID != "" || strings.Contains(string(ex.json), `"secret"`) {
			continue
		}
		_, res, body := oasCall(t, srv.url, "POST", "/v1/webhooks", oasKey, oasEdit(t, ex.json, "url", oasNewReceiver(t).url))
		if res.StatusCode != 201 || json.Unmarshal(body, &hook) != nil || len(hook.Secrets) != 1 {
			t.Fatalf("register example %s: %d %s", ex.name, res.StatusCode, body)
		}
	}
	if hook.ID == "" {
		t.Fatal("POST /v1/webhooks has no example without a secret")
	}
	hookPath := "/v1/webhooks/" + hook.ID

	// Make a-1 known, with an order and a case (by a lockdown), so that
	// only the error at hand can fail a request.
	riskExamples := riskOp.requestExamples(t)
	if _, res, body := oasCall(t, srv.url, "POST", "/v1/risk", oasKey, riskExamples[0].json); res.StatusCode != 200 {
		t.Fatalf("first example: %d %s", res.StatusCode, body)
	}
	var order []byte
	var orderID string
	for _, ex := range riskExamples {
		if ev, err := mamori.DecodeEvent(ex.json); err == nil && ev.Type == mamori.OrderPlaced && len(ev.Properties.Items) > 0 {
			order, orderID = ex.json, ev.Properties.OrderID
			break
		}
	}
	if order == nil {
		t.Fatal("no order.placed example with items")
	}
	if _, res, body := oasCall(t, srv.url, "POST", "/v1/risk", oasKey, order); res.StatusCode != 200 {
		t.Fatalf("order example: %d %s", res.StatusCode, body)
	}
	_, res, body := oasCall(t, srv.url, "POST", "/v1/accounts/a-1/lockdown", oasKey, []byte(`{"reason": "test"}`))
	var acct mamori.Account
	if res.StatusCode != 200 || json.Unmarshal(body, &acct) != nil || len(acct.OpenCaseIDs) != 1 {
		t.Fatalf("lockdown of a-1: %d %s", res.StatusCode, body)
	}
	casePath := "/v1/cases/" + acct.OpenCaseIDs[0]
	orderPath := "/v1/orders/" + orderID
	// The lockdown told the customer: her message center has a message.
	unread := func() []string {
		t.Helper()
		_, res, body := oasCall(t, srv.url, "GET", "/v1/accounts/a-1/messages", oasKey, nil)
		var list mhttp.MessageList
		if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.Messages) == 0 {
			t.Fatalf("messages of a-1: %d %s", res.StatusCode, body)
		}
		var ids []string
		for _, m := range list.Messages {
			if !m.Read {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	messageID := unread()[0]
	messagePath := "/v1/accounts/a-1/messages/" + messageID
	batch := eventsOp.requestExamples(t)[0].json
	tooMany := `{"events": [` + strings.Repeat(`{"id": "e-x", "type": "logout", "time": "2026-11-21T10:00:00Z", "account_id": "a-9"},`, mamori.MaxBatch) +
		`{"id": "e-y", "type": "logout", "time": "2026-11-21T10:00:00Z", "account_id": "a-9"}]}`

	covered := map[string]bool{}
	check := func(t *testing.T, o oasOp, srvURL, path, key string, body []byte, status int, example string) {
		t.Helper()
		req, res, got := oasCall(t, srvURL, o.method, path, key, body)
		if res.StatusCode != status {
			t.Errorf("%s %s: status %d %s, want %d", o.method, path, res.StatusCode, got, status)
			return
		}
		d.mustValidateResponse(t, req, res, got)
		oasMatchErrorExample(t, o, status, example, got)
		covered[fmt.Sprintf("%s %d %s", o, status, example)] = true
	}

	cases := []struct {
		name    string
		o       oasOp
		path    string
		body    []byte
		status  int
		example string
	}{
		{"risk: not JSON", riskOp, "/v1/risk", []byte(`{"id": "e-1",`), 400, "invalid_json"},
		{"risk: wrong type", riskOp, "/v1/risk", oasEdit(t, order, "properties.items[0].gift_card", "yes"), 400, "invalid_event"},
		{"risk: missing amount", riskOp, "/v1/risk", oasEdit(t, order, "properties.amount", nil), 400, "missing_field"},
		{"events: not JSON", eventsOp, "/v1/events", []byte(`{"events": [`), 400, "invalid_json"},
		{"events: bad time", eventsOp, "/v1/events", oasEdit(t, batch, "events[1].time", "yesterday"), 400, "invalid_event"},
		{"events: too many", eventsOp, "/v1/events", []byte(tooMany), 400, "too_many"},
		{"lockdown: not JSON", lockdownOp, "/v1/accounts/a-1/lockdown", []byte(`{"reason": `), 400, "invalid_json"},
		{"lockdown: reason not text", lockdownOp, "/v1/accounts/a-1/lockdown", []byte(`{"reason": 42}`), 400, "invalid_event"},
		{"account: never seen", accountOp, "/v1/accounts/a-404", nil, 404, "not_found"},
		{"lockdown: never seen", lockdownOp, "/v1/accounts/a-404/lockdown", []byte(`{"reason": "test"}`), 404, "not_found"},
		{"messages: never seen", messagesOp, "/v1/accounts/a-404/messages", nil, 404, "not_found"},
		{"messages: unknown language", messagesOp, "/v1/accounts/a-1/messages?lang=fr", nil, 400, "invalid_lang"},
		{"read: account never seen", readOp, "/v1/accounts/a-404/messages/" + messageID + "/read", nil, 404, "no_account"},
		{"read: message never written", readOp, "/v1/accounts/a-1/messages/m-999999/read", nil, 404, "no_message"},
		{"security link: never seen", linkOp, "/v1/accounts/a-404/security-link", nil, 404, "not_found"},
		{"cases: unknown status", casesOp, "/v1/cases?status=closed", nil, 400, "invalid_event"},
		{"labels: negative after", labelsOp, "/v1/labels?after=-1", nil, 400, "invalid_after"},
		{"labels: after not a number", labelsOp, "/v1/labels?after=seq-9", nil, 400, "invalid_after"},
		{"labels: limit too large", labelsOp, "/v1/labels?limit=20000", nil, 400, "invalid_limit"},
		{"labels: limit zero", labelsOp, "/v1/labels?limit=0", nil, 400, "invalid_limit"},
		{"case: never seen", caseOp, "/v1/cases/c-404", nil, 404, "not_found"},
		{"case update: not JSON", caseUpdateOp, casePath, []byte(`{"status": `), 400, "invalid_json"},
		{"case update: unknown status", caseUpdateOp, casePath, []byte(`{"status": "closed"}`), 400, "invalid_status"},
		{"case update: status not text", caseUpdateOp, casePath, []byte(`{"status": 3}`), 400, "wrong_type"},
		{"case update: empty assignee", caseUpdateOp, casePath, []byte(`{"assignee": ""}`), 400, "invalid_assignee"},
		{"case update: nothing to change", caseUpdateOp, casePath, []byte(`{"by": "aiko"}`), 400, "nothing_to_change"},
		{"case update: never seen", caseUpdateOp, "/v1/cases/c-404", []byte(`{"status": "investigating"}`), 404, "not_found"},
		{"note: not JSON", noteOp, casePath + "/notes", []byte(`{"text": `), 400, "invalid_json"},
		{"note: blank", noteOp, casePath + "/notes", []byte(`{"text": "  "}`), 400, "invalid_event"},
		{"note: never seen", noteOp, "/v1/cases/c-404/notes", []byte(`{"text": "x"}`), 404, "not_found"},
		{"evidence: never seen", evidenceOp, "/v1/cases/c-404/evidence", nil, 404, "not_found"},
		{"evidence page: never seen", evidenceOp, "/v1/cases/c-404/evidence?format=html", nil, 404, "not_found"},
		{"evidence: unknown format", evidenceOp, casePath + "/evidence?format=pdf", nil, 400, "invalid_format"},
		{"evidence: unknown language", evidenceOp, casePath + "/evidence?format=html&lang=fr", nil, 400, "invalid_lang"},
		{"release: not JSON", releaseOp, orderPath + "/release", []byte(`{"by": `), 400, "invalid_json"},
		{"release: by not text", releaseOp, orderPath + "/release", []byte(`{"by": 42}`), 400, "invalid_event"},
		{"release: never seen", releaseOp, "/v1/orders/ord-404/release", nil, 404, "not_found"},
		{"cancel: not JSON", cancelOp, orderPath + "/cancel", []byte(`{"by": `), 400, "invalid_json"},
		{"cancel: by not text", cancelOp, orderPath + "/cancel", []byte(`{"by": 42}`), 400, "invalid_event"},
		{"cancel: never seen", cancelOp, "/v1/orders/ord-404/cancel", nil, 404, "not_found"},
		{"webhook: not JSON", hookCreateOp, "/v1/webhooks", []byte(`{"url": `), 400, "invalid_json"},
		{"webhook: url not text", hookCreateOp, "/v1/webhooks", []byte(`{"url": 7, "events": ["case.opened"]}`), 400, "wrong_type"},
		{"webhook: ftp url", hookCreateOp, "/v1/webhooks", []byte(`{"url": "ftp://store.example/hooks", "events": ["case.opened"]}`), 400, "invalid_url"},
		{"webhook: no events", hookCreateOp, "/v1/webhooks", []byte(`{"url": "https://store.example/hooks", "events": []}`), 400, "no_events"},
		{"webhook: unknown event", hookCreateOp, "/v1/webhooks", []byte(`{"url": "https://store.example/hooks", "events": ["case.opened", "case.closed"]}`), 400, "unknown_event"},
		{"webhook: short secret", hookCreateOp, "/v1/webhooks", []byte(`{"url": "https://store.example/hooks", "events": ["case.opened"], "secret": "whsec_AAAA"}`), 400, "invalid_secret"},
		{"webhook: never seen", hookOp, "/v1/webhooks/wh_404", nil, 404, "not_found"},
		{"webhook delete: never seen", hookDeleteOp, "/v1/webhooks/wh_404", nil, 404, "not_found"},
		{"secret: not JSON", secretAddOp, hookPath + "/secrets", []byte(`{"secret": `), 400, "invalid_json"},
		{"secret: not whsec_", secretAddOp, hookPath + "/secrets", []byte(`{"secret": "hunter2"}`), 400, "invalid_secret"},
		{"secret: negative overlap", secretAddOp, hookPath + "/secrets", []byte(`{"expire_previous_after": -1}`), 400, "invalid_expiry"},
		{"secret: webhook never seen", secretAddOp, "/v1/webhooks/wh_404/secrets", nil, 404, "not_found"},
		{"secret removal: the only active one", secretRemoveOp, hookPath + "/secrets/1", nil, 400, "last_active_secret"},
		{"secret removal: never seen", secretRemoveOp, hookPath + "/secrets/9", nil, 404, "not_found"},
		{"deliveries: unknown status", deliveriesOp, hookPath + "/deliveries?status=lost", nil, 400, "invalid_status"},
		{"deliveries: limit too large", deliveriesOp, hookPath + "/deliveries?limit=5000", nil, 400, "invalid_limit"},
		{"deliveries: webhook never seen", deliveriesOp, "/v1/webhooks/wh_404/deliveries", nil, 404, "not_found"},
		{"delivery: never seen", deliveryOp, hookPath + "/deliveries/msg_404_case_opened_0", nil, 404, "not_found"},
		{"retry: never seen", retryOp, hookPath + "/deliveries/msg_404_case_opened_0/retry", nil, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, c.o, srv.url, c.path, oasKey, c.body, c.status, c.example)
		})
	}
	// The bad batch recorded nothing of itself, nor the bad case and
	// order calls.
	if _, res, body := oasCall(t, srv.url, "GET", "/v1/accounts/a-2", oasKey, nil); res.StatusCode != 404 {
		t.Errorf("after a rejected batch, its account: %d %s, want 404", res.StatusCode, body)
	}
	_, res, body = oasCall(t, srv.url, "GET", casePath, oasKey, nil)
	var c mamori.Case
	if res.StatusCode != 200 || json.Unmarshal(body, &c) != nil {
		t.Fatalf("GET %s: %d %s", casePath, res.StatusCode, body)
	}
	if len(c.History) != 1 || len(c.Notes) != 0 || c.Timeline[len(c.Timeline)-1].Event.Type != mamori.AccountLockedDown {
		t.Errorf("after rejected case and order calls, the case changed: history %+v, notes %+v", c.History, c.Notes)
	}
	if got := unread(); !slices.Contains(got, messageID) {
		t.Errorf("after rejected message calls, message %s is read", messageID)
	}

	// A read with an unknown language is refused and changes nothing.
	t.Run("read: unknown language", func(t *testing.T) {
		check(t, readOp, srv.url, messagePath+"/read?lang=fr", oasKey, nil, 400, "invalid_lang")
		if !slices.Contains(unread(), messageID) {
			t.Errorf("message %s is read after a refused POST %s/read?lang=fr", messageID, messagePath)
		}
	})

	big := []byte(`{"id": "e-big", "pad": "` + strings.Repeat("x", mhttp.MaxBody) + `"}`)
	for _, o := range d.operations() {
		if !o.secured() {
			continue
		}
		var body []byte
		if exs := o.requestExamples(t); len(exs) > 0 {
			body = exs[0].json
		}
		t.Run(o.String()+": no key", func(t *testing.T) {
			check(t, o, srv.url, o.url(t), "", body, 401, "unauthorized")
		})
		t.Run(o.String()+": wrong key", func(t *testing.T) {
			check(t, o, srv.url, o.url(t), "not-"+oasKey, body, 401, "unauthorized")
		})
		if body != nil || o.response(413) != nil {
			t.Run(o.String()+": too large", func(t *testing.T) {
				check(t, o, srv.url, o.url(t), oasKey, big, 413, "too_large")
			})
		}
	}

	// Failures of the service, through the same handlers.
	for _, f := range []struct {
		status  int
		example string
		err     error
	}{
		{500, "internal", errors.New("disk on fire")},
		{503, "unavailable", mamori.Errorf(mamori.EUnavailable, "mamori is not taking events after a storage failure; see the server's log")},
	} {
		failing := oasStart(t, mhttp.Config{Service: oasFailingService{f.err}, Cases: oasFailingService{f.err}, Labels: oasFailingService{f.err}, Messages: oasFailingService{f.err},
			Webhooks: webhook.New(oasFailingHooks{f.err}, webhook.Options{Logger: slog.New(slog.DiscardHandler)}), Links: oasLinks(t)})
		for _, o := range d.operations() {
			if !o.secured() {
				continue
			}
			var body []byte
			if exs := o.requestExamples(t); len(exs) > 0 {
				body = exs[0].json
			}
			t.Run(fmt.Sprintf("%s: %d", o, f.status), func(t *testing.T) {
				check(t, o, failing.URL, o.url(t), oasKey, body, f.status, f.example)
			})
		}
	}

	// Too many requests in flight: one request holds the only slot while
	// its body is still arriving.
	t.Run("rate limited", func(t *testing.T) {
		limited := oasStart(t, mhttp.Config{Service: srv.eng, Cases: srv.eng, Labels: srv.eng, Messages: srv.eng, Webhooks: srv.hooks, Links: oasLinks(t), MaxInFlight: 1})
		pr, pw := io.Pipe()
		held := make(chan error, 1)
		go func() {
			req, err := http.NewRequest("POST", limited.URL+"/v1/risk", pr)
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+oasKey)
				var res *http.Response
				if res, err = oasClient.Do(req); err == nil {
					res.Body.Close()
				}
			}
			held <- err
		}()
		if _, err := pw.Write([]byte(`{"id": `)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			_, res, _ := oasCall(t, limited.URL, "GET", "/v1/accounts/a-1", oasKey, nil)
			if res.StatusCode == 429 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 429 while the only slot is held; last status %d", res.StatusCode)
			}
			time.Sleep(5 * time.Millisecond)
		}
		for _, o := range d.operations() {
			if !o.secured() {
				continue
			}
			var body []byte
			if exs := o.requestExamples(t); len(exs) > 0 {
				body = exs[0].json
			}
			_, res, _ := oasCall(t, limited.URL, o.method, o.url(t), oasKey, body)
			if got := res.Header.Get("Retry-After"); res.StatusCode == 429 && got != "1" {
				t.Errorf("%s: 429 with Retry-After %q, want 1", o, got)
			}
			check(t, o, limited.URL, o.url(t), oasKey, body, 429, "rate_limited")
		}
		pw.Close()
		if err := <-held; err != nil {
			t.Errorf("the request holding the slot: %v", err)
		}
	})

	// Health, unhealthy.
	t.Run("healthz unavailable", func(t *testing.T) {
		o := d.op(t, "GET", "/healthz")
		sick := oasStart(t, mhttp.Config{Service: srv.eng, Healthy: func() error {
			return mamori.Errorf(mamori.EUnavailable, "mamori is not taking events after a storage failure; see the server's log")
		}})
		req, res, body := oasCall(t, sick.URL, "GET", "/healthz", "", nil)
		if res.StatusCode != 503 {
			t.Fatalf("GET /healthz: %d %s, want 503", res.StatusCode, body)
		}
		d.mustValidateResponse(t, req, res, body)
		var got, want map[string]string
		ex := oasExamples(t, "GET /healthz 503", o.response(503).Content.GetOrZero("application/json"))
		if err := json.Unmarshal(body, &got); err != nil || len(ex) != 1 || json.Unmarshal(ex[0].json, &want) != nil {
			t.Fatalf("GET /healthz 503: %s (%v); examples %d", body, err, len(ex))
		}
		if got["status"] != want["status"] || got["error"] != want["error"] {
			t.Errorf("GET /healthz 503: answered %s, documented %s", body, ex[0].json)
		}
		covered[fmt.Sprintf("%s 503 %s", o, ex[0].name)] = true
	})

	// Every error example of the document was exercised.
	for _, o := range d.operations() {
		for code, resp := range o.op.Responses.Codes.FromOldest() {
			if code < "400" {
				continue
			}
			for _, mt := range resp.Content.FromOldest() {
				for name := range mt.Examples.KeysFromOldest() {
					if k := fmt.Sprintf("%s %s %s", o, code, name); !covered[k] {
						t.Errorf("error example %s is not exercised against the server", k)
					}
				}
			}
		}
	}
}

// oasMatchErrorExample checks the server's error body against the named
// example of the documented response: the same code and field.
func oasMatchErrorExample(t *testing.T, o oasOp, status int, name string, got []byte) {
	t.Helper()
	resp := o.response(status)
	if resp == nil {
		t.Errorf("%s: %d is not documented", o, status)
		return
	}
	mt := resp.Content.GetOrZero("application/json")
	var want []byte
	for _, ex := range oasExamples(t, fmt.Sprintf("%s %d", o, status), mt) {
		if ex.name == name {
			want = ex.json
		}
	}
	if want == nil {
		t.Errorf("%s: %d has no example %s", o, status, name)
		return
	}
	type errorBody struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	var g, w errorBody
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: %d body %s: %v", o, status, got, err)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if g.Error.Code != w.Error.Code || g.Error.Field != w.Error.Field || g.Error.Message == "" {
		t.Errorf("%s: %d answered %s; documented example %s is %s", o, status, got, name, want)
	}
}

// oasFailingService fails every call with err.
type oasFailingService struct{ err error }

func (f oasFailingService) Decide(context.Context, mamori.Event) (mamori.Decision, error) {
	return mamori.Decision{}, f.err
}

func (f oasFailingService) Record(context.Context, []mamori.Event) (int, error) { return 0, f.err }

func (f oasFailingService) Account(context.Context, string) (mamori.Account, error) {
	return mamori.Account{}, f.err
}

func (f oasFailingService) Lockdown(context.Context, string, string) (mamori.Account, error) {
	return mamori.Account{}, f.err
}

func (f oasFailingService) Cases(context.Context, string) ([]mamori.Case, error) { return nil, f.err }

func (f oasFailingService) Case(context.Context, string) (mamori.Case, error) {
	return mamori.Case{}, f.err
}

func (f oasFailingService) UpdateCase(context.Context, string, mamori.CasePatch) (mamori.Case, error) {
	return mamori.Case{}, f.err
}

func (f oasFailingService) AddCaseNote(context.Context, string, string, string) (mamori.Case, error) {
	return mamori.Case{}, f.err
}

func (f oasFailingService) ReleaseOrder(context.Context, string, string) (mamori.Account, error) {
	return mamori.Account{}, f.err
}

func (f oasFailingService) CancelOrder(context.Context, string, string) (mamori.Account, error) {
	return mamori.Account{}, f.err
}

func (f oasFailingService) Messages(context.Context, string, string) ([]mamori.Message, error) {
	return nil, f.err
}

func (f oasFailingService) MarkRead(context.Context, string, string) error { return f.err }

func (f oasFailingService) Labels(context.Context, uint64, int) ([]mamori.Label, uint64, error) {
	return nil, 0, f.err
}

// oasFailingHooks is a webhook store that fails every call with err.
type oasFailingHooks struct{ err error }

func (f oasFailingHooks) Records(context.Context, uint64, int) ([]mamori.LogRecord, error) {
	return nil, f.err
}
func (f oasFailingHooks) LogEnd(context.Context) (uint64, error)     { return 0, f.err }
func (f oasFailingHooks) RecordsEnd(context.Context) (uint64, error) { return 0, f.err }
func (f oasFailingHooks) CaseSeen(context.Context, string, string, uint64) (bool, error) {
	return false, f.err
}
func (f oasFailingHooks) Cursor(context.Context) (uint64, error) { return 0, f.err }
func (f oasFailingHooks) Enqueue(context.Context, uint64, uint64, func([]webhook.Endpoint) []webhook.Delivery) error {
	return f.err
}
func (f oasFailingHooks) CreateEndpoint(context.Context, webhook.Endpoint) error { return f.err }
func (f oasFailingHooks) Endpoints(context.Context) ([]webhook.Endpoint, error) {
	return nil, f.err
}
func (f oasFailingHooks) Endpoint(context.Context, string) (webhook.Endpoint, error) {
	return webhook.Endpoint{}, f.err
}
func (f oasFailingHooks) DeleteEndpoint(context.Context, string) error { return f.err }
func (f oasFailingHooks) AddSecret(context.Context, string, webhook.Secret, *time.Time) (webhook.Secret, error) {
	return webhook.Secret{}, f.err
}
func (f oasFailingHooks) RemoveSecret(context.Context, string, int) error { return f.err }
func (f oasFailingHooks) Deliveries(context.Context, string, webhook.Status, int) ([]webhook.Delivery, error) {
	return nil, f.err
}
func (f oasFailingHooks) Delivery(context.Context, string, string) (webhook.Delivery, error) {
	return webhook.Delivery{}, f.err
}
func (f oasFailingHooks) NextDelivery(context.Context, string) (webhook.Delivery, bool, error) {
	return webhook.Delivery{}, false, f.err
}
func (f oasFailingHooks) UpdateDelivery(context.Context, webhook.Delivery) error { return f.err }
func (f oasFailingHooks) Prune(context.Context, time.Time) (int64, error)        { return 0, f.err }

// jsonFields returns the sorted JSON names of a struct's fields, and
// those of them always present (without omitempty or omitzero). The fields of an
// embedded struct without a JSON name are its own, as encoding/json
// has them.
func jsonFields(t reflect.Type) (all, always []string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			a, w := jsonFields(f.Type)
			all, always = append(all, a...), append(always, w...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			always = append(always, name)
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return slices.Compact(all), slices.Compact(always)
}

// oasFlat returns the sorted property names of a schema and those it
// requires, with those of the parts of its allOf.
func oasFlat(s *oasbase.Schema) (props, required []string) {
	props, required = oasPropertyNames(s), slices.Clone(s.Required)
	for _, part := range s.AllOf {
		p, r := oasFlat(part.Schema())
		props, required = append(props, p...), append(required, r...)
	}
	slices.Sort(props)
	slices.Sort(required)
	return slices.Compact(props), slices.Compact(required)
}

func oasPropertyNames(s *oasbase.Schema) []string {
	if s == nil || s.Properties == nil {
		return nil
	}
	return slices.Sorted(s.Properties.KeysFromOldest())
}

func oasProp(t *testing.T, s *oasbase.Schema, name string) *oasbase.Schema {
	t.Helper()
	if s.Properties == nil || s.Properties.GetOrZero(name) == nil {
		t.Fatalf("schema has no property %s", name)
	}
	return s.Properties.GetOrZero(name).Schema()
}

func oasEnum(t *testing.T, s *oasbase.Schema) []string {
	t.Helper()
	var out []string
	for _, n := range s.Enum {
		var v string
		if err := n.Decode(&v); err != nil {
			t.Fatalf("enum value: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func oasEnumOrConst(t *testing.T, s *oasbase.Schema) []string {
	t.Helper()
	if s.Const != nil {
		var v string
		if err := s.Const.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return []string{v}
	}
	return oasEnum(t, s)
}

func oasEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: documented %q, mamori has %q", what, got, want)
	}
}

// oasVariantProperties returns the schema of `properties` in one
// variant of Event (allOf: [EventBase, {the variant}]), or nil.
func oasVariantProperties(t *testing.T, v *oasbase.Schema) *oasbase.Schema {
	t.Helper()
	if len(v.AllOf) != 2 {
		t.Fatalf("an Event variant is not allOf [EventBase, variant]")
	}
	s := v.AllOf[1].Schema()
	if s.Properties == nil || s.Properties.GetOrZero("properties") == nil {
		return nil
	}
	return s.Properties.GetOrZero("properties").Schema()
}

// oasRequired returns the paths a variant requires beyond EventBase.
func oasRequired(t *testing.T, v *oasbase.Schema) []string {
	t.Helper()
	s := v.AllOf[1].Schema()
	var out []string
	for _, r := range s.Required {
		if r != "properties" {
			out = append(out, r)
		}
	}
	if p := oasVariantProperties(t, v); p != nil {
		for _, r := range p.Required {
			out = append(out, "properties."+r)
		}
	}
	return out
}

type oasEnumCheck struct {
	path string
	enum []string
}

// oasPropertyChecks lists the enums of a properties schema, one object
// level deep.
func oasPropertyChecks(t *testing.T, s *oasbase.Schema, prefix string) []oasEnumCheck {
	t.Helper()
	if s == nil || s.Properties == nil {
		return nil
	}
	var out []oasEnumCheck
	for name, p := range s.Properties.FromOldest() {
		ps := p.Schema()
		path := prefix + "." + name
		if len(ps.Enum) > 0 {
			out = append(out, oasEnumCheck{path: path, enum: oasEnum(t, ps)})
		}
		if strings.Count(path, ".") < 2 {
			out = append(out, oasPropertyChecks(t, ps, path)...)
		}
	}
	return out
}

// oasSomeDecodes reports whether any of the examples, with path set to
// value, decodes.
func oasSomeDecodes(exs []oasExample, path string, value any) bool {
	for _, ex := range exs {
		raw, err := oasSet(ex.json, path, value)
		if err != nil {
			continue
		}
		if _, err := mamori.DecodeEvent(raw); err == nil {
			return true
		}
	}
	return false
}

// oasEdit returns the JSON document with the value at path (dots and
// [i]) set, or removed when value is nil.
func oasEdit(t *testing.T, doc []byte, path string, value any) []byte {
	t.Helper()
	out, err := oasSet(doc, path, value)
	if err != nil {
		t.Fatalf("edit %s: %v", path, err)
	}
	return out
}

func oasSet(doc []byte, path string, value any) ([]byte, error) {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	var segs []string
	for _, s := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(s, "[")
		segs = append(segs, name)
		if hasIdx {
			segs = append(segs, "["+idx)
		}
	}
	cur := root
	for i, seg := range segs {
		lastSeg := i == len(segs)-1
		if strings.HasPrefix(seg, "[") {
			n, err := strconv.Atoi(strings.Trim(seg, "[]"))
			arr, ok := cur.([]any)
			if err != nil || !ok || n >= len(arr) {
				return nil, fmt.Errorf("no %s in %s", seg, path)
			}
			if lastSeg {
				arr[n] = value
				break
			}
			cur = arr[n]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no object at %s in %s", seg, path)
		}
		if lastSeg {
			if value == nil {
				delete(obj, seg)
			} else {
				obj[seg] = value
			}
			break
		}
		next, ok := obj[seg]
		if !ok {
			next = map[string]any{}
			obj[seg] = next
		}
		cur = next
	}
	return json.Marshal(root)
}
