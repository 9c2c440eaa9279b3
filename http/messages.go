package http

import (
	"net/http"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/notice"
)

// messageRoutes registers the customer's message center: what the store
// shows in its app, and marking a message read.
func (s *Server) messageRoutes() {
	if s.cfg.Messages == nil {
		return
	}
	s.api("GET /v1/accounts/{account_id}/messages", "messages", s.handleMessages)
	s.api("POST /v1/accounts/{account_id}/messages/{message_id}/read", "message_read", s.handleMessageRead)
	// The other methods on these paths are known paths called wrongly.
	s.api("/v1/accounts/{account_id}/messages", "messages", methodNotAllowed(http.MethodGet))
	s.api("/v1/accounts/{account_id}/messages/{message_id}/read", "message_read", methodNotAllowed(http.MethodPost))
}

// MessageList is the answer to GET /v1/accounts/{id}/messages.
type MessageList struct {
	Messages []mamori.Message `json:"messages"`
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) *result {
	id, err := accountID(r)
	if err != nil {
		return fail(err)
	}
	msgs, err := s.cfg.Messages.Messages(r.Context(), id, r.URL.Query().Get("lang"))
	if err != nil {
		return fail(err)
	}
	return &result{status: http.StatusOK, body: MessageList{Messages: msgs}}
}

// handleMessageRead marks the message read and answers with it, in the
// language asked for (?lang) or the account's own.
func (s *Server) handleMessageRead(w http.ResponseWriter, r *http.Request) *result {
	id, err := accountID(r)
	if err != nil {
		return fail(err)
	}
	msgID := r.PathValue("message_id")
	lang := r.URL.Query().Get("lang")
	if _, ok := notice.ParseLang(lang); !ok && lang != "" {
		// Checked before the read is recorded: bad input changes nothing.
		return fail(mamori.FieldError("lang", "%q is not a message language (ja, en)", lang))
	}
	if _, err := readBody(w, r); err != nil {
		return fail(err)
	}
	if err := s.cfg.Messages.MarkRead(r.Context(), id, msgID); err != nil {
		return fail(err)
	}
	msgs, err := s.cfg.Messages.Messages(r.Context(), id, lang)
	if err != nil {
		return fail(err)
	}
	for _, m := range msgs {
		if m.ID == msgID {
			return &result{status: http.StatusOK, body: &m}
		}
	}
	return fail(mamori.Errorf(mamori.ENotFound, "account %s has no message %s", id, msgID))
}

func methodNotAllowed(allow string) func(http.ResponseWriter, *http.Request) *result {
	return func(w http.ResponseWriter, r *http.Request) *result {
		w.Header().Set("Allow", allow)
		return fail(mamori.Errorf(mamori.EMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, allow, r.Method))
	}
}
