package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)

func rec(seq uint64, account string) Record {
	id := fmt.Sprintf("e-%d", seq)
	return Record{Seq: seq, ID: id, Account: account, Type: "login.succeeded", Time: t0.Add(time.Duration(seq) * time.Second),
		Event:    fmt.Appendf(nil, `{"id":%q,"type":"login.succeeded","account_id":%q}`, id, account),
		Decision: fmt.Appendf(nil, `{"event_id":%q,"decision":"allow","score":0.01,"reasons":[],"actions":[]}`, id)}
}

func TestFramesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		r    Record
	}{
		{"plain", rec(1, "a-1")},
		{"empty account and bytes", Record{Seq: 2, ID: "x", Time: t0}},
		{"before 1970", Record{Seq: 3, ID: "old", Account: "a", Type: "t", Time: time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC), Event: []byte("{}"), Decision: []byte("{}")}},
		{"non-ASCII and a large sequence", Record{Seq: 1 << 62, ID: "注文-9002", Account: "顧客", Type: "order.placed", Time: t0, Event: bytes.Repeat([]byte("あ"), 70_000), Decision: []byte(`{"decision":"deny"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := appendFrame(nil, &tt.r)
			var got []Record
			end, err := readFrames(bytes.NewReader(frame), 0, func(r Record, _ int64) error {
				got = append(got, r)
				return nil
			})
			if err != nil || end != int64(len(frame)) || len(got) != 1 {
				t.Fatalf("read %d records to %d of %d: %v", len(got), end, len(frame), err)
			}
			g := got[0]
			if g.Seq != tt.r.Seq || g.ID != tt.r.ID || g.Account != tt.r.Account || g.Type != tt.r.Type ||
				!g.Time.Equal(tt.r.Time) || !bytes.Equal(g.Event, tt.r.Event) || !bytes.Equal(g.Decision, tt.r.Decision) {
				t.Errorf("got %+v\nwant %+v", g, tt.r)
			}
		})
	}
}

// A frame cut anywhere, or with any byte changed, is not read as a record.
func TestDamagedFramesAreNotRead(t *testing.T) {
	r := rec(7, "a-1")
	good := appendFrame(nil, &r)
	for cut := 1; cut < len(good); cut++ {
		end, err := readFrames(bytes.NewReader(good[:cut]), 0, func(Record, int64) error {
			t.Fatalf("a frame cut at %d was read", cut)
			return nil
		})
		if !errors.Is(err, errTorn) || end != 0 {
			t.Fatalf("cut at %d: stopped at %d, %v", cut, end, err)
		}
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		if _, err := readFrames(bytes.NewReader(bad), 0, func(Record, int64) error { return nil }); !errors.Is(err, errTorn) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
}

// copyDir copies the files of a log's directory as they are now: with
// the log idle, that is what a crash at this moment leaves on disk.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		if strings.HasSuffix(path, ".lock") {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(filepath.Join(to, rel))
		if err != nil {
			return err
		}
		defer dst.Close()
		_, err = io.Copy(dst, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// appendAll appends recs from several writers and waits for every one
// to be acknowledged.
func appendAll(t *testing.T, l *Log, recs []Record) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(recs))
	for i := range recs {
		wg.Add(1)
		go func() {
			l.Append(recs[i], func(err error) {
				errs <- err
				wg.Done()
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func records(n int, from uint64) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = rec(from+uint64(i), fmt.Sprintf("a-%d", i%3))
	}
	return out
}

// openSlow opens a log in a new directory whose indexer would wait an
// hour before indexing: what is acknowledged stays in the
// journal only, unless a read or a barrier asks for it.
func openSlow(t *testing.T) (*Log, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(context.Background(), dir, Options{IndexDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

// An acknowledged record is read at once, although the indexer would
// otherwise wait an hour to index it.
func TestAcknowledgedRecordsAreReadAtOnce(t *testing.T) {
	ctx := context.Background()
	l, _ := openSlow(t)
	for i, r := range records(5, 1) {
		appendAll(t, l, []Record{r})
		d, found, err := l.Decision(ctx, r.ID)
		if err != nil || !found || !bytes.Equal(d, r.Decision) {
			t.Fatalf("decision of %s: %q, %v, %v", r.ID, d, found, err)
		}
		recs, err := l.AccountEvents(ctx, r.Account, 10)
		if err != nil || len(recs) == 0 || recs[0].ID != r.ID {
			t.Fatalf("events of %s after %s: %v, %v", r.Account, r.ID, recs, err)
		}
		if n, err := l.Count(ctx); err != nil || n != int64(i+1) {
			t.Fatalf("count %d, %v; want %d", n, err, i+1)
		}
	}
}

// After a crash the index lacks what the indexer had not written yet;
// opening the log indexes it from the journal, whose segments stay: they
// hold the records.
func TestOpenIndexesTheJournal(t *testing.T) {
	ctx := context.Background()
	l, dir := openSlow(t)
	first := records(40, 1)
	appendAll(t, l, first)
	if err := l.Barrier(ctx); err != nil { // the first 40 are in the index's memory
		t.Fatal(err)
	}
	second := records(60, 41)
	appendAll(t, l, second) // acknowledged, only in the journal
	crashed := copyDir(t, dir)

	segs, err := segments(filepath.Join(crashed, "journal"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("journal segments after the crash: %v, %v", segs, err)
	}
	r, logs := openLogged(t, crashed)
	if !strings.Contains(logs.String(), "records=100") {
		t.Errorf("open after the crash logged %q; want all 100 records indexed again", logs.String())
	}
	checkRecords(t, r, append(first, second...))
	if segs2, _ := segments(filepath.Join(crashed, "journal")); len(segs2) != 2 || segs2[0] != segs[0] || segs2[1] != segs[0]+1 {
		t.Errorf("segments after open: %v, want %d and a new one", segs2, segs[0])
	}
	// Appends after the recovery survive a clean stop and a new start,
	// which has nothing to index again.
	restartQuietly(t, r, crashed, append(first, second...), records(10, 101))
}

// restartQuietly appends later to l, stops it and opens dir again, which
// must have nothing to say (nothing to index, nothing to convert), and
// checks that the log holds before and later.
func restartQuietly(t *testing.T, l *Log, dir string, before, later []Record) {
	t.Helper()
	appendAll(t, l, later)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	again, logs := openLogged(t, dir)
	defer again.Close()
	if logs.Len() > 0 {
		t.Errorf("open after a clean stop logged %q", logs.String())
	}
	checkRecords(t, again, append(append([]Record(nil), before...), later...))
}

// checkRecords checks that the log holds exactly want, in order.
func checkRecords(t *testing.T, l *Log, want []Record) {
	t.Helper()
	got, err := l.Records(context.Background(), 0, len(want)+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Seq != want[i].Seq || !got[i].Time.Equal(want[i].Time) ||
			!bytes.Equal(got[i].Event, want[i].Event) || !bytes.Equal(got[i].Decision, want[i].Decision) {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A crash in the middle of a commit leaves part of it at the end of the
// last segment. It was never acknowledged: opening leaves it out and
// goes on, and later appends are not lost behind it.
func TestATornCommitAtTheEndIsLeftOut(t *testing.T) {
	ctx := context.Background()
	l, dir := openSlow(t)
	acked := records(20, 1)
	appendAll(t, l, acked)
	for _, cut := range []int{3, 8, 30, -1} {
		t.Run(fmt.Sprint("cut at ", cut), func(t *testing.T) {
			crashed := copyDir(t, dir)
			segs, _ := segments(filepath.Join(crashed, "journal"))
			torn := rec(21, "a-9")
			frame := appendFrame(nil, &torn)
			if cut < 0 {
				frame[len(frame)-1] ^= 1 // whole but damaged
			} else {
				frame = frame[:cut]
			}
			// The commit went where the next frame goes: into the zeros
			// written ahead of the commits.
			last := segs[len(segs)-1]
			end, err := readSegment(filepath.Join(crashed, "journal"), last, 0, func(Record, int64, int64) error { return nil })
			if !errors.Is(err, errZeros) {
				t.Fatalf("the live segment ends in %v, want zeros written ahead", err)
			}
			f, err := os.OpenFile(segmentPath(filepath.Join(crashed, "journal"), last), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(frame, end); err != nil {
				t.Fatal(err)
			}
			f.Close()

			r, err := Open(ctx, crashed, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, r, acked)
			later := records(5, 21) // the torn record's id again, now acknowledged
			appendAll(t, r, later)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := Open(ctx, crashed, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			checkRecords(t, again, append(append([]Record(nil), acked...), later...))
		})
	}
}

// A damaged segment that is not the last held acknowledged commits: the
// log refuses to open rather than go on without them.
func TestADamagedSegmentBeforeTheLastStopsOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "journal")
	var one []byte
	for _, r := range records(3, 1) {
		one = appendFrame(one, &r)
	}
	one[len(one)/2] ^= 0xff
	r4 := rec(4, "a-0")
	if err := os.WriteFile(segmentPath(journal, 7), one, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segmentPath(journal, 8), appendFrame(nil, &r4), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := Open(ctx, dir, Options{}); err == nil {
		l.Close()
		t.Fatal("opened a log whose journal lost acknowledged records")
	} else if !strings.Contains(err.Error(), "journal segment 7") {
		t.Errorf("error does not name the segment: %v", err)
	}
}

// FuzzReadFrames reads arbitrary bytes as a journal segment: it never
// panics, the frames it reads tile the bytes up to where it stops, and
// each record it reads encodes to a frame that reads back the same.
func FuzzReadFrames(f *testing.F) {
	var seg []byte
	for _, r := range records(3, 1) {
		seg = appendFrame(seg, &r)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var last int64
		end, err := readFrames(bytes.NewReader(data), 0, func(r Record, at int64) error {
			if at <= last || at > int64(len(data)) {
				t.Fatalf("frame ends at %d after %d, of %d bytes", at, last, len(data))
			}
			last = at
			frame := appendFrame(nil, &r)
			var back []Record
			if _, err := readFrames(bytes.NewReader(frame), 0, func(b Record, _ int64) error {
				back = append(back, b)
				return nil
			}); err != nil || len(back) != 1 || back[0].ID != r.ID || back[0].Seq != r.Seq || !back[0].Time.Equal(r.Time) ||
				!bytes.Equal(back[0].Event, r.Event) || !bytes.Equal(back[0].Decision, r.Decision) {
				t.Fatalf("record %+v does not read back: %+v, %v", r, back, err)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errTorn) {
			t.Fatalf("unexpected error %v", err)
		}
		if end != last || (err == nil && end != int64(len(data))) {
			t.Fatalf("stopped at %d (last frame to %d) of %d bytes: %v", end, last, len(data), err)
		}
	})
}

// When the index fails (a disk error), the log stops: later commits
// fail and reads say why. The journal holds every acknowledged record, so
// a restart indexes them again and loses none.
func TestAnIndexFailureStopsTheLog(t *testing.T) {
	ctx := context.Background()
	l, dir := openSlow(t)
	first, second := rec(1, "a-1"), rec(2, "a-1")
	appendAll(t, l, []Record{first})
	fault := errors.New("disk on fire")
	l.index.fault = fault
	appendAll(t, l, []Record{second}) // durable in the journal; the index will fail
	if _, _, err := l.Decision(ctx, first.ID); !errors.Is(err, fault) {
		t.Fatalf("read after the index failed: %v", err)
	}
	done := make(chan error, 1)
	l.Append(rec(3, "a-1"), func(err error) { done <- err })
	if err := <-done; !errors.Is(err, fault) {
		t.Fatalf("a commit after the index failed: %v", err)
	}
	crashed := copyDir(t, dir)
	r, err := Open(ctx, crashed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRecords(t, r, []Record{first, second})
}

// openLogged opens the log in dir with what it logs kept, to be read.
func openLogged(t *testing.T, dir string) (*Log, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	l, err := Open(context.Background(), dir, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return l, logs
}

// TestAFullQueueMakesAppendWait appends from several goroutines at once
// into a queue of one record and commits of one: Append waits for room
// rather than failing or dropping, and every record becomes durable.
func TestAFullQueueMakesAppendWait(t *testing.T) {
	ctx := context.Background()
	l, err := Open(ctx, t.TempDir(), Options{Queue: 1, MaxBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const writers, each = 4, 50
	var seq atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := rec(seq.Add(1), fmt.Sprintf("w%d-%d", w, i%3))
				var done sync.WaitGroup
				done.Add(1)
				l.Append(r, func(err error) {
					errs <- err
					done.Done()
				})
				if i%10 == 0 {
					done.Wait() // now and then, wait as a caller does
				}
			}
		})
	}
	wg.Wait()
	if err := l.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	close(errs)
	n := 0
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != writers*each {
		t.Fatalf("%d records acknowledged, want %d", n, writers*each)
	}
	if got, err := l.Count(ctx); err != nil || got != writers*each {
		t.Fatalf("count %d, %v; want %d", got, err, writers*each)
	}
}

// TestJournalWritesAheadAndCutsAtTheEnd writes commits of several sizes
// into a journal, which keeps zeros written ahead of them (so that most
// syncs commit no new size), and moves to a new segment: each segment it
// has finished ends at its last frame, and the journal reads back whole.
func TestJournalWritesAheadAndCutsAtTheEnd(t *testing.T) {
	tests := []struct {
		name    string
		commits []int // records per commit
		size    int   // bytes of each record's event
	}{
		{"one small commit", []int{1}, 100},
		{"many small commits", []int{5, 5, 5, 5, 5, 5, 5, 5}, 500},
		{"a commit past the zeros written ahead", []int{1, 2000, 3}, 2000},
		{"commits through several extensions", []int{3000, 3000, 3000, 3000}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := &journal{dir: dir}
			if err := j.createSegment(1); err != nil {
				t.Fatal(err)
			}
			var want []Record
			var ends []position
			seq := uint64(1)
			for i, n := range tt.commits {
				if i == len(tt.commits)/2 {
					if err := j.createSegment(j.at.segment + 1); err != nil {
						t.Fatal(err)
					}
				}
				batch := make([]Record, n)
				for k := range batch {
					batch[k] = rec(seq, "a-1")
					batch[k].Event = bytes.Repeat([]byte("x"), tt.size)
					seq++
				}
				starts, end, err := j.write(batch, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(starts) != n || starts[0].segment != end.segment || end.offset < starts[n-1].offset {
					t.Fatalf("commit %d: starts %v, end %v", i, starts, end)
				}
				if fi, err := os.Stat(segmentPath(dir, end.segment)); err != nil || fi.Size() < end.offset {
					t.Fatalf("commit %d: segment of %v bytes, %v, want at least %d", i, fi.Size(), err, end.offset)
				}
				// Zeros lie ahead once the extension in flight is done, so
				// that the next commit of this size syncs its data alone.
				j.take(true)
				if ahead := j.alloc - end.offset; ahead < int64(n*tt.size) && ahead < minExtension {
					t.Errorf("commit %d: %d bytes written ahead of %d", i, ahead, end.offset)
				}
				want, ends = append(want, batch...), append(ends, end)
			}
			if err := j.finish(); err != nil {
				t.Fatal(err)
			}
			// Each segment now ends at the end of its last commit.
			last := map[uint64]int64{}
			for _, e := range ends {
				last[e.segment] = e.offset
			}
			for seg, end := range last {
				if fi, err := os.Stat(segmentPath(dir, seg)); err != nil || fi.Size() != end {
					t.Errorf("segment %d: %v bytes, %v, want %d", seg, fi.Size(), err, end)
				}
			}
			readsBack(t, dir, want)
		})
	}
}

// readsBack reads the journal in dir from its start and wants exactly
// the records of want, in order, with nothing torn.
func readsBack(t *testing.T, dir string, want []Record) {
	t.Helper()
	var got []Record
	tornAt, torn, err := readJournal(dir, position{}, func(r Record, _, _ position) error {
		got = append(got, r)
		return nil
	})
	if err != nil || torn != nil {
		t.Fatalf("read back: torn at %v: %v, %v", tornAt, torn, err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || !bytes.Equal(got[i].Event, want[i].Event) {
			t.Fatalf("record %d: seq %d, want %d", i, got[i].Seq, want[i].Seq)
		}
	}
}

// TestAFailedWriteAheadLeavesCommitsGoing moves the segment's name away
// while the journal writes to it, so that writing zeros ahead, through a
// descriptor of its own opened by that name, fails: the commits go on,
// syncing whole past the zeros already there, the failure is logged
// once, and every record reads back once the name is restored.
func TestAFailedWriteAheadLeavesCommitsGoing(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	j := &journal{dir: dir, log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := j.createSegment(1); err != nil {
		t.Fatal(err)
	}
	j.take(true)
	path := segmentPath(dir, 1)
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	var want []Record
	seq := uint64(1)
	commit := func(n, size int) position {
		t.Helper()
		batch := make([]Record, n)
		for k := range batch {
			batch[k] = rec(seq, "a-1")
			batch[k].Event = bytes.Repeat([]byte("y"), size)
			seq++
		}
		_, end, err := j.write(batch, nil)
		if err != nil {
			t.Fatalf("commit of %d records: %v", n, err)
		}
		want = append(want, batch...)
		return end
	}
	alloc := j.alloc
	// Past half the zeros: the extension starts, and fails.
	commit(400, 2000)
	j.take(true)
	if j.alloc != alloc || j.noAhead == nil {
		t.Fatalf("zeros ahead to %d (from %d) through a segment with no name; failure %v", j.alloc, alloc, j.noAhead)
	}
	// Past the zeros, and past them again: each syncs whole.
	for range 3 {
		commit(300, 2000)
	}
	if j.at.offset <= alloc {
		t.Fatalf("the commits ended at %d, within the zeros to %d", j.at.offset, alloc)
	}
	if n := strings.Count(logs.String(), "zeros not written ahead"); n != 1 {
		t.Errorf("the failure logged %d times, want once:\n%s", n, logs.String())
	}
	if err := os.Rename(moved, path); err != nil {
		t.Fatal(err)
	}
	end := j.at
	if err := j.finish(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != end.offset {
		t.Fatalf("segment of %d bytes, %v, want %d", fi.Size(), err, end.offset)
	}
	readsBack(t, dir, want)
}

// TestZerosLeftByACrashAreCutQuietly opens a copy of a live log, whose
// segment ends in the zeros written ahead of its commits: they are no
// torn commit, so Open says so at the info level, cuts them off and
// keeps every acknowledged record.
func TestZerosLeftByACrashAreCutQuietly(t *testing.T) {
	l, dir := openSlow(t)
	acked := records(30, 1)
	appendAll(t, l, acked)
	crashed := copyDir(t, dir)
	segs, err := segments(filepath.Join(crashed, "journal"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v, %v", segs, err)
	}
	path := segmentPath(filepath.Join(crashed, "journal"), segs[0])
	end, err := readSegment(filepath.Join(crashed, "journal"), segs[0], 0, func(Record, int64, int64) error { return nil })
	if !errors.Is(err, errZeros) {
		t.Fatalf("the live segment ends in %v, want zeros written ahead", err)
	}
	r, logs := openLogged(t, crashed)
	defer r.Close()
	if strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "zeros written ahead") {
		t.Errorf("open logged %q; want the zeros named at the info level, no warning", logs.String())
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != end {
		t.Errorf("the crashed segment is %v bytes, %v; want it cut to its last frame at %d", fi.Size(), err, end)
	}
	checkRecords(t, r, acked)
}

// TestOrdersAreFoundByTheirID indexes order.placed records whose writer
// gave their order id and others it must take from the event, then finds
// each order's account, before and after a restart that indexes the
// journal again (where no record keeps the id given).
func TestOrdersAreFoundByTheirID(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		order, given string // given: the record's Order
	}{
		{"o-given", "o-given"},
		{"o-from-the-event", ""},
	}
	l, dir := openSlow(t)
	var recs []Record
	for i, tt := range tests {
		r := rec(uint64(i+1), fmt.Sprintf("a-%d", i))
		r.Type, r.Order = "order.placed", tt.given
		r.Event = fmt.Appendf(nil, `{"id":%q,"type":"order.placed","account_id":%q,"properties":{"order_id":%q}}`, r.ID, r.Account, tt.order)
		recs = append(recs, r)
	}
	appendAll(t, l, recs)
	check := func(l *Log, when string) {
		t.Helper()
		for i, tt := range tests {
			if acct, ok, err := l.OrderAccount(ctx, tt.order); err != nil || !ok || acct != recs[i].Account {
				t.Errorf("%s: order %s: %q, %v, %v; want %s", when, tt.order, acct, ok, err, recs[i].Account)
			}
		}
	}
	check(l, "live")
	crashed := copyDir(t, dir)
	again, err := Open(ctx, crashed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	check(again, "indexed again from the journal")
}

// TestCommitIntervalSpacesSharedCommits appends from many writers with
// commits spaced 80ms apart: every commit that follows one of several
// records starts about that long after it (less the time to gather a
// batch and to report the commit), and every record is acknowledged and
// read back.
func TestCommitIntervalSpacesSharedCommits(t *testing.T) {
	const every = 80 * time.Millisecond
	type commit struct {
		records int
		start   time.Time
	}
	var mu sync.Mutex
	var commits []commit
	ctx := context.Background()
	l, err := Open(ctx, t.TempDir(), Options{CommitInterval: every, OnCommit: func(n int, took time.Duration) {
		start := time.Now().Add(-took)
		mu.Lock()
		commits = append(commits, commit{n, start})
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const writers, each = 32, 4
	var seq atomic.Uint64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				done := make(chan error, 1)
				l.Append(rec(seq.Add(1), fmt.Sprintf("w%d", w)), func(err error) { done <- err })
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	spaced := 0
	for i := 1; i < len(commits); i++ {
		if commits[i-1].records < 2 {
			continue
		}
		spaced++
		// A start is read back from the commit's duration, after its
		// acknowledgements, and the pacer counts from before a batch is
		// gathered: on busy cores either may shift a start by
		// milliseconds. Unspaced, the next commit would start within a
		// sync's time, far below the tolerance.
		if gap := commits[i].start.Sub(commits[i-1].start); gap < every-every/8 {
			t.Errorf("commit %d (%d records) started %s after one of %d records, want at least %s", i, commits[i].records, gap, commits[i-1].records, every)
		}
	}
	if spaced == 0 {
		t.Fatalf("no commit followed a shared one: %v", commits)
	}
	if got, err := l.Count(ctx); err != nil || got != writers*each {
		t.Fatalf("count %d, %v; want %d", got, err, writers*each)
	}
}

// TestALoneWriterIsNotHeldBack appends one record at a time, each after
// the last is acknowledged, with commits spaced an hour apart: no commit
// is shared, so none waits.
func TestALoneWriterIsNotHeldBack(t *testing.T) {
	l, err := Open(context.Background(), t.TempDir(), Options{CommitInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 20 {
		done := make(chan error, 1)
		l.Append(rec(uint64(i+1), "a-1"), func(err error) { done <- err })
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("record %d not acknowledged after 30s", i+1)
		}
	}
}
