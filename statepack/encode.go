package statepack

import (
	"encoding/binary"
	"math"
	"math/bits"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/risk"
)

// encoder writes one state. decode.go reads the fields in the same
// order; a change to one is a change to the other and to version.
type encoder struct {
	buf  []byte // the fields
	strs []byte // the bytes of the inline strings
	t    *Strings
	// emptyAt0: t's entry 0 is the empty string, as in every table this
	// package made, so "" needs no look-up.
	emptyAt0 bool
	// zone is the zone code of LastTime: other times in the same zone
	// do not repeat it.
	zone uint64
	// recent remembers the latest shared strings looked up, by length
	// and last byte: a state repeats its currency, statuses, user agents
	// and network keys, and comparing with the string looked up before
	// is cheaper than the map's hash.
	recent [64]recentString
}

type recentString struct {
	s string
	i int // its index in the table
}

func (e *encoder) state(st *risk.State) {
	// LastTime first: the other times are written as differences from it
	// or from one another.
	last := e.time(st.LastTime, 0)
	e.zone = zoneCode(st.LastTime)
	e.unique(st.AccountID, "")
	e.time(st.Created, last)
	e.unique(st.Email, "")
	e.time(st.EmailChanged, last)
	e.uvarint(flag(st.Locked, 0) | flag(st.ResetRequired, 1))
	e.uvarint(st.LastSeq)
	e.varint(st.EventCount)
	e.float(st.Risk)
	e.varint(st.SignIns)

	e.seen(st.Devices, last, false)
	e.seen(st.Networks, last, false)
	e.seen(st.ASNs, last, true)
	e.seen(st.Countries, last, true)
	e.seen(st.Browsers, last, true)
	e.seen(st.Agents, last, true)
	e.times(st.Failures, last)
	e.changes(st.Changes, last)
	e.seen(st.Suspect, last, false)
	e.sessions(st.Sessions, st.Devices, last)
	e.trusted(st.Trusted, st.Devices, last)
	e.seen(st.Recipient, last, false)
	e.orders(st.Orders, st.Sessions, last)
	e.varint(st.OrderCount)
	e.varint(st.OrderTotal)
	e.varint(st.MaxOrder)
	e.cases(st.Cases, st.AccountID, last)
	e.actions(st.Actions, last)
	e.shared(st.AcceptLanguage)
	e.messages(st.Messages, st.Orders, last)
}

// seen writes a list of seen values. Lists are kept in the order values
// were first seen, so each First follows the one before; Last, from its
// First (often equal).
func (e *encoder) seen(list []risk.Seen, base int64, shared bool) {
	e.uvarint(uint64(len(list)))
	for i := range list {
		s := &list[i]
		if shared {
			e.shared(s.Key)
		} else {
			e.unique(s.Key, "")
		}
		base = e.time(s.First, base)
		e.time(s.Last, base)
		e.varint(s.Count)
	}
}

func (e *encoder) times(list []time.Time, base int64) {
	e.uvarint(uint64(len(list)))
	for _, t := range list {
		base = e.time(t, base)
	}
}

func (e *encoder) changes(list []risk.Change, base int64) {
	e.uvarint(uint64(len(list)))
	for i := range list {
		c := &list[i]
		base = e.time(c.Time, base)
		e.shared(c.Type)
		e.uvarint(flag(c.NewDevice, 0))
	}
}

// Session flags. The common case (verified, same start risk, nothing
// done in the visit) keeps the set in one byte.
const (
	sessionVerified = iota
	sessionLoggedOut
	sessionRevoked
	sessionNewDevice
	sessionHosting
	sessionNewLine
	// sessionStartRisk: StartRisk differs from SignInRisk and follows it.
	sessionStartRisk
	// sessionVisit: the counters and lists of the current visit follow.
	sessionVisit
	sessionNoSignIn
	sessionSmallOrder
	sessionNewPayment
	sessionFlags
)

