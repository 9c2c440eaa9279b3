package console_test

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
	"github.com/mamori-dev/mamori/console"
	"github.com/mamori-dev/mamori/engine"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/sim"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/pquerna/otp/totp"
)

const (
	testUser     = "aiko"
	testPassword = "correct horse battery staple"
)

var loadNetworks = sync.OnceValues(enrich.LoadNetworks)

// site is mamori with the console on a real SQLite store, served by
// httptest on 127.0.0.1, the seed story played into it and one analyst.
type site struct {
	t      *testing.T
	url    string
	eng    *engine.Engine
	store  *sqlite.Log
	secret string

	mu  sync.Mutex
	now time.Time
}

func (s *site) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *site) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

func startSite(t *testing.T, tune func(*console.Config)) *site {
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
	s := &site{t: t, store: store, now: time.Now()}
	s.eng, err = engine.Open(ctx, store, dir, engine.Options{Networks: nets})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PlaySeed(ctx, s.eng, nil); err != nil {
		t.Fatal(err)
	}
	hash, err := console.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, s.secret, err = console.NewTOTP(testUser)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Users().AddUser(ctx, console.User{Name: testUser, PasswordHash: hash, TOTPSecret: s.secret, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cfg := console.Config{Store: store.Users(), Cases: s.eng, Review: s.eng, Risk: s.eng, Networks: nets, Now: s.clock, FailureDelay: -1}
	if tune != nil {
		tune(&cfg)
	}
	con, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := http.NewServeMux()
	root.Handle(console.Prefix, con)
	srv := httptest.NewServer(root)
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		s.eng.Close()
	})
	return s
}

// code is the analyst's current TOTP code.
func (s *site) code() string {
	c, err := totp.GenerateCode(s.secret, s.clock())
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t      *testing.T
	site   *site
	client *http.Client
	// acceptLanguage is sent as Accept-Language when set.
	acceptLanguage string
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, site: s, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status   int
	location string
	header   http.Header
	body     string
	cookies  []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, origin string) response {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.site.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.acceptLanguage != "" {
		req.Header.Set("Accept-Language", b.acceptLanguage)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header,
		body: string(raw), cookies: resp.Cookies()}
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, "") }

// post sends a form from the console's own origin.
func (b *browser) post(path string, form url.Values) response {
	return b.do("POST", path, form, b.site.url)
}

func (b *browser) login(user, password, code string) response {
	return b.post("/console/login", url.Values{"username": {user}, "password": {password}, "code": {code}})
}

// signIn logs the analyst in and returns the session's CSRF token.
func (b *browser) signIn() string {
	b.t.Helper()
	r := b.login(testUser, testPassword, b.site.code())
	if r.status != http.StatusSeeOther || r.location != "/console/" {
		b.t.Fatalf("sign-in: %d %s", r.status, r.location)
	}
	page := b.get("/console/review")
	if page.status != 200 {
		b.t.Fatalf("review queue after sign-in: %d", page.status)
	}
	return csrfOf(b.t, page.body)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatal("page has no CSRF token")
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// orderStatus reads an order's status from its case.
func (s *site) orderStatus(orderID string) string {
	s.t.Helper()
	cases, err := s.eng.Cases(context.Background(), "")
	if err != nil {
		s.t.Fatal(err)
	}
	for _, c := range cases {
		full, err := s.eng.Case(context.Background(), c.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, o := range full.Orders {
			if o.OrderID == orderID {
				return o.Status
			}
		}
	}
	return ""
}

// holdAnotherOrder places an ordinary order on the seed account from the
// customer's laptop and locks the account down, which holds it: a second
// held order beside the seed story's tea.
func (s *site) holdAnotherOrder() string {
	s.t.Helper()
	ctx := context.Background()
	amount := int64(2480)
	_, err := s.eng.Decide(ctx, mamori.Event{ID: "late-order", Type: mamori.OrderPlaced, Time: sim.SeedAttackTime.Add(90 * time.Minute),
		AccountID: sim.SeedAccount, Context: mamori.Context{IP: "153.156.78.12", DeviceID: "dev-hana-laptop-7f3a"},
		Properties: mamori.Properties{OrderID: "ord-9100", Amount: &amount, Currency: "JPY"}})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.eng.Lockdown(ctx, sim.SeedAccount, "analyst"); err != nil {
		s.t.Fatal(err)
	}
	if got := s.orderStatus("ord-9100"); got != "held" {
		s.t.Fatalf("ord-9100 is %s after the lockdown", got)
	}
	return "ord-9100"
}
