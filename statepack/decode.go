package statepack

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// decoder reads one state, in the order encode.go writes it. Its first
// error sticks: later reads return zero values, and Unpack reports the
// error with the section it happened in.
type decoder struct {
	b    []byte // the fields
	pos  int
	strs string // the inline strings, one allocation for the state
	spos int
	list []string // the table's entries
	t    *Strings

	// LastTime's zone, and the last other zone met, so that times in
	// them share one *time.Location.
	zone      uint64
	loc       *time.Location
	otherZone uint64
	otherLoc  *time.Location

	section string
	err     error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", d.section, err)
	}
	d.pos = len(d.b)
}

func (d *decoder) state() *risk.State {
	st := &risk.State{}
	d.loc = time.UTC
	d.section = "last time"
	var last int64
	st.LastTime, last = d.time(0)
	d.zone, d.loc = zoneCode(st.LastTime), st.LastTime.Location()
	d.section = "account"
	st.AccountID = d.unique("")
	st.Created, _ = d.time(last)
	st.Email = d.unique("")
	st.EmailChanged, _ = d.time(last)
	flags := d.flags(2)
	st.Locked, st.ResetRequired = flags&1 != 0, flags&2 != 0
	st.LastSeq = d.uvarint()
	st.EventCount = d.varint()
	st.Risk = d.float()
	st.SignIns = d.varint()

	d.section = "devices"
	st.Devices = d.seen(last, false)
	d.section = "networks"
	st.Networks = d.seen(last, false)
	d.section = "asns"
	st.ASNs = d.seen(last, true)
	d.section = "countries"
	st.Countries = d.seen(last, true)
	d.section = "browsers"
	st.Browsers = d.seen(last, true)
	d.section = "agents"
	st.Agents = d.seen(last, true)
	d.section = "failures"
	st.Failures = d.times(last)
	d.section = "changes"
	st.Changes = d.changes(last)
	d.section = "suspect devices"
	st.Suspect = d.seen(last, false)
	d.section = "sessions"
	st.Sessions = d.sessions(st.Devices, last)
	d.section = "trusted devices"
	st.Trusted = d.trusted(st.Devices, last)
	d.section = "recipients"
	st.Recipient = d.seen(last, false)
	d.section = "orders"
	st.Orders = d.orders(st.Sessions, last)
	st.OrderCount = d.varint()
	st.OrderTotal = d.varint()
	st.MaxOrder = d.varint()
	d.section = "cases"
	st.Cases = d.cases(st.AccountID, last)
	d.section = "actions"
	st.Actions = d.actions(last)
	d.section = "accept language"
	st.AcceptLanguage = d.shared()
	d.section = "messages"
	st.Messages = d.messages(st.Orders, last)
	d.section = "end"
	return st
}

// Each element of a list takes at least as many bytes as one of these
// (a byte per field written unconditionally), so that a count is checked
// against the bytes left before its list is allocated.
const (
	minSeen         = 4
	minChange       = 3
	minSession      = 10
	minTrusted      = 2
	minOrder        = 10
	minCase         = 11
	minCaseChange   = 4
	minCaseNote     = 3
	minAction       = 4
	minMessage      = 16
	minMessageOrder = 5
)

func (d *decoder) seen(base int64, shared bool) []risk.Seen {
	n := d.count(minSeen)
	if n == 0 {
		return nil
	}
	list := make([]risk.Seen, n)
	for i := range list {
		s := &list[i]
		if shared {
			s.Key = d.shared()
		} else {
			s.Key = d.unique("")
		}
		s.First, base = d.time(base)
		s.Last, _ = d.time(base)
		s.Count = d.varint()
	}
	return list
}

func (d *decoder) times(base int64) []time.Time {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	list := make([]time.Time, n)
	for i := range list {
		list[i], base = d.time(base)
	}
	return list
}

func (d *decoder) changes(base int64) []risk.Change {
	n := d.count(minChange)
	if n == 0 {
		return nil
	}
	list := make([]risk.Change, n)
	for i := range list {
		c := &list[i]
		c.Time, base = d.time(base)
		c.Type = d.shared()
		c.NewDevice = d.flags(1) != 0
	}
	return list
}

