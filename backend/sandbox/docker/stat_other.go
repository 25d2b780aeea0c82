//go:build !linux

package docker

import (
	"errors"
	"io/fs"
	"os"
)

// statExtra returns zeros: the sync relies on size, mode and mtime here.
func statExtra(fs.FileInfo) (ctime int64, ino uint64) { return 0, 0 }

// mkfifo is not supported here: FIFOs stay in the container.
func mkfifo(*os.Root, string, fs.FileMode) error { return errors.ErrUnsupported }
