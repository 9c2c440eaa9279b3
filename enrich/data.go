package enrich

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// embeddedNetworks is the extract made by scripts/enrich-data from the
// ip-location-db packages; see README.md and data/LICENSE-DATA.md.
//
//go:embed data/networks.bin.gz
var embeddedNetworks string

// networksMagic starts the extract; its number changes with the format.
const networksMagic = "mamori-networks 1\n"

// errCorrupt is wrapped by every decoding error.
var errCorrupt = errors.New("corrupt network extract")

// The extract is a gzip stream of:
//
//	magic     "mamori-networks 1\n"
//	source    uvarint length, bytes: where the data came from
//	systems   uvarint count, then per AS in ascending number:
//	          uvarint (number - previous number), uvarint length, org bytes
//	countries uvarint count, then 2 bytes per ISO code, ascending
//	4 range tables: IPv4 ASN, IPv4 country, IPv6 ASN, IPv6 country;
//	          each a uvarint count, then per range:
//	          uvarint (start - previous start), uvarint value index
//
// A range runs from its start to the next range's start; value index i
// means systems[i-1] or countries[i-1], 0 means no data. IPv4 keys are the
// address as a big-endian uint32; IPv6 keys the upper 64 bits.
func decodeNetworks(gz string) (*Networks, error) {
	raw, err := gunzip(gz)
	if err != nil {
		return nil, err
	}
	return parseNetworks(raw)
}

// parseNetworks decodes the uncompressed extract.
func parseNetworks(raw []byte) (*Networks, error) {
	d := decoder{b: raw}
	if string(d.bytes(len(networksMagic))) != networksMagic {
		return nil, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	n := &Networks{source: string(d.bytes(d.count(1)))}
	n.systems, n.orgs = d.systems()
	n.countries = d.countries()
	n.v4ASN = decodeTable[uint32](&d, len(n.systems), 0, v4Shift)
	n.v4Country = decodeTable[uint32](&d, len(n.countries), 0, v4Shift)
	n.v6ASN = decodeTable[uint64](&d, len(n.systems), v6Base, v6Shift)
	n.v6Country = decodeTable[uint64](&d, len(n.countries), v6Base, v6Shift)
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return n, nil
}

func gunzip(gz string) ([]byte, error) {
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	var buf bytes.Buffer
	if len(gz) >= 4 {
		// The gzip trailer holds the uncompressed size mod 2^32.
		if size := binary.LittleEndian.Uint32([]byte(gz[len(gz)-4:])); size < 64<<20 {
			buf.Grow(int(size))
		}
	}
	// Bound what a corrupt stream can make us hold.
	if _, err := io.Copy(&buf, io.LimitReader(zr, 256<<20)); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return buf.Bytes(), nil
}

// decoder reads the extract; after the first error every read returns zero
// values and err keeps that first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at %d bytes from the end", errCorrupt, what, len(d.b))
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items that take at least minBytes each, and
// checks that that many bytes are left.
func (d *decoder) count(minBytes int) int {
	c := d.uvarint()
	if c > uint64(len(d.b)/minBytes) {
		d.fail("count larger than the data")
		return 0
	}
	return int(c)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

// systems decodes the autonomous systems, and the string that holds all
// their names one after another.
func (d *decoder) systems() ([]autonomousSystem, string) {
	c := d.count(2)
	systems := make([]autonomousSystem, c)
	var orgs strings.Builder
	var number uint64
	for i := range systems {
		number += d.uvarint()
		if number > 1<<32-1 || (i > 0 && number == uint64(systems[i-1].number)) {
			d.fail("bad AS number")
		}
		orgs.Write(d.bytes(d.count(1)))
		if uint64(orgs.Len()) > math.MaxUint32 {
			d.fail("AS names too long")
		}
		systems[i].number = uint32(number)
		systems[i].orgEnd = uint32(orgs.Len())
	}
	all, start := orgs.String(), uint32(0)
	for i := range systems {
		systems[i].typ = codeOf(ClassifyAS(systems[i].number, all[start:systems[i].orgEnd]))
		start = systems[i].orgEnd
	}
	return systems, all
}

func (d *decoder) countries() []string {
	all := string(d.bytes(2 * d.count(2)))
	countries := make([]string, len(all)/2)
	for i := range countries {
		countries[i] = all[2*i : 2*i+2]
	}
	return countries
}

// The lookup buckets: IPv4 by /16, IPv6 by /20 within 2000::/4.
const (
	v4Shift = 16
	v6Base  = 0x2000_0000_0000_0000
	v6Shift = 44
)

func decodeTable[K uint32 | uint64](d *decoder, values int, base K, shift uint8) rangeTable[K] {
	maxKey := uint64(^K(0))
	c := d.count(2)
	starts, vals := make([]K, c), make([]uint32, c)
	var key uint64
	for i := range c {
		delta := d.uvarint()
		if (i > 0 && delta == 0) || delta > maxKey-key {
			d.fail("range starts out of order")
		}
		key += delta
		v := d.uvarint()
		if v > uint64(values) {
			d.fail("value index out of range")
		}
		starts[i], vals[i] = K(key), uint32(v)
	}
	if d.err != nil {
		return rangeTable[K]{}
	}
	return newRangeTable(starts, vals, base, shift)
}
