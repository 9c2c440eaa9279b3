package sqlite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori/internal/datasync"
)

// The journal is where an appended record becomes durable, and where it
// stays: each group commit is one write and one sync of an append-only
// segment file. The indexer records afterwards, in larger batches, where
// each frame starts (index.go); reads find frames through the index, and
// Open indexes whatever the journal holds past the index's position.
//
// A segment is a run of frames:
//
//	uint32 length of the payload, little endian
//	uint32 CRC-32C of the payload, little endian
//	payload: uvarint seq, varint Unix seconds, uvarint nanoseconds,
//	         then id, account, type, event and decision, each as a
//	         uvarint length and its bytes
//
// A crash can leave the last frame of the last segment torn, or the
// zeros written ahead of the commits after it (journal.extend); neither
// was acknowledged, so Open cuts them off. Anything else unreadable is
// corruption and stops Open.

const (
	frameHeader = 8
	// maxFrame bounds a frame's length so that a damaged header cannot
	// ask for gigabytes; events are at most 1 MiB, decisions far less.
	maxFrame = 16 << 20
	// segmentSize is the size after which the journal moves to a new
	// segment, so that no file grows without bound.
	segmentSize = 64 << 20
	segmentExt  = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// position is a place in the journal: a segment and a byte offset in it.
type position struct {
	segment uint64
	offset  int64
}

// appendFrame appends the frame of r to buf.
func appendFrame(buf []byte, r *Record) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, frameHeader)...)
	buf = binary.AppendUvarint(buf, r.Seq)
	buf = binary.AppendVarint(buf, r.Time.Unix())
	buf = binary.AppendUvarint(buf, uint64(r.Time.Nanosecond()))
	buf = appendField(buf, r.ID)
	buf = appendField(buf, r.Account)
	buf = appendField(buf, r.Type)
	buf = appendField(buf, r.Event)
	buf = appendField(buf, r.Decision)
	payload := buf[start+frameHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

// appendField appends s after its length, strings and bytes alike.
func appendField[T string | []byte](buf []byte, s T) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// errTorn says a frame is incomplete or fails its checksum.
var errTorn = errors.New("torn or damaged frame")

// errZeros says that where a frame should start the segment holds zeros:
// room written ahead for commits (journal.extend) that a crash left
// unused, or a commit whose bytes never reached the disk. Either way no
// frame of it was acknowledged.
var errZeros = fmt.Errorf("zeros written ahead of the commits: %w", errTorn)

// decodePayload decodes a frame's payload; the record's byte slices are
// copies.
func decodePayload(p []byte) (Record, error) {
	var r Record
	var err error
	if r.Seq, p, err = uvarint(p); err != nil {
		return r, err
	}
	sec, n := binary.Varint(p)
	if n <= 0 {
		return r, fmt.Errorf("time: %w", errTorn)
	}
	p = p[n:]
	nsec, p, err := uvarint(p)
	if err != nil || nsec >= 1e9 {
		return r, fmt.Errorf("time: %w", errTorn)
	}
	r.Time = time.Unix(sec, int64(nsec)).UTC()
	var fields [5][]byte
	for i := range fields {
		var size uint64
		if size, p, err = uvarint(p); err != nil {
			return r, err
		}
		if size > uint64(len(p)) {
			return r, fmt.Errorf("field %d of %d bytes past the frame: %w", i, size, errTorn)
		}
		fields[i], p = p[:size:size], p[size:]
	}
	if len(p) != 0 {
		return r, fmt.Errorf("%d bytes after the record: %w", len(p), errTorn)
	}
	r.ID, r.Account, r.Type = string(fields[0]), string(fields[1]), string(fields[2])
	r.Event, r.Decision = append([]byte(nil), fields[3]...), append([]byte(nil), fields[4]...)
	return r, nil
}

func uvarint(p []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, p, fmt.Errorf("varint: %w", errTorn)
	}
	return v, p[n:], nil
}

