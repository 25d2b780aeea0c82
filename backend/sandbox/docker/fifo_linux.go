package docker

import (
	"io/fs"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// mkfifo makes a FIFO called name, resolving its directory through root.
func mkfifo(root *os.Root, name string, perm fs.FileMode) error {
	d, err := root.Open(path.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Mkfifoat(int(d.Fd()), path.Base(name), uint32(perm))
}