func (e *encoder) sessions(list []risk.Session, devices []risk.Seen, base int64) {
	var keys [maxRefs]string
	device := newRefs(keys[:0], devices, func(d *risk.Seen) string { return d.Key })
	e.uvarint(uint64(len(list)))
	var prevDevice, prevIP string
	for i := range list {
		s := &list[i]
		startRisk := math.Float64bits(s.StartRisk) != math.Float64bits(s.SignInRisk)
		visit := s.Declines != 0 || s.ChallengeFails != 0 || s.Changes != 0 ||
			len(s.NewAddresses) > 0 || len(s.NewMethods) > 0
		e.uvarint(flag(s.Verified, sessionVerified) | flag(s.LoggedOut, sessionLoggedOut) |
			flag(s.Revoked, sessionRevoked) | flag(s.NewDevice, sessionNewDevice) |
			flag(s.Hosting, sessionHosting) | flag(s.NewLine, sessionNewLine) |
			flag(startRisk, sessionStartRisk) | flag(visit, sessionVisit) |
			flag(s.NoSignIn, sessionNoSignIn) | flag(s.SmallOrder, sessionSmallOrder) |
			flag(s.NewPayment, sessionNewPayment))
		e.unique(s.ID, "")
		// Sessions of one device, or of one home line, follow each other.
		e.ref(s.DeviceID, prevDevice, &device)
		e.unique(s.IP, prevIP)
		e.shared(s.UserAgent)
		e.shared(s.ASN)
		e.shared(s.Browser)
		base = e.time(s.Started, base)
		e.time(s.LastSeen, base)
		e.float(s.SignInRisk)
		if startRisk {
			e.float(s.StartRisk)
		}
		if visit {
			e.varint(int64(s.Declines))
			e.varint(int64(s.ChallengeFails))
			e.varint(int64(s.Changes))
			e.uniques(s.NewAddresses)
			e.uniques(s.NewMethods)
		}
		prevDevice, prevIP = s.DeviceID, s.IP
	}
}

func (e *encoder) trusted(list []mamori.TrustedDevice, devices []risk.Seen, base int64) {
	var keys [maxRefs]string
	device := newRefs(keys[:0], devices, func(d *risk.Seen) string { return d.Key })
	e.uvarint(uint64(len(list)))
	for i := range list {
		e.ref(list[i].DeviceID, "", &device)
		base = e.time(list[i].Since, base)
	}
}

func (e *encoder) orders(list []risk.Order, sessions []risk.Session, base int64) {
	var keys [maxRefs]string
	session := newRefs(keys[:0], sessions, func(s *risk.Session) string { return s.ID })
	e.uvarint(uint64(len(list)))
	var prevSession, prevRecipient string
	for i := range list {
		o := &list[i]
		e.uvarint(flag(o.GiftCard, 0) | flag(o.Digital, 1) | flag(o.Hidden, 2) | flag(o.Settled, 3) |
			flag(o.Redeemed, 4) | flag(o.FastRedeemed, 5) | flag(o.Risky, 6))
		e.unique(o.ID, "")
		base = e.time(o.Time, base)
		e.ref(o.SessionID, prevSession, &session)
		e.varint(o.Amount)
		e.shared(o.Currency)
		e.unique(o.Recipient, prevRecipient)
		e.shared(o.Status)
		e.shared(o.Descriptor)
		e.float(o.Score)
		prevSession, prevRecipient = o.SessionID, o.Recipient
	}
}

// cases writes the cases, without their Timeline and Orders: those are
// filled only when one case is read, and are always empty in a state.
func (e *encoder) cases(list []mamori.Case, account string, base int64) {
	e.uvarint(uint64(len(list)))
	for i := range list {
		c := &list[i]
		e.uvarint(flag(c.Overdue, 0))
		e.unique(c.ID, "")
		e.unique(c.AccountID, account)
		e.shared(c.Status)
		opened := e.time(c.Opened, base)
		e.shared(c.Reason)
		e.uniques(c.EventIDs)
		e.shared(c.Assignee)
		e.time(c.Deadline, opened)
		e.uvarint(uint64(len(c.History)))
		at := opened
		for j := range c.History {
			h := &c.History[j]
			e.shared(h.Status)
			e.shared(h.Assignee)
			e.shared(h.By)
			at = e.time(h.At, at)
		}
		e.uvarint(uint64(len(c.Notes)))
		at = opened
		for j := range c.Notes {
			n := &c.Notes[j]
			e.shared(n.By)
			at = e.time(n.At, at)
			e.unique(n.Text, "")
		}
	}
}

// actions writes the actions taken. One decision's actions are
// consecutive and share their time, event and case.
func (e *encoder) actions(list []mamori.ActionTaken, base int64) {
	e.uvarint(uint64(len(list)))
	var prevEvent, prevCase string
	for i := range list {
		a := &list[i]
		e.shared(string(a.Action))
		base = e.time(a.Time, base)
		e.unique(a.EventID, prevEvent)
		e.unique(a.CaseID, prevCase)
		prevEvent, prevCase = a.EventID, a.CaseID
	}
}

