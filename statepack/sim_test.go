package statepack

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/sim"
)

// simulatedStates plays the simulator's events through the risk core as
// the engine's shards do (Decide, then Apply, per account in log order)
// and returns every account's state, those with the most events first.
// It is built once per test binary: the play takes a few seconds.
var simulatedStates = sync.OnceValues(func() ([]*risk.State, error) {
	evs, err := sim.Events(context.Background(), sim.Config{Seed: 1, Accounts: 200, HistoryDays: sim.DefaultHistoryDays, Days: 1})
	if err != nil {
		return nil, err
	}
	nets, err := enrich.LoadNetworks()
	if err != nil {
		return nil, err
	}
	var agents enrich.AgentCache
	// The engine interns the strings states keep: many accounts hold one
	// copy of each user agent, currency, status.
	interned := make(map[string]string)
	intern := func(s string) string {
		if c, ok := interned[s]; ok {
			return c
		}
		interned[s] = s
		return s
	}
	accounts := make(map[string]*risk.State)
	for i := range evs {
		ev := &evs[i]
		key := ev.RouteKey()
		st := accounts[key]
		if st == nil {
			st = &risk.State{AccountID: ev.AccountID}
			accounts[key] = st
		}
		in := risk.NewInput(ev, uint64(i+1), nets, &agents)
		in.Intern(intern)
		d := risk.Decide(st, in)
		risk.Apply(st, in, &d)
	}
	states := make([]*risk.State, 0, len(accounts))
	for _, st := range accounts {
		states = append(states, st)
	}
	slices.SortFunc(states, func(a, b *risk.State) int {
		return cmp.Or(cmp.Compare(b.EventCount, a.EventCount), cmp.Compare(a.AccountID, b.AccountID))
	})
	return states, nil
})

func testStates(tb testing.TB) []*risk.State {
	tb.Helper()
	states, err := simulatedStates()
	if err != nil {
		tb.Fatal(err)
	}
	return states
}
