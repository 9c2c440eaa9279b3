package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
	"github.com/mamori-dev/mamori/statepack"
)

// A snapshot holds every account's state as of a point in the log, so
// that a restart replays only the log's tail. It is taken while events
// keep flowing: each shard encodes its accounts in turn, and each account
// carries the sequence of the last event it holds, so that the replay
// after the snapshot skips what an account already has.
const (
	snapshotFile = "state.snapshot"
	// snapshotVersion changes when the account state gains what an older
	// snapshot cannot hold (messages came in version 2): a restart then
	// replays the whole log. Version 3 holds the cross-account counters
	// as pairs of who and when; version 2, still read, as two lists.
	// Version 4 holds the accounts packed (statepack), with the table of
	// strings they share and the case index; 2 and 3, still read, hold
	// them as gob-encoded risk.State. Version 5 holds the same as 4, but
	// as a stream (below), so that neither writing nor reading it holds
	// every account's bytes at once.
	snapshotVersion = 5
)

// A snapshot of version 5 is a gob stream of a snapshot holding only
// Version, Seq and Shards, then Shards maps of account key to packed
// state, then a snapshotTail. Earlier versions are one snapshot value.

type snapshot struct {
	Version int
	// Seq: every event at or below it is in the snapshot; events above it
	// may be, per account (risk.State.LastSeq says).
	Seq uint64
	// Accounts has one gob-encoded map per shard: from version 4 of
	// account key to packed state, before it of key to *risk.State.
	Accounts [][]byte
	Filter   []byte // the dedup filter
	Crowd    []byte // gob-encoded crowdState
	// Strings is the table the packed states refer to, taken after every
	// shard packed its accounts, so that it holds every entry they use
	// (version 4).
	Strings []string
	// Cases maps case ids to account keys (version 4; before it, the
	// index was rebuilt from the decoded states).
	Cases map[string]string
	// Shards is how many maps of accounts follow the head (version 5).
	Shards int
}

// snapshotTail ends a snapshot of version 5: what is read once every
// shard has packed its accounts.
type snapshotTail struct {
	Strings []string
	Cases   map[string]string
	Filter  []byte
	Crowd   []byte
}

// Snapshot writes the state of every account to the data directory. It
// returns at once if a snapshot is already being taken, or if the engine
// has no data directory (encoding every account for nothing would stall
// the shards).
func (e *Engine) Snapshot(ctx context.Context) error {
	if e.dir == "" {
		return nil
	}
	if !e.snapshotting.TryLock() {
		return nil
	}
	defer e.snapshotting.Unlock()
	packed := func(s *shard) map[string][]byte {
		ch := make(chan map[string][]byte, 1)
		s.jobs <- job{snapshot: ch}
		return <-ch
	}
	// The snapshot may hold events still on their way to disk: it must not
	// be installed before they are.
	onDisk := func() error {
		if err := e.log.Barrier(ctx); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if err := e.Err(); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		return nil
	}
	return e.writeSnapshot(packed, onDisk)
}

// snapshotStopped writes the snapshot of a clean stop, once the shards
// have stopped (and the log holds every event they applied).
func (e *Engine) snapshotStopped() error {
	if e.dir == "" {
		return nil
	}
	return e.writeSnapshot((*shard).packedAccounts, func() error { return nil })
}

// writeSnapshot writes a snapshot of version 5: each shard's accounts as
// packed gives them, written here rather than in the shard, which goes on
// with its events meanwhile (packed states are never changed in place);
// then the tail. It is installed once ready says it may be.
func (e *Engine) writeSnapshot(packed func(*shard) map[string][]byte, ready func() error) error {
	w, err := e.createSnapshot(e.seq.Load())
	if err != nil {
		return err
	}
	defer w.abort()
	for _, s := range e.shards {
		if err := w.add(packed(s)); err != nil {
			return err
		}
	}
	tail, err := e.snapshotTail()
	if err != nil {
		return err
	}
	if err := w.add(&tail); err != nil {
		return err
	}
	if err := ready(); err != nil {
		return err
	}
	return w.commit()
}

// snapshotTail takes what follows the accounts: the string table after
// every shard packed its accounts, so that it holds every entry they use.
func (e *Engine) snapshotTail() (snapshotTail, error) {
	t := snapshotTail{Strings: e.table.List(), Cases: e.cases.copy()}
	var err error
	if t.Filter, err = e.encodeFilter(); err != nil {
		return t, err
	}
	t.Crowd, err = e.encodeCrowd()
	return t, err
}

func (e *Engine) encodeCrowd() ([]byte, error) {
	var buf bytes.Buffer
	e.crowd.mu.Lock()
	err := gob.NewEncoder(&buf).Encode(&e.crowd.c)
	e.crowd.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("encode crowd: %w", err)
	}
	return buf.Bytes(), nil
}

func (e *Engine) encodeFilter() ([]byte, error) {
	e.dedup.mu.Lock()
	filter := e.dedup.filter.Copy()
	e.dedup.mu.Unlock()
	var buf bytes.Buffer
	if _, err := filter.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode dedup filter: %w", err)
	}
	return buf.Bytes(), nil
}

