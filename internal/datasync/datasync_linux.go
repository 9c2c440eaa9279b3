// Package datasync makes a file's written bytes durable without its
// metadata (fdatasync): cheaper than a full sync when the writes stay
// within bytes already allocated and synced, which leaves the file's
// size and blocks as they were.
package datasync

import (
	"os"
	"syscall"
)

// Sync makes f's written bytes durable, and its size if it changed.
func Sync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for serr = syscall.Fdatasync(int(fd)); serr == syscall.EINTR; serr = syscall.Fdatasync(int(fd)) {
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
