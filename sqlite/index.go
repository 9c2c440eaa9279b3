package sqlite

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/mamori-dev/mamori"
)

// The events' records live in the journal's segments, which are kept;
// the index finds them. It is a Pebble store (an LSM tree): an entry is a
// key added to a sorted, appended run, so indexing an event costs a few
// microseconds however random its id and account. Each entry of a
// randomly keyed SQLite index cost about 8 µs of CPU and a page write,
// which made the tables the largest cost mamori added to a request
// (BENCHMARKS.md).
//
// Keys, each starting with a byte that names its kind:
//
//	's' seq (8 bytes, big endian)                → where its frame starts
//	'i' event id                                  → seq, then where its frame starts
//	'a' uvarint length, account, seq (8 bytes)    → where its frame starts
//	'o' order id                                  → account of its order.placed
//	'p'                                           → how far the index goes (indexMeta)
//
// A place is 16 bytes: the segment and the byte offset, big endian.
//
// The index writes no log of its own: the journal is that log. A batch
// of records moves 'p' with them, so after a crash the index holds some
// prefix of the journal, says which, and Open indexes the rest again.

const (
	kindSeq     = 's'
	kindID      = 'i'
	kindAccount = 'a'
	kindOrder   = 'o'
	kindMeta    = 'p'
)

// indexMeta says how far the index goes: every record before end in the
// journal is indexed and none after it; count records in all, the
// highest sequence last.
type indexMeta struct {
	end   position
	count uint64
	last  uint64
}

func (m indexMeta) encode() []byte {
	b := make([]byte, 0, 32)
	b = binary.BigEndian.AppendUint64(b, m.end.segment)
	b = binary.BigEndian.AppendUint64(b, uint64(m.end.offset))
	b = binary.BigEndian.AppendUint64(b, m.count)
	return binary.BigEndian.AppendUint64(b, m.last)
}

func decodeMeta(b []byte) (indexMeta, error) {
	if len(b) != 32 {
		return indexMeta{}, fmt.Errorf("index position of %d bytes, want 32", len(b))
	}
	return indexMeta{
		end:   position{segment: binary.BigEndian.Uint64(b), offset: int64(binary.BigEndian.Uint64(b[8:]))},
		count: binary.BigEndian.Uint64(b[16:]),
		last:  binary.BigEndian.Uint64(b[24:]),
	}, nil
}

// placeSize is the length of a place.
const placeSize = 16

func appendPlace(b []byte, p position) []byte {
	b = binary.BigEndian.AppendUint64(b, p.segment)
	return binary.BigEndian.AppendUint64(b, uint64(p.offset))
}

func decodePlace(b []byte) (position, error) {
	if len(b) != 16 {
		return position{}, fmt.Errorf("index place of %d bytes, want 16", len(b))
	}
	return position{segment: binary.BigEndian.Uint64(b), offset: int64(binary.BigEndian.Uint64(b[8:]))}, nil
}

func seqKey(b []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, kindSeq), seq)
}

func idKey(b []byte, id string) []byte { return append(append(b, kindID), id...) }

// accountPrefix is the start of the keys of one account's records; the
// length keeps account "ab" from reading the records of "abc".
func accountPrefix(b []byte, account string) []byte {
	b = binary.AppendUvarint(append(b, kindAccount), uint64(len(account)))
	return append(b, account...)
}

func orderKey(b []byte, order string) []byte { return append(append(b, kindOrder), order...) }

// index is the Pebble store of the journal's index.
type index struct {
	db *pebble.DB
	// Scratch for the indexer; only the indexer writes.
	key, vals []byte
	order     []int
	// fault, when set (by tests), fails every add, as a broken disk would.
	fault error
}

// openIndex opens or creates the index in dir.
func openIndex(dir string, logger *slog.Logger) (*index, error) {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	// The index is written all the time and read now and then (a repeated
	// event, a case timeline), so it is tuned to rewrite its entries
	// less: bigger memtables, more files in level 0 before they are
	// merged down, a bigger first level. With Pebble's defaults (4 MiB,
	// 4 files, 64 MiB) merging took 72% of the CPU of 64 appending writers
	// and indexing cost 26 µs an event over 3 M events, more than
	// SQLite's tables; tuned, 7 µs over 10 M (BENCHMARKS.md, "The index").
	opts := &pebble.Options{
		DisableWAL:            true, // the journal is the log (see above)
		FormatMajorVersion:    pebble.FormatNewest,
		Logger:                pebbleLogger{logger},
		Cache:                 cache,
		MemTableSize:          32 << 20,
		L0CompactionThreshold: 16,
		L0StopWritesThreshold: 64,
		LBaseMaxBytes:         512 << 20,
	}
	// A look-up of an id that is not there, as a repeated event's check
	// often is, is answered by a filter without reading a block.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	return &index{db: db}, nil
}

// meta returns how far the index goes; a new index goes nowhere yet.
func (x *index) meta() (indexMeta, bool, error) {
	v, closer, err := x.db.Get([]byte{kindMeta})
	if errors.Is(err, pebble.ErrNotFound) {
		return indexMeta{}, false, nil
	}
	if err != nil {
		return indexMeta{}, false, fmt.Errorf("read index position: %w", err)
	}
	defer closer.Close()
	m, err := decodeMeta(v)
	return m, true, err
}

