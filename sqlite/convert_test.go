package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// oldStore writes a store as mamori wrote it before the index: the
// migrations of that time applied, rows in the events table, and a
// journal whose segments from journal_position on hold acknowledged
// records the table lacks. It returns the records the store holds, in
// sequence order.
func oldStore(t *testing.T, dir string, torn bool) []Record {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "mamori.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	for i, name := range names[:5] { // 0001 to 0005, the last before the index
		body, _ := migrations.ReadFile(name)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '2026-11-20T00:00:00Z')`, i+1, filepath.Base(name)); err != nil {
			t.Fatal(err)
		}
	}
	var all []Record
	for seq := uint64(1); seq <= 30; seq++ {
		r := rec(seq, fmt.Sprintf("a-%d", seq%4))
		if seq == 7 {
			r.Type = "order.placed"
			r.Event = []byte(`{"id":"e-7","type":"order.placed","account_id":"a-3","properties":{"order_id":"o-7"}}`)
		}
		if _, err := db.Exec(`INSERT INTO events (seq, id, account, type, time, event, decision) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			seq, r.ID, r.Account, r.Type, r.Time.Format(time.RFC3339Nano), r.Event, r.Decision); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	// Segment 4 starts with records already in the table (28 to 30: the
	// old store had not removed it yet) and goes on with 31 to 40;
	// segment 5 holds 41 to 45, then, if torn, part of a commit.
	journal := filepath.Join(dir, "journal")
	if err := os.MkdirAll(journal, 0o700); err != nil {
		t.Fatal(err)
	}
	var seg4 []byte
	for seq := uint64(28); seq <= 30; seq++ {
		seg4 = appendFrame(seg4, &all[seq-1])
	}
	indexed := len(seg4)
	for seq := uint64(31); seq <= 40; seq++ {
		r := rec(seq, fmt.Sprintf("a-%d", seq%4))
		seg4, all = appendFrame(seg4, &r), append(all, r)
	}
	var seg5 []byte
	for seq := uint64(41); seq <= 45; seq++ {
		r := rec(seq, fmt.Sprintf("a-%d", seq%4))
		seg5, all = appendFrame(seg5, &r), append(all, r)
	}
	if torn {
		r := rec(46, "a-1")
		seg5 = append(seg5, appendFrame(nil, &r)[:20]...)
	}
	for n, data := range map[uint64][]byte{4: seg4, 5: seg5} {
		if err := os.WriteFile(segmentPath(journal, n), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE journal_position SET segment = 4, byte_offset = ?`, indexed); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestAnOldStoreIsConverted(t *testing.T) {
	for _, torn := range []bool{false, true} {
		t.Run(fmt.Sprint("torn ", torn), func(t *testing.T) {
			dir := t.TempDir()
			want := oldStore(t, dir, torn)
			// What an earlier conversion, cut short before it changed the
			// store over, left behind.
			if err := os.MkdirAll(filepath.Join(dir, stagingDirName, journalDirName), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segmentPath(filepath.Join(dir, stagingDirName, journalDirName), 1), []byte("half"), 0o600); err != nil {
				t.Fatal(err)
			}
			l, logs := openLogged(t, dir)
			if !strings.Contains(logs.String(), "events=45") {
				t.Errorf("conversion logged %q; want 45 events", logs.String())
			}
			checkRecords(t, l, want)
			checkReads(t, l, want)
			if _, err := os.Stat(filepath.Join(dir, stagingDirName)); !os.IsNotExist(err) {
				t.Errorf("the staging directory is still there: %v", err)
			}
			if segs, _ := segments(filepath.Join(dir, journalDirName)); len(segs) != 2 || segs[0] != 1 {
				t.Errorf("journal segments %v; want the converted one and a new one", segs)
			}
			var rows int
			if err := l.reader.QueryRow(`SELECT count(*) FROM events`).Scan(&rows); err != nil || rows != 0 {
				t.Errorf("%d rows left in the old table, %v", rows, err)
			}
			// Appends after the conversion, and a restart that converts
			// nothing again.
			restartQuietly(t, l, dir, want, records(5, 101))
		})
	}
}

// checkReads checks the look-ups by id, account and order against want.
func checkReads(t *testing.T, l *Log, want []Record) {
	t.Helper()
	ctx := context.Background()
	for _, r := range want {
		d, ok, err := l.Decision(ctx, r.ID)
		if err != nil || !ok || !bytes.Equal(d, r.Decision) {
			t.Fatalf("decision of %s: %s, %v, %v", r.ID, d, ok, err)
		}
	}
	if _, ok, err := l.Decision(ctx, "e-999"); ok || err != nil {
		t.Errorf("decision of an unknown id: %v, %v", ok, err)
	}
	var a1 []uint64
	for i := len(want) - 1; i >= 0; i-- {
		if want[i].Account == "a-1" {
			a1 = append(a1, want[i].Seq)
		}
	}
	got, err := l.AccountEvents(ctx, "a-1", 4)
	if err != nil || len(got) != 4 {
		t.Fatalf("events of a-1: %v, %v", got, err)
	}
	for i, r := range got {
		if r.Seq != a1[i] || r.Account != "a-1" {
			t.Errorf("event %d of a-1: %d (%s), want %d", i, r.Seq, r.Account, a1[i])
		}
	}
	orders := 0
	for _, r := range want {
		if r.Type != "order.placed" {
			continue
		}
		orders++
		order := orderID(r.Event)
		if acct, ok, err := l.OrderAccount(ctx, order); err != nil || !ok || acct != r.Account {
			t.Errorf("account of order %s: %q, %v, %v; want %s", order, acct, ok, err, r.Account)
		}
	}
	if orders == 0 {
		t.Error("no order to look up")
	}
	if _, ok, err := l.OrderAccount(ctx, "o-unknown"); ok || err != nil {
		t.Errorf("account of an unknown order: %v, %v", ok, err)
	}
	if n, err := l.Count(ctx); err != nil || n != int64(len(want)) {
		t.Errorf("count %d, %v; want %d", n, err, len(want))
	}
	if end, err := l.MaxSeq(ctx); err != nil || end != want[len(want)-1].Seq {
		t.Errorf("end %d, %v", end, err)
	}
}

// A conversion cut short after the new index was moved into place is
// finished by the next Open: the converted journal replaces the old one.
func TestFinishConversionReplacesTheOldJournal(t *testing.T) {
	for _, oldLeft := range []bool{true, false} {
		t.Run(fmt.Sprint("old journal left ", oldLeft), func(t *testing.T) {
			dir := t.TempDir()
			staged := filepath.Join(dir, stagingDirName, journalDirName)
			if err := os.MkdirAll(staged, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segmentPath(staged, 1), []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}
			journal := filepath.Join(dir, journalDirName)
			if oldLeft {
				if err := os.MkdirAll(journal, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(segmentPath(journal, 4), []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := finishConversion(dir); err != nil {
				t.Fatal(err)
			}
			segs, err := segments(journal)
			if err != nil || len(segs) != 1 || segs[0] != 1 {
				t.Fatalf("journal after finishing: %v, %v", segs, err)
			}
			if b, _ := os.ReadFile(segmentPath(journal, 1)); string(b) != "new" {
				t.Errorf("segment 1 holds %q", b)
			}
			if _, err := os.Stat(filepath.Join(dir, stagingDirName)); !os.IsNotExist(err) {
				t.Errorf("staging left: %v", err)
			}
		})
	}
}

// Reads of long histories go through the index: a page of an account's
// newest records, records after a sequence with a type filter, a replay.
func TestReadsThroughTheIndex(t *testing.T) {
	ctx := context.Background()
	l, _ := openSlow(t)
	var all []Record
	for i := range 3 {
		batch := records(300, uint64(1+300*i))
		for j := range batch {
			if j%10 == 0 {
				batch[j].Type = "order.placed"
				batch[j].Event = fmt.Appendf(nil, `{"properties":{"order_id":"o-%d"}}`, batch[j].Seq)
			}
		}
		appendAll(t, l, batch)
		all = append(all, batch...)
	}
	checkReads(t, l, all)
	orders, err := l.Records(ctx, 450, 7, "order.placed")
	if err != nil || len(orders) != 7 {
		t.Fatalf("orders after 450: %d, %v", len(orders), err)
	}
	for i, r := range orders {
		if want := uint64(451 + 10*i); r.Seq != want || r.Type != "order.placed" {
			t.Errorf("order %d: %d %s, want %d", i, r.Seq, r.Type, want)
		}
	}
	var replayed []uint64
	if err := l.Replay(ctx, 880, func(r Record) error { replayed = append(replayed, r.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(replayed) != 20 || replayed[0] != 881 || replayed[19] != 900 {
		t.Errorf("replay after 880: %v", replayed)
	}
	found, err := l.Webhooks().CaseSeen(ctx, "a-1", "c-1", 900)
	if err != nil || found {
		t.Errorf("a case no decision names: %v, %v", found, err)
	}
}