// restoreAccounts puts the snapshot's accounts in their shards: packed
// as the snapshot holds them from version 4 (version 5's are there
// already, put as they were read), decoded and then packed as the shards
// fill before it.
func (e *Engine) restoreAccounts(snap *snapshot) error {
	if snap.Version >= 4 {
		e.table = statepack.LoadStrings(snap.Strings, tableLimit)
		for _, blob := range snap.Accounts {
			var accounts map[string][]byte
			if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&accounts); err != nil {
				return fmt.Errorf("decode snapshot: %w", err)
			}
			e.putPacked(accounts)
		}
		for id, key := range snap.Cases {
			e.cases.add(id, key)
		}
		return nil
	}
	for _, blob := range snap.Accounts {
		var accounts map[string]*risk.State
		if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&accounts); err != nil {
			return fmt.Errorf("decode snapshot: %w", err)
		}
		for key, st := range accounts {
			sh := e.shardOf(key)
			st.Intern(sh.strings.intern)
			if key == st.AccountID {
				key = st.AccountID // one copy of the id for the map and the state
			}
			for _, c := range st.Cases {
				e.cases.add(c.ID, key)
			}
			sh.add(key, st)
		}
	}
	return nil
}

// putPacked puts accounts read packed from a snapshot in their shards.
func (e *Engine) putPacked(accounts map[string][]byte) {
	for key, b := range accounts {
		e.shardOf(key).accounts[key] = account{packed: b}
	}
}

// accountKeys returns a function that gives, for each of ids that names
// an account, the shard's own copy of the key, so that the crowd decoded
// from a snapshot shares it rather than keeping a copy per sighting.
func (e *Engine) accountKeys(ids map[string]struct{}) func(string) string {
	own := make(map[string]string, len(ids))
	for _, s := range e.shards {
		for key := range s.accounts {
			if _, ok := ids[key]; ok {
				own[key] = key
			}
		}
	}
	return func(id string) string {
		if k, ok := own[id]; ok {
			return k
		}
		return id
	}
}

// snapshotWriter writes a snapshot next to its final name; commit syncs
// it and renames it into place, so that a crash leaves the old or the
// new one.
type snapshotWriter struct {
	e   *Engine
	f   *os.File
	buf *bufio.Writer
	enc *gob.Encoder
	seq uint64
}

func (e *Engine) createSnapshot(seq uint64) (*snapshotWriter, error) {
	f, err := os.CreateTemp(e.dir, snapshotFile+".*")
	if err != nil {
		return nil, fmt.Errorf("write snapshot: %w", err)
	}
	w := &snapshotWriter{e: e, f: f, buf: bufio.NewWriterSize(f, 1<<20), seq: seq}
	w.enc = gob.NewEncoder(w.buf)
	if err := w.add(&snapshot{Version: snapshotVersion, Seq: seq, Shards: len(e.shards)}); err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

func (w *snapshotWriter) add(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return fmt.Errorf("write snapshot %s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *snapshotWriter) commit() error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", w.f.Name(), err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync snapshot %s: %w", w.f.Name(), err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("close snapshot %s: %w", w.f.Name(), err)
	}
	if err := os.Rename(w.f.Name(), filepath.Join(w.e.dir, snapshotFile)); err != nil {
		return fmt.Errorf("install snapshot: %w", err)
	}
	w.f = nil
	if d, err := os.Open(w.e.dir); err == nil {
		d.Sync()
		d.Close()
	}
	w.e.logger.Info("snapshot written", "seq", w.seq)
	return nil
}

// abort removes the snapshot unless it was committed.
func (w *snapshotWriter) abort() {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
		w.f = nil
	}
}

type restoreStats struct {
	snapshotSeq uint64
	replayed    int64
	accounts    int
}

