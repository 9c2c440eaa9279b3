//go:build ignore

// Command enrich-data turns the CSV files of the ip-location-db npm packages
// into the compact extract that package enrich embeds (enrich/data/networks.bin.gz).
//
// It is run by regenerate.sh beside it, which fetches the packages first:
//
//	go run scripts/enrich-data/main.go -asn4 asn-ipv4.csv -asn6 asn-ipv6.csv \
//	    -country4 geo-whois-asn-country-ipv4.csv -country6 asn-country-ipv6.csv \
//	    -source "..." -out enrich/data/networks.bin.gz
//
// The format is described in enrich/data.go, which decodes it. In short: a
// gzip stream holding a magic line, a source line, the table of autonomous
// systems (number and organisation), the table of country codes and four
// range tables (IPv4 ASN, IPv4 country, IPv6 ASN, IPv6 country). A range
// table lists the starts of contiguous ranges, delta-encoded as uvarints,
// each followed by the 1-based index of its value (0 = no data). Adjacent
// ranges with the same value are merged. IPv6 keys are the upper 64 bits of
// the address: a /64 takes the value of its first address.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"container/heap"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/netip"
	"os"
	"slices"
	"strconv"
)

// magic must match the one in enrich/data.go.
const magic = "mamori-networks 1\n"

func main() {
	asn4 := flag.String("asn4", "", "asn-ipv4.csv of @ip-location-db/asn")
	asn6 := flag.String("asn6", "", "asn-ipv6.csv of @ip-location-db/asn")
	country4 := flag.String("country4", "", "IPv4 country CSV (start,end,cc)")
	country6 := flag.String("country6", "", "IPv6 country CSV (start,end,cc)")
	source := flag.String("source", "", "one line naming the sources, stored in the extract")
	out := flag.String("out", "enrich/data/networks.bin.gz", "output file")
	flag.Parse()
	if *asn4 == "" || *asn6 == "" || *country4 == "" || *country6 == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*asn4, *asn6, *country4, *country6, *source, *out); err != nil {
		log.Fatal(err)
	}
}

// interval is a half-open range [lo, hi) of keys with a value index.
type interval struct {
	lo, hi uint64
	val    uint32
}

// entry starts a contiguous range that runs to the next entry's start.
type entry struct {
	start uint64
	val   uint32
}

