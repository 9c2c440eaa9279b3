package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/seclink"
)

func TestLinkIsSignedWithTheKeyServeUses(t *testing.T) {
	t.Setenv("MAMORI_LINK_KEY", "")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"link", "cust-1042", "--api-key", "k-0123456789", "--base-url", "https://mamori.example", "--ttl", "10m"}, &out, &errOut)
	if err != nil {
		t.Fatalf("link: %v %s", err, errOut.String())
	}
	link := strings.TrimSpace(out.String())
	if !strings.HasPrefix(link, "https://mamori.example/me?t=") {
		t.Fatalf("link %q", link)
	}
	u, _ := url.Parse(link)
	s, _ := seclink.NewSigner(seclink.KeyFromAPIKey("k-0123456789"))
	tok, err := s.Verify(u.Query().Get("t"), time.Now())
	if err != nil || tok.AccountID != "cust-1042" {
		t.Fatalf("verify: %+v %v", tok, err)
	}
	if d := time.Until(tok.Expires); d > 10*time.Minute || d < 9*time.Minute {
		t.Errorf("expires in %v", d)
	}
}

func TestLinkWithoutKeysUsesTheDataDirectorysKey(t *testing.T) {
	t.Setenv("MAMORI_LINK_KEY", "")
	t.Setenv("MAMORI_API_KEY", "")
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"link", "cust-1", "--data", dir}, &out, &errOut); err == nil {
		t.Fatal("a link without any key")
	}
	key, err := resolveLinkKey("", "", dir, true) // as serve does
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"link", "cust-1", "--data", dir}, &out, &errOut); err != nil {
		t.Fatalf("link: %v %s", err, errOut.String())
	}
	u, _ := url.Parse(strings.TrimSpace(out.String()))
	s, _ := seclink.NewSigner(key)
	if tok, err := s.Verify(u.Query().Get("t"), time.Now()); err != nil || tok.AccountID != "cust-1" {
		t.Errorf("verify: %+v %v", tok, err)
	}
}

func TestLinkNeedsAnAccount(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"link", "--api-key", "k"}, &out, &errOut); err != exitCode(2) {
		t.Errorf("err %v", err)
	}
}
