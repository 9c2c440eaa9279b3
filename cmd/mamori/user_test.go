package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mamori-dev/mamori/console"
	"github.com/mamori-dev/mamori/sqlite"
	"github.com/pquerna/otp/totp"
)

func TestUserAddStoresAnAnalystWhoCanSignIn(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := userCommand(context.Background(), []string{"add", "aiko", "--data", dir, "--password-stdin"},
		strings.NewReader("a long enough password\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("user add: %v: %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "otpauth://totp/mamori:aiko?") {
		t.Fatalf("output %s", out.String())
	}
	_, secret, _ := strings.Cut(out.String(), "secret:")
	secret = strings.TrimSpace(secret)

	store, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.Users().User(context.Background(), "aiko")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := console.VerifyPassword(u.PasswordHash, "a long enough password"); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v", err)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if u.TOTPSecret != secret || !console.CheckTOTP(u.TOTPSecret, code, time.Now()) {
		t.Fatal("stored TOTP secret is not the one printed")
	}

	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"same name again", []string{"add", "aiko", "--data", dir}, "another long password\n"},
		{"short password", []string{"add", "ken", "--data", dir}, "short\n"},
		{"bad name", []string{"add", "../x", "--data", dir}, "a long enough password\n"},
		{"no name", []string{"add", "--data", dir}, "a long enough password\n"},
	} {
		if err := userCommand(context.Background(), tc.args, strings.NewReader(tc.stdin), &out, &errOut); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
