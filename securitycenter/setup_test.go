package securitycenter_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/seclink"
	"github.com/mamori-dev/mamori/securitycenter"
	"github.com/mamori-dev/mamori/sim"
	"github.com/mamori-dev/mamori/sqlite"
)

const (
	accountA = sim.SeedAccount // six weeks of history, two live sessions
	accountB = "cust-2077"     // an order hidden from her history
)

var loadNetworks = sync.OnceValues(enrich.LoadNetworks)

// site is mamori with the security center on a real SQLite store, served
// by httptest on 127.0.0.1.
type site struct {
	t      *testing.T
	url    string
	eng    *engine.Engine
	signer *seclink.Signer
}

func startSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	nets, err := loadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, store, dir, engine.Options{Networks: nets})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, eng: eng}
	if _, err := eng.Record(ctx, worldEvents()); err != nil {
		t.Fatal(err)
	}
	s.signer, err = seclink.NewSigner(seclink.KeyFromAPIKey("test-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	me, err := securitycenter.New(securitycenter.Config{Links: s.signer, Accounts: eng, Security: eng, Messages: eng, Networks: nets})
	if err != nil {
		t.Fatal(err)
	}
	root := http.NewServeMux()
	root.Handle(securitycenter.Path, me)
	root.Handle(securitycenter.Prefix, me)
	srv := httptest.NewServer(root)
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
	})
	return s
}

// worldEvents is account A's seed history with two sessions still live
// (her laptop and her phone signed in again), and account B, who signed
// in once and hid her order.
func worldEvents() []mamori.Event {
	evs := sim.SeedHistory(sim.SeedAttackTime)
	var last []mamori.Event
	seen := map[string]bool{}
	for i := len(evs) - 1; i >= 0 && len(last) < 2; i-- {
		if ev := evs[i]; ev.Type == mamori.LoginSucceeded && !seen[ev.Context.DeviceID] {
			seen[ev.Context.DeviceID] = true
			last = append(last, ev)
		}
	}
	at := evs[len(evs)-1].Time
	for i, ev := range last {
		ev.ID = "live-login-" + string(rune('a'+i))
		ev.SessionID = "live-session-" + string(rune('a'+i))
		ev.Time = at.Add(time.Duration(i+1) * time.Hour)
		evs = append(evs, ev)
	}
	amount := int64(4800)
	t := at.Add(-24 * time.Hour)
	ctx := mamori.Context{IP: "153.156.78.40", DeviceID: "dev-b", AcceptLanguage: "en-US,en;q=0.8",
		UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"}
	evs = append(evs,
		mamori.Event{ID: "b-1", Type: mamori.AccountCreated, Time: t, AccountID: accountB, Context: ctx,
			Properties: mamori.Properties{Email: "b@example.jp"}},
		mamori.Event{ID: "b-2", Type: mamori.LoginSucceeded, Time: t.Add(time.Minute), AccountID: accountB, SessionID: "b-session", Context: ctx,
			Properties: mamori.Properties{MFA: "none"}},
		mamori.Event{ID: "b-3", Type: mamori.OrderPlaced, Time: t.Add(5 * time.Minute), AccountID: accountB, SessionID: "b-session", Context: ctx,
			Properties: mamori.Properties{OrderID: "ord-b-1", Amount: &amount, Currency: "JPY",
				Items:    []mamori.Item{{SKU: "sku-9", Name: "Sencha", Category: "tea", UnitPrice: &amount}},
				Payment:  &mamori.Payment{MethodID: "pm-b", Type: "credit"},
				Delivery: &mamori.Delivery{Type: "ship", AddressID: "addr-b"}}},
		mamori.Event{ID: "b-4", Type: mamori.OrderHidden, Time: t.Add(6 * time.Minute), AccountID: accountB, SessionID: "b-session", Context: ctx,
			Properties: mamori.Properties{OrderID: "ord-b-1"}},
	)
	return evs
}

// link mints a link to the account's security center, valid for ttl.
func (s *site) link(account string, ttl time.Duration) string {
	s.t.Helper()
	is := &seclink.Issuer{Signer: s.signer, TTL: ttl}
	u, _, err := is.Link(account, s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// client is a browser without redirects followed.
type client struct {
	t    *testing.T
	site *site
	http *http.Client
}

func (s *site) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, site: s, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status   int
	location string
	header   http.Header
	body     string
	cookies  []*http.Cookie
}

// do sends a request; a form is posted from the given origin.
func (c *client) do(method, target string, form url.Values, origin string) response {
	c.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = c.site.url + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header,
		body: string(b), cookies: resp.Cookies()}
}

// open follows a link as the store sends the customer there and returns
// the page's CSRF token.
func (c *client) open(account string) string {
	c.t.Helper()
	r := c.do("GET", c.site.link(account, 15*time.Minute), nil, "")
	if r.status != http.StatusSeeOther || r.location != "/me" {
		c.t.Fatalf("open link: %d %q %s", r.status, r.location, r.body)
	}
	page := c.do("GET", "/me", nil, "")
	if page.status != http.StatusOK {
		c.t.Fatalf("GET /me: %d %s", page.status, page.body)
	}
	return csrfOf(c.t, page.body)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `name="csrf" value="`)
	if !ok {
		t.Fatalf("no CSRF token in page:\n%s", body)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

func doLocal(h http.Handler, method, target string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