func (e *encoder) messages(list []risk.Message, orders []risk.Order, base int64) {
	var keys [maxRefs]string
	order := newRefs(keys[:0], orders, func(o *risk.Order) string { return o.ID })
	e.uvarint(uint64(len(list)))
	var prevIP, prevCase string
	for i := range list {
		m := &list[i]
		e.uvarint(flag(m.Locked, 0) | flag(m.Read, 1))
		e.unique(m.ID, "")
		e.shared(m.Kind)
		base = e.time(m.Time, base)
		e.unique(m.IP, prevIP)
		e.shared(m.NetworkOrg)
		e.shared(m.Country)
		e.shared(m.NetworkType)
		e.shared(m.Browser)
		e.shared(m.OS)
		e.shared(m.Device)
		e.uvarint(uint64(len(m.Orders)))
		for j := range m.Orders {
			o := &m.Orders[j]
			e.uvarint(flag(o.GiftCard, 0))
			e.ref(o.ID, "", &order)
			e.varint(o.Amount)
			e.shared(o.Currency)
			e.shared(o.Status)
		}
		e.uvarint(uint64(len(m.Actions)))
		for _, a := range m.Actions {
			e.shared(string(a))
		}
		e.unique(m.CaseID, prevCase)
		e.shared(m.ReportedBy)
		prevIP, prevCase = m.IP, m.CaseID
	}
}

func flag(b bool, bit int) uint64 {
	if b {
		return 1 << bit
	}
	return 0
}

func (e *encoder) uvarint(v uint64) {
	if v < 1<<7 {
		e.buf = append(e.buf, byte(v))
		return
	}
	e.longUvarint(v)
}

// longUvarint is uvarint past one byte, unrolled for the common lengths
// (times take three or four bytes).
func (e *encoder) longUvarint(v uint64) {
	switch {
	case v < 1<<14:
		e.buf = append(e.buf, byte(v)|0x80, byte(v>>7))
	case v < 1<<21:
		e.buf = append(e.buf, byte(v)|0x80, byte(v>>7)|0x80, byte(v>>14))
	case v < 1<<28:
		e.buf = append(e.buf, byte(v)|0x80, byte(v>>7)|0x80, byte(v>>14)|0x80, byte(v>>21))
	default:
		e.buf = binary.AppendUvarint(e.buf, v)
	}
}

// varint writes a zigzag varint: small negative numbers stay small.
func (e *encoder) varint(v int64) { e.uvarint(uint64(v<<1) ^ uint64(v>>63)) }

// Strings written inline: uvarint(0) for "", uvarint(1) for the same
// string as same (the value of the field in the element before, which
// often repeats), else uvarint(len+1) here and the bytes among the
// inline strings.
const (
	stringEmpty = 0
	stringSame  = 1
)

// unique writes a string few accounts share: an id, an address, a note.
func (e *encoder) unique(s, same string) {
	switch {
	case s == "":
		e.uvarint(stringEmpty)
	case s == same:
		e.uvarint(stringSame)
	default:
		e.uvarint(uint64(len(s)) + 1)
		e.strs = append(e.strs, s...)
	}
}

// refs are the keys of a list written before (sessions, devices,
// orders) that strings written later usually are: an order's session, a
// session's device.
type refs struct {
	keys []string // the newest maxRefs keys of the list, in its order
	n    int      // the list's length
	// at is where the next search starts: the key found before, as
	// orders follow their sessions in time, and sessions their devices.
	at int
}

// maxRefs bounds the keys searched, so that an account with many
// sessions on devices it no longer keeps packs as fast as another.
const maxRefs = 32

func newRefs[T any](keys []string, list []T, key func(*T) string) refs {
	for i := max(len(list)-maxRefs, 0); i < len(list); i++ {
		keys = append(keys, key(&list[i]))
	}
	return refs{keys: keys, n: len(list)}
}

// find returns the position in r.keys of the non-empty s, or -1.
func (r *refs) find(s string) int {
	last := s[len(s)-1]
	// Ids of one account share their start ("cust-42-s0001"): the last
	// byte tells most apart.
	for i := r.at; i < len(r.keys); i++ {
		if k := r.keys[i]; len(k) == len(s) && k[len(k)-1] == last && k == s {
			return i
		}
	}
	for i := min(r.at, len(r.keys)) - 1; i >= 0; i-- {
		if k := r.keys[i]; len(k) == len(s) && k[len(k)-1] == last && k == s {
			return i
		}
	}
	return -1
}

// ref writes a string that is usually one of r's keys. The codes are
// uvarint(0) for "", uvarint(1) for same, uvarint(2j+1) for the j-th key
// from the end of the list (j >= 1), else uvarint(2len) and the bytes
// among the inline strings.
func (e *encoder) ref(s, same string, r *refs) {
	switch {
	case s == "":
		e.uvarint(stringEmpty)
		return
	case s == same:
		e.uvarint(stringSame)
		return
	}
	if i := r.find(s); i >= 0 {
		r.at = i
		e.uvarint(uint64(len(r.keys)-i)<<1 | 1)
		return
	}
	e.uvarint(uint64(len(s)) << 1)
	e.strs = append(e.strs, s...)
}

