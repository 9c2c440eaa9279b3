// Package sqlite is mamori's embedded store: the event log in a SQLite
// file (pure-Go driver, WAL mode, fsync on every commit) with group
// commit, so that many concurrent writers share one sync.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mamori-dev/mamori"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Record is one entry of the event log.
type Record = mamori.LogRecord

var _ mamori.EventLog = (*Log)(nil)

// Options tune a Log; the zero value is good.
type Options struct {
	// MaxBatch caps how many records share one commit (default 4096).
	MaxBatch int
	// Queue is how many records may wait for the committer (default 65536).
	Queue int
	// OnCommit, when set, is told the size and duration of each commit.
	OnCommit func(records int, took time.Duration)
}

// Log is the event log. Append is safe for concurrent use.
type Log struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	opts   Options

	// Statements run on every commit or request are prepared once: parsing
	// the SQL again each time showed up in profiles under load.
	insert *sql.Stmt
	byID   *sql.Stmt
	after  *sql.Stmt

	queue    chan entry
	stopOnce sync.Once
	stopped  chan struct{}
	mu       sync.RWMutex // held to read while appending, to write while closing
	closed   bool
}

type entry struct {
	rec  Record
	done func(error)
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("event log closed")

// Open opens or creates the log in dir, applying pending migrations.
func Open(ctx context.Context, dir string, opts Options) (*Log, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	if opts.Queue <= 0 {
		opts.Queue = 65536
	}
	path := filepath.Join(dir, "mamori.db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	writer, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	reader.SetMaxOpenConns(4)
	l := &Log{path: path, writer: writer, reader: reader, opts: opts,
		queue: make(chan entry, opts.Queue), stopped: make(chan struct{})}
	if err := l.migrate(ctx); err != nil {
		l.closeDBs()
		return nil, err
	}
	if err := l.prepare(ctx); err != nil {
		l.closeDBs()
		return nil, err
	}
	go l.commitLoop()
	return l, nil
}

func (l *Log) prepare(ctx context.Context) error {
	for _, p := range []struct {
		db   *sql.DB
		stmt **sql.Stmt
		sql  string
	}{
		{l.writer, &l.insert, `INSERT INTO events (seq, id, account, type, time, event, decision) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{l.reader, &l.byID, `SELECT decision FROM events WHERE id = ?`},
		{l.reader, &l.after, `SELECT seq, id, account, type, time, event, decision FROM events WHERE seq > ? ORDER BY seq LIMIT ?`},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare %q on %s: %w", p.sql, l.path, err)
		}
		*p.stmt = stmt
	}
	return nil
}

func (l *Log) migrate(ctx context.Context) error {
	if _, err := l.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate %s: %w", l.path, err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its version: %w", base, err)
		}
		var n int
		if err := l.writer.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := l.writer.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			version, base, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// Append queues a record; done is called, from the committer, once the
// record is on disk or has failed. Records are committed in the order
// they were appended. Append blocks while the queue is full.
func (l *Log) Append(rec Record, done func(error)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		done(ErrClosed)
		return
	}
	l.queue <- entry{rec: rec, done: done}
}

// Barrier returns once every record appended before it is on disk.
func (l *Log) Barrier(ctx context.Context) error {
	ch := make(chan error, 1)
	l.Append(Record{}, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop takes whatever has queued up, writes it in one transaction
// and syncs once: the group commit.
func (l *Log) commitLoop() {
	defer close(l.stopped)
	batch := make([]entry, 0, l.opts.MaxBatch)
	for {
		e, ok := <-l.queue
		if !ok {
			return
		}
		batch = append(batch[:0], e)
	fill:
		for len(batch) < l.opts.MaxBatch {
			select {
			case e, ok := <-l.queue:
				if !ok {
					break fill
				}
				batch = append(batch, e)
			default:
				break fill
			}
		}
		start := time.Now()
		err := l.write(batch)
		for _, e := range batch {
			e.done(err)
		}
		if l.opts.OnCommit != nil {
			l.opts.OnCommit(len(batch), time.Since(start))
		}
	}
}

func (l *Log) write(batch []entry) error {
	ctx := context.Background()
	tx, err := l.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin commit: %w", err)
	}
	stmt := tx.StmtContext(ctx, l.insert)
	defer stmt.Close()
	for _, e := range batch {
		r := &e.rec
		if r.ID == "" {
			continue // a barrier
		}
		if _, err := stmt.ExecContext(ctx, int64(r.Seq), r.ID, r.Account, r.Type,
			r.Time.UTC().Format(time.RFC3339Nano), r.Event, r.Decision); err != nil {
			tx.Rollback()
			return fmt.Errorf("append event %s: %w", r.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %d events: %w", len(batch), err)
	}
	return nil
}

// Decision returns the stored decision of the event with the given id,
// and whether there is one.
func (l *Log) Decision(ctx context.Context, id string) ([]byte, bool, error) {
	var d []byte
	err := l.byID.QueryRowContext(ctx, id).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up event %s: %w", id, err)
	}
	return d, true, nil
}

// AccountEvents implements mamori.EventLog.
func (l *Log) AccountEvents(ctx context.Context, account string, limit int) ([]Record, error) {
	rows, err := l.reader.QueryContext(ctx, `SELECT seq, id, account, type, time, event, decision FROM events
		WHERE account = ? ORDER BY seq DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", account, err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", account, err)
	}
	return recs, nil
}

// Records returns up to limit records with a sequence above after, in
// sequence order; with types, only records of those event types.
func (l *Log) Records(ctx context.Context, after uint64, limit int, types ...string) ([]Record, error) {
	var rows *sql.Rows
	var err error
	if len(types) == 0 {
		rows, err = l.after.QueryContext(ctx, int64(after), limit)
	} else {
		query := `SELECT seq, id, account, type, time, event, decision FROM events WHERE seq > ?` +
			` AND type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `) ORDER BY seq LIMIT ?`
		args := []any{int64(after)}
		for _, t := range types {
			args = append(args, t)
		}
		rows, err = l.reader.QueryContext(ctx, query, append(args, limit)...)
	}
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return recs, nil
}

// scanRecords reads and closes rows of (seq, id, account, type, time,
// event, decision).
func scanRecords(rows *sql.Rows) ([]Record, error) {
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var seq int64
		var at string
		if err := rows.Scan(&seq, &r.ID, &r.Account, &r.Type, &at, &r.Event, &r.Decision); err != nil {
			return nil, err
		}
		r.Seq = uint64(seq)
		var err error
		if r.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("record %d: time %q: %w", seq, at, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OrderAccount implements mamori.EventLog.
func (l *Log) OrderAccount(ctx context.Context, orderID string) (string, bool, error) {
	var account string
	err := l.reader.QueryRowContext(ctx, `SELECT account FROM events
		WHERE type = 'order.placed' AND json_extract(event, '$.properties.order_id') = ?
		ORDER BY seq DESC LIMIT 1`, orderID).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find order %s: %w", orderID, err)
	}
	return account, true, nil
}

// MaxSeq returns the highest sequence in the log, 0 when empty.
func (l *Log) MaxSeq(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	if err := l.reader.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read log end: %w", err)
	}
	return uint64(n.Int64), nil
}

// Count returns how many events the log holds.
func (l *Log) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := l.reader.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// Replay calls fn for every record with a sequence above after, in
// sequence order. Record.Event and Record.Decision are only valid during
// the call.
func (l *Log) Replay(ctx context.Context, after uint64, fn func(Record) error) error {
	rows, err := l.reader.QueryContext(ctx, `SELECT seq, id, account, event, decision FROM events WHERE seq > ? ORDER BY seq`, int64(after))
	if err != nil {
		return fmt.Errorf("replay log after %d: %w", after, err)
	}
	defer rows.Close()
	var r Record
	for rows.Next() {
		var seq int64
		var ev, dec sql.RawBytes
		if err := rows.Scan(&seq, &r.ID, &r.Account, &ev, &dec); err != nil {
			return fmt.Errorf("replay log: %w", err)
		}
		r.Seq, r.Event, r.Decision = uint64(seq), ev, dec
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	return nil
}

// Close commits what is queued and closes the database.
func (l *Log) Close() error {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.queue)
	})
	<-l.stopped
	return l.closeDBs()
}

func (l *Log) closeDBs() error {
	for _, stmt := range []*sql.Stmt{l.insert, l.byID, l.after} {
		if stmt != nil {
			stmt.Close()
		}
	}
	if _, err := l.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		l.writer.Close()
		l.reader.Close()
		return fmt.Errorf("checkpoint %s: %w", l.path, err)
	}
	return errors.Join(l.reader.Close(), l.writer.Close())
}
