package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/mamori-dev/mamori"
)

// Client calls a mamori server over the wire contract. It implements
// mamori.RiskService, so that whatever plays against the in-process
// engine plays against a server too.
type Client struct {
	// BaseURL is the server's address, such as http://127.0.0.1:8080.
	BaseURL string
	APIKey  string
	HTTP    *http.Client // nil: http.DefaultClient
}

var _ mamori.RiskService = (*Client)(nil)

// Decide sends one event to POST /v1/risk and returns the decision.
func (c *Client) Decide(ctx context.Context, ev mamori.Event) (mamori.Decision, error) {
	var d mamori.Decision
	err := c.do(ctx, http.MethodPost, "/v1/risk", ev, &d)
	return d, err
}

// Record sends events to POST /v1/events, in batches of at most
// mamori.MaxBatch, and returns how many were new.
func (c *Client) Record(ctx context.Context, evs []mamori.Event) (int, error) {
	fresh := 0
	for len(evs) > 0 {
		n := min(len(evs), mamori.MaxBatch)
		var out EventsAccepted
		if err := c.do(ctx, http.MethodPost, "/v1/events", map[string]any{"events": evs[:n]}, &out); err != nil {
			return fresh, err
		}
		fresh += out.Accepted - out.Duplicates
		evs = evs[n:]
	}
	return fresh, nil
}

// Account reads GET /v1/accounts/{id}.
func (c *Client) Account(ctx context.Context, id string) (mamori.Account, error) {
	var a mamori.Account
	err := c.do(ctx, http.MethodGet, "/v1/accounts/"+url.PathEscape(id), nil, &a)
	return a, err
}

// Lockdown calls POST /v1/accounts/{id}/lockdown.
func (c *Client) Lockdown(ctx context.Context, id, reason string) (mamori.Account, error) {
	var a mamori.Account
	err := c.do(ctx, http.MethodPost, "/v1/accounts/"+url.PathEscape(id)+"/lockdown", LockdownRequest{Reason: reason}, &a)
	return a, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb errorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
			return &mamori.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
		}
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}