func (d *decoder) sessions(devices []risk.Seen, base int64) []risk.Session {
	device := func(i int) string { return devices[i].Key }
	n := d.count(minSession)
	if n == 0 {
		return nil
	}
	list := make([]risk.Session, n)
	var prevDevice, prevIP string
	for i := range list {
		s := &list[i]
		f := d.flags(sessionFlags)
		s.Verified = f&(1<<sessionVerified) != 0
		s.LoggedOut = f&(1<<sessionLoggedOut) != 0
		s.Revoked = f&(1<<sessionRevoked) != 0
		s.NewDevice = f&(1<<sessionNewDevice) != 0
		s.Hosting = f&(1<<sessionHosting) != 0
		s.NewLine = f&(1<<sessionNewLine) != 0
		s.NoSignIn = f&(1<<sessionNoSignIn) != 0
		s.SmallOrder = f&(1<<sessionSmallOrder) != 0
		s.NewPayment = f&(1<<sessionNewPayment) != 0
		s.ID = d.unique("")
		s.DeviceID = d.ref(prevDevice, len(devices), device)
		s.IP = d.unique(prevIP)
		s.UserAgent = d.shared()
		s.ASN = d.shared()
		s.Browser = d.shared()
		s.Started, base = d.time(base)
		s.LastSeen, _ = d.time(base)
		s.SignInRisk = d.float()
		s.StartRisk = s.SignInRisk
		if f&(1<<sessionStartRisk) != 0 {
			s.StartRisk = d.float()
		}
		if f&(1<<sessionVisit) != 0 {
			s.Declines = d.int()
			s.ChallengeFails = d.int()
			s.Changes = d.int()
			s.NewAddresses = d.uniques()
			s.NewMethods = d.uniques()
		}
		prevDevice, prevIP = s.DeviceID, s.IP
	}
	return list
}

func (d *decoder) trusted(devices []risk.Seen, base int64) []mamori.TrustedDevice {
	device := func(i int) string { return devices[i].Key }
	n := d.count(minTrusted)
	if n == 0 {
		return nil
	}
	list := make([]mamori.TrustedDevice, n)
	for i := range list {
		list[i].DeviceID = d.ref("", len(devices), device)
		list[i].Since, base = d.time(base)
	}
	return list
}

func (d *decoder) orders(sessions []risk.Session, base int64) []risk.Order {
	session := func(i int) string { return sessions[i].ID }
	n := d.count(minOrder)
	if n == 0 {
		return nil
	}
	list := make([]risk.Order, n)
	var prevSession, prevRecipient string
	for i := range list {
		o := &list[i]
		f := d.flags(7)
		o.GiftCard, o.Digital, o.Hidden = f&1 != 0, f&2 != 0, f&4 != 0
		o.Settled, o.Redeemed, o.FastRedeemed, o.Risky = f&8 != 0, f&16 != 0, f&32 != 0, f&64 != 0
		o.ID = d.unique("")
		o.Time, base = d.time(base)
		o.SessionID = d.ref(prevSession, len(sessions), session)
		o.Amount = d.varint()
		o.Currency = d.shared()
		o.Recipient = d.unique(prevRecipient)
		o.Status = d.shared()
		o.Descriptor = d.shared()
		o.Score = d.float()
		prevSession, prevRecipient = o.SessionID, o.Recipient
	}
	return list
}

func (d *decoder) cases(account string, base int64) []mamori.Case {
	n := d.count(minCase)
	if n == 0 {
		return nil
	}
	list := make([]mamori.Case, n)
	for i := range list {
		c := &list[i]
		c.Overdue = d.flags(1) != 0
		c.ID = d.unique("")
		c.AccountID = d.unique(account)
		c.Status = d.shared()
		var opened int64
		c.Opened, opened = d.time(base)
		c.Reason = d.shared()
		c.EventIDs = d.uniques()
		c.Assignee = d.shared()
		c.Deadline, _ = d.time(opened)
		if n := d.count(minCaseChange); n > 0 {
			c.History = make([]mamori.CaseChange, n)
			at := opened
			for j := range c.History {
				h := &c.History[j]
				h.Status = d.shared()
				h.Assignee = d.shared()
				h.By = d.shared()
				h.At, at = d.time(at)
			}
		}
		if n := d.count(minCaseNote); n > 0 {
			c.Notes = make([]mamori.CaseNote, n)
			at := opened
			for j := range c.Notes {
				note := &c.Notes[j]
				note.By = d.shared()
				note.At, at = d.time(at)
				note.Text = d.unique("")
			}
		}
	}
	return list
}

