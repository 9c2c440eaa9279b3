package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	mhttp "github.com/mamori-dev/mamori/http"
	"github.com/mamori-dev/mamori/seclink"
)

// testLinks is the link issuer of the test server: its key is derived
// from the test API key, as serve does.
func testLinks(a *api) *seclink.Issuer {
	s, err := seclink.NewSigner(seclink.KeyFromAPIKey(testKey))
	if err != nil {
		a.t.Fatal(err)
	}
	return &seclink.Issuer{Signer: s, Now: a.now}
}

func TestSecurityLinkIsSignedForAKnownAccount(t *testing.T) {
	a := startAPI(t)
	if status, body := a.call("POST", "/v1/events", map[string]any{"events": homeHistory("acct-link", 3)}); status != http.StatusAccepted {
		t.Fatalf("events: %d %s", status, body)
	}
	status, body := a.call("POST", "/v1/accounts/acct-link/security-link", nil)
	if status != http.StatusCreated {
		t.Fatalf("security-link: %d %s", status, body)
	}
	var got mhttp.SecurityLink
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.URL, a.url+"/me?t=") {
		t.Errorf("url %s, want one under %s/me", got.URL, a.url)
	}
	if d := time.Until(got.Expires); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %v, want 15 minutes", d)
	}
	u, err := url.Parse(got.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := testLinks(a).Signer.Verify(u.Query().Get("t"), time.Now())
	if err != nil || tok.AccountID != "acct-link" {
		t.Errorf("the link's token: %+v, %v", tok, err)
	}
}

func TestSecurityLinkRefusals(t *testing.T) {
	a := startAPI(t)
	a.call("POST", "/v1/events", map[string]any{"events": homeHistory("acct-link", 1)})
	if status, body := a.callKey("POST", "/v1/accounts/acct-link/security-link", nil, "wrong-key"); status != http.StatusUnauthorized {
		t.Errorf("wrong key: %d %s", status, body)
	}
	if status, body := a.callKey("POST", "/v1/accounts/acct-link/security-link", nil, ""); status != http.StatusUnauthorized {
		t.Errorf("no key: %d %s", status, body)
	}
	if status, body := a.call("POST", "/v1/accounts/acct-nobody/security-link", nil); status != http.StatusNotFound || !strings.Contains(string(body), `"not_found"`) {
		t.Errorf("unknown account: %d %s", status, body)
	}
	if status, body := a.call("GET", "/v1/accounts/acct-link/security-link", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d %s", status, body)
	}
}