func run(asn4, asn6, country4, country6, source, out string) error {
	orgs := map[uint32]string{}
	rawASN4, err := readASN(asn4, orgs)
	if err != nil {
		return err
	}
	rawASN6, err := readASN(asn6, orgs)
	if err != nil {
		return err
	}
	rawCC4, err := readCountry(country4)
	if err != nil {
		return err
	}
	rawCC6, err := readCountry(country6)
	if err != nil {
		return err
	}

	asns := make([]uint32, 0, len(orgs))
	for asn := range orgs {
		asns = append(asns, asn)
	}
	slices.Sort(asns)
	asnIndex := make(map[uint32]uint32, len(asns))
	for i, asn := range asns {
		asnIndex[asn] = uint32(i + 1)
	}

	codeSet := map[string]bool{}
	for _, r := range append(slices.Clone(rawCC4), rawCC6...) {
		codeSet[r.value] = true
	}
	codes := make([]string, 0, len(codeSet))
	for c := range codeSet {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	codeIndex := make(map[string]uint32, len(codes))
	for i, c := range codes {
		codeIndex[c] = uint32(i + 1)
	}

	tables := []struct {
		name string
		rows []row
		v6   bool
		idx  func(string) uint32
	}{
		{"ipv4 asn", rawASN4, false, func(s string) uint32 { return asnIndex[mustASN(s)] }},
		{"ipv4 country", rawCC4, false, func(s string) uint32 { return codeIndex[s] }},
		{"ipv6 asn", rawASN6, true, func(s string) uint32 { return asnIndex[mustASN(s)] }},
		{"ipv6 country", rawCC6, true, func(s string) uint32 { return codeIndex[s] }},
	}

	var buf bytes.Buffer
	buf.WriteString(magic)
	putString(&buf, source)
	putUvarint(&buf, uint64(len(asns)))
	prev := uint32(0)
	for _, asn := range asns {
		putUvarint(&buf, uint64(asn-prev))
		prev = asn
		putString(&buf, orgs[asn])
	}
	putUvarint(&buf, uint64(len(codes)))
	for _, c := range codes {
		buf.WriteString(c)
	}
	for _, t := range tables {
		ivs, err := intervals(t.rows, t.v6, t.idx)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		top := uint64(1) << 32
		if t.v6 {
			top = ^uint64(0)
		}
		entries, err := contiguous(ivs, top)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		putUvarint(&buf, uint64(len(entries)))
		var prev uint64
		for _, e := range entries {
			putUvarint(&buf, e.start-prev)
			putUvarint(&buf, uint64(e.val))
			prev = e.start
		}
		log.Printf("%s: %d rows -> %d ranges", t.name, len(t.rows), len(entries))
	}
	log.Printf("%d autonomous systems, %d countries, %d bytes before gzip", len(asns), len(codes), buf.Len())

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	log.Printf("wrote %s: %d bytes", out, st.Size())
	return nil
}

// row is one CSV line: an inclusive range and its value.
type row struct {
	start, end netip.Addr
	value      string
}

func readASN(path string, orgs map[uint32]string) ([]row, error) {
	var rows []row
	err := readCSV(path, 4, func(rec []string) error {
		r, err := parseRow(rec)
		if err != nil {
			return err
		}
		asn, err := strconv.ParseUint(rec[2], 10, 32)
		if err != nil || asn == 0 {
			return fmt.Errorf("bad ASN %q", rec[2])
		}
		if old, ok := orgs[uint32(asn)]; ok && old != rec[3] {
			// One name per AS: keep the first seen, say so.
			log.Printf("AS%d has two names: %q, %q", asn, old, rec[3])
		} else {
			orgs[uint32(asn)] = rec[3]
		}
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func readCountry(path string) ([]row, error) {
	var rows []row
	err := readCSV(path, 3, func(rec []string) error {
		r, err := parseRow(rec)
		if err != nil {
			return err
		}
		if len(r.value) != 2 {
			return fmt.Errorf("bad country code %q", r.value)
		}
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func parseRow(rec []string) (row, error) {
	start, err := netip.ParseAddr(rec[0])
	if err != nil {
		return row{}, err
	}
	end, err := netip.ParseAddr(rec[1])
	if err != nil {
		return row{}, err
	}
	if start.Is4() != end.Is4() || end.Less(start) {
		return row{}, fmt.Errorf("bad range %s-%s", start, end)
	}
	return row{start: start, end: end, value: rec[2]}, nil
}

func readCSV(path string, fields int, each func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = fields
	r.ReuseRecord = true
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := each(rec); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

func mustASN(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		panic(err)
	}
	return uint32(n)
}

// intervals turns inclusive address ranges into half-open key intervals.
// IPv4 keys are the address; IPv6 keys are the upper 64 bits, and a range
// covers the /64 blocks whose first address it contains.
func intervals(rows []row, v6 bool, idx func(string) uint32) ([]interval, error) {
	out := make([]interval, 0, len(rows))
	for _, r := range rows {
		if r.start.Is4() == v6 {
			return nil, fmt.Errorf("%s: wrong address family", r.start)
		}
		val := idx(r.value)
		if val == 0 {
			return nil, fmt.Errorf("no index for %q", r.value)
		}
		var iv interval
		if v6 {
			s, e := r.start.As16(), r.end.As16()
			sHi, sLo := binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])
			eHi := binary.BigEndian.Uint64(e[:8])
			if eHi >= ^uint64(0)-1 {
				return nil, fmt.Errorf("%s: range reaches the top of the address space", r.end)
			}
			iv = interval{lo: sHi, hi: eHi + 1, val: val}
			if sLo != 0 {
				iv.lo++
			}
			if iv.lo >= iv.hi {
				continue // holds no /64 start
			}
		} else {
			s, e := r.start.As4(), r.end.As4()
			iv = interval{lo: uint64(binary.BigEndian.Uint32(s[:])), hi: uint64(binary.BigEndian.Uint32(e[:])) + 1, val: val}
		}
		out = append(out, iv)
	}
	return resolve(out), nil
}

// resolve makes intervals disjoint. The sources have a few overlapping
// rows (an enclosing block and a more specific one inside or across it);
// where they overlap, the smallest interval wins, as in a longest-prefix match.
func resolve(ivs []interval) []interval {
	bounds := make([]uint64, 0, 2*len(ivs))
	for _, iv := range ivs {
		bounds = append(bounds, iv.lo, iv.hi)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	slices.SortFunc(ivs, func(a, b interval) int { return cmp.Compare(a.lo, b.lo) })

	var active intervalHeap
	var out []interval
	next := 0
	for k := 0; k+1 < len(bounds); k++ {
		lo, hi := bounds[k], bounds[k+1]
		for next < len(ivs) && ivs[next].lo == lo {
			heap.Push(&active, ivs[next])
			next++
		}
		for active.Len() > 0 && active[0].hi <= lo {
			heap.Pop(&active)
		}
		if active.Len() == 0 {
			continue
		}
		out = append(out, interval{lo: lo, hi: hi, val: active[0].val})
	}
	return out
}

// intervalHeap is a min-heap of intervals by size; ended ones are dropped lazily.
type intervalHeap []interval

func (h intervalHeap) Len() int { return len(h) }
func (h intervalHeap) Less(i, j int) bool {
	return h[i].hi-h[i].lo < h[j].hi-h[j].lo
}
func (h intervalHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *intervalHeap) Push(x any)   { *h = append(*h, x.(interval)) }
func (h *intervalHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// contiguous lists the starts of ranges, with gaps as value 0 and adjacent
// equal values merged. top is one past the largest key.
func contiguous(ivs []interval, top uint64) ([]entry, error) {
	var out []entry
	var end uint64
	for i, iv := range ivs {
		if i > 0 && iv.lo < end {
			return nil, fmt.Errorf("ranges overlap at key %d", iv.lo)
		}
		if i > 0 && iv.lo > end {
			out = append(out, entry{start: end, val: 0})
		}
		if n := len(out); n > 0 && out[n-1].val == iv.val {
			end = iv.hi
			continue
		}
		out = append(out, entry{start: iv.lo, val: iv.val})
		end = iv.hi
	}
	if len(out) > 0 && end < top {
		out = append(out, entry{start: end, val: 0})
	}
	return out, nil
}

func putUvarint(b *bytes.Buffer, v uint64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutUvarint(tmp[:], v)])
}

func putString(b *bytes.Buffer, s string) {
	putUvarint(b, uint64(len(s)))
	b.WriteString(s)
}