func (d *decoder) actions(base int64) []mamori.ActionTaken {
	n := d.count(minAction)
	if n == 0 {
		return nil
	}
	list := make([]mamori.ActionTaken, n)
	var prevEvent, prevCase string
	for i := range list {
		a := &list[i]
		a.Action = mamori.Action(d.shared())
		a.Time, base = d.time(base)
		a.EventID = d.unique(prevEvent)
		a.CaseID = d.unique(prevCase)
		prevEvent, prevCase = a.EventID, a.CaseID
	}
	return list
}

func (d *decoder) messages(orders []risk.Order, base int64) []risk.Message {
	order := func(i int) string { return orders[i].ID }
	n := d.count(minMessage)
	if n == 0 {
		return nil
	}
	list := make([]risk.Message, n)
	var prevIP, prevCase string
	for i := range list {
		m := &list[i]
		f := d.flags(2)
		m.Locked, m.Read = f&1 != 0, f&2 != 0
		m.ID = d.unique("")
		m.Kind = d.shared()
		m.Time, base = d.time(base)
		m.IP = d.unique(prevIP)
		m.NetworkOrg = d.shared()
		m.Country = d.shared()
		m.NetworkType = d.shared()
		m.Browser = d.shared()
		m.OS = d.shared()
		m.Device = d.shared()
		if n := d.count(minMessageOrder); n > 0 {
			m.Orders = make([]risk.MessageOrder, n)
			for j := range m.Orders {
				o := &m.Orders[j]
				o.GiftCard = d.flags(1) != 0
				o.ID = d.ref("", len(orders), order)
				o.Amount = d.varint()
				o.Currency = d.shared()
				o.Status = d.shared()
			}
		}
		if n := d.count(1); n > 0 {
			m.Actions = make([]mamori.Action, n)
			for j := range m.Actions {
				m.Actions[j] = mamori.Action(d.shared())
			}
		}
		m.CaseID = d.unique(prevCase)
		m.ReportedBy = d.shared()
		prevIP, prevCase = m.IP, m.CaseID
	}
	return list
}

func (d *decoder) uvarint() uint64 {
	if d.pos < len(d.b) && d.b[d.pos] < 0x80 {
		v := d.b[d.pos]
		d.pos++
		return uint64(v)
	}
	return d.longUvarint()
}

// longUvarint is uvarint past one byte, unrolled for the common lengths.
func (d *decoder) longUvarint() uint64 {
	if b := d.b[min(d.pos, len(d.b)):]; len(b) >= 4 {
		switch {
		case b[1] < 0x80:
			d.pos += 2
			return uint64(b[0]&0x7f) | uint64(b[1])<<7
		case b[2] < 0x80:
			d.pos += 3
			return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2])<<14
		case b[3] < 0x80:
			d.pos += 4
			return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2]&0x7f)<<14 | uint64(b[3])<<21
		}
	}
	v, n := binary.Uvarint(d.b[d.pos:])
	switch {
	case n == 0:
		d.fail(errTruncated)
		return 0
	case n < 0:
		d.fail(errOverflow)
		return 0
	}
	d.pos += n
	return v
}

func (d *decoder) varint() int64 {
	v := d.uvarint()
	return int64(v>>1) ^ -int64(v&1)
}

// int reads a varint into an int, refusing one that does not fit (on a
// 32-bit platform).
func (d *decoder) int() int {
	v := d.varint()
	if int64(int(v)) != v {
		d.fail(fmt.Errorf("%d overflows int", v))
		return 0
	}
	return int(v)
}

// flags reads a set of n flags, refusing unknown ones.
func (d *decoder) flags(n int) uint64 {
	f := d.uvarint()
	if f>>n != 0 {
		d.fail(fmt.Errorf("unknown flags %#x", f))
		return 0
	}
	return f
}

// count reads the length of a list whose elements take at least size
// bytes each, and refuses one longer than the bytes left could hold: so
// garbage cannot make Unpack allocate much more than its length.
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if left := uint64(len(d.b) - d.pos); n > left/uint64(size) {
		d.fail(fmt.Errorf("%d elements of at least %d bytes in %d bytes", n, size, left))
		return 0
	}
	return int(n)
}