// add indexes recs, whose frames start at starts, and moves the index's
// position to m, in one batch.
//
// An id is not looked up before it is indexed: in an LSM tree that read
// costs more than the write (5 µs an event, measured), and the engine,
// the log's one writer, already settles every repeated id before it
// appends (a filter, then Decision). A second record of an id would
// shadow the first in look-ups by id.
//
// The keys go into the batch kind by kind, each kind sorted: Pebble
// inserts a batch's keys into its memtable (a skiplist) one after
// another, starting each search from where the last ended when the key
// lies just beyond it, so sequences, nearly in order already (shards
// take them as they apply, the log keeps commit order), cost almost no
// search, and sorted ids and accounts less than when each record's keys
// took turns across the key space: 1,709 to 2,029 ns a record against
// 2,219 to 2,504 (BenchmarkIndexAdd, alternating builds), the order ids
// taken from the records, not decoded from their events, as well.
func (x *index) add(recs []Record, starts []position, m indexMeta) error {
	if x.fault != nil {
		return x.fault
	}
	b := x.db.NewBatch()
	defer b.Close()
	x.vals = slices.Grow(x.vals[:0], len(recs)*(8+placeSize))
	for i := range recs {
		x.vals = appendPlace(binary.BigEndian.AppendUint64(x.vals, recs[i].Seq), starts[i])
	}
	val := func(i int) []byte { return x.vals[i*(8+placeSize) : (i+1)*(8+placeSize)] }
	for i := range recs {
		x.key = seqKey(x.key[:0], recs[i].Seq)
		b.Set(x.key, val(i)[8:], nil)
	}
	x.order = x.order[:0]
	for i := range recs {
		x.order = append(x.order, i)
	}
	// Stable: of two records of one id, the later still shadows the
	// earlier.
	slices.SortStableFunc(x.order, func(i, j int) int { return strings.Compare(recs[i].ID, recs[j].ID) })
	for _, i := range x.order {
		x.key = idKey(x.key[:0], recs[i].ID)
		b.Set(x.key, val(i), nil)
	}
	// Stable, so that an account's records stay in sequence order.
	slices.SortStableFunc(x.order, func(i, j int) int { return strings.Compare(recs[i].Account, recs[j].Account) })
	for _, i := range x.order {
		x.key = binary.BigEndian.AppendUint64(accountPrefix(x.key[:0], recs[i].Account), recs[i].Seq)
		b.Set(x.key, val(i)[8:], nil)
	}
	for i := range recs {
		r := &recs[i]
		if r.Type != mamori.OrderPlaced {
			continue
		}
		order := r.Order
		if order == "" { // a record read back from the journal
			order = orderID(r.Event)
		}
		if order != "" {
			x.key = orderKey(x.key[:0], order)
			b.Set(x.key, []byte(r.Account), nil)
		}
	}
	b.Set([]byte{kindMeta}, m.encode(), nil)
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// orderID is the order id of an order.placed event's JSON, or "".
func orderID(event []byte) string {
	var ev struct {
		Properties struct {
			OrderID string `json:"order_id"`
		} `json:"properties"`
	}
	if json.Unmarshal(event, &ev) != nil {
		return ""
	}
	return ev.Properties.OrderID
}

// get returns the value of key, copied, and whether there is one.
func (x *index) get(key []byte) ([]byte, bool, error) {
	v, closer, err := x.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return bytes.Clone(v), true, nil
}

// place returns where the frame of event id starts.
func (x *index) place(id string) (position, bool, error) {
	v, ok, err := x.get(idKey(nil, id))
	if err != nil || !ok {
		return position{}, false, err
	}
	if len(v) < 8 {
		return position{}, false, fmt.Errorf("index entry of id %q: %d bytes", id, len(v))
	}
	p, err := decodePlace(v[8:])
	return p, err == nil, err
}

// orderAccount returns the account of order id's order.placed event.
func (x *index) orderAccount(order string) (string, bool, error) {
	v, ok, err := x.get(orderKey(nil, order))
	return string(v), ok, err
}

// accountPlaces calls fn with the places of account's records with a
// sequence below before, newest first, until fn returns false.
func (x *index) accountPlaces(account string, before uint64, fn func(seq uint64, p position) (bool, error)) error {
	prefix := accountPrefix(nil, account)
	upper := binary.BigEndian.AppendUint64(bytes.Clone(prefix), before)
	return x.places(prefix, upper, true, fn)
}

// seqPlaces calls fn with the places of the records with a sequence
// above after, in sequence order, until fn returns false.
func (x *index) seqPlaces(after uint64, fn func(seq uint64, p position) (bool, error)) error {
	lower := []byte{kindSeq}
	if after < ^uint64(0) {
		lower = seqKey(nil, after+1)
	}
	return x.places(lower, []byte{kindSeq + 1}, false, fn)
}

// places calls fn with the entries from lower up to upper, whose keys end
// in a sequence and whose values are places, in key order or, newest
// first, backwards, until fn returns false. The keys in the range all
// have the same length.
func (x *index) places(lower, upper []byte, backwards bool, fn func(seq uint64, p position) (bool, error)) error {
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	first, next := it.First, it.Next
	if backwards {
		first, next = it.Last, it.Prev
	}
	for ok := first(); ok; ok = next() {
		k := it.Key()
		if len(k) < 8 {
			err = fmt.Errorf("index key %q: too short", k)
			break
		}
		var p position
		if p, err = decodePlace(it.Value()); err != nil {
			break
		}
		var more bool
		if more, err = fn(binary.BigEndian.Uint64(k[len(k)-8:]), p); !more || err != nil {
			break
		}
	}
	return errors.Join(err, it.Close())
}

// close writes what the index holds in memory to its files, so that the
// next Open has nothing to index again, and closes it.
func (x *index) close() error {
	return errors.Join(x.db.Flush(), x.db.Close())
}

// pebbleLogger passes Pebble's messages to slog: its routine ones at the
// debug level, so that an open store stays quiet.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug("index: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("index: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error("index: " + msg)
	panic("index: " + msg)
}
