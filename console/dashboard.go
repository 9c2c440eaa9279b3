package console

import (
	"net/http"
	"sort"
	"time"

	"github.com/mamori-dev/mamori"
)

// dashRecords is how many of the log's last records the dashboard reads.
const dashRecords = 20000

// dashView is the dashboard.
type dashView struct {
	Hours    []hourCounts
	Reasons  []reasonCount
	Held     []money
	HeldN    int
	Open     int
	Overdue  int
	Since    time.Time
	Until    time.Time
	Decided  int
	MaxCount int
}

type hourCounts struct {
	Hour                           time.Time
	Allow, Challenge, Review, Deny int
}

type reasonCount struct {
	Code string
	N    int
}

type money struct {
	Amount   int64
	Currency string
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, sess Session) {
	if s.cfg.Risk == nil {
		http.Redirect(w, r, "/console/review", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	recent, err := s.cfg.Risk.RecentDecisions(ctx, dashRecords)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	held, err := s.cfg.Review.HeldOrders(ctx)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	open, err := s.cfg.Cases.Cases(ctx, mamori.CaseOpen)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v := &dashView{HeldN: len(held), Open: len(open)}
	for _, c := range open {
		if c.Overdue {
			v.Overdue++
		}
	}
	// The last 24 hours of event time, ending with the newest event.
	var until time.Time
	for _, p := range recent {
		if p.Time.After(until) {
			until = p.Time
		}
	}
	until = until.Truncate(time.Hour).Add(time.Hour)
	v.Until, v.Since = until, until.Add(-24*time.Hour)
	v.Hours = make([]hourCounts, 24)
	for i := range v.Hours {
		v.Hours[i].Hour = v.Since.Add(time.Duration(i) * time.Hour)
	}
	reasons := map[string]int{}
	for _, p := range recent {
		if p.Time.Before(v.Since) || !p.Time.Before(until) {
			continue
		}
		v.Decided++
		h := &v.Hours[int(p.Time.Sub(v.Since)/time.Hour)]
		switch p.Decision {
		case mamori.Allow:
			h.Allow++
		case mamori.Challenge:
			h.Challenge++
		case mamori.Review:
			h.Review++
		case mamori.Deny:
			h.Deny++
		}
		for _, rc := range p.Reasons {
			reasons[rc.Code]++
		}
	}
	for code, n := range reasons {
		v.Reasons = append(v.Reasons, reasonCount{Code: code, N: n})
	}
	sort.Slice(v.Reasons, func(i, j int) bool {
		a, b := v.Reasons[i], v.Reasons[j]
		return a.N > b.N || a.N == b.N && a.Code < b.Code
	})
	if len(v.Reasons) > 10 {
		v.Reasons = v.Reasons[:10]
	}
	sums := map[string]int64{}
	for _, o := range held {
		cur := o.Currency
		if cur == "" {
			cur = "JPY"
		}
		sums[cur] += o.Amount
	}
	for cur, amt := range sums {
		v.Held = append(v.Held, money{Amount: amt, Currency: cur})
	}
	sort.Slice(v.Held, func(i, j int) bool { return v.Held[i].Currency < v.Held[j].Currency })
	s.render(w, r, http.StatusOK, "dashboard", pageData{Title: msg(r, "title_dashboard"), User: sess.User, CSRF: sess.CSRF, Nav: "dashboard", Dash: v})
}
