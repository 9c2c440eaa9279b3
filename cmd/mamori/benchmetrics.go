package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The paced loop's latency runs from when a request was due to when its
// answer was read: it holds the clients' and the scheduler's delays as
// well as mamori's. mamori's own histograms, read before and after the
// loop, say how much of it was spent inside the server, and how long the
// group commits that every answer waits for took.
const (
	requestHistogram = "mamori_http_request_duration_seconds"
	commitHistogram  = "mamori_commit_duration_seconds"
	// The Go collector's summary of garbage collections' pauses: its
	// count is how many collections ran, each of which slows answers
	// while it marks.
	gcSummary = "go_gc_duration_seconds"
	// The Go collector's histogram of how long goroutines were runnable
	// before they ran: the wait for a free P, which grows as the cores
	// fill.
	schedHistogram = "go_sched_latencies_seconds"
)

// histogram is a Prometheus histogram as scraped: its buckets' upper
// bounds and cumulative counts, the last bound +Inf.
type histogram struct {
	bounds []float64
	counts []uint64
}

// serverView is what mamori's metrics held at one moment.
type serverView struct {
	requests histogram // /v1/risk or /v1/events, over every decision
	commits  histogram
	sched    histogram // goroutines' waits from runnable to running
	gcs      uint64    // garbage collections so far
}

// scrapeServer reads mamori's /metrics. route is the label the HTTP
// server gives the loaded path ("risk", "events").
func scrapeServer(ctx context.Context, t *target, route string) (serverView, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"/metrics", nil)
	if err != nil {
		return serverView{}, fmt.Errorf("scrape metrics: %w", err)
	}
	if t.key != "" {
		req.Header.Set("Authorization", "Bearer "+t.key)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return serverView{}, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return serverView{}, fmt.Errorf("scrape metrics: status %d", resp.StatusCode)
	}
	return parseServerView(resp.Body, route)
}

func parseServerView(r io.Reader, route string) (serverView, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return serverView{}, fmt.Errorf("parse metrics: %w", err)
	}
	var v serverView
	if f := families[requestHistogram]; f != nil {
		v.requests = sumHistograms(f, func(m *dto.Metric) bool { return label(m, "route") == route })
	}
	if f := families[commitHistogram]; f != nil {
		v.commits = sumHistograms(f, func(*dto.Metric) bool { return true })
	}
	if f := families[schedHistogram]; f != nil {
		v.sched = sumHistograms(f, func(*dto.Metric) bool { return true })
	}
	if f := families[gcSummary]; f != nil {
		for _, m := range f.GetMetric() {
			v.gcs += m.GetSummary().GetSampleCount()
		}
	}
	return v, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sumHistograms adds up the histograms of a family that keep, which
// share their buckets.
func sumHistograms(f *dto.MetricFamily, keep func(*dto.Metric) bool) histogram {
	var h histogram
	for _, m := range f.GetMetric() {
		if !keep(m) || m.GetHistogram() == nil {
			continue
		}
		buckets := m.GetHistogram().GetBucket()
		if h.bounds == nil {
			for _, b := range buckets {
				h.bounds = append(h.bounds, b.GetUpperBound())
			}
			h.bounds = append(h.bounds, math.Inf(1))
			h.counts = make([]uint64, len(h.bounds))
		}
		if len(buckets)+1 != len(h.bounds) {
			continue
		}
		for i, b := range buckets {
			h.counts[i] += b.GetCumulativeCount()
		}
		h.counts[len(buckets)] += m.GetHistogram().GetSampleCount()
	}
	return h
}

// since returns what h gained after before, a scrape of the same
// histogram.
func (h histogram) since(before histogram) histogram {
	if len(before.counts) != len(h.counts) {
		return h
	}
	d := histogram{bounds: h.bounds, counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		d.counts[i] = h.counts[i] - before.counts[i]
	}
	return d
}

func (h histogram) total() uint64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// quantile returns the upper bound of the bucket that holds the q-th
// quantile: the quantile is at most that. +Inf if beyond the last bound,
// NaN if the histogram is empty.
func (h histogram) quantile(q float64) float64 {
	n := h.total()
	if n == 0 {
		return math.NaN()
	}
	rank := uint64(math.Ceil(q * float64(n)))
	for i, c := range h.counts {
		if c >= rank {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

// atMost writes a bound in milliseconds as "≤ X ms".
func atMost(seconds float64) string {
	switch {
	case math.IsNaN(seconds):
		return "none"
	case math.IsInf(seconds, 1):
		return "beyond the last bucket"
	}
	return "≤ " + strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", seconds*1000), "0"), ".") + " ms"
}

// over returns the share of h's samples above the first of its bucket
// bounds at or past least, and that bound (NaN and 0 if h is empty or
// has none).
func (h histogram) over(least float64) (share, bound float64) {
	i := slices.IndexFunc(h.bounds, func(b float64) bool { return b >= least })
	if i < 0 || h.total() == 0 {
		return math.NaN(), 0
	}
	return float64(h.total()-h.counts[i]) / float64(h.total()), h.bounds[i]
}

// schedLeast is where the scheduler's waits are counted from: a wait of
// a millisecond is a fifth of the 5 ms target spent on one hand-off of a
// request between goroutines. The runtime's bucket bound nearest it is
// 0.9175 ms.
const schedLeast = 0.0009

// describe says what the server saw between two scrapes.
func describe(before, after serverView) string {
	req, com := after.requests.since(before.requests), after.commits.since(before.commits)
	d := fmt.Sprintf("inside mamori: %d requests, p50 %s, p99 %s, p99.9 %s; %d group commits (write and sync), p50 %s, p99 %s, p99.9 %s (upper bounds of the server's histogram buckets); %d garbage collections",
		req.total(), atMost(req.quantile(0.5)), atMost(req.quantile(0.99)), atMost(req.quantile(0.999)),
		com.total(), atMost(com.quantile(0.5)), atMost(com.quantile(0.99)), atMost(com.quantile(0.999)),
		after.gcs-before.gcs)
	if s := after.sched.since(before.sched); s.total() > 0 {
		d += fmt.Sprintf("; goroutines runnable before they ran: p99 %s", atMost(s.quantile(0.99)))
		if f, b := s.over(schedLeast); !math.IsNaN(f) {
			d += fmt.Sprintf(", %.2f%% over %s", 100*f, strings.TrimPrefix(atMost(b), "≤ "))
		}
	}
	return d
}
