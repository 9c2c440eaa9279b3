package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mamori-dev/mamori/seclink"
)

// linkKeyFile holds the link key in the data directory when neither a
// link key nor an API key is given (--insecure-dev).
const linkKeyFile = "link.key"

// linkCommand prints a link opening an account's security center (/me),
// signed with the key serve uses: --link-key (MAMORI_LINK_KEY), else one
// derived from --api-key (MAMORI_API_KEY), else DATA/link.key.
func linkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("link", stderr)
	data := fs.String("data", envOr("MAMORI_DATA", "./mamori-data"), "data directory (MAMORI_DATA); holds link.key when no key is given")
	baseURL := fs.String("base-url", envOr("MAMORI_BASE_URL", "http://127.0.0.1:8080"), "mamori as customers reach it (MAMORI_BASE_URL)")
	ttl := fs.Duration("ttl", seclink.DefaultTTL, "how long the link opens")
	apiKey := fs.String("api-key", envOr("MAMORI_API_KEY", ""), "the server's API key, which the link key is derived from (MAMORI_API_KEY)")
	linkKey := fs.String("link-key", envOr("MAMORI_LINK_KEY", ""), "the server's link key, if it has its own (MAMORI_LINK_KEY)")
	rest := args
	var account string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		account, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return exitCode(2)
	}
	if account == "" && fs.NArg() > 0 {
		account = fs.Arg(0)
	}
	if account == "" || len(account) > 128 {
		fmt.Fprintln(stderr, "usage: mamori link ACCOUNT_ID [--data DIR] [--base-url URL] [--ttl 15m]")
		return exitCode(2)
	}
	if *ttl <= 0 || *ttl > 24*time.Hour {
		fmt.Fprintln(stderr, "mamori: link: --ttl must be between 1s and 24h")
		return exitCode(2)
	}
	key, err := resolveLinkKey(*linkKey, *apiKey, *data, false)
	if err != nil {
		return err
	}
	signer, err := seclink.NewSigner(key)
	if err != nil {
		return err
	}
	url, expires, err := (&seclink.Issuer{Signer: signer, BaseURL: *baseURL, TTL: *ttl}).Link(account, "")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, url)
	fmt.Fprintf(stderr, "valid until %s\n", expires.Format(time.RFC3339))
	return nil
}

// resolveLinkKey is the key links are signed with: the link key given,
// else one derived from the API key, else the data directory's
// link.key, created by serve (create) when missing.
func resolveLinkKey(linkKey, apiKey, data string, create bool) ([]byte, error) {
	switch {
	case linkKey != "":
		if len(linkKey) < 16 {
			return nil, errors.New("the link key must be at least 16 characters")
		}
		return []byte(linkKey), nil
	case apiKey != "":
		return seclink.KeyFromAPIKey(apiKey), nil
	}
	path := filepath.Join(data, linkKeyFile)
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("link key %s: not 16 or more hex-encoded bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return nil, fmt.Errorf("no link key: give --link-key or --api-key as serve has them (%s: %w)", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write link key: %w", err)
	}
	return key, nil
}
