package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

var _ mamori.CaseService = (*Engine)(nil)

const (
	// caseDeadlineDays is how many Japanese business days a case has.
	caseDeadlineDays = 3
	// timelineBefore is how far before a case opened its timeline reaches.
	timelineBefore = 14 * 24 * time.Hour
	// timelineMax bounds the events a timeline reads from the log.
	timelineMax = 2000
)

// caseIndex knows which account each case belongs to, so that a case can
// be found by id; the case itself lives in the account's state.
type caseIndex struct {
	mu       sync.Mutex
	accounts map[string]string // case id -> account key
}

func (x *caseIndex) add(caseID, account string) {
	x.mu.Lock()
	if x.accounts == nil {
		x.accounts = map[string]string{}
	}
	x.accounts[caseID] = account
	x.mu.Unlock()
}

// copy returns the index as a map of its own, for a snapshot.
func (x *caseIndex) copy() map[string]string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return maps.Clone(x.accounts)
}

func (x *caseIndex) account(caseID string) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	a, ok := x.accounts[caseID]
	return a, ok
}

func (x *caseIndex) all() map[string][]string {
	x.mu.Lock()
	defer x.mu.Unlock()
	byAccount := map[string][]string{}
	for c, a := range x.accounts {
		byAccount[a] = append(byAccount[a], c)
	}
	return byAccount
}

// Cases implements mamori.CaseService.
func (e *Engine) Cases(ctx context.Context, status string) ([]mamori.Case, error) {
	if status != "" && !mamori.IsCaseStatus(status) {
		return nil, mamori.FieldError("status", "%q is not a case status (open, investigating, resolved_fraud, resolved_legit)", status)
	}
	now := e.now()
	var out []mamori.Case
	for account := range e.cases.all() {
		a, err := e.Account(ctx, account)
		if err != nil {
			return nil, err
		}
		for _, c := range a.Cases {
			if status == "" || c.Status == status {
				out = append(out, e.dressCase(c, now))
			}
		}
	}
	slices.SortFunc(out, func(a, b mamori.Case) int { return b.Opened.Compare(a.Opened) })
	return out, nil
}

// Case implements mamori.CaseService: the case with the account's events
// from two weeks before it opened, each with its decision, and the orders
// placed in that time.
func (e *Engine) Case(ctx context.Context, id string) (mamori.Case, error) {
	account, ok := e.cases.account(id)
	if !ok {
		return mamori.Case{}, mamori.Errorf(mamori.ENotFound, "no case %s", id)
	}
	reply := make(chan caseReply, 1)
	if err := e.send(account, job{caseView: &caseViewJob{account: account, id: id, reply: reply}}); err != nil {
		return mamori.Case{}, err
	}
	var r caseReply
	select {
	case r = <-reply:
	case <-ctx.Done():
		return mamori.Case{}, ctx.Err()
	}
	if r.err != nil {
		return mamori.Case{}, fmt.Errorf("read case %s: %w", id, r.err)
	}
	if !r.found {
		return mamori.Case{}, mamori.Errorf(mamori.ENotFound, "no case %s", id)
	}
	c := e.dressCase(r.c, e.now())
	since := c.Opened.Add(-timelineBefore)
	c.Orders = r.orders
	recs, err := e.log.AccountEvents(ctx, account, timelineMax)
	if err != nil {
		return mamori.Case{}, err
	}
	hidden := map[string]bool{}
	for _, o := range r.orders {
		hidden[o.OrderID] = o.Hidden
	}
	inCase := map[string]bool{}
	for _, id := range c.EventIDs {
		inCase[id] = true
	}
	for i := len(recs) - 1; i >= 0; i-- {
		rec := recs[i]
		var entry mamori.TimelineEntry
		if err := json.Unmarshal(rec.Event, &entry.Event); err != nil {
			return mamori.Case{}, fmt.Errorf("case %s: event %s: %w", id, rec.ID, err)
		}
		if entry.Event.Time.Before(since) {
			continue
		}
		var d mamori.Decision
		if err := json.Unmarshal(rec.Decision, &d); err != nil {
			return mamori.Case{}, fmt.Errorf("case %s: decision of %s: %w", id, rec.ID, err)
		}
		entry.Decision = &d
		entry.InCase = inCase[rec.ID]
		if o := entry.Event.Properties.OrderID; o != "" && strings.HasPrefix(entry.Event.Type, "order.") {
			entry.Hidden = hidden[o]
		}
		c.Timeline = append(c.Timeline, entry)
	}
	return c, nil
}

