package pageguard_test

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/mamori-dev/mamori/pageguard"
)

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		name, origin, referer string
		tls                   bool
		want                  bool
	}{
		{"same origin", "http://mamori.example", "", false, true},
		{"other origin", "https://evil.example", "", false, false},
		{"scheme differs", "http://mamori.example", "", true, false},
		{"https", "https://mamori.example", "", true, true},
		{"null origin", "null", "http://mamori.example/me", false, false},
		{"referer only", "", "http://mamori.example/console/review", false, true},
		{"other referer", "", "http://evil.example/x", false, false},
		{"neither", "", "", false, false},
		{"bad referer", "", "::", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://mamori.example/console/logout", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				r.Header.Set("Referer", tt.referer)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := pageguard.SameOrigin(r); got != tt.want {
				t.Fatalf("SameOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	pageguard.Headers(w.Header())
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp == "" {
		t.Error("no Content-Security-Policy")
	}
}