// readFrames calls fn for each frame of r, with the offset just past it,
// until the end of r; it returns the offset where it stopped and errTorn
// (wrapped) if what follows is not a whole, valid frame.
func readFrames(r io.Reader, offset int64, fn func(Record, int64) error) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var payload []byte
	for {
		rec, size, err := nextFrame(br, &payload)
		if err == io.EOF {
			return offset, nil
		}
		if err != nil {
			return offset, fmt.Errorf("%w at %d", err, offset)
		}
		offset += size
		if err := fn(rec, offset); err != nil {
			return offset, err
		}
	}
}

// readJournal calls fn with every frame of the journal in dir from pos
// on, in order, with where the frame starts and ends. The last segment
// may end in a commit a crash cut short, never acknowledged: readJournal
// then stops there and returns where it starts and why it is unreadable
// as torn, with no error. Anything else unreadable is an error, which
// names its segment.
func readJournal(dir string, pos position, fn func(r Record, start, end position) error) (tornAt position, torn, err error) {
	segs, err := segments(dir)
	if err != nil {
		return position{}, nil, err
	}
	for i, n := range segs {
		if n < pos.segment {
			continue
		}
		from := int64(0)
		if n == pos.segment {
			from = pos.offset
		}
		end, err := readSegment(dir, n, from, func(r Record, start, end int64) error {
			return fn(r, position{segment: n, offset: start}, position{segment: n, offset: end})
		})
		if errors.Is(err, errTorn) && i == len(segs)-1 {
			return position{segment: n, offset: end}, err, nil
		}
		if err != nil {
			return position{}, nil, fmt.Errorf("journal segment %d of %s: %w", n, dir, err)
		}
	}
	return position{}, nil, nil
}

// readSegment calls fn for each frame of segment n of the journal in dir
// from offset from on, with where the frame starts and ends, and returns
// the offset where reading stopped.
func readSegment(dir string, n uint64, from int64, fn func(r Record, start, end int64) error) (int64, error) {
	f, err := os.Open(segmentPath(dir, n))
	if err != nil {
		return from, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return from, err
	}
	start := from
	return readFrames(f, from, func(r Record, end int64) error {
		err := fn(r, start, end)
		start = end
		return err
	})
}

// nextFrame reads the frame at br and returns its record and length;
// io.EOF if br ends before it, errTorn (wrapped) if it is not a whole,
// valid frame. payload is scratch space kept between calls.
func nextFrame(br *bufio.Reader, payload *[]byte) (Record, int64, error) {
	var header [frameHeader]byte
	if n, err := io.ReadFull(br, header[:]); err != nil {
		if n == 0 && err == io.EOF {
			return Record{}, 0, io.EOF
		}
		return Record{}, 0, fmt.Errorf("header: %w", errTorn)
	}
	size := binary.LittleEndian.Uint32(header[:])
	if header == ([frameHeader]byte{}) {
		return Record{}, 0, errZeros
	}
	if size == 0 || size > maxFrame {
		return Record{}, 0, fmt.Errorf("length %d: %w", size, errTorn)
	}
	if cap(*payload) < int(size) {
		*payload = make([]byte, size)
	}
	p := (*payload)[:size]
	if _, err := io.ReadFull(br, p); err != nil {
		return Record{}, 0, fmt.Errorf("payload: %w", errTorn)
	}
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(header[4:]) {
		return Record{}, 0, fmt.Errorf("checksum: %w", errTorn)
	}
	rec, err := decodePayload(p)
	if err != nil {
		return Record{}, 0, fmt.Errorf("record: %w", err)
	}
	return rec, frameHeader + int64(size), nil
}

// frameReader reads the frames at given places of the journal. Places
// that follow each other are read on without a seek, so reading records
// in log order reads the segments front to back.
type frameReader struct {
	dir     string
	f       *os.File
	segment uint64
	at      int64 // the offset of br's next byte; -1 when unknown
	br      *bufio.Reader
	payload []byte
}

