package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/console"
	"github.com/pquerna/otp/totp"
)

func TestPasswordHashVerifiesOnlyItsPassword(t *testing.T) {
	h1, err := console.HashPassword("hunter2 hunter2")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := console.HashPassword("hunter2 hunter2")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=65536,t=3,p=4$") || h1 == h2 {
		t.Fatalf("hashes %q %q: want PHC argon2id strings with their own salts", h1, h2)
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{"hunter2 hunter2", true}, {"hunter2 hunter3", false}, {"", false}} {
		if ok, err := console.VerifyPassword(h1, tc.password); err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$a2V5", "$argon2id$v=19$m=0,t=3,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if ok, err := console.VerifyPassword(bad, "x"); err == nil || ok {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestTOTPCodeIsCheckedAtItsTime(t *testing.T) {
	url, secret, err := console.NewTOTP("aiko")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/mamori:aiko?") || !strings.Contains(url, "secret="+secret) {
		t.Fatalf("url %s", url)
	}
	now := time.Now()
	code, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if !console.CheckTOTP(secret, code, now) {
		t.Fatal("the current code is refused")
	}
	if !console.CheckTOTP(secret, code, now.Add(30*time.Second)) {
		t.Fatal("one step of clock skew is refused")
	}
	if console.CheckTOTP(secret, code, now.Add(5*time.Minute)) {
		t.Fatal("a code five minutes old is accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if console.CheckTOTP(secret, bad, now) {
			t.Errorf("code %q accepted", bad)
		}
	}
}

func TestLoginNeedsPasswordAndCodeAndSaysNothingMore(t *testing.T) {
	s := startSite(t, nil)
	for _, tc := range []struct {
		name, user, password, code string
	}{
		{"wrong password", testUser, "not the password", "current"},
		{"wrong code", testUser, testPassword, "000000"},
		{"no code", testUser, testPassword, ""},
		{"unknown user", "mallory", testPassword, "current"},
		{"empty", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := tc.code
			if code == "current" {
				code = s.code()
			}
			r := s.browser().login(tc.user, tc.password, code)
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Sign-in failed: check your user name, password and code") {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if len(r.cookies) != 0 {
				t.Fatalf("a failed sign-in set cookies %v", r.cookies)
			}
		})
	}

	b := s.browser()
	r := b.do("POST", "/console/login", url.Values{"username": {testUser}, "password": {testPassword}, "code": {s.code()}}, "https://evil.example")
	if r.status != http.StatusForbidden {
		t.Fatalf("sign-in from another origin: %d", r.status)
	}
	r = b.login(testUser, testPassword, s.code())
	if r.status != http.StatusSeeOther || r.location != "/console/" || len(r.cookies) != 1 {
		t.Fatalf("sign-in: %d %s %v", r.status, r.location, r.cookies)
	}
	c := r.cookies[0]
	if c.Name != console.CookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console/" ||
		c.Secure || c.MaxAge != 12*3600 || len(c.Value) < 43 {
		t.Fatalf("session cookie %+v", c)
	}
	if r := b.get("/console/review"); r.status != 200 || !strings.Contains(r.body, testUser) {
		t.Fatalf("review queue: %d", r.status)
	}
}

func TestRepeatedFailuresLockTheUserOut(t *testing.T) {
	s := startSite(t, func(c *console.Config) { c.MaxFailures = 3 })
	for range 3 {
		s.browser().login(testUser, "guess", s.code())
	}
	if r := s.browser().login(testUser, testPassword, s.code()); r.status != http.StatusUnauthorized {
		t.Fatalf("the right password after three failures: %d", r.status)
	}
	s.advance(16 * time.Minute)
	if r := s.browser().login(testUser, testPassword, s.code()); r.status != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d", r.status)
	}
}

// routes are every console route that needs a session.
var routes = []struct{ method, path string }{
	{"GET", "/console/"},
	{"GET", "/console/review"},
	{"GET", "/console/cases"},
	{"GET", "/console/cases?status=all"},
	{"GET", "/console/cases/c-1"},
	{"POST", "/console/orders/ord-9001/release"},
	{"POST", "/console/orders/ord-9001/cancel"},
	{"POST", "/console/logout"},
	{"GET", "/console/accounts/cust-1042"},
	{"POST", "/console/accounts/cust-1042/lockdown"},
	{"GET", "/console/search?q=ord-9001"},
}

func TestEveryPageRefusesWithoutASession(t *testing.T) {
	s := startSite(t, nil)
	stale := s.browser()
	stale.signIn()
	u, _ := url.Parse(s.url + "/console/")
	stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: console.CookieName, Value: "forged-or-stale", Path: "/console/"}})
	for _, b := range map[string]*browser{"no cookie": s.browser(), "unknown cookie": stale} {
		for _, rt := range routes {
			form := url.Values{}
			if rt.method == "POST" {
				form.Set("csrf", "anything")
			}
			r := b.do(rt.method, rt.path, form, s.url)
			if r.status != http.StatusSeeOther || r.location != "/console/login" {
				t.Errorf("%s %s: %d %s, want a redirect to the sign-in page", rt.method, rt.path, r.status, r.location)
			}
			if strings.Contains(r.body, "ord-9001") {
				t.Errorf("%s %s shows data without a session", rt.method, rt.path)
			}
		}
	}
	if got := s.orderStatus("ord-9001"); got != "held" {
		t.Fatalf("ord-9001 is %s after requests without a session", got)
	}
}

