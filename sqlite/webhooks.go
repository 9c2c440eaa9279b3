package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/webhook"
)

// Webhooks keeps webhook endpoints, their secrets, their deliveries and
// the dispatcher's cursor in the log's own database (migration 0002), so
// that deliveries are stored in the same transaction as the cursor that
// passes their records.
type Webhooks struct{ l *Log }

var _ webhook.Store = (*Webhooks)(nil)

// Webhooks returns the webhook store of the log. It is valid until the
// log is closed.
func (l *Log) Webhooks() *Webhooks { return &Webhooks{l: l} }

// Records returns up to limit records with a sequence above after, in
// sequence order, of those in the index: the dispatcher is woken when
// more arrive there (Options.OnIndexed) and need not wait for them.
func (w *Webhooks) Records(ctx context.Context, after uint64, limit int) ([]mamori.LogRecord, error) {
	return w.l.records(ctx, after, limit)
}

// LogEnd returns the highest sequence in the log.
func (w *Webhooks) LogEnd(ctx context.Context) (uint64, error) { return w.l.MaxSeq(ctx) }

// RecordsEnd returns the highest sequence in the index, without waiting
// for the commits on their way there.
func (w *Webhooks) RecordsEnd(ctx context.Context) (uint64, error) { return w.l.indexEnd(ctx) }

// CaseSeen reports whether a record of account before seq named case id.
func (w *Webhooks) CaseSeen(ctx context.Context, account, id string, seq uint64) (bool, error) {
	seen := false
	err := w.l.accountRecords(ctx, account, seq, func(r mamori.LogRecord) (bool, error) {
		if !bytes.Contains(r.Decision, []byte(`"case_id"`)) {
			return true, nil
		}
		var d struct {
			CaseID string `json:"case_id"`
		}
		if err := json.Unmarshal(r.Decision, &d); err != nil {
			return false, fmt.Errorf("decision of %s: %w", r.ID, err)
		}
		seen = d.CaseID == id
		return !seen, nil
	})
	if err != nil {
		return false, fmt.Errorf("look up case %s of %s: %w", id, account, err)
	}
	return seen, nil
}

// Cursor returns the sequence of the last record dispatched.
func (w *Webhooks) Cursor(ctx context.Context) (uint64, error) {
	var seq int64
	if err := w.l.reader.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read webhook cursor: %w", err)
	}
	return uint64(seq), nil
}

// Enqueue stores the deliveries fan returns and moves the cursor from
// from to to, in one transaction. fan sees the endpoints without secrets.
func (w *Webhooks) Enqueue(ctx context.Context, from, to uint64, fan func([]webhook.Endpoint) []webhook.Delivery) error {
	tx, err := w.l.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("enqueue webhooks: %w", err)
	}
	defer tx.Rollback()
	var cur int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE id = 1`).Scan(&cur); err != nil {
		return fmt.Errorf("enqueue webhooks: read cursor: %w", err)
	}
	if uint64(cur) != from {
		return fmt.Errorf("enqueue webhooks: cursor is at %d, not %d: is another dispatcher running?", cur, from)
	}
	eps, err := queryEndpoints(ctx, tx, `SELECT id, url, events, created FROM webhook_endpoints ORDER BY created, id`)
	if err != nil {
		return err
	}
	if ds := fan(eps); len(ds) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO webhook_deliveries
			(endpoint, message, type, seq, status, attempts, next_attempt, created, payload)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("enqueue webhooks: %w", err)
		}
		defer stmt.Close()
		for _, d := range ds {
			if _, err := stmt.ExecContext(ctx, d.Endpoint, d.ID, d.Type, int64(d.Seq), string(d.Status),
				nullMillis(d.NextAttempt), millis(d.Created), []byte(d.Payload)); err != nil {
				return fmt.Errorf("enqueue webhook %s for %s: %w", d.ID, d.Endpoint, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = ? WHERE id = 1`, int64(to)); err != nil {
		return fmt.Errorf("enqueue webhooks: move cursor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("enqueue webhooks: %w", err)
	}
	return nil
}

