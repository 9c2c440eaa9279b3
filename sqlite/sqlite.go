// Package sqlite is mamori's embedded store. The event log is a journal
// of append-only segment files with group commit (many concurrent
// writers share one write and one sync), indexed shortly after in a
// Pebble store, many commits to a batch (journal.go, index.go). Webhooks,
// users and the console's analysts are tables of a SQLite file
// (pure-Go driver, WAL mode).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/internal/datasync"
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
	// Queue is how many records may wait for the committer (default:
	// MaxBatch, a whole commit's worth while one is written). Append
	// waits while it is full. Every garbage collection scans the queue's
	// whole buffer, empty or not: at 65,536 records (of 136 B then) it was
	// 8.9 MB, over a quarter of what the collector marked in a server of a
	// few thousand accounts.
	Queue int
	// CommitInterval is the least time from the start of a group commit
	// of more than one record to the start of the next (0: none, each
	// commit starts as soon as a record waits and the last is done).
	// Records that arrive meanwhile share the next commit's sync, paid
	// once however many records it carries (datasync.Pacer).
	CommitInterval time.Duration
	// OnCommit, when set, is told the size and duration of each commit
	// (the records are then durable); the duration leaves out the wait
	// for CommitInterval.
	OnCommit func(records int, took time.Duration)
	// OnIndexed, when set, is told when records reached the index, and
	// how many in how long: the webhook dispatcher, which reads only what
	// the index holds (Webhooks), is woken by it.
	OnIndexed func(records int, took time.Duration)
	// IndexDelay is how long committed records may wait for more before
	// they are indexed (default 50ms). A read that must see
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
	index      *index

	// The committer alone uses journal and gen; committed is the last
	// commit whose records are durable and handed to the indexer.
	journal   *journal
	gen       uint64
	broken    error // a journal write or sync failed: its state is unknown
	committed atomic.Uint64
	indexer   *indexer

	queue    chan entry
	stopOnce sync.Once
	closeErr error
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
		opts.Queue = opts.MaxBatch
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
	if err := l.openIndex(ctx, dir); err != nil {
		l.closeDBs()
		return nil, err
	}
	if err := l.recover(); err != nil {
		l.closeDBs()
		return nil, err
	}
	go l.indexer.run()
	go l.commitLoop()
	return l, nil
}

