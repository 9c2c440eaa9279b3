package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBenchServersRunApart starts the bench's servers as the bench does,
// from the built binary: a baseline that listens answers the risk route
// and stops on SIGTERM without complaint; one that cannot start is an
// error naming it and what it said, never a hang.
func TestBenchServersRunApart(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" if it must listen
	}{
		{"bare handler", []string{"bench", "--serve-baseline", "bare"}, ""},
		{"durable floor", []string{"bench", "--serve-baseline", "durable", "--duration", "1s", "--paced-duration", "1s"}, ""},
		{"no such baseline", []string{"bench", "--serve-baseline", "fast"}, "exited before it listened"},
		{"serve refusing its flags", []string{"serve", "--addr", "127.0.0.1:0", "--data", "", "--api-key", "k", "--commit-interval", "-1s"}, "exited before it listened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			s, err := startBenchServer(context.Background(), tt.name, mamoriBin, tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil {
					s.kill()
					t.Fatalf("%v listened at %s", tt.args, s.url)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), "exit status 2") {
					t.Fatalf("error %q, want it to name %q, say %q and give the exit status", err, tt.name, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("start: %v; stderr:\n%s", err, stderr.String())
			}
			if s.pid() == os.Getpid() {
				t.Fatal("the server runs in the test's process")
			}
			resp, err := http.Post(s.url+"/v1/risk", "application/json", strings.NewReader(`{"id":"ev-1","type":"login.succeeded","time":"2026-11-26T10:00:00Z","account_id":"acct-1","context":{"ip":"127.0.0.1"}}`))
			if err != nil {
				s.kill()
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("risk route: status %d, want 200", resp.StatusCode)
			}
			if err := s.stop(); err != nil {
				t.Fatalf("stop: %v; stderr:\n%s", err, stderr.String())
			}
			if err := s.cmd.Process.Signal(os.Interrupt); !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("after stop, signalling the server: %v, want it gone", err)
			}
		})
	}
}

// TestBenchRefusesAnUnknownBaseline runs bench --serve-baseline with a
// kind it does not serve: a usage error, exit status 2, naming the flag.
func TestBenchRefusesAnUnknownBaseline(t *testing.T) {
	out, err := exec.Command(mamoriBin, "bench", "--serve-baseline", "fast").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "--serve-baseline fast") {
		t.Fatalf("%v, want exit status 2 naming --serve-baseline fast; output:\n%s", err, out)
	}
}
