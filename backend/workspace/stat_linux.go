package workspace

import (
	"errors"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// statEntries calls fn with the metadata of each entry of the directory
// dir that still exists. Stating each name relative to the directory,
// into one buffer, is about twice as fast as os.Lstat on full paths.
func statEntries(dir string, entries []fs.DirEntry, fn func(e fs.DirEntry, st fileStat)) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		statEntriesPortable(entries, fn)
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	for _, e := range entries {
		err := unix.Fstatat(fd, e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW)
		for errors.Is(err, unix.EINTR) {
			err = unix.Fstatat(fd, e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			continue // vanished since the listing
		}
		fs := fileStat{size: st.Size, modTime: time.Unix(st.Mtim.Unix())}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			fs.kind = kindDir
		case unix.S_IFLNK:
			fs.kind = kindSymlink
		}
		fn(e, fs)
	}
}