// CreateEndpoint stores a new endpoint with its secrets.
func (w *Webhooks) CreateEndpoint(ctx context.Context, e webhook.Endpoint) error {
	events, err := json.Marshal(e.Events)
	if err != nil {
		return err
	}
	tx, err := w.l.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, url, events, created, secrets_added) VALUES (?, ?, ?, ?, ?)`,
		e.ID, e.URL, string(events), millis(e.Created), len(e.Secrets)); err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	for _, s := range e.Secrets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets (endpoint, n, secret, created, expires) VALUES (?, ?, ?, ?, ?)`,
			e.ID, s.N, s.Value, millis(s.Created), nullMillis(s.Expires)); err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// Endpoints returns every endpoint with its secrets, oldest first.
func (w *Webhooks) Endpoints(ctx context.Context) ([]webhook.Endpoint, error) {
	eps, err := queryEndpoints(ctx, w.l.reader, `SELECT id, url, events, created FROM webhook_endpoints ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	for i := range eps {
		if eps[i].Secrets, err = w.secrets(ctx, eps[i].ID); err != nil {
			return nil, err
		}
	}
	return eps, nil
}

// Endpoint returns one endpoint with its secrets.
func (w *Webhooks) Endpoint(ctx context.Context, id string) (webhook.Endpoint, error) {
	eps, err := queryEndpoints(ctx, w.l.reader, `SELECT id, url, events, created FROM webhook_endpoints WHERE id = ?`, id)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	if len(eps) == 0 {
		return webhook.Endpoint{}, noWebhook(id)
	}
	e := eps[0]
	if e.Secrets, err = w.secrets(ctx, id); err != nil {
		return webhook.Endpoint{}, err
	}
	return e, nil
}

// DeleteEndpoint removes an endpoint with its secrets and deliveries.
func (w *Webhooks) DeleteEndpoint(ctx context.Context, id string) error {
	res, err := w.l.writer.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return noWebhook(id)
	}
	return nil
}

// AddSecret adds secret s, numbered next, and sets expires on the
// endpoint's other secrets that have no expiry (nil leaves them).
func (w *Webhooks) AddSecret(ctx context.Context, id string, s webhook.Secret, expires *time.Time) (webhook.Secret, error) {
	tx, err := w.l.writer.BeginTx(ctx, nil)
	if err != nil {
		return webhook.Secret{}, fmt.Errorf("add secret to webhook %s: %w", id, err)
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `UPDATE webhook_endpoints SET secrets_added = secrets_added + 1 WHERE id = ? RETURNING secrets_added`, id).Scan(&s.N)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Secret{}, noWebhook(id)
	}
	if err != nil {
		return webhook.Secret{}, fmt.Errorf("add secret to webhook %s: %w", id, err)
	}
	if expires != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_secrets SET expires = ? WHERE endpoint = ? AND expires IS NULL`, millis(*expires), id); err != nil {
			return webhook.Secret{}, fmt.Errorf("add secret to webhook %s: %w", id, err)
		}
	}
	s.Expires = nil
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets (endpoint, n, secret, created) VALUES (?, ?, ?, ?)`,
		id, s.N, s.Value, millis(s.Created)); err != nil {
		return webhook.Secret{}, fmt.Errorf("add secret to webhook %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return webhook.Secret{}, fmt.Errorf("add secret to webhook %s: %w", id, err)
	}
	s.Created = fromMillis(millis(s.Created))
	return s, nil
}

// RemoveSecret removes secret n of an endpoint.
func (w *Webhooks) RemoveSecret(ctx context.Context, id string, n int) error {
	res, err := w.l.writer.ExecContext(ctx, `DELETE FROM webhook_secrets WHERE endpoint = ? AND n = ?`, id, n)
	if err != nil {
		return fmt.Errorf("remove secret %d of webhook %s: %w", n, id, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return mamori.Errorf(mamori.ENotFound, "webhook %s has no secret %d", id, n)
	}
	return nil
}

const deliveryColumns = `pos, endpoint, message, type, seq, status, attempts, next_attempt, last_attempt,
	last_code, last_error, created, delivered, payload`

// Deliveries returns an endpoint's deliveries newest first, of one status
// unless status is "".
func (w *Webhooks) Deliveries(ctx context.Context, endpoint string, status webhook.Status, limit int) ([]webhook.Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE endpoint = ? ORDER BY pos DESC LIMIT ?`
	args := []any{endpoint, limit}
	if status != "" {
		q = `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE endpoint = ? AND status = ? ORDER BY pos DESC LIMIT ?`
		args = []any{endpoint, string(status), limit}
	}
	return w.queryDeliveries(ctx, q, args...)
}

