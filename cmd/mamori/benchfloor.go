package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mamori-dev/mamori/internal/datasync"
)

// syncFile is the least a durable answer needs: each request's body
// written to a file, and the answer held until a write and a sync that
// hold it are done, many requests sharing one of each (a group commit,
// as mamori's journal makes). Behind the bare handler it is the floor
// under mamori's latency with durability on: the same HTTP, the same
// decoding and the same disk, with no decision, state or index. Like
// mamori's journal it writes into zeros written and synced beforehand,
// so that its syncs are fdatasync's, which commit no new file size: the
// cheapest durable write this machine offers (BENCHMARKS.md, "A
// commit's sync").
type syncFile struct {
	f     *os.File
	at    int64 // where the next body goes
	ahead int64 // the zeros written and synced before any load
	pace  datasync.Pacer
	in    chan syncWait
	quit  chan struct{} // closed by close
	done  chan struct{} // closed when the committer has stopped
	once  sync.Once
}

type syncWait struct {
	body []byte
	done chan error
}

// maxSyncBatch caps the requests of one commit, as mamori's journal's
// MaxBatch does.
const maxSyncBatch = 4096

// openSyncFile creates the file in dir, writes and syncs ahead zeros
// in it, and starts its committer, which spaces its commits as mamori's
// journal does (every: sqlite.Options.CommitInterval). A commit past the
// zeros grows the file and syncs it whole.
func openSyncFile(dir string, ahead int64, every time.Duration) (*syncFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, "floor.log"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("durable floor: %w", err)
	}
	zeros := make([]byte, 1<<20)
	for at := int64(0); at < ahead && err == nil; at += int64(len(zeros)) {
		_, err = f.WriteAt(zeros, at)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("durable floor: %w", err)
	}
	s := &syncFile{f: f, ahead: ahead, pace: datasync.Pacer{Interval: every}, in: make(chan syncWait, maxSyncBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go s.commit()
	return s, nil
}

var errSyncFileClosed = errors.New("durable floor closed")

// append returns once body is written and synced, or ctx is done, or
// the file is closed.
func (s *syncFile) append(ctx context.Context, body []byte) error {
	w := syncWait{body: body, done: make(chan error, 1)}
	select {
	case s.in <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errSyncFileClosed
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errSyncFileClosed
	}
}

// commit writes whatever waits, up to maxSyncBatch, in one write and one
// sync, then answers all of it, until the file is closed.
func (s *syncFile) commit() {
	defer close(s.done)
	var buf []byte
	batch := make([]syncWait, 0, maxSyncBatch)
	for {
		select {
		case w := <-s.in:
			s.pace.Wait(len(batch), s.quit)
			batch = append(batch[:0], w)
		case <-s.quit:
			return
		}
	more:
		for len(batch) < maxSyncBatch {
			select {
			case w := <-s.in:
				batch = append(batch, w)
			default:
				break more
			}
		}
		buf = buf[:0]
		for _, w := range batch {
			buf = append(append(buf, w.body...), '\n')
		}
		_, err := s.f.WriteAt(buf, s.at)
		if err == nil && s.at+int64(len(buf)) <= s.ahead {
			err = datasync.Sync(s.f)
		} else if err == nil {
			err = s.f.Sync()
		}
		s.at += int64(len(buf))
		if err != nil {
			err = fmt.Errorf("durable floor: %w", err)
		}
		for _, w := range batch {
			w.done <- err
		}
	}
}

// close stops the committer, after the commit it is writing, and closes
// the file; appends still waiting are told so.
func (s *syncFile) close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	return s.f.Close()
}
