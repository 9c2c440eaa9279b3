package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestServerViewReadsTheLoadedRoute reads a scrape as mamori's server
// writes it: the loaded route's requests over every decision, the other
// routes left out, and quantiles as the bound of the bucket that holds
// them.
func TestServerViewReadsTheLoadedRoute(t *testing.T) {
	scrape := func(risk, events, commits, sched [3]int, gcs int) string {
		var b strings.Builder
		b.WriteString("# HELP mamori_http_request_duration_seconds API request latency.\n# TYPE mamori_http_request_duration_seconds histogram\n")
		for _, r := range []struct {
			route, decision string
			n               [3]int
		}{{"risk", "allow", risk}, {"risk", "deny", [3]int{0, 0, 0}}, {"events", "none", events}} {
			for i, le := range []string{"0.001", "0.005", "+Inf"} {
				b.WriteString("mamori_http_request_duration_seconds_bucket{decision=\"" + r.decision + "\",route=\"" + r.route + "\",le=\"" + le + "\"} " + strconv.Itoa(r.n[i]) + "\n")
			}
			b.WriteString("mamori_http_request_duration_seconds_sum{decision=\"" + r.decision + "\",route=\"" + r.route + "\"} 1\n")
			b.WriteString("mamori_http_request_duration_seconds_count{decision=\"" + r.decision + "\",route=\"" + r.route + "\"} " + strconv.Itoa(r.n[2]) + "\n")
		}
		b.WriteString("# HELP mamori_commit_duration_seconds Commits.\n# TYPE mamori_commit_duration_seconds histogram\n")
		for i, le := range []string{"0.0004", "0.0128", "+Inf"} {
			b.WriteString("mamori_commit_duration_seconds_bucket{le=\"" + le + "\"} " + strconv.Itoa(commits[i]) + "\n")
		}
		b.WriteString("mamori_commit_duration_seconds_sum 1\nmamori_commit_duration_seconds_count " + strconv.Itoa(commits[2]) + "\n")
		// The runtime's bounds, as the Go collector writes them.
		b.WriteString("# HELP go_sched_latencies_seconds Runnable before running.\n# TYPE go_sched_latencies_seconds histogram\n")
		for i, le := range []string{"8.191999999999999e-05", "0.0009175039999999999", "+Inf"} {
			b.WriteString("go_sched_latencies_seconds_bucket{le=\"" + le + "\"} " + strconv.Itoa(sched[i]) + "\n")
		}
		b.WriteString("go_sched_latencies_seconds_sum 1\ngo_sched_latencies_seconds_count " + strconv.Itoa(sched[2]) + "\n")
		b.WriteString("# HELP go_gc_duration_seconds GC pauses.\n# TYPE go_gc_duration_seconds summary\n")
		b.WriteString("go_gc_duration_seconds{quantile=\"0.5\"} 0.0001\ngo_gc_duration_seconds_sum 0.01\ngo_gc_duration_seconds_count " + strconv.Itoa(gcs) + "\n")
		return b.String()
	}
	before, err := parseServerView(strings.NewReader(scrape([3]int{10, 10, 10}, [3]int{0, 0, 0}, [3]int{5, 5, 5}, [3]int{100, 100, 100}, 40)), "risk")
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseServerView(strings.NewReader(scrape([3]int{900, 1005, 1010}, [3]int{0, 0, 500}, [3]int{50, 95, 105}, [3]int{700, 1040, 1100}, 47)), "risk")
	if err != nil {
		t.Fatal(err)
	}
	req, com := after.requests.since(before.requests), after.commits.since(before.commits)
	tests := []struct {
		name string
		h    histogram
		q    float64
		want float64
	}{
		{"requests, median", req, 0.5, 0.001},
		{"requests, p99", req, 0.99, 0.005},
		{"requests, p99.9", req, 0.999, math.Inf(1)},
		{"commits, median", com, 0.5, 0.0128},
		{"commits, p99", com, 0.99, math.Inf(1)},
		{"none", histogram{}, 0.99, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.quantile(tt.q)
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("quantile %v = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if req.total() != 1000 || com.total() != 100 || after.gcs-before.gcs != 7 {
		t.Errorf("%d requests, %d commits and %d collections, want 1000, 100 and 7", req.total(), com.total(), after.gcs-before.gcs)
	}
	// 1000 waits between the scrapes, 60 of them past 0.9175 ms: the
	// p99 is in the last bucket.
	want := "; 7 garbage collections; goroutines runnable before they ran: p99 beyond the last bucket, 6.00% over 0.918 ms"
	if d := describe(before, after); !strings.HasSuffix(d, want) {
		t.Errorf("describe: %s\nwant it to end %q", d, want)
	}
	// A server whose scrape has no scheduler's histogram says nothing of it.
	before.sched, after.sched = histogram{}, histogram{}
	if d := describe(before, after); !strings.HasSuffix(d, "; 7 garbage collections") {
		t.Errorf("describe without the scheduler's histogram: %s", d)
	}
}
