package sqlite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mamori-dev/mamori/internal/cputime"
	"github.com/mamori-dev/mamori/internal/datasync"
)

// BenchmarkCommitSync is a commit's write and sync alone, 8 KiB at a
// time, three ways: appended to a file and fsynced, as the journal did;
// written over zeros already written and synced, and fdatasynced, as it
// does now; and written into space set aside with fallocate, and
// fdatasynced. cpu-µs/op is the process's CPU (user and system); the
// file system's own threads are not in it.
//
//	go test ./sqlite -run '^$' -bench CommitSync -benchtime 3000x -count 3
func BenchmarkCommitSync(b *testing.B) {
	frame := bytes.Repeat([]byte("x"), 8<<10)
	tests := []struct {
		name    string
		prepare func(f *os.File, size int) error
		sync    func(f *os.File) error
	}{
		{"append+fsync", nil, (*os.File).Sync},
		{"ahead+fdatasync", func(f *os.File, size int) error {
			if _, err := f.WriteAt(make([]byte, size), 0); err != nil {
				return err
			}
			return f.Sync()
		}, datasync.Sync},
		{"fallocate+fdatasync", func(f *os.File, size int) error {
			if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
				return err
			}
			return f.Sync()
		}, datasync.Sync},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "seg"), os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if tt.prepare != nil {
				if err := tt.prepare(f, b.N*len(frame)); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cputime.Process()
			b.ResetTimer()
			for i := range b.N {
				if _, err := f.WriteAt(frame, int64(i*len(frame))); err != nil {
					b.Fatal(err)
				}
				if err := tt.sync(f); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}
