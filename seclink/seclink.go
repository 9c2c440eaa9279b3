// Package seclink signs and verifies the links that open the customer's
// security center (/me) from the store. The store keeps its own sign-in;
// mamori never sees a password. A store that has signed its customer in
// asks mamori for a link (POST /v1/accounts/{id}/security-link, or
// `mamori link`) and sends her there; the link carries a token:
//
//	base64url(payload) "." base64url(HMAC-SHA256(key, base64url(payload)))
//
// where payload is the JSON {"a": account id, "e": expiry in Unix
// seconds, "n": 16 random bytes in base64url}. The key is 32 bytes,
// either given (--link-key, MAMORI_LINK_KEY) or derived from the API key
// as HMAC-SHA256(api key, KeyLabel), so that a server and `mamori link`
// with the same API key agree without another secret.
package seclink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// KeyLabel is the fixed label a link key is derived from an API key with.
const KeyLabel = "mamori security-center link key v1"

// DefaultTTL is how long a link stays valid.
const DefaultTTL = 15 * time.Minute

// Errors of Verify. Both mean the same to a customer: open the security
// center again from the store.
var (
	ErrInvalid = errors.New("seclink: invalid link token")
	ErrExpired = errors.New("seclink: link token expired")
)

// maxToken bounds the tokens Verify reads.
const maxToken = 1024

// Token is what a verified link says.
type Token struct {
	AccountID string
	Expires   time.Time
	// Nonce makes every link different; a link opens once.
	Nonce string
}

type payload struct {
	A string `json:"a"`
	E int64  `json:"e"`
	N string `json:"n"`
}

// KeyFromAPIKey derives the link key from the server's API key.
func KeyFromAPIKey(apiKey string) []byte {
	m := hmac.New(sha256.New, []byte(apiKey))
	m.Write([]byte(KeyLabel))
	return m.Sum(nil)
}

// Signer signs and verifies link tokens with one key.
type Signer struct {
	key []byte
}

// NewSigner returns a signer; the key must be at least 16 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 16 {
		return nil, errors.New("seclink: the link key must be at least 16 bytes")
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Sign returns a token for the account, valid until expires.
func (s *Signer) Sign(accountID string, expires time.Time) (string, error) {
	if accountID == "" {
		return "", errors.New("seclink: no account id")
	}
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return "", fmt.Errorf("seclink: nonce: %w", err)
	}
	raw, err := json.Marshal(payload{A: accountID, E: expires.Unix(), N: base64.RawURLEncoding.EncodeToString(n[:])})
	if err != nil {
		return "", fmt.Errorf("seclink: encode: %w", err)
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

// Verify checks a token's signature in constant time, then its expiry
// at now. ErrInvalid for anything malformed, tampered with or signed
// with another key; ErrExpired for a genuine token past its expiry.
func (s *Signer) Verify(token string, now time.Time) (Token, error) {
	if len(token) > maxToken {
		return Token{}, ErrInvalid
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Token{}, ErrInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Token{}, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Token{}, ErrInvalid
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil || p.A == "" || p.N == "" || p.E <= 0 {
		return Token{}, ErrInvalid
	}
	t := Token{AccountID: p.A, Expires: time.Unix(p.E, 0), Nonce: p.N}
	if !now.Before(t.Expires) {
		return Token{}, ErrExpired
	}
	return t, nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Issuer makes links: a signer, where the security center is and how
// long links last.
type Issuer struct {
	Signer *Signer
	// BaseURL is mamori as customers reach it, such as
	// "https://mamori.example.com" ("": the caller gives it per link).
	BaseURL string
	// TTL is how long a link lasts (0: DefaultTTL).
	TTL time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Link returns the link opening the security center of the account, at
// base (or the issuer's BaseURL when base is ""), and when it expires.
func (is *Issuer) Link(accountID, base string) (string, time.Time, error) {
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	ttl := is.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if is.BaseURL != "" {
		base = is.BaseURL
	}
	expires := now().Add(ttl).Truncate(time.Second)
	token, err := is.Signer.Sign(accountID, expires)
	if err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimRight(base, "/") + "/me?t=" + url.QueryEscape(token), expires, nil
}
