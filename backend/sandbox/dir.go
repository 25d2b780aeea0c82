package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// Dir is a host directory as Files, built on os.Root: every name is
// resolved beneath the directory with openat, one component at a time, so
// "..", absolute names and symbolic links leading out are refused even when
// a link is swapped in between a check and a use. Files are opened
// non-blocking so that a FIFO planted in the workspace cannot hang a read or
// a write, and only regular files are read or written whole.
//
// As os.Root documents, a Dir does not stop bind mounts, /proc magic links
// or device files inside the directory. Hard links it stops itself: a
// regular file with more than one link is neither read (Open, ReadFile)
// nor overwritten (WriteFile), since another link may be outside the
// workspace and nothing says where (a file the agent linked in from
// /etc, say). Such files are read with a command instead.
type Dir struct {
	root *os.Root
}

var (
	_ Subtree       = (*Dir)(nil)
	_ SubtreeOpener = (*Dir)(nil)
)

// OpenDir opens the directory path as Files. The caller closes it.
func OpenDir(path string) (*Dir, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open workspace: %w", err)
	}
	return &Dir{root: root}, nil
}

// Path returns the host directory the Dir was opened on.
func (d *Dir) Path() string { return d.root.Name() }

// Close releases the directory. Calls after the first return an error.
func (d *Dir) Close() error { return d.root.Close() }

// Open opens name for reading; it implements fs.FS.
func (d *Dir) Open(name string) (fs.File, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fail("open", name, err)
	}
	if err := refuseLinked("open", name, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// refuseLinked refuses an open regular file with more than one hard link.
func refuseLinked(op, name string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fail(op, name, err)
	}
	if n := linkCount(fi); fi.Mode().IsRegular() && n > 1 {
		return outside(op, name, fmt.Sprintf("the file has %d hard links and another may be outside the workspace", n))
	}
	return nil
}

// Stat describes name, following symbolic links inside the workspace; it
// implements fs.StatFS.
func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	if err := checkName("stat", name); err != nil {
		return nil, err
	}
	fi, err := d.root.Stat(name)
	if err != nil {
		return nil, fail("stat", name, err)
	}
	return fi, nil
}

// ReadDir lists the directory name sorted by file name; it implements
// fs.ReadDirFS. Entries describe symbolic links themselves (they are not
// followed). Their Info is looked up when asked for, through the root.
func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := checkName("readdir", name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, dirOpenFlags, 0)
	if err != nil {
		return nil, fail("readdir", name, err)
	}
	defer f.Close()
	entries, err := d.readDir(name, f)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	if err != nil {
		return entries, fail("readdir", name, err)
	}
	return entries, nil
}

// ReadFile reads the regular file name whole; it implements fs.ReadFileFS.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	if err := checkName("read", name); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fail("read", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fail("read", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular("read", name, fi)
	}
	if n := linkCount(fi); n > 1 {
		return nil, outside("read", name, fmt.Sprintf("the file has %d hard links and another may be outside the workspace", n))
	}
	data := make([]byte, 0, fi.Size()+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, fail("read", name, err)
		}
		if len(data) == cap(data) {
			data = slices.Grow(data, 4096)
		}
	}
}

// WriteFile creates or overwrites the regular file name; see Files.
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	if err := checkName("write", name); err != nil {
		return err
	}
	if name == "." {
		return &fs.PathError{Op: "write", Path: name, Err: syscall.EISDIR}
	}
	if dir := path.Dir(name); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return fail("write", name, err)
		}
	}
	f, created, err := d.openForWrite(name, perm)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail("write", name, err)
	}
	if !fi.Mode().IsRegular() {
		return notRegular("write", name, fi)
	}
	if n := linkCount(fi); !created && n > 1 {
		return outside("write", name, fmt.Sprintf("the file has %d hard links and another may be outside the workspace", n))
	}
	if _, err := f.Write(data); err != nil {
		return fail("write", name, err)
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return fail("write", name, err)
	}
	if err := f.Close(); err != nil {
		return fail("write", name, err)
	}
	return nil
}

// openForWrite opens an existing name without truncating it (its link count
// is checked first), or creates it exclusively.
func (d *Dir) openForWrite(name string, perm fs.FileMode) (f *os.File, created bool, err error) {
	for range 3 {
		f, err = d.root.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, fail("write", name, err)
		}
		f, err = d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NONBLOCK, perm)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, fail("write", name, err)
		}
		// Created by someone else in between (or a dangling link): retry.
	}
	return nil, false, fail("write", name, err)
}

// OpenSubtree opens the directory name as a Dir of its own; it
// implements SubtreeOpener. The caller closes it.
func (d *Dir) OpenSubtree(name string) (Subtree, error) {
	if err := checkName("open", name); err != nil {
		return nil, err
	}
	root, err := d.root.OpenRoot(name)
	if err != nil {
		return nil, fail("open", name, err)
	}
	return &Dir{root: root}, nil
}

// fail names err after the caller's name, turns os.Root's escape error
// into ErrOutsideWorkspace and a closed root into ErrUnavailable.
func fail(op, name string, err error) error {
	if isRootEscape(err) {
		return outside(op, name, "a symbolic link leads outside")
	}
	if errors.Is(err, os.ErrClosed) {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: workspace closed", ErrUnavailable)}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// errNotRegular is the cause for reading or writing a directory, FIFO,
// socket or device whole.
var errNotRegular = errors.New("not a regular file")

func notRegular(op, name string, fi fs.FileInfo) error {
	if fi.IsDir() {
		return &fs.PathError{Op: op, Path: name, Err: syscall.EISDIR}
	}
	return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w (%s)", errNotRegular, fi.Mode().Type())}
}

// lazyEntry is a directory entry whose Info is looked up through the root
// when asked for.
type lazyEntry struct {
	fs.DirEntry
	d    *Dir
	name string // the entry's full name in d
}

func (e *lazyEntry) Info() (fs.FileInfo, error) {
	fi, err := e.d.root.Lstat(e.name)
	if err != nil {
		return nil, fail("lstat", e.name, err)
	}
	return fi, nil
}

func (e *lazyEntry) String() string { return fs.FormatDirEntry(e) }
