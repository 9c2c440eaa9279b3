package risk

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-dev/mamori"
	"github.com/mamori-dev/mamori/enrich"
)

// Order risk, like sign-in risk, as likelihood ratios: how much likelier
// each fact of the order is when the session belongs to an attacker than
// when it belongs to the owner. The prior is the session's own odds of
// being an attacker's, from its sign-in: a gift card bought in a session
// that signed in as the owner always does stays an owner's gift card,
// while the same card in a session from a new device on a hosting network
// is held. The ratios are set from what the simulator's world shows
// (`mamori eval`) and named in the README.
const (
	// orderPriorOdds is the floor of a session's odds: cookies get stolen
	// from the owner's own browser too.
	orderPriorOdds = 0.002
	// noSessionOdds is the prior of an order sent without a session.
	noSessionOdds = 0.002
	// steppedUpDivisor lowers the odds of a session that met its challenge
	// from a home or mobile line; relayed codes come from hosting
	// networks, where the challenge counts for less (challengeMetDiscount).
	steppedUpDivisor = 20
	smallOrderMax    = 1000 // yen: a physical order this small before gift cards looks like a card test
	velocityWindow   = 24 * time.Hour
	// familiarAfter is how long ago a recipient must first have been used
	// to count as one the account knows.
	familiarAfter = 7 * 24 * time.Hour
	// hiddenWindow is how far back hidden orders and gift cards spent at
	// once count against a new order.
	hiddenWindow = 7 * 24 * time.Hour
	// openCaseHold is how long after a case opens the account's digital
	// orders count as suspect.
	openCaseHold = 48 * time.Hour
	// ordersHiddenSameSession is the ratio of an order hidden by the
	// session that placed it, soon after.
	ordersHiddenSameSession = 20
	// hideWindow is how soon after its purchase a hide judges an order
	// again.
	hideWindow = time.Hour
	// newDeviceFor is how long a session started on a new device counts
	// as a new device's.
	newDeviceFor = 48 * time.Hour
)

