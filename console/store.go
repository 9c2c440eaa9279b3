package console

import (
	"context"
	"errors"
	"time"
)

// User is an analyst who may sign in to the console.
type User struct {
	Name string
	// PasswordHash is an argon2id PHC string (see HashPassword).
	PasswordHash string
	// TOTPSecret is the base32 secret of the analyst's authenticator.
	TOTPSecret string
	Created    time.Time
}

// Session is a signed-in analyst. The store keeps it by IDHash, the
// SHA-256 of the cookie's id, never by the id itself.
type Session struct {
	IDHash  string
	User    string
	CSRF    string
	Created time.Time
	Expires time.Time
}

// ErrNotFound is returned by a Store for an unknown user or session.
var ErrNotFound = errors.New("not found")

// ErrUserExists is returned by AddUser for a name already taken.
var ErrUserExists = errors.New("user exists")

// Store keeps analysts and their sessions. Every method may be called
// concurrently.
type Store interface {
	// AddUser stores a new analyst; ErrUserExists if the name is taken.
	AddUser(ctx context.Context, u User) error
	// User returns an analyst; ErrNotFound if there is none by that name.
	User(ctx context.Context, name string) (User, error)
	// CreateSession stores a session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session by the hash of its id, expired or not;
	// ErrNotFound if there is none.
	Session(ctx context.Context, idHash string) (Session, error)
	// DeleteSession removes a session; removing a missing one is no error.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpiredSessions removes the sessions expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}
