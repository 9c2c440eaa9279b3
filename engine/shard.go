package engine

import (
	"encoding/json"
	"fmt"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
	"github.com/mamori-dev/mamori/risk"
)

// shard owns the state of its accounts: one goroutine applies their
// events in order, so the hot path needs no locks. Accounts are spread
// over shards by a hash of their id.
type shard struct {
	e        *Engine
	jobs     chan job
	accounts map[string]account
	active   activeSet
	strings  *interner
	agents   enrich.AgentCache
	scratch  []byte // for packing
}

// job is one thing a shard does; exactly one of its parts is set.
type job struct {
	event    *eventJob
	view     *viewJob
	caseView *caseViewJob
	messages *messagesJob
	byEmail  *emailJob
	snapshot chan<- map[string][]byte
}

type eventJob struct {
	ev *mamori.Event
	// observe: recorded through /v1/events, so the store received no
	// decision and carried out no action: state changes as if allowed.
	observe bool
	// atLastTime: the event takes the account's last event time (lockdown
	// has no time of its own).
	atLastTime bool
	// mustExist: refuse an account never seen.
	mustExist bool
	flight    *flight
}

type viewJob struct {
	account string
	reply   chan<- viewReply
}

type viewReply struct {
	account mamori.Account
	found   bool
	err     error // the account's state could not be read
}

func (s *shard) run() {
	defer s.e.shardsDone.Done()
	for j := range s.jobs {
		switch {
		case j.event != nil:
			s.apply(j.event)
		case j.view != nil:
			st, err := s.peek(j.view.account)
			if st == nil || st.AccountID == "" {
				j.view.reply <- viewReply{err: err}
				continue
			}
			j.view.reply <- viewReply{account: st.View(), found: true}
		case j.caseView != nil:
			st, err := s.peek(j.caseView.account)
			r := caseReply{}
			if st != nil {
				r, _ = caseOf(st, j.caseView.id)
			}
			r.err = err
			j.caseView.reply <- r
		case j.messages != nil:
			st, err := s.peek(j.messages.account)
			r := messagesOf(st)
			r.err = err
			j.messages.reply <- r
		case j.byEmail != nil:
			j.byEmail.reply <- accountsWithEmail(s, j.byEmail.email)
		case j.snapshot != nil:
			j.snapshot <- s.packedAccounts()
		}
	}
}

func (s *shard) apply(j *eventJob) {
	ev := j.ev
	key := ev.RouteKey()
	st, err := s.state(key)
	if err != nil {
		s.e.logger.Error("account state unreadable", "err", err)
		s.e.dedup.finish(ev.ID, j.flight, fmt.Errorf("decide event %s: %w", ev.ID, err))
		return
	}
	if st == nil {
		if j.mustExist {
			s.e.dedup.finish(ev.ID, j.flight, mamori.Errorf(mamori.ENotFound, "account %s was never seen", ev.AccountID))
			return
		}
		st = &risk.State{AccountID: ev.AccountID}
		s.add(key, st)
	}
	if j.atLastTime {
		ev.Time, ev.Raw = st.LastTime, nil
	}
	in := risk.NewInput(ev, s.e.seq.Add(1), s.e.opts.Networks, &s.agents)
	in.Intern(s.strings.intern)
	in.Playbook = s.e.opts.Playbook
	s.e.crowd.view(in)
	d := risk.Decide(st, in)
	if j.observe {
		d.Decision, d.Actions, d.CaseID = mamori.Allow, []mamori.Action{}, ""
	}
	risk.Apply(st, in, &d)
	s.e.crowd.observe(in, &d, routeKey(st, ev))
	if d.CaseID != "" {
		s.e.cases.add(d.CaseID, key)
	}
	seq := in.Seq

	// The event as the store sent it, if it came as JSON.
	evJSON := ev.Raw
	if evJSON == nil {
		evJSON, err = json.Marshal(ev)
	}
	if err == nil {
		var decJSON []byte
		decJSON, err = json.Marshal(&d)
		if err == nil {
			j.flight.decision, j.flight.raw = d, decJSON
			rec := mamori.LogRecord{
				Seq: seq, ID: ev.ID, Account: key, Type: ev.Type, Time: ev.Time,
				Event: evJSON, Decision: decJSON,
			}
			if ev.Type == mamori.OrderPlaced {
				rec.Order = ev.Properties.OrderID
			}
			s.e.log.Append(rec, func(err error) {
				if err != nil {
					s.e.fail(err)
				}
				s.e.dedup.finish(ev.ID, j.flight, err)
			})
			return
		}
	}
	// Encoding a validated event cannot fail; if it does, the state is
	// ahead of the log, so the engine must stop taking writes.
	err = fmt.Errorf("encode event %s: %w", ev.ID, err)
	s.e.fail(err)
	s.e.dedup.finish(ev.ID, j.flight, err)
}

// routeKey is the event's route key, as the account's state holds it
// when it is the account id: the copy every event decoded brings with it
// is then not kept.
func routeKey(st *risk.State, ev *mamori.Event) string {
	if ev.AccountID != "" && ev.AccountID == st.AccountID {
		return st.AccountID
	}
	return ev.RouteKey()
}
