package walk

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// statExtra returns the change time (unix nanoseconds) and inode number of the file fi
// describes.
func statExtra(fi fs.FileInfo) (ctime int64, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return st.Ctim.Nano(), st.Ino
}

func statAt(dir *os.File, names []string, fn func(i int, in Info)) {
	sc, err := dir.SyscallConn()
	if err != nil {
		statAtPortable(dir, names, fn)
		return
	}
	var st unix.Stat_t
	cerr := sc.Control(func(fd uintptr) {
		for i, name := range names {
			err := unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW)
			for errors.Is(err, unix.EINTR) {
				err = unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW)
			}
			if err != nil {
				continue // vanished since the listing
			}
			fn(i, Info{
				Mode: fileMode(st.Mode), Size: st.Size, MTime: st.Mtim.Nano(),
				CTime: st.Ctim.Nano(), Ino: st.Ino,
			})
		}
	})
	if cerr != nil {
		statAtPortable(dir, names, fn)
	}
}

// fileMode converts a stat mode as the os package does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
