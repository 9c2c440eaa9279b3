package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/sim"
)

// signUp gives the site a fresh, quiet account with one sign-in.
func (s *site) signUp(id string) {
	s.t.Helper()
	ctx := context.Background()
	at := sim.SeedAttackTime.Add(2 * time.Hour)
	for i, ev := range []mamori.Event{
		{ID: id + "-created", Type: mamori.AccountCreated, Time: at, AccountID: id,
			Context: mamori.Context{IP: "153.156.78.12", DeviceID: "dev-" + id}},
		{ID: id + "-login", Type: mamori.LoginSucceeded, Time: at.Add(time.Minute), AccountID: id, SessionID: "sess-" + id,
			Context: mamori.Context{IP: "153.156.78.12", DeviceID: "dev-" + id,
				UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"}},
	} {
		if _, err := s.eng.Decide(ctx, ev); err != nil {
			s.t.Fatalf("event %d: %v", i, err)
		}
	}
}

func TestAccountPageWordsTheSeedAccount(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	r := b.get("/console/accounts/" + sim.SeedAccount)
	if r.status != 200 {
		t.Fatalf("account page: %d", r.status)
	}
	acct, err := s.eng.Account(context.Background(), sim.SeedAccount)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{sim.SeedAccount, `id="account-status"`, acct.Status, "Risk over time", "<svg", "<circle", "<polyline",
		"Sign-ins", "JST", " on ", "Trusted devices", "Actions taken"}
	for _, c := range acct.OpenCaseIDs {
		want = append(want, `href="/console/cases/`+c+`"`)
	}
	for _, a := range acct.Actions {
		want = append(want, string(a.Action))
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("account page lacks %q", w)
		}
	}
	if strings.Contains(r.body, "style=") || strings.Contains(r.body, "<script") {
		t.Error("the account page has inline style or script, which the CSP refuses")
	}
	if r := b.get("/console/accounts/cust-nobody"); r.status != http.StatusNotFound {
		t.Errorf("unknown account: %d", r.status)
	}
}

func TestLockdownNeedsCSRFAndLocksTheAccount(t *testing.T) {
	s := startSite(t, nil)
	s.signUp("cust-2001")
	b := s.browser()
	token := b.signIn()
	page := b.get("/console/accounts/cust-2001")
	if page.status != 200 || !strings.Contains(page.body, `action="/console/accounts/cust-2001/lockdown"`) ||
		!strings.Contains(page.body, "Safari on macOS") {
		t.Fatalf("account page before the lockdown: %d\n%s", page.status, page.body)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{}, s.url},
		{"wrong token", url.Values{"csrf": {otherFirst(token)}}, s.url},
		{"right token, other origin", url.Values{"csrf": {token}}, "https://evil.example"},
	} {
		if r := b.do("POST", "/console/accounts/cust-2001/lockdown", tc.form, tc.origin); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, r.status)
		}
	}
	acct, err := s.eng.Account(context.Background(), "cust-2001")
	if err != nil || acct.Status != mamori.StatusActive || len(acct.OpenCaseIDs) != 0 {
		t.Fatalf("after refused lockdowns: %+v %v", acct, err)
	}
	r := b.post("/console/accounts/cust-2001/lockdown", url.Values{"csrf": {token}})
	if r.status != http.StatusSeeOther || r.location != "/console/accounts/cust-2001?done=locked" {
		t.Fatalf("lockdown: %d %s", r.status, r.location)
	}
	acct, err = s.eng.Account(context.Background(), "cust-2001")
	if err != nil || acct.Status != mamori.StatusLocked || len(acct.OpenCaseIDs) != 1 {
		t.Fatalf("after the lockdown: %+v %v", acct, err)
	}
	c, err := s.eng.Case(context.Background(), acct.OpenCaseIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range c.Timeline {
		if e.Event.Type == mamori.AccountLockedDown && strings.Contains(e.Event.Properties.Reason, "analyst "+testUser+": lockdown from the console") {
			found = true
		}
	}
	if !found {
		t.Errorf("the case's timeline has no lockdown by %s", testUser)
	}
	after := b.get(r.location)
	if !strings.Contains(after.body, "locked down") || strings.Contains(after.body, `id="lockdown"`) ||
		!strings.Contains(after.body, `href="/console/cases/`+c.ID+`"`) {
		t.Errorf("account page after the lockdown:\n%s", after.body)
	}
}

