package risk

import (
	"math"
	"net/netip"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

const (
	// riskHalfLife is how fast the account's risk fades without new signs.
	riskHalfLife = 7 * 24 * time.Hour
	// fastRedemption: a gift card spent this soon after it was bought
	// went to someone waiting for it.
	fastRedemption = 15 * time.Minute
	// challengeMetDiscount scales a session's sign-in risk once it meets
	// its challenge.
	challengeMetDiscount = 0.7
)

// Apply changes st by the event and the decision mamori gave it. Replay
// calls it with the stored decision, so state never depends on the policy
// that was current at replay time.
func Apply(st *State, in *Input, d *mamori.Decision) {
	ev, seq := in.Event, in.Seq
	if st.AccountID == "" {
		st.AccountID = ev.AccountID
	}
	st.LastSeq = seq
	st.EventCount++
	if !st.LastTime.IsZero() && ev.Time.After(st.LastTime) {
		st.Risk *= math.Exp2(-float64(ev.Time.Sub(st.LastTime)) / float64(riskHalfLife))
	}
	if ev.Time.After(st.LastTime) {
		st.LastTime = ev.Time
	}
	if d.Decision != mamori.Allow || d.Score > st.Risk {
		st.Risk = math.Max(st.Risk, d.Score)
	}
	st.Risk = round(st.Risk)

	// The customer's language comes from what she does, not from an
	// attacker's browser: only sign-ups and sign-ins let through set it.
	if l := ev.Context.AcceptLanguage; l != "" && d.Decision == mamori.Allow &&
		(ev.Type == mamori.AccountCreated || ev.Type == mamori.LoginSucceeded) {
		st.AcceptLanguage = l
	}
	var ordersBefore map[string]string
	if d.Has(mamori.NotifyCustomer) {
		ordersBefore = st.orderStatuses()
	}

	applyEvent(st, in, d)
	if ev.Type == mamori.CaseUpdated {
		was := st.caseStatus(ev.Properties.CaseID)
		updateCase(st, ev)
		st.noteCaseOutcome(in, was)
	} else if d.CaseID != "" {
		joinCase(st, ev, d)
	}
	for _, a := range d.Actions {
		applyAction(st, ev, a)
		st.Actions = appendTight(st.Actions, mamori.ActionTaken{Action: a, Time: ev.Time, EventID: ev.ID, CaseID: d.CaseID})
	}
	if len(st.Actions) > maxActions {
		st.Actions = append(st.Actions[:0], st.Actions[len(st.Actions)-maxActions:]...)
	}
	// notify_customer is carried out last, whatever its place among the
	// actions: the message tells what the others did.
	if ordersBefore != nil {
		st.notifyCustomer(in, d, ordersBefore)
	}
}

func applyEvent(st *State, in *Input, d *mamori.Decision) {
	ev := in.Event
	p := &ev.Properties
	s := st.Session(ev.SessionID)
	if s != nil {
		if s.newVisit(ev.Time) {
			s.endVisit()
		}
		if ev.Time.After(s.LastSeen) {
			s.LastSeen = ev.Time
		}
	} else if ev.SessionID != "" && ev.Type != mamori.Logout {
		s = st.addSession(in, ev.Type != mamori.LoginSucceeded)
	}
	switch ev.Type {
	case mamori.AccountCreated:
		st.Created = ev.Time
		st.Email = p.Email
	case mamori.LoginSucceeded:
		if s != nil {
			s.SignInRisk, s.StartRisk = d.Score, d.Score
			s.NoSignIn = false
			s.Verified = d.Decision == mamori.Allow
			s.Revoked = d.Decision == mamori.Deny
		}
		if d.Decision == mamori.Allow {
			st.learn(in)
		}
	case mamori.LoginFailed:
		if len(st.Failures) >= maxFailures {
			st.Failures = append(st.Failures[:0], st.Failures[len(st.Failures)-maxFailures+1:]...)
		}
		st.Failures = appendTight(st.Failures, ev.Time)
	case mamori.ChallengeSucceeded:
		if s != nil && d.Decision == mamori.Allow {
			// A met step-up is evidence for the owner, but one-time codes
			// get relayed: the session keeps most of its risk.
			if !s.Verified && s.SignInRisk == s.StartRisk {
				s.SignInRisk *= challengeMetDiscount
			}
			s.Verified = true
			s.ChallengeFails = 0
			st.learn(in)
		}
	case mamori.ChallengeFailed:
		if s != nil {
			s.ChallengeFails++
		}
	case mamori.Logout:
		if s != nil {
			s.LoggedOut = true
		}
	case mamori.AccountUnlocked:
		st.Locked = false
		st.ResetRequired = false
	case mamori.PasswordChanged:
		st.ResetRequired = false
	case mamori.EmailChanged:
		st.Email = p.NewEmail
		st.EmailChanged = ev.Time
	case mamori.DeviceTrusted:
		if d.Decision == mamori.Allow && ev.Context.DeviceID != "" && !st.trusted(ev.Context.DeviceID) {
			st.Trusted = appendTight(st.Trusted, mamori.TrustedDevice{DeviceID: ev.Context.DeviceID, Since: ev.Time})
		}
	case mamori.DeviceUntrusted:
		st.Trusted = removeTrusted(st.Trusted, ev.Context.DeviceID)
	case mamori.OrderPlaced:
		st.addOrder(ev, d, s)
	case mamori.OrderHidden:
		if o := st.Order(p.OrderID); o != nil {
			o.Hidden = true
		}
	case mamori.OrderCancelled:
		if o := st.Order(p.OrderID); o != nil {
			was := o.Status
			o.Status = OrderCancelledStatus
			st.noteOrderOutcome(in, o, was)
		}
	case mamori.OrderReleased:
		if o := st.Order(p.OrderID); o != nil && o.Status == OrderHeldStatus {
			o.Status = OrderPlacedStatus
			st.noteOrderOutcome(in, o, OrderHeldStatus)
			// The store's team vouched for the order: its session's device
			// is the owner's after all.
			if os := st.Session(o.SessionID); os != nil {
				st.Suspect = forgetKey(st.Suspect, os.DeviceID)
			}
		}
	case mamori.PaymentDeclined:
		if o := st.Order(p.OrderID); o != nil {
			o.Status = OrderDeclinedStatus
		}
		if s != nil {
			s.Declines++
		}
	case mamori.PaymentSettled:
		if o := st.Order(p.OrderID); o != nil {
			o.Settled = true
			o.Descriptor = p.Descriptor
		}
	case mamori.MessageRead:
		st.markRead(p.Note)
	case mamori.GiftCardRedeemed:
		if o := st.Order(p.OrderID); o != nil {
			o.Redeemed = true
			// Spent on the buyer's own account, a card is the owner's
			// shopping however soon; spent at once elsewhere, it went to
			// someone waiting for it.
			o.FastRedeemed = ev.Time.Sub(o.Time) < fastRedemption && p.RedeemerAccount != st.AccountID
			if o.FastRedeemed {
				// Whoever spends the account's cards at once is no friend
				// of it, however many cards went there.
				st.Recipient = forgetKey(st.Recipient, normalRecipient(o.Recipient))
			}
		}
	}
	// A challenged change goes through once the challenge is met (a
	// failed one ends the session): count it either way.
	if isSecurityChange(ev.Type) && (d.Decision == mamori.Allow || d.Decision == mamori.Challenge) {
		st.recordChange(in, s)
	}
	// A challenge on any step means the session counts as not signed in
	// until challenge.succeeded.
	if s != nil && d.Decision == mamori.Challenge {
		s.Verified = false
	}
	if s != nil && d.Decision == mamori.Deny && ev.SessionID != "" {
		s.Revoked = true
	}
}

func (st *State) addSession(in *Input, noSignIn bool) *Session {
	ev := in.Event
	if len(st.Sessions) >= MaxSessions {
		st.Sessions = append(st.Sessions[:0], st.Sessions[1:]...)
	}
	st.Sessions = appendTight(st.Sessions, Session{
		ID: ev.SessionID, DeviceID: ev.Context.DeviceID, IP: ev.Context.IP,
		UserAgent: ev.Context.UserAgent, Started: ev.Time, LastSeen: ev.Time,
		NoSignIn: noSignIn, Verified: true,
		ASN: in.ASNKey(), Browser: in.BrowserKey(), Hosting: in.Network.Type == enrich.Hosting,
		// A fixed line the account never used (mobile addresses change all
		// the time and say little).
		NewLine:   in.Prefix != "" && in.Network.Type != enrich.Mobile && find(st.Networks, in.Prefix) == nil && st.Known(),
		NewDevice: ev.Context.DeviceID != "" && find(st.Devices, ev.Context.DeviceID) == nil && st.Known(),
	})
	return &st.Sessions[len(st.Sessions)-1]
}

// learn makes the event's device, network and browser familiar.
func (st *State) learn(in *Input) {
	ev := in.Event
	st.SignIns++
	st.Devices = see(st.Devices, ev.Context.DeviceID, ev.Time)
	st.Networks = see(st.Networks, in.Prefix, ev.Time)
	st.ASNs = see(st.ASNs, in.ASNKey(), ev.Time)
	st.Countries = see(st.Countries, in.Network.Country, ev.Time)
	st.Browsers = see(st.Browsers, in.BrowserKey(), ev.Time)
	st.Agents = see(st.Agents, ev.Context.UserAgent, ev.Time)
}

// recordChange keeps a security change, and whether a device new to the
// account made it.
func (st *State) recordChange(in *Input, s *Session) {
	ev := in.Event
	dev := find(st.Devices, ev.Context.DeviceID)
	c := Change{Time: ev.Time, Type: ev.Type,
		NewDevice: (s != nil && s.NewDevice) || (dev != nil && ev.Time.Sub(dev.First) < 24*time.Hour && st.SignIns > dev.Count)}
	if st.Created.IsZero() || ev.Time.Sub(st.Created) > 24*time.Hour {
		if len(st.Changes) >= maxChanges {
			st.Changes = append(st.Changes[:0], st.Changes[len(st.Changes)-maxChanges+1:]...)
		}
		st.Changes = appendTight(st.Changes, c)
	}
	if s != nil {
		switch ev.Type {
		case mamori.PaymentMethodAdded:
			s.NewPayment = true
			s.NewMethods = appendBounded(s.NewMethods, ev.Properties.MethodID)
		case mamori.AddressAdded:
			s.NewPayment = true
			s.NewAddresses = appendBounded(s.NewAddresses, ev.Properties.AddressID)
		default:
			s.Changes++
		}
	}
}

func (st *State) addOrder(ev *mamori.Event, d *mamori.Decision, s *Session) {
	p := &ev.Properties
	o := Order{
		ID: p.OrderID, Time: ev.Time, SessionID: ev.SessionID,
		Amount: p.AmountValue(), Currency: p.Currency,
		GiftCard: p.HasGiftCard(), Digital: p.HasDigital(),
		Status: OrderPlacedStatus, Score: d.Score,
		Risky: s != nil && (s.SignInRisk >= riskySessionAt || s.NoSignIn),
	}
	if s != nil {
		o.SessionID = s.ID // the session's copy: the event's would be kept apart
	}
	if p.Delivery != nil {
		o.Recipient = p.Delivery.RecipientEmail
	}
	switch d.Decision {
	case mamori.Review:
		o.Status = OrderHeldStatus
	case mamori.Deny:
		o.Status = OrderDeniedStatus
	}
	if len(st.Orders) >= maxOrders {
		st.Orders = append(st.Orders[:0], st.Orders[1:]...)
	}
	st.Orders = appendTight(st.Orders, o)
	if d.Decision == mamori.Deny {
		return
	}
	st.OrderCount++
	st.OrderTotal += o.Amount
	st.MaxOrder = max(st.MaxOrder, o.Amount)
	if r := Recipient(p); r != "" && d.Decision == mamori.Allow {
		st.Recipient = see(st.Recipient, r, ev.Time)
	}
	if s != nil && !o.GiftCard && o.Amount <= smallOrderMax {
		s.SmallOrder = true
	}
}

func joinCase(st *State, ev *mamori.Event, d *mamori.Decision) {
	c := st.OpenCase()
	if c == nil || c.ID != d.CaseID {
		reason := ev.Type
		if len(d.Reasons) > 0 {
			reason = d.Reasons[0].Code
		}
		st.Cases = appendTight(st.Cases, mamori.Case{
			ID: d.CaseID, AccountID: st.AccountID, Status: mamori.CaseOpen,
			Opened: ev.Time, Reason: reason,
			History: []mamori.CaseChange{{Status: mamori.CaseOpen, By: "mamori", At: ev.Time}},
		})
		c = &st.Cases[len(st.Cases)-1]
	}
	c.EventIDs = append(c.EventIDs, ev.ID)
	// A hide is always allowed; one that brought actions caught the
	// session covering a takeover's tracks.
	caught := ev.Type == mamori.OrderHidden && len(d.Actions) > 0
	if s := st.Session(ev.SessionID); s != nil && (d.Decision != mamori.Allow || caught) {
		// What a session that ends in a case taught the account is not
		// familiar any more; only a session that looked taken over from
		// its sign-in marks its device as the attacker's.
		st.forgetSession(s)
		if s.StartRisk >= riskySessionAt || s.NoSignIn || caught || hasReasonCode(d, ReasonSessionHijacked) {
			st.suspect(s)
		}
	}
}

// updateCase applies an analyst's change or note to a case.
func updateCase(st *State, ev *mamori.Event) {
	p := &ev.Properties
	for i := range st.Cases {
		c := &st.Cases[i]
		if c.ID != p.CaseID {
			continue
		}
		if p.Status != "" || p.Assignee != "" {
			if p.Status != "" {
				c.Status = p.Status
			}
			if p.Assignee != "" {
				c.Assignee = p.Assignee
			}
			c.History = append(c.History, mamori.CaseChange{Status: c.Status, Assignee: c.Assignee, By: p.By, At: ev.Time})
		}
		if p.Note != "" {
			c.Notes = append(c.Notes, mamori.CaseNote{By: p.By, At: ev.Time, Text: p.Note})
		}
		return
	}
}

// suspect marks what a session used as linked to fraud: its device and
// network are no longer familiar, and signing in from that device again
// is refused while the account has a case.
func (st *State) suspect(s *Session) {
	if s.DeviceID != "" && find(st.Devices, s.DeviceID) == nil {
		st.Suspect = see(st.Suspect, s.DeviceID, s.LastSeen)
	}
}

// forgetSession drops the device, network and browser a session brought,
// if the account first saw them in it.
func (st *State) forgetSession(s *Session) {
	forget := func(list []Seen, key string) []Seen {
		out := list[:0]
		for _, x := range list {
			if x.Key != key || x.First.Before(s.Started) {
				out = append(out, x)
			}
		}
		return out
	}
	st.Devices = forget(st.Devices, s.DeviceID)
	st.Networks = forget(st.Networks, prefixOf(s.IP))
	st.ASNs = forget(st.ASNs, s.ASN)
	st.Browsers = forget(st.Browsers, s.Browser)
	st.Agents = forget(st.Agents, s.UserAgent)
}

func applyAction(st *State, ev *mamori.Event, a mamori.Action) {
	switch a {
	case mamori.LockAccount:
		st.Locked = true
	case mamori.RevokeSessions:
		for i := range st.Sessions {
			if !st.Sessions[i].LoggedOut {
				st.Sessions[i].Revoked = true
			}
		}
	case mamori.RevokeTrustedDevices:
		st.Trusted = nil
	case mamori.RequirePasswordReset:
		st.ResetRequired = true
	case mamori.HoldPendingOrders:
		for i := range st.Orders {
			if o := &st.Orders[i]; o.Status == OrderPlacedStatus && !o.Settled {
				o.Status = OrderHeldStatus
			}
		}
	case mamori.VoidGiftCards:
		for i := range st.Orders {
			o := &st.Orders[i]
			if o.GiftCard && !o.Redeemed && (o.Risky || o.SessionID == ev.SessionID || ev.Type == mamori.AccountLockedDown) &&
				(o.Status == OrderPlacedStatus || o.Status == OrderHeldStatus) {
				o.Status = OrderVoidedStatus
				// Nobody the account knows receives a voided card.
				st.Recipient = forgetKey(st.Recipient, normalRecipient(o.Recipient))
			}
		}
	}
}

func appendBounded(list []string, v string) []string {
	if v == "" || len(list) >= 8 {
		return list
	}
	return appendTight(list, v)
}

func forgetKey(list []Seen, key string) []Seen {
	out := list[:0]
	for _, x := range list {
		if x.Key != key {
			out = append(out, x)
		}
	}
	return out
}

func hasReasonCode(d *mamori.Decision, code string) bool {
	for _, r := range d.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

func prefixOf(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return enrich.IPPrefix(addr.Unmap())
}

func removeTrusted(list []mamori.TrustedDevice, device string) []mamori.TrustedDevice {
	out := list[:0]
	for _, t := range list {
		if t.DeviceID != device {
			out = append(out, t)
		}
	}
	return out
}

func isSecurityChange(t string) bool {
	switch t {
	case mamori.PasswordChanged, mamori.EmailChanged, mamori.MFAChanged, mamori.DeviceTrusted,
		mamori.PaymentMethodAdded, mamori.AddressAdded:
		return true
	}
	return false
}
