package securitycenter_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/seclink"
	"github.com/mamori-dev/mamori/securitycenter"
)

const (
	invalidLink   = "This link is no longer valid. Open the security center again from the store"
	openFromStore = "open it again from the store"
)

func TestLinkOpensASessionBoundToItsAccount(t *testing.T) {
	s := startSite(t)
	c := s.client()
	r := c.do("GET", s.link(accountA, 15*time.Minute), nil, "")
	if r.status != http.StatusSeeOther || r.location != "/me" {
		t.Fatalf("link: %d %q", r.status, r.location)
	}
	if len(r.cookies) != 1 {
		t.Fatalf("cookies %v", r.cookies)
	}
	ck := r.cookies[0]
	if ck.Name != securitycenter.CookieName || !ck.HttpOnly || ck.Path != "/me" || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 1800 {
		t.Errorf("cookie %+v", ck)
	}
	page := c.do("GET", "/me", nil, "")
	if page.status != http.StatusOK {
		t.Fatalf("GET /me: %d", page.status)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if page.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", page.header.Get("Cache-Control"))
	}
	for _, want := range []string{"Recent sign-ins", "Japan", "Where you are signed in", "Sign out everywhere", `id="not-me"`, "日本語"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "<script") {
		t.Error("page has a script")
	}
}

func TestBadLinksAreRefused(t *testing.T) {
	s := startSite(t)
	good := s.link(accountA, 15*time.Minute)
	u, _ := url.Parse(good)
	token := u.Query().Get("t")
	body, sig, _ := strings.Cut(token, ".")
	other, _ := seclink.NewSigner(seclink.KeyFromAPIKey("another key"))
	wrongKey, _, _ := (&seclink.Issuer{Signer: other}).Link(accountA, s.url)
	expired, _ := s.signer.Sign(accountA, time.Now().Add(-time.Second))
	used := s.link(accountA, 15*time.Minute)
	s.client().do("GET", used, nil, "")
	bad := func(sig string) string {
		b := []byte(sig)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	for _, c := range []struct{ name, target string }{
		{"expired", "/me?t=" + url.QueryEscape(expired)},
		{"tampered payload", "/me?t=" + url.QueryEscape(bad(body)+"."+sig)},
		{"tampered signature", "/me?t=" + url.QueryEscape(body+"."+bad(sig))},
		{"wrong key", wrongKey},
		{"garbage", "/me?t=garbage"},
		{"opened before", used},
		{"unknown account", s.link("cust-nobody", 15*time.Minute)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := s.client()
			r := cl.do("GET", c.target, nil, "")
			if r.status != http.StatusForbidden || !strings.Contains(r.body, invalidLink) {
				t.Errorf("%d %s", r.status, r.body)
			}
			if len(r.cookies) != 0 {
				t.Errorf("cookie set: %v", r.cookies)
			}
			if p := cl.do("GET", "/me", nil, ""); p.status != http.StatusForbidden {
				t.Errorf("then GET /me: %d", p.status)
			}
		})
	}
}

func TestEveryPageRefusesWithoutASession(t *testing.T) {
	s := startSite(t)
	c := s.client()
	for _, p := range []struct{ method, path string }{
		{"GET", "/me"},
		{"GET", "/me?lang=en"},
		{"POST", "/me/sign-out-everywhere"},
		{"POST", "/me/remove-trusted-devices"},
		{"POST", "/me/not-me"},
		{"POST", "/me/messages/m-1/read"},
		{"POST", "/me/leave"},
	} {
		var form url.Values
		if p.method == "POST" {
			form = url.Values{"csrf": {"x"}}
		}
		r := c.do(p.method, p.path, form, s.url)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, openFromStore) {
			t.Errorf("%s %s: %d %s", p.method, p.path, r.status, r.body)
		}
	}
	// A forged cookie is no session either.
	c.http.Jar.SetCookies(mustURL(s.url+"/me"), []*http.Cookie{{Name: securitycenter.CookieName, Value: "forged", Path: "/me"}})
	if r := c.do("GET", "/me", nil, ""); r.status != http.StatusForbidden {
		t.Errorf("forged cookie: %d", r.status)
	}
	a, _ := s.eng.Account(context.Background(), accountA)
	if a.Status != mamori.StatusActive || len(a.TrustedDevices) == 0 {
		t.Errorf("account changed: %+v", a)
	}
}

