package risk

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/mamori-dev/mamori"
)

// A playbook maps situations mamori recognises to the protective actions
// that go with them, and says which situations open a fraud case. The
// defaults are built in (playbooks.json); a file can override them at
// start. The policy decides the situation; the playbook decides what to
// do about it.

// Situations a playbook configures.
const (
	SituationRiskyOrder           = "risky_order"
	SituationStolenSession        = "stolen_session"
	SituationChallengeFailedAgain = "challenge_failed_again"
	SituationFraudReported        = "fraud_reported"
	SituationLockdown             = "lockdown"
)

var situations = []string{SituationRiskyOrder, SituationStolenSession, SituationChallengeFailedAgain,
	SituationFraudReported, SituationLockdown}

// Playbook is a versioned set of responses.
type Playbook struct {
	Version    string              `json:"version"`
	Situations map[string]Response `json:"situations"`
}

// Response is what a playbook does in one situation.
type Response struct {
	Description string          `json:"description,omitempty"`
	Actions     []mamori.Action `json:"actions"`
	OpenCase    bool            `json:"open_case"`
}

//go:embed playbooks.json
var defaultPlaybooks []byte

// DefaultPlaybook returns the built-in playbook. It is parsed once;
// callers must not change it.
var DefaultPlaybook = sync.OnceValue(func() *Playbook {
	p, err := parsePlaybook(defaultPlaybooks)
	if err != nil {
		panic(fmt.Sprintf("built-in playbook: %v", err)) // a test keeps it valid
	}
	return p
})

// ParsePlaybook reads a playbook file. Situations it leaves out keep the
// built-in response; unknown situations and actions are errors, so that
// a typo never silently disables a response.
func ParsePlaybook(data []byte) (*Playbook, error) {
	p, err := parsePlaybook(data)
	if err != nil {
		return nil, err
	}
	for name, r := range DefaultPlaybook().Situations {
		if _, ok := p.Situations[name]; !ok {
			if p.Situations == nil {
				p.Situations = map[string]Response{}
			}
			p.Situations[name] = r
		}
	}
	return p, nil
}

func parsePlaybook(data []byte) (*Playbook, error) {
	var p Playbook
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("playbook: %w", err)
	}
	if p.Version == "" {
		return nil, fmt.Errorf("playbook: version is required")
	}
	known := map[mamori.Action]bool{}
	for _, a := range mamori.LockdownActions {
		known[a] = true
	}
	for name, r := range p.Situations {
		if !slices.Contains(situations, name) {
			return nil, fmt.Errorf("playbook: unknown situation %q (known: %s)", name, strings.Join(situations, ", "))
		}
		for _, a := range r.Actions {
			if !known[a] {
				return nil, fmt.Errorf("playbook: situation %s: unknown action %q", name, a)
			}
		}
	}
	return &p, nil
}

// Respond returns the actions of a situation, in the playbook's order,
// and whether it opens a case.
func (p *Playbook) Respond(situation string) ([]mamori.Action, bool) {
	r, ok := p.Situations[situation]
	if !ok {
		return []mamori.Action{}, false
	}
	return slices.Clone(r.Actions), r.OpenCase
}

// Names lists the playbook's situations, sorted.
func (p *Playbook) Names() []string {
	var out []string
	for n := range p.Situations {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