// restore loads the snapshot, if a good one exists, and replays the log
// after it.
func (e *Engine) restore(ctx context.Context) (restoreStats, error) {
	var stats restoreStats
	var snap *snapshot
	err := fs.ErrNotExist
	if e.dir != "" {
		snap, err = readSnapshot(filepath.Join(e.dir, snapshotFile), e.putPacked)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		e.logger.Warn("snapshot unreadable; replaying the whole log", "err", err)
		snap = nil
		// Forget the accounts read before the damage.
		for _, s := range e.shards {
			clear(s.accounts)
		}
	}
	var filter *bloom.BloomFilter
	if snap != nil {
		if err := e.restoreAccounts(snap); err != nil {
			return stats, err
		}
		if len(snap.Crowd) > 0 {
			if err := decodeCrowd(snap.Version, snap.Crowd, &e.crowd.c); err != nil {
				return stats, err
			}
			e.crowd.shareIDs(e.accountKeys(e.crowd.whos()))
		}
		filter = &bloom.BloomFilter{}
		if _, err := filter.ReadFrom(bytes.NewReader(snap.Filter)); err != nil {
			return stats, fmt.Errorf("decode snapshot filter: %w", err)
		}
		stats.snapshotSeq = snap.Seq
	} else {
		n, err := e.log.Count(ctx)
		if err != nil {
			return stats, err
		}
		filter = filterFor(n)
	}
	e.dedup = newDedup(filter)

	last := stats.snapshotSeq
	err = e.log.Replay(ctx, stats.snapshotSeq, func(r mamori.LogRecord) error {
		last = r.Seq
		e.dedup.filter.AddString(r.ID)
		sh := e.shardOf(r.Account)
		st, err := sh.state(r.Account)
		if err != nil {
			return fmt.Errorf("replay event %d: %w", r.Seq, err)
		}
		if st != nil && st.LastSeq >= r.Seq {
			return nil
		}
		var ev mamori.Event
		if err := json.Unmarshal(r.Event, &ev); err != nil {
			return fmt.Errorf("replay event %d: %w", r.Seq, err)
		}
		var d mamori.Decision
		if err := json.Unmarshal(r.Decision, &d); err != nil {
			return fmt.Errorf("replay decision %d: %w", r.Seq, err)
		}
		if st == nil {
			st = &risk.State{AccountID: ev.AccountID}
			sh.add(r.Account, st)
		}
		in := risk.NewInput(&ev, r.Seq, e.opts.Networks, &sh.agents)
		in.Intern(sh.strings.intern)
		for i, a := range d.Actions {
			d.Actions[i] = mamori.Action(sh.strings.intern(string(a)))
		}
		risk.Apply(st, in, &d)
		e.crowd.observe(in, &d, routeKey(st, &ev))
		if d.CaseID != "" {
			e.cases.add(d.CaseID, r.Account)
		}
		stats.replayed++
		return nil
	})
	if err != nil {
		return stats, err
	}
	e.seq.Store(max(last, stats.snapshotSeq))
	for _, s := range e.shards {
		stats.accounts += len(s.accounts)
	}
	return stats, nil
}

// readSnapshot reads the snapshot at path. Of version 5, it hands each
// shard's map of packed accounts to accounts (if not nil) as it decodes
// it, and keeps none; earlier versions are read whole.
func readSnapshot(path string, accounts func(map[string][]byte)) (*snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var snap snapshot
	if err := dec.Decode(&snap); err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	if snap.Version < 2 || snap.Version > snapshotVersion {
		return nil, fmt.Errorf("snapshot %s has version %d, want 2 to %d", path, snap.Version, snapshotVersion)
	}
	if snap.Version < 5 {
		return &snap, nil
	}
	for i := range snap.Shards {
		var m map[string][]byte
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("read snapshot %s: accounts of shard %d: %w", path, i, err)
		}
		if accounts != nil {
			accounts(m)
		}
	}
	var tail snapshotTail
	if err := dec.Decode(&tail); err != nil {
		return nil, fmt.Errorf("read snapshot %s: the end: %w", path, err)
	}
	snap.Strings, snap.Cases, snap.Filter, snap.Crowd = tail.Strings, tail.Cases, tail.Filter, tail.Crowd
	return &snap, nil
}

// crowdStateV2 is the crowd as a snapshot of version 2 holds it.
type crowdStateV2 struct {
	IPFails     map[string]*recentV2
	PrefixFails map[string]*recentV2
	Recipients  map[string]*recentV2
	Devices     map[string]*recentV2
	ASNs        map[string]float64
	Countries   map[string]float64
	Browsers    map[string]float64
	SignIns     float64
	Now         time.Time
	Touched     int
}

type recentV2 struct {
	Who  []string
	When []time.Time
}

// decodeCrowd decodes the crowd of a snapshot of the given version.
func decodeCrowd(version int, blob []byte, c *crowdState) error {
	if version != 2 {
		if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(c); err != nil {
			return fmt.Errorf("decode snapshot crowd: %w", err)
		}
		return nil
	}
	var old crowdStateV2
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&old); err != nil {
		return fmt.Errorf("decode snapshot crowd (version 2): %w", err)
	}
	convert := func(m map[string]*recentV2) map[string]recent {
		out := make(map[string]recent, len(m))
		for k, r := range m {
			if r == nil || len(r.Who) != len(r.When) || len(r.When) == 0 {
				continue
			}
			out[k] = make(recent, len(r.When))
			for i := range r.When {
				out[k][i] = sighting{Who: r.Who[i], When: r.When[i]}
			}
		}
		return out
	}
	*c = crowdState{
		IPFails: convert(old.IPFails), PrefixFails: convert(old.PrefixFails),
		Recipients: convert(old.Recipients), Devices: convert(old.Devices),
		ASNs: orEmpty(old.ASNs), Countries: orEmpty(old.Countries), Browsers: orEmpty(old.Browsers),
		SignIns: old.SignIns, Now: old.Now, Touched: old.Touched,
	}
	return nil
}

// orEmpty returns m, or an empty map where gob, which leaves empty maps
// out, left it nil.
func orEmpty(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}
