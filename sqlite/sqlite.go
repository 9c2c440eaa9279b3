// Package sqlite is mamori's embedded store: the event log in a SQLite
// file (pure-Go driver, WAL mode), written through a journal with group
// commit: many concurrent writers share one write and one sync of an
// append-only file, and the records reach the tables shortly after, many
// commits to a transaction (see journal.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// OnCommit, when set, is told the size and duration of each commit
	// (the records are then durable).
	OnCommit func(records int, took time.Duration)
	// OnIndexed, when set, is told when records reached the tables, and
	// how many in how long: the webhook dispatcher, which reads only what
	// the tables hold (Webhooks), is woken by it.
	OnIndexed func(records int, took time.Duration)
	// IndexDelay is how long committed records may wait for more before
	// they are written to the tables (default 50ms). A read that must see
	// every acknowledged record does not wait for it: it has them written
	// at once.
	IndexDelay time.Duration
	// Logger reports what the journal found at Open (default slog's).
	Logger *slog.Logger
}

// Log is the event log. Append is safe for concurrent use.
type Log struct {
	path       string
	journalDir string
	writer     *sql.DB
	reader     *sql.DB
	opts       Options

	// Statements run on every commit or request are prepared once: parsing
	// the SQL again each time showed up in profiles under load.
	insert *sql.Stmt
	byID   *sql.Stmt
	after  *sql.Stmt

	// The committer alone uses journal and gen; committed is the last
	// commit whose records are durable and handed to the indexer.
	journal   *journal
	gen       uint64
	broken    error // a journal write or sync failed: its state is unknown
	committed atomic.Uint64
	indexer   *indexer

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
	if opts.IndexDelay <= 0 {
		opts.IndexDelay = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
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
	l := &Log{path: path, journalDir: filepath.Join(dir, "journal"), writer: writer, reader: reader, opts: opts,
		queue: make(chan entry, opts.Queue), stopped: make(chan struct{})}
	if err := l.migrate(ctx); err != nil {
		l.closeDBs()
		return nil, err
	}
	if err := l.prepare(ctx); err != nil {
		l.closeDBs()
		return nil, err
	}
	if err := l.recover(ctx); err != nil {
		l.closeDBs()
		return nil, err
	}
	go l.indexer.run()
	go l.commitLoop()
	return l, nil
}

// recover writes into the tables what the journal holds past the
// position they record, removes the journal's segments, all then in the
// tables, and starts a new one.
func (l *Log) recover(ctx context.Context) error {
	if err := os.MkdirAll(l.journalDir, 0o700); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	var pos position
	if err := l.writer.QueryRowContext(ctx, `SELECT segment, byte_offset FROM journal_position WHERE id = 1`).
		Scan(&pos.segment, &pos.offset); err != nil {
		return fmt.Errorf("read journal position of %s: %w", l.path, err)
	}
	segs, err := segments(l.journalDir)
	if err != nil {
		return err
	}
	next := pos.segment + 1
	recovered := 0
	for i, n := range segs {
		next = max(next, n+1)
		if n < pos.segment {
			continue // in the tables; only its removal was lost
		}
		from := int64(0)
		if n == pos.segment {
			from = pos.offset
		}
		k, err := l.indexSegment(ctx, n, from)
		recovered += k
		if errors.Is(err, errTorn) && i == len(segs)-1 {
			// The end of the last segment is the commit a crash cut
			// short: it was never acknowledged.
			l.opts.Logger.Warn("journal ends in an incomplete commit, never acknowledged; left out", "segment", n, "err", err)
		} else if err != nil {
			return fmt.Errorf("journal segment %d of %s: %w", n, l.journalDir, err)
		}
	}
	if recovered > 0 {
		l.opts.Logger.Info("journal records written to the tables", "records", recovered)
	}
	for _, n := range segs {
		if err := os.Remove(segmentPath(l.journalDir, n)); err != nil {
			return fmt.Errorf("remove indexed journal segment: %w", err)
		}
	}
	l.journal = &journal{dir: l.journalDir}
	if err := l.journal.createSegment(next); err != nil {
		return err
	}
	l.indexer = newIndexer(l, next)
	return nil
}

// indexSegment writes the records of segment n from offset into the
// tables and returns how many.
func (l *Log) indexSegment(ctx context.Context, n uint64, from int64) (int, error) {
	f, err := os.Open(segmentPath(l.journalDir, n))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, err
	}
	var batch []Record
	total := 0
	end, err := readFrames(f, from, func(r Record, end int64) error {
		batch = append(batch, r)
		if len(batch) < indexBatch {
			return nil
		}
		total += len(batch)
		err := l.writeTables(ctx, batch, position{segment: n, offset: end})
		batch = batch[:0]
		return err
	})
	if len(batch) > 0 {
		if ierr := l.writeTables(ctx, batch, position{segment: n, offset: end}); ierr != nil {
			return total, ierr
		}
		total += len(batch)
	}
	return total, err
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

// Barrier returns once every record appended before it is on disk and
// in the tables, where every read sees it.
func (l *Log) Barrier(ctx context.Context) error {
	ch := make(chan error, 1)
	l.Append(Record{}, func(err error) { ch <- err })
	select {
	case err := <-ch:
		if err != nil {
			return err
		}
		return l.caughtUp(ctx)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitLoop takes whatever has queued up, appends it to the journal and
// syncs once: the group commit.
func (l *Log) commitLoop() {
	defer close(l.stopped)
	defer close(l.indexer.in)
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
		err := l.commit(batch)
		for _, e := range batch {
			e.done(err)
		}
		if l.opts.OnCommit != nil {
			l.opts.OnCommit(len(batch), time.Since(start))
		}
	}
}

// commit makes the records of batch durable in the journal and hands
// them to the indexer. Once a journal write or sync has failed, what the
// segment holds is unknown, so every later commit fails too.
func (l *Log) commit(batch []entry) error {
	if l.broken != nil {
		return l.broken
	}
	if err := l.indexer.failed(); err != nil {
		return fmt.Errorf("event log tables: %w", err)
	}
	recs := make([]Record, 0, len(batch))
	for i := range batch {
		if batch[i].rec.ID != "" { // not a barrier
			recs = append(recs, batch[i].rec)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	end, err := l.journal.write(recs)
	if err != nil {
		l.broken = err
		return err
	}
	l.gen++
	l.indexer.in <- chunk{recs: recs, end: end, gen: l.gen}
	l.committed.Store(l.gen)
	if end.offset >= segmentSize {
		if err := l.journal.createSegment(end.segment + 1); err != nil {
			l.broken = err // this commit is durable; the next cannot be
		}
	}
	return nil
}

// writeTables writes recs into the events table and records that the tables
// hold the journal up to end, in one transaction.
func (l *Log) writeTables(ctx context.Context, recs []Record, end position) error {
	tx, err := l.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin indexing: %w", err)
	}
	stmt := tx.StmtContext(ctx, l.insert)
	defer stmt.Close()
	for i := range recs {
		r := &recs[i]
		if _, err := stmt.ExecContext(ctx, int64(r.Seq), r.ID, r.Account, r.Type,
			r.Time.UTC().Format(time.RFC3339Nano), r.Event, r.Decision); err != nil {
			tx.Rollback()
			return fmt.Errorf("index event %s: %w", r.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE journal_position SET segment = ?, byte_offset = ? WHERE id = 1`,
		end.segment, end.offset); err != nil {
		tx.Rollback()
		return fmt.Errorf("move journal position: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index %d events: %w", len(recs), err)
	}
	return nil
}

// IndexLag returns how many acknowledged commits are not in the tables
// yet: a lag that keeps growing means the tables cannot keep up, and the
// journal and the memory holding those commits grow with it.
func (l *Log) IndexLag() uint64 {
	committed := l.committed.Load()
	return committed - min(committed, l.indexer.indexed())
}

// caughtUp returns once every record acknowledged so far is in the
// tables: reads then see what each caller was told is recorded.
func (l *Log) caughtUp(ctx context.Context) error {
	return l.indexer.wait(ctx, l.committed.Load())
}

// Decision returns the stored decision of the event with the given id,
// and whether there is one.
func (l *Log) Decision(ctx context.Context, id string) ([]byte, bool, error) {
	if err := l.caughtUp(ctx); err != nil {
		return nil, false, err
	}
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
	if err := l.caughtUp(ctx); err != nil {
		return nil, err
	}
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
	if err := l.caughtUp(ctx); err != nil {
		return nil, err
	}
	return l.records(ctx, after, limit, types...)
}

// records is Records of what the tables hold now, which may lack the
// newest acknowledged records.
func (l *Log) records(ctx context.Context, after uint64, limit int, types ...string) ([]Record, error) {
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
	if err := l.caughtUp(ctx); err != nil {
		return "", false, err
	}
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
	if err := l.caughtUp(ctx); err != nil {
		return 0, err
	}
	return l.tablesEnd(ctx)
}

// tablesEnd returns the highest sequence in the tables.
func (l *Log) tablesEnd(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	if err := l.reader.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read log end: %w", err)
	}
	return uint64(n.Int64), nil
}

// Count returns how many events the log holds.
func (l *Log) Count(ctx context.Context) (int64, error) {
	if err := l.caughtUp(ctx); err != nil {
		return 0, err
	}
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
	if err := l.caughtUp(ctx); err != nil {
		return err
	}
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

// Close commits what is queued, writes it into the tables and closes the
// database. The journal is then empty and removed.
func (l *Log) Close() error {
	var jerr error
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.queue)
		<-l.stopped
		<-l.indexer.stopped
		current := l.journal.at.segment
		jerr = l.journal.close()
		if l.indexer.failed() == nil && l.broken == nil {
			l.indexer.removeBefore(current + 1)
		}
	})
	<-l.stopped
	return errors.Join(jerr, l.closeDBs())
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