func TestPostsNeedTheSessionsCSRFTokenAndOrigin(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	token := b.signIn()
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{}, s.url},
		{"wrong token", url.Values{"csrf": {otherFirst(token)}}, s.url},
		{"another session's token", url.Values{"csrf": {s.browser().signIn()}}, s.url},
		{"right token, other origin", url.Values{"csrf": {token}}, "https://evil.example"},
		{"right token, no origin or referer", url.Values{"csrf": {token}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/console/orders/ord-9001/release", "/console/orders/ord-9001/cancel", "/console/logout"} {
				if r := b.do("POST", path, tc.form, tc.origin); r.status != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", path, r.status)
				}
			}
			if got := s.orderStatus("ord-9001"); got != "held" {
				t.Fatalf("ord-9001 is %s after a refused POST", got)
			}
		})
	}
	if r := b.get("/console/review"); r.status != 200 {
		t.Fatalf("the session did not survive refused logouts: %d", r.status)
	}
	r := b.post("/console/orders/ord-9001/release", url.Values{"csrf": {token}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/console/review?done=released") {
		t.Fatalf("release with the token: %d %s", r.status, r.location)
	}
	if got := s.orderStatus("ord-9001"); got == "held" {
		t.Fatal("ord-9001 still held after an approved release")
	}
}

func TestSessionEndsAfterTwelveHoursAndOnLogout(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	s.advance(11*time.Hour + 59*time.Minute)
	if r := b.get("/console/review"); r.status != 200 {
		t.Fatalf("before 12 hours: %d", r.status)
	}
	s.advance(2 * time.Minute)
	if r := b.get("/console/review"); r.status != http.StatusSeeOther || r.location != "/console/login" {
		t.Fatalf("after 12 hours: %d %s", r.status, r.location)
	}

	b = s.browser()
	token := b.signIn()
	if r := b.post("/console/logout", url.Values{"csrf": {token}}); r.status != http.StatusSeeOther || r.location != "/console/login" {
		t.Fatalf("logout: %d %s", r.status, r.location)
	}
	if r := b.get("/console/review"); r.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.status)
	}
}

func TestSessionsSurviveARestartOfTheStore(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	u, _ := url.Parse(s.url + "/console/")
	id := b.client.Jar.Cookies(u)[0].Value
	// A second console on the same store knows the session.
	con, err := console.New(console.Config{Store: s.store.Users(), Cases: s.eng, Review: s.eng})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "GET", "/console/cases", nil)
	req.AddCookie(&http.Cookie{Name: console.CookieName, Value: id})
	w := httptest.NewRecorder()
	con.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("the session is not in the store: %d", w.Code)
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	for _, path := range []string{"/console/login", "/console/static/console.css", "/console/review", "/console/no-such-page"} {
		r := b.get(path)
		h := r.header
		if h.Get("Content-Security-Policy") != "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	if r := b.get("/console/static/console.css"); r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestReviewQueueAndCasePageShowTheSeedStory(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	q := b.get("/console/review").body
	for _, want := range []string{`id="order-ord-9001"`, "¥530", "hidden from order history", "JST", "/console/orders/ord-9001/release", "/console/orders/ord-9001/cancel"} {
		if !strings.Contains(q, want) {
			t.Errorf("review queue lacks %q", want)
		}
	}
	if strings.Contains(q, `id="order-ord-9002"`) {
		t.Error("the voided gift card is in the review queue")
	}
	cases, err := s.eng.Cases(context.Background(), "open")
	if err != nil || len(cases) != 1 {
		t.Fatalf("open cases %v %v", cases, err)
	}
	list := b.get("/console/cases").body
	if !strings.Contains(list, `href="/console/cases/`+cases[0].ID+`"`) {
		t.Errorf("case list lacks %s", cases[0].ID)
	}
	if r := b.get("/console/cases?status=nonsense"); r.status != http.StatusBadRequest {
		t.Errorf("unknown filter: %d", r.status)
	}
	page := b.get("/console/cases/" + cases[0].ID)
	for _, want := range []string{"Timeline", "order.placed", "hidden from order history", "gift card", "voided", "held", "hosting_network"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if r := b.get("/console/cases/c-nope"); r.status != http.StatusNotFound {
		t.Errorf("unknown case: %d", r.status)
	}
}

func TestPagesCreditTheNetworkData(t *testing.T) {
	// Account pages name networks from DB-IP's data, whose licence asks
	// every page that shows them for this link.
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	for _, path := range []string{"/console/", "/console/accounts/cust-1042"} {
		if r := b.get(path); !strings.Contains(r.body, `<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>`) {
			t.Errorf("%s does not credit DB-IP (status %d)", path, r.status)
		}
	}
}

// otherFirst changes a token's first character, whatever it is.
func otherFirst(token string) string {
	if token[0] == 'x' {
		return "y" + token[1:]
	}
	return "x" + token[1:]
}
