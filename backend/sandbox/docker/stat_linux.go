package docker

import (
	"io/fs"
	"os"
	"path"
	"syscall"

	"golang.org/x/sys/unix"
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

// mkfifo makes a FIFO called name, resolving its directory through root.
func mkfifo(root *os.Root, name string, perm fs.FileMode) error {
	d, err := root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Mkfifoat(int(d.Fd()), path.Base(name), uint32(perm))
}