// orderScore scores an order placed in session s (nil: none) and returns
// its reasons, strongest first once sorted.
func orderScore(st *State, in *Input, s *Session) (float64, []factor) {
	ev := in.Event
	p := &ev.Properties
	var fs []factor
	lr := 1.0
	add := func(code string, ratio float64, detail string) {
		if ratio <= 1 {
			return
		}
		lr *= ratio
		fs = append(fs, factor{code: code, weight: 1 - 1/ratio, detail: detail})
	}
	gift := p.HasGiftCard()
	digital := gift || p.HasDigital()
	odds := noSessionOdds
	if s == nil && ev.SessionID != "" {
		// A session mamori never saw sign in.
		odds = sessionOdds(&Session{NoSignIn: true}, ev.Time)
		fs = append(fs, factor{code: ReasonSessionNoSignIn, weight: odds / (1 + odds)})
	}
	s = s.visit(ev.Time)
	if s != nil {
		odds = sessionOdds(s, ev.Time)
		if s.StartRisk >= riskySessionAt || s.NoSignIn {
			fs = append(fs, factor{code: ReasonRiskySession, weight: odds / (1 + odds)})
		}
		if s.ASN != "" && in.ASNKey() != "" && s.ASN != in.ASNKey() && find(st.ASNs, in.ASNKey()) == nil {
			r := 1.5 // phones move from home Wi-Fi to their carrier
			if in.Network.Type == enrich.Hosting || (in.Network.Country != "" && find(st.Countries, in.Network.Country) == nil) {
				r = 10
			}
			add(ReasonSessionNetworkMoved, r, in.Network.Org)
		}
		if s.Changes > 0 {
			add(ReasonRecentChange, 2, "")
		}
	}
	if gift && !slices.ContainsFunc(st.Orders, func(o Order) bool { return o.GiftCard && o.Status != OrderDeniedStatus }) {
		// The account's first gift card: owners who buy them have bought
		// them before; a takeover's first is often the account's first.
		add(ReasonFirstGiftCard, 1.7, "")
	}
	switch {
	case gift:
		add(ReasonGiftCard, 10, "")
	case digital:
		add(ReasonDigitalGoods, 3, "")
	}
	// New recipients, many cards and much value in a day all say "buying
	// gift cards for others": one fact, counted once, by its strongest
	// sign.
	burst := map[string]float64{}
	burstDetail := map[string]string{}
	if r := Recipient(p); r != "" && r != st.Email {
		if seen := find(st.Recipient, r); seen == nil || ev.Time.Sub(seen.First) < familiarAfter {
			burst[ReasonNewRecipient] = 3
		}
		// Friends of one family buy for the same niece; a crew sends every
		// victim's cards to the same few addresses.
		switch n := in.Crowd.RecipientAccounts; {
		case n >= 3:
			add(ReasonRecipientShared, 60, strconv.Itoa(n)+" other accounts")
		case n == 2:
			add(ReasonRecipientShared, 20, "2 other accounts")
		case n == 1:
			// Names repeat: one other account may be a namesake.
			add(ReasonRecipientShared, 2.5, "1 other account")
		}
	}
	newAddress := false
	if s != nil {
		// An address added in the account's first session is its home.
		newAddress = p.Delivery != nil && p.Delivery.AddressID != "" && slices.Contains(s.NewAddresses, p.Delivery.AddressID) &&
			s.Started.Sub(st.Created) > 24*time.Hour
		// A session that has run on its new device for days without
		// trouble is the owner's new device by now.
		newDevice := s.NewDevice && ev.Time.Sub(s.Started) < newDeviceFor
		if newDevice && (digital || s.NewPayment) {
			r := 2.0
			if s.NewLine {
				// A new device on a line the account never used: someone
				// else's home, not the owner's new phone.
				r = 9
			}
			add(ReasonNewDeviceSession, r, "")
		}
		if s.Hosting && (digital || newAddress) {
			add(ReasonHostingNetwork, 4, "")
		}
		// Owners buy a small thing before gift cards too, and see a card
		// declined now and then; in a session that did not sign in as
		// the owner does, these are a card test and a drained card.
		suspect := s.Hosting || s.StartRisk >= 0.1 || s.NoSignIn
		if gift && s.SmallOrder {
			add(ReasonCardTest, pick(suspect, 4, 1.5), "")
		}
		if s.Declines > 0 {
			add(ReasonDeclines, pick(suspect || newDevice, 4, 1.5), "")
		}
		// Shipping to an address added in the same session is the drop
		// address of a takeover; paying with a card added in it, less so.
		newMethod := p.Payment != nil && p.Payment.MethodID != "" && slices.Contains(s.NewMethods, p.Payment.MethodID)
		switch {
		case newAddress && newMethod:
			// A card and a drop address added, then used at once: the
			// account-change-then-buy of a takeover.
			add(ReasonShipToNewAddress, 10, "")
			add(ReasonNewPaymentOrAddress, 3, "")
		case newAddress:
			add(ReasonShipToNewAddress, 10, "")
		case newMethod:
			add(ReasonNewPaymentOrAddress, 2, "")
		}
	}
	if n := in.Crowd.DeviceAccounts; n >= 3 {
		add(ReasonSharedDevice, 5, strconv.Itoa(n)+" other accounts")
	}
	if c := st.OpenCase(); c != nil && digital && ev.Time.Sub(c.Opened) < openCaseHold {
		add(ReasonOpenCase, 5, c.ID)
	}
	if digital {
		add(ReasonRecentChangeNewDev, recentChangeFromNewDevice(st, ev.Time), "")
	}
	if gift {
		n, value := 0, p.AmountValue()
		for _, o := range st.Orders {
			if o.GiftCard && !o.Time.Before(ev.Time.Add(-velocityWindow)) && o.Status != OrderDeniedStatus {
				n++
				value += o.Amount
			}
		}
		if n >= 2 {
			burst[ReasonGiftCardVelocity] = 2
			burstDetail[ReasonGiftCardVelocity] = strconv.Itoa(n+1) + " in 24 hours"
		}
		if habit := giftCardHabit(st, ev.Time); value > max(3*habit, 20000) {
			burst[ReasonGiftCardValue] = 2
			burstDetail[ReasonGiftCardValue] = "¥" + strconv.FormatInt(value, 10)
		}
		to := Recipient(p)
		for _, o := range st.Orders {
			if o.FastRedeemed && (ev.Time.Sub(o.Time) < hiddenWindow || to != "" && strings.EqualFold(o.Recipient, to)) {
				add(ReasonFastRedemption, 10, "")
				break
			}
		}
	}
	if len(burst) > 0 {
		strongest := 1.0
		for _, r := range burst {
			strongest = max(strongest, r)
		}
		lr *= strongest
		for _, code := range []string{ReasonNewRecipient, ReasonGiftCardVelocity, ReasonGiftCardValue} {
			if r, ok := burst[code]; ok {
				fs = append(fs, factor{code: code, weight: (1 - 1/r) / 2, detail: burstDetail[code]})
			}
		}
	}
	if amt := p.AmountValue(); st.OrderCount >= 3 && amt > 3*st.MaxOrder && amt > 10000 {
		add(ReasonAmountUnusual, 2, "")
	}
	// Owners hide orders now and then; hiding one's own order minutes
	// after placing it, in the same session, is what takeovers do.
	hidden := 1.0
	for _, o := range st.Orders {
		switch {
		case !o.Hidden || ev.Time.Sub(o.Time) >= hiddenWindow:
		case o.SessionID == ev.SessionID && ev.SessionID != "":
			// The hide itself was judged (hiddenAgain); what it adds to
			// the next order is less.
			hidden = 4
		default:
			hidden = max(hidden, 3)
		}
	}
	add(ReasonOrdersHidden, hidden, "")
	odds *= lr
	return odds / (1 + odds), fs
}

