package seclink_test

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/seclink"
)

func signer(t *testing.T, key string) *seclink.Signer {
	t.Helper()
	s, err := seclink.NewSigner(seclink.KeyFromAPIKey(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefusesAnythingButAGenuineLiveToken(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := signer(t, "the api key")
	good, err := s.Sign("a-1", now.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := s.Sign("a-1", now.Add(-time.Second))
	other, _ := signer(t, "another api key").Sign("a-1", now.Add(15*time.Minute))
	body, sig, _ := strings.Cut(good, ".")
	// The payload changed to another account, signature kept.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"a":"a-2","e":`+"9999999999"+`,"n":"x"}`)) + "." + sig
	flipped := replaceAt(sig, 3)
	for _, c := range []struct {
		name, token string
		want        error
	}{
		{"valid", good, nil},
		{"expired", expired, seclink.ErrExpired},
		{"tampered payload", forged, seclink.ErrInvalid},
		{"tampered payload, one byte", replaceAt(body, len(body)-2) + "." + sig, seclink.ErrInvalid},
		{"tampered signature", body + "." + flipped, seclink.ErrInvalid},
		{"no signature", body, seclink.ErrInvalid},
		{"wrong key", other, seclink.ErrInvalid},
		{"garbage", "not a token at all", seclink.ErrInvalid},
		{"empty", "", seclink.ErrInvalid},
		{"too long", strings.Repeat("a", 2000) + "." + sig, seclink.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, err := s.Verify(c.token, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
			if c.want == nil && (tok.AccountID != "a-1" || !tok.Expires.Equal(now.Add(15*time.Minute)) || tok.Nonce == "") {
				t.Errorf("token = %+v", tok)
			}
		})
	}
}

func TestEveryLinkIsDifferent(t *testing.T) {
	s := signer(t, "k")
	is := &seclink.Issuer{Signer: s, BaseURL: "https://mamori.example/"}
	a, exp, err := is.Link("a-1", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := is.Link("a-1", "")
	if a == b {
		t.Error("two links are the same")
	}
	if !strings.HasPrefix(a, "https://mamori.example/me?t=") {
		t.Errorf("link %s", a)
	}
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %v, want 15 minutes", d)
	}
	u, _ := url.Parse(a)
	if tok, err := s.Verify(u.Query().Get("t"), time.Now()); err != nil || tok.AccountID != "a-1" {
		t.Errorf("Verify(link) = %+v, %v", tok, err)
	}
}

func TestShortKeyIsRefused(t *testing.T) {
	if _, err := seclink.NewSigner([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}

// replaceAt changes the base64url character at i to another one.
func replaceAt(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
