package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/notice"
	"github.com/mamori-dev/mamori/risk"
)

var _ mamori.MessageService = (*Engine)(nil)

// Messages implements mamori.MessageService: the account's messages,
// newest first, written from the facts kept in its state in lang, or in
// the language of its latest accept_language when lang is "".
func (e *Engine) Messages(ctx context.Context, accountID, lang string) ([]mamori.Message, error) {
	want, ok := notice.ParseLang(lang)
	if !ok && lang != "" {
		return nil, mamori.FieldError("lang", "%q is not a message language (ja, en)", lang)
	}
	r, err := e.messageFacts(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if want == "" {
		want = notice.LangOf(r.acceptLanguage)
	}
	out := make([]mamori.Message, 0, len(r.messages))
	for i := len(r.messages) - 1; i >= 0; i-- {
		out = append(out, e.renderMessage(r.messages[i], r.caseOpened, want))
	}
	return out, nil
}

// MarkRead implements mamori.MessageService. Reading is an event of the
// log (message.read) like any other, so it survives restarts; a message
// read before is left as it is.
func (e *Engine) MarkRead(ctx context.Context, accountID, messageID string) error {
	r, err := e.messageFacts(ctx, accountID)
	if err != nil {
		return err
	}
	for _, m := range r.messages {
		if m.ID != messageID {
			continue
		}
		if m.Read {
			return nil
		}
		return e.record(ctx, mamori.Event{ID: "read-" + randomID(), Type: mamori.MessageRead, AccountID: accountID,
			Properties: mamori.Properties{By: "customer", Note: messageID}})
	}
	return mamori.Errorf(mamori.ENotFound, "account %s has no message %s", accountID, messageID)
}

// renderMessage writes one message in lang, with the deadline of its
// case from the business-day calendar.
func (e *Engine) renderMessage(m risk.Message, caseOpened map[string]time.Time, lang notice.Lang) mamori.Message {
	var deadline time.Time
	if opened, ok := caseOpened[m.CaseID]; ok {
		deadline = e.calendar.Deadline(opened, caseDeadlineDays)
	}
	t := notice.Render(m, deadline, lang)
	v := mamori.Message{ID: m.ID, Time: m.Time, Kind: m.Kind, Lang: string(lang), Title: t.Title, Body: t.Body,
		Read: m.Read, CaseID: m.CaseID, OrderIDs: make([]string, 0, len(m.Orders))}
	for _, o := range m.Orders {
		v.OrderIDs = append(v.OrderIDs, o.ID)
	}
	return v
}

// messageFacts reads an account's messages through its shard.
func (e *Engine) messageFacts(ctx context.Context, accountID string) (messagesReply, error) {
	reply := make(chan messagesReply, 1)
	if err := e.send(accountID, job{messages: &messagesJob{account: accountID, reply: reply}}); err != nil {
		return messagesReply{}, err
	}
	select {
	case r := <-reply:
		if r.err != nil {
			return messagesReply{}, fmt.Errorf("read messages of %s: %w", accountID, r.err)
		}
		if !r.found {
			return messagesReply{}, mamori.Errorf(mamori.ENotFound, "account %s was never seen", accountID)
		}
		return r, nil
	case <-ctx.Done():
		return messagesReply{}, ctx.Err()
	}
}

type messagesJob struct {
	account string
	reply   chan<- messagesReply
}

type messagesReply struct {
	// messages is a copy, oldest first; the orders and actions in it are
	// never changed once written, so they may be shared.
	messages       []risk.Message
	caseOpened     map[string]time.Time
	acceptLanguage string
	found          bool
	err            error // the account's state could not be read
}

func messagesOf(st *risk.State) messagesReply {
	if st == nil || st.AccountID == "" {
		return messagesReply{}
	}
	r := messagesReply{messages: append([]risk.Message(nil), st.Messages...), caseOpened: map[string]time.Time{},
		acceptLanguage: st.AcceptLanguage, found: true}
	for _, c := range st.Cases {
		r.caseOpened[c.ID] = c.Opened
	}
	return r
}
