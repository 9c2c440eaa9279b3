package mamori

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxBatch is the most events one POST /v1/events may carry.
const MaxBatch = 1000

// wireEvent is Event as it travels: the time stays raw so that a bad one
// is reported against its own field. Only an event that fails to decode
// is decoded this way (decodeEvent).
type wireEvent struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Time       json.RawMessage `json:"time"`
	AccountID  string          `json:"account_id"`
	SessionID  string          `json:"session_id"`
	Context    Context         `json:"context"`
	Properties Properties      `json:"properties"`
}

// DecodeEvent parses and validates one event. Unknown fields are ignored,
// so that stores may send newer fields; a known field of the wrong type is
// an error naming that field.
func DecodeEvent(data []byte) (Event, error) {
	var ev Event
	if err := decodeEvent(data, "", &ev); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// NewDecodedEvent is DecodeEvent that returns the event it allocated,
// for a caller that hands the event on by pointer (the engine, to its
// shard): the event is then allocated once, not decoded into one copy and
// moved to the heap in another.
func NewDecodedEvent(data []byte) (*Event, error) {
	ev := new(Event)
	if err := decodeEvent(data, "", ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// DecodeEvents parses the body of POST /v1/events: one event, or
// {"events": [...]} with at most MaxBatch events. Either all events are
// valid or an error names the first field at fault.
func DecodeEvents(data []byte) ([]Event, error) {
	// A batch is an object with "events" and no event fields of its own;
	// an event that carries some unknown "events" field is still one event.
	var probe struct {
		Events json.RawMessage `json:"events"`
		ID     json.RawMessage `json:"id"`
		Type   json.RawMessage `json:"type"`
	}
	if isNull(data) {
		return nil, &Error{Code: EInvalidEvent, Message: "body must be a JSON object, not null"}
	}
	if err := unmarshal(data, &probe, ""); err != nil {
		return nil, err
	}
	if probe.Events == nil || probe.ID != nil || probe.Type != nil {
		ev, err := DecodeEvent(data)
		if err != nil {
			return nil, err
		}
		return []Event{ev}, nil
	}
	var raws []json.RawMessage
	if err := unmarshal(probe.Events, &raws, "events"); err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, FieldError("events", "must hold at least one event")
	}
	if len(raws) > MaxBatch {
		return nil, FieldError("events", "holds %d events, at most %d are allowed", len(raws), MaxBatch)
	}
	evs := make([]Event, len(raws))
	for i, raw := range raws {
		if err := decodeEvent(raw, "events["+strconv.Itoa(i)+"]", &evs[i]); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// decodeEvent decodes and validates one event into ev, which must be
// zero; on an error what ev holds is to be dropped.
//
// An event is decoded straight into ev: time.Time's own decoder reads
// its time, as the log's replay does. Only if that fails, or leaves the
// time out, is the event decoded again in its wire form, whose raw time
// lets the error name the field at fault and say what is wrong with it.
func decodeEvent(data []byte, prefix string, ev *Event) error {
	if isNull(data) {
		return withPrefix(prefix, &Error{Code: EInvalidEvent, Message: "must be a JSON object, not null"})
	}
	if err := json.Unmarshal(data, ev); err == nil && !ev.Time.IsZero() {
		if err := ev.Validate(); err != nil {
			return withPrefix(prefix, err)
		}
		ev.Raw = data
		return nil
	}
	*ev = Event{}
	return decodeWire(data, prefix, ev)
}

// decodeWire decodes and validates one event into ev in its wire form,
// with the time raw: slower than decoding it straight into ev, and what
// every refusal is explained by.
func decodeWire(data []byte, prefix string, ev *Event) error {
	var w wireEvent
	if err := unmarshal(data, &w, prefix); err != nil {
		return err
	}
	ev.ID, ev.Type, ev.AccountID, ev.SessionID = w.ID, w.Type, w.AccountID, w.SessionID
	ev.Context, ev.Properties = w.Context, w.Properties
	t, err := parseTime(w.Time)
	if err != nil {
		// Report fields in the order Validate checks them: id and type
		// come before time.
		if err := ev.validateHead(); err != nil {
			return withPrefix(prefix, err)
		}
		return withPrefix(prefix, FieldError("time", "%s", err))
	}
	ev.Time = t
	if err := ev.Validate(); err != nil {
		return withPrefix(prefix, err)
	}
	ev.Raw = data
	return nil
}

// isNull reports whether data is the JSON null. Only JSON's own white
// space surrounds it: "\vnull" is not JSON at all.
func isNull(data []byte) bool { return string(bytes.Trim(data, " \t\r\n")) == "null" }

func parseTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, errors.New("is required (RFC 3339)")
	}
	// The time is read the way the log's replay reads the event's JSON
	// (Event.Raw is kept as sent), so that whatever is accepted here
	// replays: time.Time's own decoder, which does not unescape. It takes
	// only JSON strings; the string itself is decoded only to say what is
	// wrong with one it refuses.
	var t time.Time
	if err := t.UnmarshalJSON(raw); err == nil {
		return t, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 string")
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return time.Time{}, fmt.Errorf("%q must be written out, without JSON escapes", s)
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-11-25T09:30:00Z)", s)
}

// unmarshal decodes JSON and turns the standard library's errors into
// contract errors, with the path of the wrong field.
func unmarshal(data []byte, v any, prefix string) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return &Error{Code: EInvalidEvent, Field: joinPath(prefix, fieldAt(data, typeErr)),
			Message: fmt.Sprintf("must be %s, not %s", kindName(typeErr), strings.TrimPrefix(typeErr.Value, "number "))}
	}
	return &Error{Code: EInvalidJSON, Message: "body is not valid JSON: " + err.Error()}
}

