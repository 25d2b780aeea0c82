//go:build linux

package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// The small files a checkpoint stores and a restore writes cost a few system calls each
// (open, read or write, close), so the calls are made directly: an os.File costs four more
// per open (it tries to register the descriptor with the poller, which a regular file
// refuses, and sets it blocking again), about a third of the calls a small file needed.

// readFile reads the regular file at abs whole, without following a link in its last
// element; size is its size by stat (a hint). Errors name abs.
func readFile(abs string, size int64) ([]byte, error) {
	fd, err := openRetry(unix.AT_FDCWD, abs, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	defer unix.Close(fd)
	// One byte more than the size: a file that did not grow is read in one call, and the
	// next one says it ended.
	buf := make([]byte, 0, max(size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: abs, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// createFile makes name, which must not exist (so no link is followed), in the folder dir
// (nil: name is a path), gives it mode (permission, setuid, setgid and sticky bits) and
// writes data to it: open, write and close, and a chmod only when the umask would change
// mode. A file left half written is removed.
func createFile(dir *os.File, name string, mode fs.FileMode, data []byte) error {
	dirfd := unix.AT_FDCWD
	if dir != nil {
		dirfd = int(dir.Fd())
	}
	perm := uint32(mode.Perm()) | extraBits(mode)
	fd, err := openRetry(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	err = writeAll(fd, data)
	if err == nil && mode != mode&fs.ModePerm&^umask() {
		err = unix.Fchmod(fd, perm) // the mode given to open passes through the umask
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = unix.Unlinkat(dirfd, name, 0)
		err = &fs.PathError{Op: "write", Path: name, Err: err}
	}
	runtime.KeepAlive(dir) // its descriptor was used until here
	return err
}

// openRetry is openat, again when a signal interrupted it.
func openRetry(dirfd int, name string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, perm)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// writeAll writes data to fd whole.
func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// folderCalls: a restore writes small files through a descriptor of their folder.
const folderCalls = true

// renameFile renames old to new in the folder dir (nil: they are paths), replacing what new
// names (a link is replaced, not followed).
func renameFile(dir *os.File, old, new string) error {
	dirfd := unix.AT_FDCWD
	if dir != nil {
		dirfd = int(dir.Fd())
	}
	err := unix.Renameat(dirfd, old, dirfd, new)
	runtime.KeepAlive(dir)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: old, New: new, Err: err}
	}
	return nil
}