func (d *decoder) unique(same string) string {
	n := d.uvarint()
	switch n {
	case stringEmpty:
		return ""
	case stringSame:
		return same
	}
	return d.inline(n - 1)
}

func (d *decoder) ref(same string, n int, key func(int) string) string {
	c := d.uvarint()
	switch {
	case c == stringEmpty:
		return ""
	case c == stringSame:
		return same
	case c&1 != 0:
		j := c >> 1
		if j > uint64(n) {
			d.fail(fmt.Errorf("reference to the %dth key from the end of %d", j, n))
			return ""
		}
		return key(n - int(j))
	}
	return d.inline(c >> 1)
}

// inline returns the next n bytes of the inline strings.
func (d *decoder) inline(n uint64) string {
	if n > uint64(len(d.strs)-d.spos) {
		d.fail(fmt.Errorf("string of %d bytes: %w", n, errTruncated))
		return ""
	}
	s := d.strs[d.spos : d.spos+int(n)]
	d.spos += int(n)
	return s
}

func (d *decoder) uniques() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	list := make([]string, n)
	for i := range list {
		list[i] = d.unique("")
	}
	return list
}

func (d *decoder) shared() string {
	i := d.uvarint()
	if i == sharedInline {
		return d.t.copyOf(d.unique(""))
	}
	if i-1 >= uint64(len(d.list)) {
		d.fail(fmt.Errorf("string %d is not in the table of %d", i-1, len(d.list)))
		return ""
	}
	return d.list[i-1]
}

func (d *decoder) float() float64 {
	h := d.uvarint()
	switch {
	case h == 0:
		return 0
	case h&1 != 0:
		return float64(h>>1) / 1000
	}
	k := int(h >> 1)
	if k > 8 {
		d.fail(fmt.Errorf("float of %d bytes", k))
		return 0
	}
	if k > len(d.b)-d.pos {
		d.fail(errTruncated)
		return 0
	}
	var b uint64
	for i := range k {
		b |= uint64(d.b[d.pos+i]) << (56 - 8*i)
	}
	d.pos += k
	return math.Float64frombits(b)
}

// time reads a time written as a difference from base, and returns it
// with the base for the next time.
func (d *decoder) time(base int64) (time.Time, int64) {
	h := d.uvarint()
	if h == 0 {
		return time.Time{}, base
	}
	h--
	z := h >> timeFlagLen
	sec := base + (int64(z>>1) ^ -int64(z&1))
	if sec < -maxSeconds || sec > maxSeconds {
		d.fail(fmt.Errorf("time %d seconds from 1970", sec))
		return time.Time{}, base
	}
	var ns uint64
	switch h & nanosMask {
	case nanosMilli:
		ns = min(d.uvarint(), 1e9) * 1e6
	case nanosMicro:
		ns = min(d.uvarint(), 1e9) * 1e3
	case nanosFixed:
		if len(d.b)-d.pos < 4 {
			d.fail(errTruncated)
			return time.Time{}, base
		}
		ns = uint64(binary.LittleEndian.Uint32(d.b[d.pos:]))
		d.pos += 4
	}
	if ns >= 1e9 {
		d.fail(fmt.Errorf("%d nanoseconds", ns))
		return time.Time{}, base
	}
	loc := d.loc
	if h&timeZone != 0 {
		loc = d.location(d.uvarint())
	}
	return time.Unix(sec, int64(ns)).In(loc), sec
}

// location returns the zone of a zone code (zoneCode).
func (d *decoder) location(code uint64) *time.Location {
	switch {
	case code == d.zone:
		return d.loc
	case code == d.otherZone && d.otherLoc != nil:
		return d.otherLoc
	case code == 0:
		return time.UTC
	}
	z := code - 1
	off := int64(z>>1) ^ -int64(z&1)
	if off < math.MinInt32 || off > math.MaxInt32 {
		d.fail(fmt.Errorf("zone offset of %d seconds", off))
		return time.UTC
	}
	d.otherZone, d.otherLoc = code, time.FixedZone("", int(off))
	return d.otherLoc
}
