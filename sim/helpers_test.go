package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/mamori-dev/mamori"
)

// scriptedService is a mamori.RiskService that answers each event type
// with the decisions queued for it, in turn, then allow; it keeps every
// event it was sent.
type scriptedService struct {
	mu       sync.Mutex
	queue    map[string][]mamori.Decision
	decided  []mamori.Event
	recorded []mamori.Event
}

func newScripted(queue map[string][]mamori.Decision) *scriptedService {
	if queue == nil {
		queue = map[string][]mamori.Decision{}
	}
	return &scriptedService{queue: queue}
}

func (s *scriptedService) Decide(_ context.Context, ev mamori.Event) (mamori.Decision, error) {
	if err := ev.Validate(); err != nil {
		return mamori.Decision{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decided = append(s.decided, ev)
	d := mamori.Decision{Decision: mamori.Allow, Actions: []mamori.Action{}}
	if q := s.queue[ev.Type]; len(q) > 0 {
		d, s.queue[ev.Type] = q[0], q[1:]
	}
	d.EventID = ev.ID
	return d, nil
}

func (s *scriptedService) Record(_ context.Context, evs []mamori.Event) (int, error) {
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded = append(s.recorded, evs...)
	return len(evs), nil
}

func (s *scriptedService) Account(context.Context, string) (mamori.Account, error) {
	return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "not kept")
}

func (s *scriptedService) Lockdown(context.Context, string, string) (mamori.Account, error) {
	return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "not kept")
}

// types lists the types of the events decided, in order.
func (s *scriptedService) types() []string {
	out := make([]string, len(s.decided))
	for i, ev := range s.decided {
		out[i] = ev.Type
	}
	return out
}

func (s *scriptedService) ofType(typ string) []mamori.Event {
	var out []mamori.Event
	for _, ev := range s.decided {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// lineOut is one line of a play's JSON Lines output.
type lineOut struct {
	Phase    string           `json:"phase"`
	Event    mamori.Event     `json:"event"`
	Decision *mamori.Decision `json:"decision"`
	Truth    Truth            `json:"truth"`
}

func readLines(t *testing.T, b []byte) []lineOut {
	t.Helper()
	var out []lineOut
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l lineOut
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, l)
	}
	return out
}

func decision(o mamori.Outcome, actions ...mamori.Action) mamori.Decision {
	if actions == nil {
		actions = []mamori.Action{}
	}
	return mamori.Decision{Decision: o, Actions: actions}
}
