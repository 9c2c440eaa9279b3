package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSyncFileKeepsEveryBody appends bodies from many goroutines at once,
// within the zeros written ahead and past them, and finds each in the
// file, whole, once; after close, append refuses.
func TestSyncFileKeepsEveryBody(t *testing.T) {
	tests := []struct {
		name   string
		ahead  int64
		every  time.Duration
		bodies int
	}{
		{"within the zeros", 1 << 20, 0, 200},
		{"past them", 1 << 10, 0, 200},
		{"no zeros", 0, 0, 50},
		{"commits spaced", 1 << 20, 5 * time.Millisecond, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := openSyncFile(dir, tt.ahead, tt.every)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, tt.bodies)
			for i := range tt.bodies {
				wg.Go(func() { errs <- s.append(context.Background(), fmt.Appendf(nil, `{"n":%d}`, i)) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := s.close(); err != nil {
				t.Fatal(err)
			}
			if err := s.append(context.Background(), []byte("{}")); !errors.Is(err, errSyncFileClosed) {
				t.Errorf("append after close: %v", err)
			}
			data, err := os.ReadFile(filepath.Join(dir, "floor.log"))
			if err != nil {
				t.Fatal(err)
			}
			written := bytes.TrimRight(data, "\x00")
			seen := map[string]bool{}
			for _, line := range bytes.Split(bytes.TrimSuffix(written, []byte("\n")), []byte("\n")) {
				if seen[string(line)] {
					t.Fatalf("%s twice", line)
				}
				seen[string(line)] = true
			}
			for i := range tt.bodies {
				if !seen[fmt.Sprintf(`{"n":%d}`, i)] {
					t.Fatalf("body %d missing from %q", i, written)
				}
			}
			if len(seen) != tt.bodies {
				t.Errorf("%d lines, want %d", len(seen), tt.bodies)
			}
		})
	}
}
