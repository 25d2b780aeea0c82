//go:build !linux

package checkpoint

import "io/fs"

// statExtra returns zeros: an unchanged file is told by size, mode and
// mtime alone here.
func statExtra(fs.FileInfo) (ctime int64, ino uint64) { return 0, 0 }
