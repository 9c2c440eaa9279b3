package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/mamori-dev/mamori"
)

var _ mamori.SecurityService = (*Engine)(nil)

const (
	// activitySignIns is how many sign-ins Activity returns.
	activitySignIns = 20
	// activityMax bounds the events Activity reads from the log.
	activityMax = 2000
)

// SignOutEverywhere implements mamori.SecurityService: an event of the
// log like any other (customer.signed_out_everywhere, decided with
// revoke_sessions), at the account's last event time.
func (e *Engine) SignOutEverywhere(ctx context.Context, accountID string) (mamori.Account, error) {
	return e.customerEvent(ctx, accountID, mamori.CustomerSignedOutEverywhere)
}

// RemoveTrustedDevices implements mamori.SecurityService
// (customer.removed_trusted_devices, decided with revoke_trusted_devices).
func (e *Engine) RemoveTrustedDevices(ctx context.Context, accountID string) (mamori.Account, error) {
	return e.customerEvent(ctx, accountID, mamori.CustomerRemovedTrustedDevices)
}

func (e *Engine) customerEvent(ctx context.Context, accountID, typ string) (mamori.Account, error) {
	ev := mamori.Event{ID: "customer-" + randomID(), Type: typ, AccountID: accountID,
		Properties: mamori.Properties{By: "customer"}}
	if err := e.record(ctx, ev); err != nil {
		return mamori.Account{}, err
	}
	return e.Account(ctx, accountID)
}

// Activity implements mamori.SecurityService: the sign-ins and orders of
// the account's latest events in the log. An order's status is the one
// its case shows when it has one, else what the log says of it.
func (e *Engine) Activity(ctx context.Context, accountID string) (mamori.Activity, error) {
	acct, err := e.Account(ctx, accountID)
	if err != nil {
		return mamori.Activity{}, err
	}
	recs, err := e.log.AccountEvents(ctx, accountID, activityMax)
	if err != nil {
		return mamori.Activity{}, err
	}
	out := mamori.Activity{SignIns: []mamori.SignIn{}, Orders: []mamori.CaseOrder{}, LoggedOut: []string{}}
	index := map[string]int{}             // order id -> place in out.Orders
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		rec := recs[i]
		var ev mamori.Event
		if err := json.Unmarshal(rec.Event, &ev); err != nil {
			return mamori.Activity{}, fmt.Errorf("activity of %s: event %s: %w", accountID, rec.ID, err)
		}
		var d mamori.Decision
		if err := json.Unmarshal(rec.Decision, &d); err != nil {
			return mamori.Activity{}, fmt.Errorf("activity of %s: decision of %s: %w", accountID, rec.ID, err)
		}
		p := &ev.Properties
		switch ev.Type {
		case mamori.Logout:
			if ev.SessionID != "" {
				out.LoggedOut = append(out.LoggedOut, ev.SessionID)
			}
		case mamori.LoginSucceeded:
			out.SignIns = append(out.SignIns, mamori.SignIn{Time: ev.Time, SessionID: ev.SessionID,
				DeviceID: ev.Context.DeviceID, IP: ev.Context.IP, UserAgent: ev.Context.UserAgent, Decision: d.Decision})
		case mamori.OrderPlaced:
			status := "placed"
			switch d.Decision {
			case mamori.Review:
				status = "held"
			case mamori.Deny:
				status = "denied"
			}
			index[p.OrderID] = len(out.Orders)
			out.Orders = append(out.Orders, mamori.CaseOrder{OrderID: p.OrderID, Time: ev.Time,
				Amount: p.AmountValue(), Currency: p.Currency, GiftCard: p.HasGiftCard(), Status: status})
		}
		if at, ok := index[p.OrderID]; ok && p.OrderID != "" {
			o := &out.Orders[at]
			switch ev.Type {
			case mamori.OrderHidden:
				o.Hidden = true
			case mamori.OrderReleased:
				o.Status = "placed"
			case mamori.OrderCancelled:
				o.Status = "cancelled"
			case mamori.PaymentDeclined:
				o.Status = "declined"
			case mamori.PaymentSettled:
				o.Settled = true
			}
		}
	}
	for _, c := range acct.Cases {
		full, err := e.Case(ctx, c.ID)
		if err != nil {
			return mamori.Activity{}, err
		}
		for _, o := range full.Orders {
			if at, ok := index[o.OrderID]; ok {
				out.Orders[at] = o
			}
		}
	}
	slices.Reverse(out.SignIns)
	if len(out.SignIns) > activitySignIns {
		out.SignIns = out.SignIns[:activitySignIns]
	}
	slices.Reverse(out.Orders)
	return out, nil
}
