package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mamori-dev/mamori/console"
)

// Users keeps the console's analysts and sessions in the log's own
// database (migration 0004).
type Users struct{ l *Log }

var _ console.Store = (*Users)(nil)

// Users returns the console store of the log. It is valid until the log
// is closed.
func (l *Log) Users() *Users { return &Users{l: l} }

// AddUser implements console.Store.
func (u *Users) AddUser(ctx context.Context, usr console.User) error {
	_, err := u.l.writer.ExecContext(ctx, `INSERT INTO console_users (name, password_hash, totp_secret, created)
		VALUES (?, ?, ?, ?)`, usr.Name, usr.PasswordHash, usr.TOTPSecret, usr.Created.UnixMilli())
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("add user %s: %w", usr.Name, console.ErrUserExists)
	}
	if err != nil {
		return fmt.Errorf("add user %s: %w", usr.Name, err)
	}
	return nil
}

// User implements console.Store.
func (u *Users) User(ctx context.Context, name string) (console.User, error) {
	usr := console.User{Name: name}
	var created int64
	err := u.l.reader.QueryRowContext(ctx, `SELECT password_hash, totp_secret, created FROM console_users WHERE name = ?`,
		name).Scan(&usr.PasswordHash, &usr.TOTPSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return console.User{}, console.ErrNotFound
	}
	if err != nil {
		return console.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	usr.Created = time.UnixMilli(created).UTC()
	return usr, nil
}

// CreateSession implements console.Store.
func (u *Users) CreateSession(ctx context.Context, s console.Session) error {
	_, err := u.l.writer.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, user, csrf, created, expires)
		VALUES (?, ?, ?, ?, ?)`, s.IDHash, s.User, s.CSRF, s.Created.UnixMilli(), s.Expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("create session of %s: %w", s.User, err)
	}
	return nil
}

// Session implements console.Store.
func (u *Users) Session(ctx context.Context, idHash string) (console.Session, error) {
	s := console.Session{IDHash: idHash}
	var created, expires int64
	err := u.l.reader.QueryRowContext(ctx, `SELECT user, csrf, created, expires FROM console_sessions WHERE id_hash = ?`,
		idHash).Scan(&s.User, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return console.Session{}, console.ErrNotFound
	}
	if err != nil {
		return console.Session{}, fmt.Errorf("read session: %w", err)
	}
	s.Created, s.Expires = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	return s, nil
}

// DeleteSession implements console.Store.
func (u *Users) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := u.l.writer.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements console.Store.
func (u *Users) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := u.l.writer.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires < ?`, now.UnixMilli()); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