// dressCase adds what depends on the calendar and the clock.
func (e *Engine) dressCase(c mamori.Case, now time.Time) mamori.Case {
	c.Deadline = e.calendar.Deadline(c.Opened, caseDeadlineDays)
	c.Overdue = (c.Status == mamori.CaseOpen || c.Status == mamori.CaseInvestigating) && now.After(c.Deadline)
	return c
}

// UpdateCase implements mamori.CaseService. The change is an event of
// the log like any other, so the case's history survives restarts and
// every outcome can be learnt from.
func (e *Engine) UpdateCase(ctx context.Context, id string, patch mamori.CasePatch) (mamori.Case, error) {
	p := mamori.Properties{CaseID: id, By: orBy(patch.By)}
	if patch.Status != nil {
		if !mamori.IsCaseStatus(*patch.Status) {
			return mamori.Case{}, mamori.FieldError("status", "%q is not a case status (open, investigating, resolved_fraud, resolved_legit)", *patch.Status)
		}
		p.Status = *patch.Status
	}
	if patch.Assignee != nil {
		if *patch.Assignee == "" || len(*patch.Assignee) > 128 {
			return mamori.Case{}, mamori.FieldError("assignee", "must be 1 to 128 characters")
		}
		p.Assignee = *patch.Assignee
	}
	if p.Status == "" && p.Assignee == "" {
		return mamori.Case{}, mamori.Errorf(mamori.EInvalidEvent, "nothing to change: give status or assignee")
	}
	return e.caseEvent(ctx, id, p)
}

// AddCaseNote implements mamori.CaseService.
func (e *Engine) AddCaseNote(ctx context.Context, id, by, text string) (mamori.Case, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 4000 {
		return mamori.Case{}, mamori.FieldError("text", "must be 1 to 4000 bytes")
	}
	return e.caseEvent(ctx, id, mamori.Properties{CaseID: id, By: orBy(by), Note: text})
}

func (e *Engine) caseEvent(ctx context.Context, id string, p mamori.Properties) (mamori.Case, error) {
	account, ok := e.cases.account(id)
	if !ok {
		return mamori.Case{}, mamori.Errorf(mamori.ENotFound, "no case %s", id)
	}
	if err := e.record(ctx, mamori.Event{ID: "case-" + randomID(), Type: mamori.CaseUpdated, AccountID: account, Properties: p}); err != nil {
		return mamori.Case{}, err
	}
	return e.Case(ctx, id)
}

// ReleaseOrder implements mamori.CaseService.
func (e *Engine) ReleaseOrder(ctx context.Context, orderID, by string) (mamori.Account, error) {
	return e.orderEvent(ctx, mamori.OrderReleased, orderID, by)
}

// CancelOrder implements mamori.CaseService.
func (e *Engine) CancelOrder(ctx context.Context, orderID, by string) (mamori.Account, error) {
	return e.orderEvent(ctx, mamori.OrderCancelled, orderID, by)
}

func (e *Engine) orderEvent(ctx context.Context, typ, orderID, by string) (mamori.Account, error) {
	account, ok, err := e.log.OrderAccount(ctx, orderID)
	if err != nil {
		return mamori.Account{}, err
	}
	if !ok {
		return mamori.Account{}, mamori.Errorf(mamori.ENotFound, "no order %s", orderID)
	}
	ev := mamori.Event{ID: "analyst-" + randomID(), Type: typ, AccountID: account,
		Properties: mamori.Properties{OrderID: orderID, By: orBy(by)}}
	if err := e.record(ctx, ev); err != nil {
		return mamori.Account{}, err
	}
	return e.Account(ctx, account)
}

// record writes an event of mamori's own at the account's last event time.
func (e *Engine) record(ctx context.Context, ev mamori.Event) error {
	f, _, err := e.submit(&eventJob{ev: &ev, atLastTime: true, mustExist: true})
	if err != nil {
		return err
	}
	_, _, err = e.await(ctx, ev.ID, f)
	return err
}

func orBy(by string) string {
	if by == "" {
		return "analyst"
	}
	return by
}

type caseViewJob struct {
	account string
	id      string
	reply   chan<- caseReply
}

type caseReply struct {
	c      mamori.Case
	orders []mamori.CaseOrder
	found  bool
	err    error // the account's state could not be read
}

func caseOf(st *risk.State, id string) (caseReply, bool) {
	for _, c := range st.Cases {
		if c.ID == id {
			v := st.View()
			for _, vc := range v.Cases {
				if vc.ID == id {
					return caseReply{c: vc, orders: st.CaseOrders(vc.Opened.Add(-timelineBefore)), found: true}, true
				}
			}
		}
	}
	return caseReply{}, false
}