// hiddenAgain judges an order again when the session that placed it hides
// it soon after: the hide is one more fact about the order, and a strong
// one (ordersHiddenSameSession). A gift card let through as an owner's
// new phone, hidden within the minute, is the takeover hiding its tracks,
// and its card can still be voided before it is spent.
func hiddenAgain(st *State, ev *mamori.Event) (float64, *Order) {
	o := st.Order(ev.Properties.OrderID)
	if o == nil || o.SessionID == "" || o.SessionID != ev.SessionID || ev.Time.Sub(o.Time) > hideWindow ||
		(o.Status != OrderPlacedStatus && o.Status != OrderHeldStatus) || !(o.GiftCard || o.Digital) {
		return 0, o
	}
	odds := math.Max(o.Score, 0) / math.Max(1-o.Score, 1e-6) * ordersHiddenSameSession
	return odds / (1 + odds), o
}

// sessionOdds are the odds that the session is an attacker's at t, from
// its sign-in and whether it met a challenge. A session that has run for
// days without trouble has answered its doubtful sign-in: past the first
// two days (newDeviceFor) its odds halve with every further day.
func sessionOdds(s *Session, t time.Time) float64 {
	if s.NoSignIn {
		return 0.1
	}
	risk := s.SignInRisk
	stepped := s.StartRisk != s.SignInRisk
	if stepped && !s.Hosting {
		risk = s.StartRisk
	}
	odds := risk / math.Max(1-risk, 1e-6)
	if stepped && !s.Hosting {
		odds /= steppedUpDivisor
	}
	if age := t.Sub(s.Started); age > newDeviceFor {
		odds *= math.Exp2(-float64(age-newDeviceFor) / float64(24*time.Hour))
	}
	return math.Max(odds, orderPriorOdds)
}

// recentChangeFromNewDevice weighs the changes of the last two weeks
// made from a device then new: a new e-mail address is how a takeover
// keeps the account; trusting the new device, or turning on a second
// factor from it, is what owners do with a new phone too.
func recentChangeFromNewDevice(st *State, t time.Time) float64 {
	r := 1.0
	for _, c := range st.Changes {
		if !c.NewDevice || t.Sub(c.Time) >= 14*24*time.Hour {
			continue
		}
		switch c.Type {
		case mamori.EmailChanged:
			r = max(r, 40)
		case mamori.DeviceUntrusted:
			r = max(r, 10) // the owner's own devices pushed out
		case mamori.DeviceTrusted, mamori.MFAChanged:
			r = max(r, 4)
		}
	}
	return r
}

// Recipient is the e-mail address an order is delivered to, normalised
// ("" for none).
func Recipient(p *mamori.Properties) string {
	if p.Delivery == nil {
		return ""
	}
	return normalRecipient(p.Delivery.RecipientEmail)
}

func normalRecipient(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// giftCardHabit is the most gift-card value the account spent in any 24
// hours of the orders it keeps, before t.
func giftCardHabit(st *State, t time.Time) int64 {
	var best int64
	for i, o := range st.Orders {
		if !o.GiftCard || o.Status == OrderDeniedStatus || !o.Time.Before(t.Add(-velocityWindow)) {
			continue
		}
		var sum int64
		for _, p := range st.Orders[i:] {
			if p.GiftCard && p.Status != OrderDeniedStatus && p.Time.Sub(o.Time) < velocityWindow {
				sum += p.Amount
			}
		}
		best = max(best, sum)
	}
	return best
}

func pick(cond bool, yes, no float64) float64 {
	if cond {
		return yes
	}
	return no
}
