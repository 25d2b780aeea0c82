//go:build unix

package sandbox

import (
	"io/fs"
	"os"
	"path"
	"syscall"
)

// dirOpenFlags open a directory for listing; a FIFO swapped in for it
// fails instead of blocking.
const dirOpenFlags = os.O_RDONLY | syscall.O_DIRECTORY | syscall.O_NONBLOCK

// readDir lists the open directory f, which is name in d. os lists a
// directory opened through a Root with an lstat per entry; listing a
// duplicate of its descriptor opened outside the Root gives the types from
// the directory itself, and lazyEntry looks up Info through the root.
func (d *Dir) readDir(name string, f *os.File) ([]fs.DirEntry, error) {
	raw, err := f.SyscallConn()
	if err != nil {
		return f.ReadDir(-1)
	}
	dup := -1
	var dupErr error
	if err := raw.Control(func(fd uintptr) {
		dup, dupErr = syscall.Dup(int(fd))
	}); err != nil || dupErr != nil {
		return f.ReadDir(-1)
	}
	syscall.CloseOnExec(dup)
	plain := os.NewFile(uintptr(dup), name)
	defer plain.Close()
	entries, err := plain.ReadDir(-1)
	for i, e := range entries {
		entries[i] = &lazyEntry{DirEntry: e, d: d, name: path.Join(name, e.Name())}
	}
	return entries, err
}

// linkCount returns the number of hard links to the file fi describes.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink) //nolint:unconvert // Nlink is uint32 on some platforms
	}
	return 1
}
