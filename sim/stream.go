package sim

import (
	"context"
	"fmt"
	"sync"

	"github.com/mamori-dev/mamori"
)

// Events builds the world of cfg and returns every event its customers,
// attackers and store send over the history and the scored days, in the
// order sent: event time, so each account's events are in time order and
// accounts interleave as they would at a real store. Nothing decides
// them: the store takes every event as allowed, so the stream does not
// depend on a policy and can be replayed as load. The same cfg gives the
// same events.
func Events(ctx context.Context, cfg Config) ([]mamori.Event, error) {
	var c collector
	if _, err := Play(ctx, &c, cfg, Options{}); err != nil {
		return nil, fmt.Errorf("play world %d: %w", cfg.Seed, err)
	}
	return c.events, nil
}

// collector is a RiskService that allows everything and keeps what it
// was sent, in order.
type collector struct {
	mu     sync.Mutex
	events []mamori.Event
}

func (c *collector) Decide(_ context.Context, ev mamori.Event) (mamori.Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	return mamori.Decision{EventID: ev.ID, Decision: mamori.Allow}, nil
}

func (c *collector) Record(_ context.Context, evs []mamori.Event) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The store reuses its batch, so the events are copied out of it.
	c.events = append(c.events, evs...)
	return len(evs), nil
}

func (c *collector) Account(context.Context, string) (mamori.Account, error) {
	return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "not kept")
}

func (c *collector) Lockdown(context.Context, string, string) (mamori.Account, error) {
	return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "not kept")
}