// read returns the record whose frame starts at p.
func (r *frameReader) read(p position) (Record, error) {
	if r.f == nil || r.segment != p.segment {
		r.close()
		f, err := os.Open(segmentPath(r.dir, p.segment))
		if err != nil {
			return Record{}, fmt.Errorf("journal segment %d: %w", p.segment, err)
		}
		r.f, r.segment, r.at = f, p.segment, -1
	}
	if r.at != p.offset {
		if _, err := r.f.Seek(p.offset, io.SeekStart); err != nil {
			return Record{}, fmt.Errorf("journal segment %d at %d: %w", p.segment, p.offset, err)
		}
		if r.br == nil {
			r.br = bufio.NewReaderSize(r.f, 32<<10)
		} else {
			r.br.Reset(r.f)
		}
		r.at = p.offset
	}
	rec, size, err := nextFrame(r.br, &r.payload)
	if err != nil {
		r.at = -1
		if err == io.EOF {
			err = fmt.Errorf("no frame: %w", errTorn)
		}
		return Record{}, fmt.Errorf("journal segment %d at %d: %w", p.segment, p.offset, err)
	}
	r.at += size
	return rec, nil
}

// record returns the record at p, which the index says is seq.
func (r *frameReader) record(seq uint64, p position) (Record, error) {
	rec, err := r.read(p)
	if err == nil && rec.Seq != seq {
		err = fmt.Errorf("the index puts record %d at %d:%d, where the journal holds %d", seq, p.segment, p.offset, rec.Seq)
	}
	return rec, err
}

func (r *frameReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// segmentPath names segment n of the journal in dir.
func segmentPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", n, segmentExt))
}

// segments lists the numbers of the segments in dir, in order.
func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list journal %s: %w", dir, err)
	}
	var out []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, segmentExt) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("journal %s: unexpected file %s", dir, name)
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// journal is the segment being appended to. Only the committer uses it.
//
// A sync that must also commit the file's new size costs the file
// system a journal transaction of its own: on this project's machines an
// 8 KiB write and fsync at the end of a file took 161 to 201 µs and 78 to
// 102 µs of the process's CPU, where the same over zeros already written
// and synced, with fdatasync, took 96 to 109 µs and 52 to 67 µs
// (BenchmarkCommitSync; BENCHMARKS.md, "A commit's sync"). So the segment is extended ahead
// of its commits with zeros, written and synced in the background
// (extend), and a commit that stays within them needs fdatasync only.
// The zeros past the last frame read as the end of the segment (errZeros);
// finish cuts them off when the journal moves on or closes.
//
// The zeros are written through a descriptor of their own. Linux reports
// a failed write-back once to each open file, to whichever sync asks
// first: through the committer's descriptor, the extension's sync could
// take the error of a commit's pages and leave the commit's own sync to
// succeed. With two, each sees it. A failed extension only means that
// commits past the zeros sync whole, so it is logged, not fatal: the
// commits' own syncs say whether the segment still takes writes.
type journal struct {
	dir string
	log *slog.Logger
	f   *os.File
	at  position // where the next frame goes
	buf []byte

	// alloc is how far the segment is written and synced, zeros past at:
	// a commit that ends within it changes no metadata.
	alloc int64
	// ext is the extension in flight, if any; the committer writes
	// nothing past alloc while one is.
	ext *extension
	// grow is the size of the next extension: it doubles from
	// minExtension to maxExtension, so a small store writes little
	// ahead and a busy one rarely extends.
	grow int64
	// noAhead is why the segment is no longer extended: an extension
	// failed, and the next segment tries again.
	noAhead error
}

const (
	minExtension = 1 << 20
	maxExtension = 16 << 20
	// zeroWrite is the size of each write of an extension.
	zeroWrite = 256 << 10
)

// extension is zeros being written to a segment from from to to, and
// synced; done tells the outcome.
type extension struct {
	to   int64
	done chan error
}

