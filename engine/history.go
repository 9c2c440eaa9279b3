package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/statepack"
)

// historyMax bounds the events AccountHistory reads from the log.
const historyMax = 500

// ScorePoint is one decision of the log: when its event happened, what
// kind of event it was and what mamori decided.
type ScorePoint struct {
	EventID  string          `json:"event_id"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Score    float64         `json:"score"`
	Decision mamori.Outcome  `json:"decision"`
	Reasons  []mamori.Reason `json:"reasons,omitempty"`
}

// AccountHistory returns the decisions of the account's latest events in
// the log, at most limit of them, oldest first. An account never seen
// has none.
func (e *Engine) AccountHistory(ctx context.Context, accountID string, limit int) ([]ScorePoint, error) {
	if limit <= 0 || limit > historyMax {
		limit = historyMax
	}
	recs, err := e.log.AccountEvents(ctx, accountID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ScorePoint, 0, len(recs))
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		p, err := scorePoint(recs[i])
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", accountID, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// RecentDecisions returns the decisions of the last n records of the
// whole log, in log order.
func (e *Engine) RecentDecisions(ctx context.Context, n int) ([]ScorePoint, error) {
	if n <= 0 {
		return nil, nil
	}
	count, err := e.log.Count(ctx)
	if err != nil {
		return nil, err
	}
	var after uint64
	if count > int64(n) {
		after = uint64(count - int64(n))
	}
	recs, err := e.log.Records(ctx, after, n)
	if err != nil {
		return nil, err
	}
	out := make([]ScorePoint, 0, len(recs))
	for _, rec := range recs {
		p, err := scorePoint(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// OrderAccount returns the account an order was placed on; ENotFound if
// the log has no such order.
func (e *Engine) OrderAccount(ctx context.Context, orderID string) (string, error) {
	account, ok, err := e.log.OrderAccount(ctx, orderID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", mamori.Errorf(mamori.ENotFound, "no order %s", orderID)
	}
	return account, nil
}

func scorePoint(rec mamori.LogRecord) (ScorePoint, error) {
	var ev mamori.Event
	if err := json.Unmarshal(rec.Event, &ev); err != nil {
		return ScorePoint{}, fmt.Errorf("event %s: %w", rec.ID, err)
	}
	var d mamori.Decision
	if err := json.Unmarshal(rec.Decision, &d); err != nil {
		return ScorePoint{}, fmt.Errorf("decision of %s: %w", rec.ID, err)
	}
	return ScorePoint{EventID: rec.ID, Type: rec.Type, Time: ev.Time, Score: d.Score, Decision: d.Decision, Reasons: d.Reasons}, nil
}

// AccountsByEmail returns the ids of the accounts whose profile e-mail
// (set by account.created and email.changed) is email, compared without
// regard to case, sorted. An empty email matches nothing.
func (e *Engine) AccountsByEmail(ctx context.Context, email string) ([]string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	// Buffered for every shard, so that none waits on a caller that gave up.
	reply := make(chan emailReply, len(e.shards))
	if err := e.sendAll(job{byEmail: &emailJob{email: email, reply: reply}}); err != nil {
		return nil, err
	}
	var out []string
	for range e.shards {
		select {
		case r := <-reply:
			if r.err != nil {
				return nil, fmt.Errorf("find accounts by e-mail: %w", r.err)
			}
			out = append(out, r.ids...)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	sort.Strings(out)
	return out, nil
}

// sendAll queues a job on every shard.
func (e *Engine) sendAll(j job) error {
	e.closing.RLock()
	defer e.closing.RUnlock()
	if e.closed.Load() {
		return mamori.Errorf(mamori.EUnavailable, "mamori is shutting down")
	}
	for _, s := range e.shards {
		s.jobs <- j
	}
	return nil
}

// emailJob asks a shard for its accounts with an e-mail.
type emailJob struct {
	email string
	reply chan<- emailReply
}

type emailReply struct {
	ids []string
	err error
}

// accountsWithEmail reads the e-mail of every account of the shard; of
// an idle one, only that from its packed state, so that a search does not
// hold up the shard's events for as long as unpacking every account would.
func accountsWithEmail(s *shard, email string) emailReply {
	var r emailReply
	want := []byte(email)
	for key, a := range s.accounts {
		st := a.st
		if st == nil {
			got, err := statepack.Email(a.packed)
			if err != nil {
				return emailReply{err: fmt.Errorf("account %s: %w", key, err)}
			}
			if len(got) == 0 || !bytes.EqualFold(got, want) {
				continue
			}
			if st, err = s.unpack(key, a.packed); err != nil {
				return emailReply{err: err}
			}
		}
		if st.AccountID != "" && st.Email != "" && strings.EqualFold(st.Email, email) {
			r.ids = append(r.ids, st.AccountID)
		}
	}
	return r
}
