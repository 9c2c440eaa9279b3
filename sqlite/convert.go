package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Stores written before the index kept the event log in the events table
// of the SQLite file: the journal's segments were written into it and
// then removed, and journal_position said how far the table went. Open
// converts such a store once. It writes the table's rows, then what the
// old journal holds past journal_position, into new segments and indexes
// them, all in a staging directory; renaming the staging index into
// place is the moment the store changes over. A conversion cut short
// before it is started again from the old store, untouched; one cut
// short after it is finished by the next Open.

const (
	indexDirName   = "index"
	journalDirName = "journal"
	stagingDirName = "convert"
)

// openIndex opens the store's index, converting the store first if it
// has none yet.
func (l *Log) openIndex(ctx context.Context, dir string) error {
	indexDir, staging := filepath.Join(dir, indexDirName), filepath.Join(dir, stagingDirName)
	if _, err := os.Stat(indexDir); errors.Is(err, os.ErrNotExist) {
		// No index: a new store, one written before the index, or a
		// conversion cut short before it changed the store over.
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("remove an unfinished conversion: %w", err)
		}
		legacy, err := l.legacy(ctx)
		if err != nil {
			return err
		}
		if legacy {
			if err := l.convert(ctx, dir); err != nil {
				return fmt.Errorf("convert the event log of %s: %w", dir, err)
			}
		}
	} else if err != nil {
		return fmt.Errorf("index %s: %w", indexDir, err)
	}
	if err := finishConversion(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(l.journalDir, 0o700); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	x, err := openIndex(indexDir, l.opts.Logger)
	if err != nil {
		return err
	}
	l.index = x
	// The old table's rows are in the journal now; a conversion cut short
	// may have left them.
	if _, err := l.writer.ExecContext(ctx, `DELETE FROM events`); err != nil {
		return fmt.Errorf("empty the old events table: %w", err)
	}
	return nil
}

// legacy reports whether the store holds events from before the index:
// rows in the events table, or journal segments.
func (l *Log) legacy(ctx context.Context) (bool, error) {
	var rows int
	if err := l.writer.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1)`).Scan(&rows); err != nil {
		return false, fmt.Errorf("look for old events: %w", err)
	}
	if rows > 0 {
		return true, nil
	}
	segs, err := segments(l.journalDir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return len(segs) > 0, err
}

// convert writes the old store's events into a new journal and index in
// the staging directory, then moves the index into place.
func (l *Log) convert(ctx context.Context, dir string) error {
	start := time.Now()
	staging := filepath.Join(dir, stagingDirName)
	c := converter{l: l, j: &journal{dir: filepath.Join(staging, journalDirName), log: l.opts.Logger}}
	if err := os.MkdirAll(c.j.dir, 0o700); err != nil {
		return err
	}
	if err := c.j.createSegment(1); err != nil {
		return err
	}
	defer c.j.finish()
	x, err := openIndex(filepath.Join(staging, indexDirName), l.opts.Logger)
	if err != nil {
		return err
	}
	c.x = x
	err = c.rows(ctx)
	if err == nil {
		err = c.oldJournal(ctx)
	}
	if err == nil {
		err = c.flush()
	}
	if cerr := x.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := syncDir(c.j.dir); err != nil {
		return err
	}
	// The change-over: from here on the store is the new one.
	if err := os.Rename(filepath.Join(staging, indexDirName), filepath.Join(dir, indexDirName)); err != nil {
		return fmt.Errorf("move the new index into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	l.opts.Logger.Info("event log converted to the indexed journal", "events", c.meta.count, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// finishConversion replaces the old journal with the converted one, if a
// conversion changed the store over and was cut short before that.
func finishConversion(dir string) error {
	staging := filepath.Join(dir, stagingDirName)
	newJournal := filepath.Join(staging, journalDirName)
	if _, err := os.Stat(newJournal); err == nil {
		journal := filepath.Join(dir, journalDirName)
		if _, err := os.Stat(journal); err == nil {
			if err := os.Rename(journal, filepath.Join(staging, "old-journal")); err != nil {
				return fmt.Errorf("set the old journal aside: %w", err)
			}
		}
		if err := os.Rename(newJournal, journal); err != nil {
			return fmt.Errorf("move the converted journal into place: %w", err)
		}
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("remove the conversion's leftovers: %w", err)
	}
	return nil
}

// converter writes old records into the staging journal and index.
type converter struct {
	l      *Log
	j      *journal
	x      *index
	meta   indexMeta
	batch  []Record
	starts []position
}

func (c *converter) add(r Record) error {
	c.batch = append(c.batch, r)
	if len(c.batch) < indexBatch {
		return nil
	}
	return c.flush()
}

func (c *converter) flush() error {
	if len(c.batch) == 0 {
		return nil
	}
	starts, end, err := c.j.write(c.batch, c.starts[:0])
	if err != nil {
		return err
	}
	c.starts = starts
	meta := c.meta.after(c.batch, end)
	if err := c.x.add(c.batch, starts, meta); err != nil {
		return err
	}
	c.meta, c.batch = meta, c.batch[:0]
	if end.offset >= segmentSize {
		return c.j.createSegment(end.segment + 1)
	}
	return nil
}

// rows converts the events table, in sequence order.
func (c *converter) rows(ctx context.Context) error {
	rows, err := c.l.writer.QueryContext(ctx, `SELECT seq, id, account, type, time, event, decision FROM events ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("read old events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Record
		var seq int64
		var at string
		if err := rows.Scan(&seq, &r.ID, &r.Account, &r.Type, &at, &r.Event, &r.Decision); err != nil {
			return fmt.Errorf("read old events: %w", err)
		}
		r.Seq = uint64(seq)
		if r.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fmt.Errorf("old event %d: time %q: %w", seq, at, err)
		}
		if err := c.add(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// oldJournal converts what the old journal holds past journal_position:
// records acknowledged but not yet in the table when the old store
// stopped.
func (c *converter) oldJournal(ctx context.Context) error {
	if _, err := os.Stat(c.l.journalDir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var pos position
	if err := c.l.writer.QueryRowContext(ctx, `SELECT segment, byte_offset FROM journal_position WHERE id = 1`).
		Scan(&pos.segment, &pos.offset); err != nil {
		return fmt.Errorf("read old journal position: %w", err)
	}
	// Segments before pos are in the table; only their removal was lost.
	tornAt, torn, err := readJournal(c.l.journalDir, pos, func(r Record, _, _ position) error { return c.add(r) })
	if torn != nil {
		c.l.opts.Logger.Warn("old journal ends in an incomplete commit, never acknowledged; left out", "segment", tornAt.segment, "err", torn)
	}
	if err != nil {
		return fmt.Errorf("old %w", err)
	}
	return nil
}
