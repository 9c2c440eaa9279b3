package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
)

// HeldOrder is an order waiting for an analyst: held by mamori, neither
// released nor cancelled yet.
type HeldOrder struct {
	mamori.CaseOrder
	AccountID string `json:"account_id"`
	CaseID    string `json:"case_id"`
	// HeldAt and Reasons are of the decision that held the order: the
	// order's own, or a later one that held the account's pending orders.
	HeldAt  time.Time       `json:"held_at"`
	Reasons []mamori.Reason `json:"reasons"`
}

// HeldOrders lists the held orders of every account with a case, oldest
// first, for the analysts' review queue. An order appears once even when
// its account has several cases (with the newest case).
func (e *Engine) HeldOrders(ctx context.Context) ([]HeldOrder, error) {
	cases, err := e.Cases(ctx, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []HeldOrder
	for _, summary := range cases { // newest first
		c, err := e.Case(ctx, summary.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range c.Orders {
			if o.Status != "held" || seen[o.OrderID] {
				continue
			}
			seen[o.OrderID] = true
			h := HeldOrder{CaseOrder: o, AccountID: c.AccountID, CaseID: c.ID}
			h.HeldAt, h.Reasons = holdingDecision(c.Timeline, o.OrderID)
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b HeldOrder) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.OrderID, b.OrderID)
	})
	return out, nil
}

// holdingDecision finds the decision that held an order: the order's own
// when it was not allowed, else the first later one that held pending
// orders.
func holdingDecision(timeline []mamori.TimelineEntry, orderID string) (time.Time, []mamori.Reason) {
	placed := -1
	for i, t := range timeline {
		if t.Event.Type == mamori.OrderPlaced && t.Event.Properties.OrderID == orderID {
			placed = i
			break
		}
	}
	if placed < 0 {
		return time.Time{}, nil
	}
	own := timeline[placed]
	if d := own.Decision; d != nil && (d.Decision != mamori.Allow || d.Has(mamori.HoldPendingOrders)) {
		return own.Event.Time, d.Reasons
	}
	for _, t := range timeline[placed+1:] {
		if t.Decision != nil && t.Decision.Has(mamori.HoldPendingOrders) {
			return t.Event.Time, t.Decision.Reasons
		}
	}
	if own.Decision != nil {
		return own.Event.Time, own.Decision.Reasons
	}
	return own.Event.Time, nil
}
