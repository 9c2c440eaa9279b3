package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mamori-dev/mamori"
)

var _ mamori.LabelService = (*Engine)(nil)

// labelSources are the event types that carry a person's conclusion.
func labelSources() []string {
	return []string{mamori.OrderReleased, mamori.OrderCancelled, mamori.CaseUpdated, mamori.FraudReported}
}

// Labels implements mamori.LabelService. A held order released is
// legitimate; an order cancelled through mamori's API is fraud (a store's
// own cancellations, without "by", say nothing); a case resolved says so;
// a fraud report labels its orders, or the account when it names none.
func (e *Engine) Labels(ctx context.Context, after uint64, limit int) ([]mamori.Label, uint64, error) {
	recs, err := e.log.Records(ctx, after, limit, labelSources()...)
	if err != nil {
		return nil, after, err
	}
	next := after
	out := []mamori.Label{}
	for _, r := range recs {
		next = r.Seq
		var ev mamori.Event
		if err := json.Unmarshal(r.Event, &ev); err != nil {
			return nil, after, fmt.Errorf("label from %s: %w", r.ID, err)
		}
		p := &ev.Properties
		l := mamori.Label{Seq: r.Seq, AccountID: ev.AccountID, By: p.By, Source: ev.Type, EventID: ev.ID, Time: ev.Time}
		switch ev.Type {
		case mamori.OrderReleased:
			l.Kind, l.ID, l.Label = "order", p.OrderID, "legit"
			out = append(out, l)
		case mamori.OrderCancelled:
			if p.By != "" {
				l.Kind, l.ID, l.Label = "order", p.OrderID, "fraud"
				out = append(out, l)
			}
		case mamori.CaseUpdated:
			switch p.Status {
			case mamori.CaseResolvedFraud:
				l.Kind, l.ID, l.Label = "case", p.CaseID, "fraud"
				out = append(out, l)
			case mamori.CaseResolvedLegit:
				l.Kind, l.ID, l.Label = "case", p.CaseID, "legit"
				out = append(out, l)
			}
		case mamori.FraudReported:
			l.Label = "fraud"
			if len(p.OrderIDs) == 0 {
				l.Kind, l.ID = "account", ev.AccountID
				out = append(out, l)
			}
			for _, o := range p.OrderIDs {
				l.Kind, l.ID = "order", o
				out = append(out, l)
			}
		}
	}
	return out, next, nil
}