// createSegment finishes the segment being written, if any, starts
// segment n, empty, and makes its name durable.
func (j *journal) createSegment(n uint64) error {
	if err := j.finish(); err != nil {
		return err
	}
	f, err := os.OpenFile(segmentPath(j.dir, n), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create journal segment: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	j.f, j.at, j.alloc, j.grow, j.noAhead = f, position{segment: n}, 0, minExtension, nil
	j.extend()
	return nil
}

// extend starts writing zeros past alloc, in the background.
func (j *journal) extend() {
	from := max(j.alloc, j.at.offset)
	to := from + j.grow
	if from < segmentSize {
		// The journal moves on at segmentSize, so what lies past it
		// serves the segment's last commit alone.
		to = min(to, segmentSize+minExtension)
	}
	x := &extension{to: to, done: make(chan error, 1)}
	j.ext, j.grow = x, min(2*j.grow, maxExtension)
	go func(path string) {
		x.done <- writeZeros(path, from, x.to)
	}(segmentPath(j.dir, j.at.segment))
}

// writeZeros writes zeros to the file at path from from to to, through a
// descriptor of its own, and syncs them.
func writeZeros(path string, from, to int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("extend journal segment: %w", err)
	}
	zeros := make([]byte, zeroWrite)
	for at := from; at < to; at += zeroWrite {
		if _, err := f.WriteAt(zeros[:min(zeroWrite, to-at)], at); err != nil {
			f.Close()
			return fmt.Errorf("extend journal segment %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("extend journal segment %s: %w", path, err)
	}
	return f.Close()
}

// take settles the extension in flight, if any: waiting for it when
// wait, else only if it has finished. Its zeros join alloc, or, if it
// failed, the segment is extended no more.
func (j *journal) take(wait bool) {
	if j.ext == nil {
		return
	}
	var err error
	if wait {
		err = <-j.ext.done
	} else {
		select {
		case err = <-j.ext.done:
		default:
			return
		}
	}
	if err == nil {
		j.alloc = max(j.alloc, j.ext.to)
	} else {
		j.noAhead = err
		j.logger().Warn("journal: zeros not written ahead; the segment's later commits sync whole", "segment", j.at.segment, "err", err)
	}
	j.ext = nil
}

func (j *journal) logger() *slog.Logger {
	if j.log == nil {
		return slog.Default()
	}
	return j.log
}

// write appends the frames of recs and syncs; it returns where each
// frame starts, appended to starts, and the position after them.
func (j *journal) write(recs []Record, starts []position) ([]position, position, error) {
	j.buf = j.buf[:0]
	for i := range recs {
		starts = append(starts, position{segment: j.at.segment, offset: j.at.offset + int64(len(j.buf))})
		j.buf = appendFrame(j.buf, &recs[i])
	}
	end := j.at.offset + int64(len(j.buf))
	// An extension's zeros must not land on these frames: past alloc,
	// wait for the one in flight.
	j.take(end > j.alloc)
	if _, err := j.f.WriteAt(j.buf, j.at.offset); err != nil {
		return starts, j.at, fmt.Errorf("write journal segment %d: %w", j.at.segment, err)
	}
	var err error
	if end <= j.alloc {
		err = datasync.Sync(j.f)
	} else {
		err = j.f.Sync() // the file grew: its size is committed too
	}
	if err != nil {
		return starts, j.at, fmt.Errorf("sync journal segment %d: %w", j.at.segment, err)
	}
	j.at.offset = end
	if j.ext == nil && j.noAhead == nil && j.alloc-end < j.grow/2 {
		j.extend()
	}
	if cap(j.buf) > 4<<20 {
		j.buf = nil // one huge commit should not pin its buffer
	}
	return starts, j.at, nil
}

// finish cuts the segment being written, if any, to its last frame,
// durably, and closes it.
func (j *journal) finish() error {
	if j.f == nil {
		return nil
	}
	f := j.f
	j.f = nil
	j.take(true)
	err := f.Truncate(j.at.offset)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		err = fmt.Errorf("cut journal segment %d at %d: %w", j.at.segment, j.at.offset, err)
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
