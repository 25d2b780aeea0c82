package checkpoint

import (
	"io/fs"
	"syscall"
)

// statExtra returns the change time (unix nanoseconds) and inode number of
// the file fi describes.
func statExtra(fi fs.FileInfo) (ctime int64, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return st.Ctim.Nano(), st.Ino
}
