package mamori

import (
	"errors"
	"fmt"
)

// Error codes of the wire contract. Each maps to one HTTP status.
const (
	EInvalidJSON  = "invalid_json"  // 400: the body is not parseable JSON
	EInvalidEvent = "invalid_event" // 400: a field is wrong
	EUnauthorized = "unauthorized"  // 401
	ENotFound     = "not_found"     // 404
	ETooLarge     = "too_large"     // 413
	ERateLimited  = "rate_limited"  // 429
	EInternal     = "internal"      // 500: details only in the server's log
	EUnavailable  = "unavailable"   // 503: shutting down or the store failed
	// EMethodNotAllowed: 405, a known path called with another method.
	EMethodNotAllowed = "method_not_allowed"
)

// Error is an application error whose code and message may be shown to
// the caller. Internal details never go into Message: they are logged.
type Error struct {
	Code    string
	Message string
	// Field is the path of the one field at fault, when there is one:
	// dots between names, [i] for array elements.
	Field string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an invalid_event error naming its field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EInvalidEvent, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, or EInternal for
// any other error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message of an application error, or a generic
// message for any other error, so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