// recover indexes what the journal holds past the index's position,
// cuts off a commit a crash left incomplete at the journal's end, and
// starts a new segment.
func (l *Log) recover() error {
	meta, _, err := l.index.meta()
	if err != nil {
		return err
	}
	segs, err := segments(l.journalDir)
	if err != nil {
		return err
	}
	next := meta.end.segment + 1
	if len(segs) > 0 {
		next = max(next, segs[len(segs)-1]+1)
	}
	var batch []Record
	var starts []position
	var end position
	recovered := 0
	flush := func() error {
		moved := meta.after(batch, end)
		if err := l.index.add(batch, starts, moved); err != nil {
			return err
		}
		meta, recovered = moved, recovered+len(batch)
		batch, starts = batch[:0], starts[:0]
		return nil
	}
	tornAt, torn, err := readJournal(l.journalDir, meta.end, func(r Record, start, stop position) error {
		batch, starts, end = append(batch, r), append(starts, start), stop
		if len(batch) < indexBatch {
			return nil
		}
		return flush()
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return err
	}
	if torn != nil {
		// The commit a crash cut short was never acknowledged. It is cut
		// off, so that the segment reads to its end.
		if errors.Is(torn, errZeros) {
			l.opts.Logger.Info("journal ends in zeros written ahead of its commits; cut off", "segment", tornAt.segment, "at", tornAt.offset)
		} else {
			l.opts.Logger.Warn("journal ends in an incomplete commit, never acknowledged; left out", "segment", tornAt.segment, "err", torn)
		}
		if err := truncate(segmentPath(l.journalDir, tornAt.segment), tornAt.offset); err != nil {
			return err
		}
	}
	if recovered > 0 {
		l.opts.Logger.Info("journal records indexed", "records", recovered)
	}
	l.journal = &journal{dir: l.journalDir, log: l.opts.Logger}
	if err := l.journal.createSegment(next); err != nil {
		return err
	}
	l.indexer = newIndexer(l, meta)
	return nil
}

// truncate cuts the file at path to size bytes, durably.
func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cut journal segment: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cut journal segment %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cut journal segment %s: %w", path, err)
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
// in the index, where every read sees it.
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
	pace := datasync.Pacer{Interval: l.opts.CommitInterval}
	for {
		e, ok := <-l.queue
		if !ok {
			return
		}
		pace.Wait(len(batch), nil)
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
		return fmt.Errorf("event log index: %w", err)
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
	starts, end, err := l.journal.write(recs, make([]position, 0, len(recs)))
	if err != nil {
		l.broken = err
		return err
	}
	l.gen++
	l.indexer.in <- chunk{recs: recs, starts: starts, end: end, gen: l.gen}
	l.committed.Store(l.gen)
	if end.offset >= segmentSize {
		if err := l.journal.createSegment(end.segment + 1); err != nil {
			l.broken = err // this commit is durable; the next cannot be
		}
	}
	return nil
}

// IndexLag returns how many acknowledged commits are not in the index
// yet: a lag that keeps growing means the index cannot keep up, and the
// journal and the memory holding those commits grow with it.
func (l *Log) IndexLag() uint64 {
	committed := l.committed.Load()
	return committed - min(committed, l.indexer.indexed())
}

// caughtUp returns once every record acknowledged so far is in the
// index: reads then see what each caller was told is recorded.
func (l *Log) caughtUp(ctx context.Context) error {
	return l.indexer.wait(ctx, l.committed.Load())
}

// Decision returns the stored decision of the event with the given id,
// and whether there is one.
func (l *Log) Decision(ctx context.Context, id string) ([]byte, bool, error) {
	if err := l.caughtUp(ctx); err != nil {
		return nil, false, err
	}
	p, ok, err := l.index.place(id)
	if err != nil {
		return nil, false, fmt.Errorf("look up event %s: %w", id, err)
	}
	if !ok {
		return nil, false, nil
	}
	r := l.frames()
	defer r.close()
	rec, err := r.read(p)
	if err != nil {
		return nil, false, fmt.Errorf("look up event %s: %w", id, err)
	}
	return rec.Decision, true, nil
}

func (l *Log) frames() *frameReader { return &frameReader{dir: l.journalDir} }

// AccountEvents implements mamori.EventLog.
func (l *Log) AccountEvents(ctx context.Context, account string, limit int) ([]Record, error) {
	if err := l.caughtUp(ctx); err != nil {
		return nil, err
	}
	var out []Record
	err := l.accountRecords(ctx, account, ^uint64(0), func(r Record) (bool, error) {
		out = append(out, r)
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", account, err)
	}
	return out, nil
}

// accountRecords calls fn with the records of account with a sequence
// below before, newest first, until fn returns false. The newest are
// read first, so a page of a long history reads only that page.
func (l *Log) accountRecords(ctx context.Context, account string, before uint64, fn func(Record) (bool, error)) error {
	if before == 0 {
		return nil
	}
	return l.readPlaces(ctx, func(fn func(uint64, position) (bool, error)) error {
		return l.index.accountPlaces(account, before, fn)
	}, fn)
}

// readPlaces calls fn with the records at the places each gives, until
// fn returns false.
func (l *Log) readPlaces(ctx context.Context, each func(func(uint64, position) (bool, error)) error, fn func(Record) (bool, error)) error {
	r := l.frames()
	defer r.close()
	return each(func(seq uint64, p position) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		rec, err := r.record(seq, p)
		if err != nil {
			return false, err
		}
		return fn(rec)
	})
}

// Records returns up to limit records with a sequence above after, in
// sequence order; with types, only records of those event types.
func (l *Log) Records(ctx context.Context, after uint64, limit int, types ...string) ([]Record, error) {
	if err := l.caughtUp(ctx); err != nil {
		return nil, err
	}
	return l.records(ctx, after, limit, types...)
}

// records is Records of what the index holds now, which may lack the
// newest acknowledged records.
func (l *Log) records(ctx context.Context, after uint64, limit int, types ...string) ([]Record, error) {
	var out []Record
	if limit <= 0 {
		return out, nil
	}
	err := l.scan(ctx, after, func(r Record) (bool, error) {
		if len(types) == 0 || slices.Contains(types, r.Type) {
			out = append(out, r)
		}
		return len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return out, nil
}

// scan calls fn with the indexed records with a sequence above after, in
// sequence order, until fn returns false.
func (l *Log) scan(ctx context.Context, after uint64, fn func(Record) (bool, error)) error {
	return l.readPlaces(ctx, func(fn func(uint64, position) (bool, error)) error {
		return l.index.seqPlaces(after, fn)
	}, fn)
}

// OrderAccount implements mamori.EventLog.
func (l *Log) OrderAccount(ctx context.Context, orderID string) (string, bool, error) {
	if err := l.caughtUp(ctx); err != nil {
		return "", false, err
	}
	account, ok, err := l.index.orderAccount(orderID)
	if err != nil {
		return "", false, fmt.Errorf("find order %s: %w", orderID, err)
	}
	return account, ok, nil
}

// MaxSeq returns the highest sequence in the log, 0 when empty.
func (l *Log) MaxSeq(ctx context.Context) (uint64, error) {
	if err := l.caughtUp(ctx); err != nil {
		return 0, err
	}
	return l.indexEnd(ctx)
}

// indexEnd returns the highest sequence in the index.
func (l *Log) indexEnd(context.Context) (uint64, error) {
	return l.indexer.state().last, nil
}

// Count returns how many events the log holds.
func (l *Log) Count(ctx context.Context) (int64, error) {
	if err := l.caughtUp(ctx); err != nil {
		return 0, err
	}
	return int64(l.indexer.state().count), nil
}

// Replay calls fn for every record with a sequence above after, in
// sequence order.
func (l *Log) Replay(ctx context.Context, after uint64, fn func(Record) error) error {
	if err := l.caughtUp(ctx); err != nil {
		return err
	}
	err := l.scan(ctx, after, func(r Record) (bool, error) { return true, fn(r) })
	if err != nil {
		return fmt.Errorf("replay log after %d: %w", after, err)
	}
	return nil
}

// Close commits what is queued, indexes it and closes the store. Later
// calls return what the first returned.
func (l *Log) Close() error {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.queue)
		<-l.stopped
		<-l.indexer.stopped
		l.closeErr = errors.Join(l.journal.finish(), l.closeDBs())
	})
	return l.closeErr
}

func (l *Log) closeDBs() error {
	var ierr error
	if l.index != nil {
		ierr = l.index.close()
	}
	if _, err := l.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		l.writer.Close()
		l.reader.Close()
		return errors.Join(ierr, fmt.Errorf("checkpoint %s: %w", l.path, err))
	}
	return errors.Join(ierr, l.reader.Close(), l.writer.Close())
}
