package datasync_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mamori-dev/mamori/internal/datasync"
)

// TestSyncKeepsWhatWasWritten syncs writes within zeros synced before and
// past them (a new size), and reads both back; a closed file is an error.
func TestSyncKeepsWhatWasWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   int64
		data []byte
	}{
		{"within the zeros", 100, []byte("inside")},
		{"past them", 4090, []byte("grows the file")},
	}
	for _, tt := range tests {
		if _, err := f.WriteAt(tt.data, tt.at); err != nil {
			t.Fatal(err)
		}
		if err := datasync.Sync(f); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if end := tt.at + int64(len(tt.data)); int64(len(got)) < end || !bytes.Equal(got[tt.at:end], tt.data) {
			t.Errorf("%s: not read back", tt.name)
		}
	}
	f.Close()
	if err := datasync.Sync(f); err == nil {
		t.Error("a closed file synced")
	}
}
