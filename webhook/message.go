package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
)

// Body is the JSON of every message, as the Standard Webhooks
// specification recommends: the type, when the event happened (event
// time, not delivery time) and the data of that type.
type Body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// EventRef names the event behind a message.
type EventRef struct {
	AccountID string    `json:"account_id,omitempty"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	EventTime time.Time `json:"event_time"`
	SessionID string    `json:"session_id,omitempty"`
}

// DecisionData is the data of decision.created.
type DecisionData struct {
	EventRef
	Decision mamori.Decision `json:"decision"`
}

// ActionData is the data of action.requested.
type ActionData struct {
	EventRef
	Action   mamori.Action  `json:"action"`
	Decision mamori.Outcome `json:"decision"`
	CaseID   string         `json:"case_id,omitempty"`
}

// CaseData is the data of case.opened and case.updated.
type CaseData struct {
	EventRef
	CaseID   string         `json:"case_id"`
	Decision mamori.Outcome `json:"decision"`
	// Reason is the code of the decision's strongest reason.
	Reason string `json:"reason,omitempty"`
}

// CaseBook answers whether a case was named before in the log.
type CaseBook interface {
	CaseSeen(ctx context.Context, account, id string, seq uint64) (bool, error)
}

// Messages derives the messages of one log record, in this order: the
// decision (unless allow), the case it opened or joined, then one message
// per action. A record gives the same messages every time it is read.
func Messages(ctx context.Context, rec mamori.LogRecord, cases CaseBook) ([]Message, error) {
	// Most records are quiet: an allow with no action and no case. Their
	// reasons, the bulk of a decision, are not decoded.
	var head struct {
		Decision mamori.Outcome  `json:"decision"`
		Actions  []mamori.Action `json:"actions"`
		CaseID   string          `json:"case_id"`
	}
	if err := json.Unmarshal(rec.Decision, &head); err != nil {
		return nil, fmt.Errorf("decode decision of record %d: %w", rec.Seq, err)
	}
	if head.Decision == mamori.Allow && len(head.Actions) == 0 && head.CaseID == "" {
		return nil, nil
	}
	var d mamori.Decision
	if err := json.Unmarshal(rec.Decision, &d); err != nil {
		return nil, fmt.Errorf("decode decision of record %d: %w", rec.Seq, err)
	}
	var ev mamori.Event
	if err := json.Unmarshal(rec.Event, &ev); err != nil {
		return nil, fmt.Errorf("decode event of record %d: %w", rec.Seq, err)
	}
	ref := EventRef{AccountID: ev.AccountID, EventID: ev.ID, EventType: ev.Type, EventTime: ev.Time.UTC(), SessionID: ev.SessionID}
	var msgs []Message
	add := func(typ string, index int, data any) error {
		body, err := json.Marshal(Body{Type: typ, Timestamp: ref.EventTime, Data: data})
		if err != nil {
			return fmt.Errorf("encode %s of record %d: %w", typ, rec.Seq, err)
		}
		msgs = append(msgs, Message{ID: MessageID(rec.Seq, typ, index), Seq: rec.Seq, Type: typ, Body: body})
		return nil
	}
	if d.Decision != mamori.Allow {
		if err := add(DecisionCreated, 0, DecisionData{EventRef: ref, Decision: d}); err != nil {
			return nil, err
		}
	}
	if d.CaseID != "" {
		seen, err := cases.CaseSeen(ctx, rec.Account, d.CaseID, rec.Seq)
		if err != nil {
			return nil, err
		}
		typ := CaseOpened
		if seen {
			typ = CaseUpdated
		}
		data := CaseData{EventRef: ref, CaseID: d.CaseID, Decision: d.Decision}
		if len(d.Reasons) > 0 {
			data.Reason = d.Reasons[0].Code
		}
		if err := add(typ, 0, data); err != nil {
			return nil, err
		}
	}
	for i, a := range d.Actions {
		data := ActionData{EventRef: ref, Action: a, Decision: d.Decision, CaseID: d.CaseID}
		if err := add(ActionRequested, i, data); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// MessageID names message index of type typ of the record at seq. It
// holds no "." (the signed content joins id, timestamp and body with
// dots).
func MessageID(seq uint64, typ string, index int) string {
	return "msg_" + strconv.FormatUint(seq, 10) + "_" + strings.ReplaceAll(typ, ".", "_") + "_" + strconv.Itoa(index)
}
