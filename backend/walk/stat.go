package walk

import (
	"io/fs"
	"os"
)

// Info is what Corral compares to tell that a path changed without reading it.
type Info struct {
	// Mode is the type and permission bits (with setuid, setgid and sticky), as fs.FileMode.
	Mode  fs.FileMode
	Size  int64
	MTime int64 // unix nanoseconds
	// CTime (unix nanoseconds) and Ino are 0 where the platform does not say.
	CTime int64
	Ino   uint64
}

// Stat returns what fi says, ctime and inode included where the platform has them.
func Stat(fi fs.FileInfo) Info {
	ctime, ino := statExtra(fi)
	return Info{Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime().UnixNano(), CTime: ctime, Ino: ino}
}

// StatAt calls fn with the index and Info of each of names, entries of the directory dir
// (open), that still exists, never following a link. On Linux each name is stated relative to the directory
// (fstatat), about twice as fast as an Lstat of its full path.
func StatAt(dir *os.File, names []string, fn func(i int, in Info)) {
	statAt(dir, names, fn)
}

// statAtPortable is StatAt with os.Lstat.
func statAtPortable(dir *os.File, names []string, fn func(i int, in Info)) {
	for i, name := range names {
		if fi, err := os.Lstat(dir.Name() + string(os.PathSeparator) + name); err == nil {
			fn(i, Stat(fi))
		}
	}
}