// Delivery returns the delivery of message id to an endpoint.
func (w *Webhooks) Delivery(ctx context.Context, endpoint, id string) (webhook.Delivery, error) {
	ds, err := w.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE endpoint = ? AND message = ?`, endpoint, id)
	if err != nil {
		return webhook.Delivery{}, err
	}
	if len(ds) == 0 {
		return webhook.Delivery{}, mamori.Errorf(mamori.ENotFound, "webhook %s has no delivery %s", endpoint, id)
	}
	return ds[0], nil
}

// NextDelivery returns the endpoint's first pending or failed delivery in
// log order.
func (w *Webhooks) NextDelivery(ctx context.Context, endpoint string) (webhook.Delivery, bool, error) {
	ds, err := w.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE endpoint = ? AND status IN ('pending', 'failed') ORDER BY pos LIMIT 1`, endpoint)
	if err != nil || len(ds) == 0 {
		return webhook.Delivery{}, false, err
	}
	return ds[0], true, nil
}

// UpdateDelivery stores the state of a delivery after an attempt or a
// retry.
func (w *Webhooks) UpdateDelivery(ctx context.Context, d webhook.Delivery) error {
	_, err := w.l.writer.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt = ?,
		last_attempt = ?, last_code = ?, last_error = ?, delivered = ? WHERE endpoint = ? AND message = ?`,
		string(d.Status), d.Attempts, nullMillis(d.NextAttempt), nullMillis(d.LastAttempt), d.LastStatusCode,
		d.LastError, nullMillis(d.DeliveredAt), d.Endpoint, d.ID)
	if err != nil {
		return fmt.Errorf("update webhook delivery %s: %w", d.ID, err)
	}
	return nil
}

// Prune removes the deliveries delivered before the given time.
func (w *Webhooks) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := w.l.writer.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered < ?`, millis(before))
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}

func (w *Webhooks) queryDeliveries(ctx context.Context, q string, args ...any) ([]webhook.Delivery, error) {
	rows, err := w.l.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read webhook deliveries: %w", err)
	}
	defer rows.Close()
	var ds []webhook.Delivery
	for rows.Next() {
		var d webhook.Delivery
		var seq, created int64
		var status string
		var next, last, delivered sql.NullInt64
		var payload []byte
		if err := rows.Scan(&d.Pos, &d.Endpoint, &d.ID, &d.Type, &seq, &status, &d.Attempts, &next, &last,
			&d.LastStatusCode, &d.LastError, &created, &delivered, &payload); err != nil {
			return nil, fmt.Errorf("read webhook deliveries: %w", err)
		}
		d.Seq, d.Status, d.Created, d.Payload = uint64(seq), webhook.Status(status), fromMillis(created), payload
		d.NextAttempt, d.LastAttempt, d.DeliveredAt = nullTime(next), nullTime(last), nullTime(delivered)
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read webhook deliveries: %w", err)
	}
	return ds, nil
}

func (w *Webhooks) secrets(ctx context.Context, id string) ([]webhook.Secret, error) {
	rows, err := w.l.reader.QueryContext(ctx, `SELECT n, secret, created, expires FROM webhook_secrets WHERE endpoint = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("read secrets of webhook %s: %w", id, err)
	}
	defer rows.Close()
	var out []webhook.Secret
	for rows.Next() {
		var s webhook.Secret
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&s.N, &s.Value, &created, &expires); err != nil {
			return nil, fmt.Errorf("read secrets of webhook %s: %w", id, err)
		}
		s.Created, s.Expires = fromMillis(created), nullTime(expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryEndpoints(ctx context.Context, db querier, q string, args ...any) ([]webhook.Endpoint, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	defer rows.Close()
	var eps []webhook.Endpoint
	for rows.Next() {
		var e webhook.Endpoint
		var events string
		var created int64
		if err := rows.Scan(&e.ID, &e.URL, &events, &created); err != nil {
			return nil, fmt.Errorf("read webhooks: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
			return nil, fmt.Errorf("read webhook %s: events: %w", e.ID, err)
		}
		e.Created = fromMillis(created)
		eps = append(eps, e)
	}
	return eps, rows.Err()
}

func noWebhook(id string) error { return mamori.Errorf(mamori.ENotFound, "no webhook %q", id) }

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMillis(v.Int64)
	return &t
}