func (e *encoder) uniques(list []string) {
	e.uvarint(uint64(len(list)))
	for _, s := range list {
		e.unique(s, "")
	}
}

// Shared strings: uvarint(index+1) of the table's entry, or uvarint(0)
// and the string inline when the table is full.
const sharedInline = 0

func (e *encoder) shared(s string) {
	if e.t == nil {
		e.uvarint(sharedInline)
		e.unique(s, "")
		return
	}
	var c *recentString
	switch {
	case s != "":
		c = &e.recent[(len(s)+int(s[len(s)-1])*5)%len(e.recent)]
		if c.s == s {
			e.uvarint(uint64(c.i) + 1)
			return
		}
	case e.emptyAt0:
		e.uvarint(1)
		return
	}
	i, ok := e.t.index[s]
	if !ok {
		i, ok = e.t.learn(s)
	}
	if !ok {
		e.uvarint(sharedInline)
		e.unique(s, "")
		return
	}
	if c != nil {
		c.s, c.i = s, i
	}
	e.uvarint(uint64(i) + 1)
}

// Floats: uvarint(0) for +0; uvarint(2n+1) for n/1000, the scores the
// risk core rounds to three decimals; else uvarint(2k) and the k leading
// bytes of the IEEE 754 bits, the trailing k-8 being zero.
const maxThousandths = 1 << 32

func (e *encoder) float(f float64) {
	b := math.Float64bits(f)
	if b == 0 {
		e.uvarint(0)
		return
	}
	if n := math.Round(f * 1000); n > 0 && n < maxThousandths && n/1000 == f {
		e.uvarint(uint64(n)<<1 | 1)
		return
	}
	k := 8 - bits.TrailingZeros64(b)/8
	e.uvarint(uint64(k) << 1)
	for i := range k {
		e.buf = append(e.buf, byte(b>>(56-8*i)))
	}
}

// Times: uvarint(0) for the zero time (in UTC). Else uvarint(h+1), h
// holding the seconds from a base time (zigzag) above three flag bits:
// timeZone, the time is in another zone than LastTime and the zone's
// code follows; and two bits saying how the nanoseconds follow.
//
// The base is a time written just before, so that times close to it
// (the first and last time a value was seen, one decision's actions) cost
// one or two bytes, and times within six months of it four.
const (
	timeZone = 1 << 2

	nanosNone   = 0 // whole seconds
	nanosMilli  = 1 // uvarint milliseconds
	nanosMicro  = 2 // uvarint microseconds
	nanosFixed  = 3 // 4 bytes little-endian nanoseconds
	nanosMask   = 3
	timeFlagLen = 3
)

// maxSeconds bounds the Unix seconds of a time: event times lie in the
// years 1970 to 9999, and the bound is far wider, but it keeps the
// difference of any two times within the header's 60 bits.
const maxSeconds = 1 << 58

// time writes t as a difference from base (Unix seconds), and returns
// the base for the next time: t's seconds, or base again if t is zero.
// t must lie within maxSeconds of 1970.
func (e *encoder) time(t time.Time, base int64) int64 {
	zone := zoneCode(t)
	if zone == 0 && t.IsZero() {
		e.uvarint(0)
		return base
	}
	sec, ns := t.Unix(), t.Nanosecond()
	d := sec - base
	h := (uint64(d<<1) ^ uint64(d>>63)) << timeFlagLen
	switch {
	case ns == 0:
	case ns%1e6 == 0:
		h |= nanosMilli
	case ns%1e3 == 0:
		h |= nanosMicro
	default:
		h |= nanosFixed
	}
	if zone != e.zone {
		h |= timeZone
	}
	e.uvarint(h + 1)
	switch h & nanosMask {
	case nanosMilli:
		e.uvarint(uint64(ns / 1e6))
	case nanosMicro:
		e.uvarint(uint64(ns / 1e3))
	case nanosFixed:
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(ns))
	}
	if h&timeZone != 0 {
		e.uvarint(zone)
	}
	return sec
}

// zoneCode names t's zone: 0 for UTC, else 1 + the zigzag of its offset
// in seconds east of UTC.
func zoneCode(t time.Time) uint64 {
	if t.Location() == time.UTC {
		return 0
	}
	_, off := t.Zone()
	o := int64(off)
	return (uint64(o<<1) ^ uint64(o>>63)) + 1
}
