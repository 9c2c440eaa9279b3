//go:build !linux

// Package datasync makes a file's written bytes durable without its
// metadata (fdatasync): cheaper than a full sync when the writes stay
// within bytes already allocated and synced.
package datasync

import "os"

// Sync falls back to a full sync where the system has no fdatasync.
func Sync(f *os.File) error { return f.Sync() }