func TestSearchFindsOrdersCasesAccountsAndAddresses(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	cases, err := s.eng.Cases(context.Background(), "")
	if err != nil || len(cases) == 0 {
		t.Fatalf("cases %v %v", cases, err)
	}
	for _, tc := range []struct{ q, location string }{
		{"ord-9001", "/console/accounts/" + sim.SeedAccount + "?order=ord-9001"},
		{" " + cases[0].ID + " ", "/console/cases/" + cases[0].ID},
		{sim.SeedAccount, "/console/accounts/" + sim.SeedAccount},
	} {
		r := b.get("/console/search?q=" + url.QueryEscape(tc.q))
		if r.status != http.StatusSeeOther || r.location != tc.location {
			t.Errorf("search %q: %d %s, want %s", tc.q, r.status, r.location, tc.location)
		}
	}
	acct, err := s.eng.Account(context.Background(), sim.SeedAccount)
	if err != nil || len(acct.Sessions) == 0 {
		t.Fatalf("seed account sessions: %+v %v", acct.Sessions, err)
	}
	r := b.get("/console/search?q=" + url.QueryEscape(acct.Sessions[0].IP))
	if r.status != 200 || !strings.Contains(r.body, `href="/console/accounts/`+sim.SeedAccount+`"`) {
		t.Errorf("search by IP %s: %d\n%s", acct.Sessions[0].IP, r.status, r.body)
	}
	r = b.get("/console/search?q=nothing-like-this")
	if r.status != 200 || !strings.Contains(r.body, `id="nothing-found"`) {
		t.Errorf("search for nothing: %d", r.status)
	}
	if r := b.get("/console/review"); !strings.Contains(r.body, `action="/console/search"`) {
		t.Error("the layout has no search box")
	}
}

func TestDashboardCountsTheSeedStory(t *testing.T) {
	s := startSite(t, nil)
	b := s.browser()
	b.signIn()
	r := b.get("/console/")
	if r.status != 200 {
		t.Fatalf("dashboard: %d", r.status)
	}
	for _, want := range []string{`id="held-money"`, "¥530", `<span class="label">Open cases</span> <span class="figure">1</span>`,
		`id="overdue-cases"`, "Decisions per hour", "hosting_network"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestSearchFindsAccountsByProfileEmail(t *testing.T) {
	s := startSite(t, nil)
	ctx := context.Background()
	at := s.clock().Add(-time.Hour)
	home := mamori.Context{IP: "153.1.2.3", DeviceID: "d-mail"}
	evs := []mamori.Event{
		{ID: "mail-1", Type: mamori.AccountCreated, AccountID: "cust-m1", Time: at, Context: home, Properties: mamori.Properties{Email: "Ren@Example.jp"}},
		{ID: "mail-2", Type: mamori.AccountCreated, AccountID: "cust-m2", Time: at, Context: home, Properties: mamori.Properties{Email: "old@example.jp"}},
		{ID: "mail-3", Type: mamori.EmailChanged, AccountID: "cust-m2", SessionID: "s-m2", Time: at.Add(time.Minute), Context: home,
			Properties: mamori.Properties{NewEmail: "ren@example.JP"}},
		{ID: "mail-4", Type: mamori.AccountCreated, AccountID: "cust-m3", Time: at, Context: home, Properties: mamori.Properties{Email: "other@example.jp"}},
	}
	if _, err := s.eng.Record(ctx, evs); err != nil {
		t.Fatal(err)
	}
	got, err := s.eng.AccountsByEmail(ctx, " REN@example.jp ")
	if err != nil || !slices.Equal(got, []string{"cust-m1", "cust-m2"}) {
		t.Errorf("AccountsByEmail: %v %v", got, err)
	}
	if got, err := s.eng.AccountsByEmail(ctx, "old@example.jp"); err != nil || len(got) != 0 {
		t.Errorf("the replaced e-mail still finds %v %v", got, err)
	}
	b := s.browser()
	b.signIn()
	r := b.get("/console/search?q=" + url.QueryEscape("ren@EXAMPLE.jp"))
	for _, want := range []string{`href="/console/accounts/cust-m1"`, `href="/console/accounts/cust-m2"`, "Accounts with the e-mail"} {
		if r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("search by e-mail: %d, lacks %q", r.status, want)
		}
	}
	if strings.Contains(r.body, "cust-m3") {
		t.Error("search by e-mail found another address")
	}
	r = b.get("/console/search?q=" + url.QueryEscape("nobody@example.jp"))
	if r.status != 200 || !strings.Contains(r.body, `id="nothing-found"`) {
		t.Errorf("search for an unknown e-mail: %d", r.status)
	}
}