func TestPostsNeedTheCSRFTokenAndTheSameOrigin(t *testing.T) {
	s := startSite(t)
	c := s.client()
	csrf := c.open(accountA)
	for _, r := range []response{
		c.do("POST", "/me/not-me", url.Values{"csrf": {"wrong"}}, s.url),
		c.do("POST", "/me/not-me", url.Values{}, s.url),
		c.do("POST", "/me/not-me", url.Values{"csrf": {csrf}}, "https://evil.example"),
		c.do("POST", "/me/not-me", url.Values{"csrf": {csrf}}, ""),
	} {
		if r.status != http.StatusForbidden {
			t.Errorf("%d %s", r.status, r.body)
		}
	}
	a, _ := s.eng.Account(context.Background(), accountA)
	if a.Status != mamori.StatusActive {
		t.Fatalf("account locked by a refused request")
	}
	if r := c.do("POST", "/me/not-me", url.Values{"csrf": {csrf}}, s.url); r.status != http.StatusSeeOther {
		t.Errorf("good POST: %d %s", r.status, r.body)
	}
}

// A session for B never shows or acts on A's data, whatever ids the
// request carries.
func TestASessionOnlyEverSeesAndChangesItsOwnAccount(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	// A has a message (her lockdown's), which B will try to mark read.
	if _, err := s.eng.Lockdown(ctx, accountA, "test"); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.eng.Messages(ctx, accountA, "en")
	if err != nil || len(msgs) == 0 {
		t.Fatalf("A's messages: %v %v", msgs, err)
	}
	before, _ := s.eng.Account(ctx, accountA)

	b := s.client()
	csrf := b.open(accountB)
	page := b.do("GET", "/me?account_id="+accountA+"&account="+accountA, nil, "")
	if strings.Contains(page.body, before.OpenCaseIDs[0]) || strings.Contains(page.body, "ord-50") || strings.Contains(page.body, msgs[0].Title) {
		t.Errorf("B's page shows A's data:\n%s", page.body)
	}
	if !strings.Contains(page.body, "ord-b-1") || !strings.Contains(page.body, "hidden from your order history") {
		t.Errorf("B's page lacks her hidden order:\n%s", page.body)
	}
	form := url.Values{"csrf": {csrf}, "account_id": {accountA}, "account": {accountA}}
	if r := b.do("POST", "/me/messages/"+msgs[0].ID+"/read?account_id="+accountA, form, s.url); r.status != http.StatusNotFound {
		t.Errorf("B marks A's message read: %d", r.status)
	}
	for _, p := range []string{"/me/sign-out-everywhere", "/me/remove-trusted-devices", "/me/not-me"} {
		if r := b.do("POST", p+"?account_id="+accountA, form, s.url); r.status != http.StatusSeeOther {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	after, _ := s.eng.Account(ctx, accountA)
	if after.EventCount != before.EventCount {
		t.Errorf("A's account got %d events from B's session", after.EventCount-before.EventCount)
	}
	msgs, _ = s.eng.Messages(ctx, accountA, "en")
	if msgs[0].Read {
		t.Error("A's message was marked read")
	}
	bAcct, _ := s.eng.Account(ctx, accountB)
	if bAcct.Status != mamori.StatusLocked || len(bAcct.OpenCaseIDs) != 1 {
		t.Errorf("B's own account: %+v", bAcct)
	}
}

func TestSignOutEverywhereAndRemoveTrustedDevicesAreActionsInTheLog(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	c := s.client()
	csrf := c.open(accountA)
	a, _ := s.eng.Account(ctx, accountA)
	if len(a.TrustedDevices) == 0 {
		t.Fatal("A has no trusted device to remove")
	}
	r := c.do("POST", "/me/sign-out-everywhere", url.Values{"csrf": {csrf}}, s.url)
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/me/remove-trusted-devices", url.Values{"csrf": {csrf}}, s.url)
	if r.status != http.StatusSeeOther {
		t.Fatalf("remove trusted devices: %d %s", r.status, r.body)
	}
	a, _ = s.eng.Account(ctx, accountA)
	for _, se := range a.Sessions {
		if strings.HasPrefix(se.SessionID, "live-") && !se.Revoked {
			t.Errorf("session %s not revoked", se.SessionID)
		}
	}
	if len(a.TrustedDevices) != 0 {
		t.Errorf("trusted devices left: %v", a.TrustedDevices)
	}
	if len(a.Actions) < 2 || a.Actions[0].Action != mamori.RevokeTrustedDevices || a.Actions[1].Action != mamori.RevokeSessions {
		t.Errorf("actions %+v", a.Actions)
	}
	if a.Status != mamori.StatusActive {
		t.Errorf("status %s", a.Status)
	}
	page := c.do("GET", "/me?done=signed_out", nil, "")
	if !strings.Contains(page.body, "every session of your account has been signed out") || !strings.Contains(page.body, "You are not signed in anywhere.") {
		t.Errorf("page after signing out:\n%s", page.body)
	}
	// The actions survive a replay of the log.
	s.eng.Close()
}

func TestThisWasntMeLocksTheAccountAndShowsTheCase(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	c := s.client()
	csrf := c.open(accountA)
	r := c.do("POST", "/me/not-me", url.Values{"csrf": {csrf}}, s.url)
	if r.status != http.StatusSeeOther {
		t.Fatalf("%d %s", r.status, r.body)
	}
	a, _ := s.eng.Account(ctx, accountA)
	if a.Status != mamori.StatusLocked || len(a.OpenCaseIDs) != 1 {
		t.Fatalf("account %+v", a)
	}
	var cs mamori.Case
	for _, x := range a.Cases {
		if x.ID == a.OpenCaseIDs[0] {
			cs = x
		}
	}
	if !strings.Contains(cs.Reason, "lockdown") && cs.Reason == "" {
		t.Errorf("case reason %q", cs.Reason)
	}
	page := c.do("GET", r.location, nil, "")
	deadline := cs.Deadline.In(time.FixedZone("JST", 9*3600)).Format("Monday 2 January 2006")
	for _, want := range []string{"We are looking into your account", cs.ID, deadline, "Locked your account",
		"Signed out every session", "What comes next", "Your account is locked"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page.body, `id="not-me"`) {
		t.Error("the button is still there on a locked account")
	}
	ja := c.do("GET", "/me?lang=ja", nil, "")
	jaDeadline := cs.Deadline.In(time.FixedZone("JST", 9*3600)).Format("2006年1月2日")
	for _, want := range []string{"アカウントを調査しています", jaDeadline, "アカウントをロックしました", `href="/me?lang=en"`} {
		if !strings.Contains(ja.body, want) {
			t.Errorf("Japanese page lacks %q", want)
		}
	}
}

func TestSessionExpires(t *testing.T) {
	s := startSite(t)
	now := time.Now()
	clock := func() time.Time { return now }
	me, err := securitycenter.New(securitycenter.Config{Links: s.signer, Accounts: s.eng, Security: s.eng, Messages: s.eng,
		Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.link(accountA, 15*time.Minute))
	rec := doLocal(me, "GET", u.RequestURI(), nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("open: %d", rec.Code)
	}
	cookie := rec.Result().Cookies()[0]
	if rec := doLocal(me, "GET", "/me", cookie); rec.Code != http.StatusOK {
		t.Fatalf("fresh session: %d", rec.Code)
	}
	now = now.Add(31 * time.Minute)
	if rec := doLocal(me, "GET", "/me", cookie); rec.Code != http.StatusForbidden {
		t.Errorf("session after 31 minutes: %d", rec.Code)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestThePageCreditsTheNetworkData(t *testing.T) {
	// The network names come from DB-IP's data, whose licence asks every
	// page that shows them for this link.
	s := startSite(t)
	c := s.client()
	c.open(accountA)
	page := c.do("GET", "/me", nil, "")
	if !strings.Contains(page.body, `<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>`) {
		t.Fatal("the security center does not credit DB-IP")
	}
}