func kindName(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "another type"
	}
	switch e.Type.Kind().String() {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32":
		return "a whole number"
	case "float64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return kindName(&json.UnmarshalTypeError{Type: e.Type.Elem()})
	}
	return "another type"
}

func withPrefix(prefix string, err error) error {
	var e *Error
	if prefix == "" || !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Field = joinPath(prefix, e.Field)
	return &out
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// fieldAt finds the path, with array indices, of the value that ended at
// the error's offset. The standard library names the field without
// indices (properties.items.gift_card); the contract wants
// properties.items[0].gift_card, so the document is walked again.
func fieldAt(data []byte, e *json.UnmarshalTypeError) string {
	if e.Field == "" {
		return ""
	}
	// The names come from the standard library, which knows the Go
	// fields (a sender may spell a key in another case); only the array
	// indices come from the walk.
	want := strings.Split(e.Field, ".")
	walked := walkTo(data, e.Offset)
	var b strings.Builder
	n := 0
	for _, seg := range walked {
		if strings.HasPrefix(seg, "[") {
			if n > 0 {
				b.WriteString(seg)
			}
			continue
		}
		if n == len(want) {
			break
		}
		if n > 0 {
			b.WriteByte('.')
		}
		b.WriteString(want[n])
		n++
	}
	if n != len(want) {
		return e.Field
	}
	return b.String()
}

// walkTo tokenizes data and returns the path segments of the first value
// that ends at or after offset.
func walkTo(data []byte, offset int64) []string {
	type frame struct {
		array   bool
		wantKey bool
		key     string
		index   int
	}
	var stack []*frame
	path := func() []string {
		var segs []string
		for _, f := range stack {
			if f.array {
				segs = append(segs, "["+strconv.Itoa(f.index)+"]")
			} else {
				segs = append(segs, f.key)
			}
		}
		return segs
	}
	valueDone := func() {
		if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		delim, isDelim := tok.(json.Delim)
		if isDelim && (delim == '}' || delim == ']') {
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if top != nil && !top.array && top.wantKey {
			top.key, _ = tok.(string)
			top.wantKey = false
			continue
		}
		if top != nil && top.array {
			top.index++
		}
		here := path()
		if isDelim {
			stack = append(stack, &frame{array: delim == '[', wantKey: delim == '{', index: -1})
		} else {
			valueDone()
		}
		if dec.InputOffset() >= offset {
			return here
		}
	}
}
