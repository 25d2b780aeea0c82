package workspace

import (
	"cmp"
	"io/fs"
	"time"
)

// Entry is one file, directory or symbolic link of the workspace.
type Entry struct {
	// Path is relative to the workspace root, with slash separators.
	Path string
	// Size is the file's size in bytes, a link's target length, and 0 for
	// directories.
	Size    int64
	ModTime time.Time
	Dir     bool
	Symlink bool // a symbolic link, listed and never followed
	// Ignored is set for entries matched by the ignore rules. Ignored
	// directories are shown without their contents.
	Ignored bool
	// Unreadable is set for directories that could not be listed or
	// watched (permission denied); they are shown without their contents.
	Unreadable bool
}

// fileStat is what an Entry needs of an Lstat.
type fileStat struct {
	kind    uint8 // kindFile, kindDir or kindSymlink
	size    int64
	modTime time.Time
}

const (
	kindFile uint8 = iota // and anything else not a directory or link
	kindDir
	kindSymlink
)

func statOf(info fs.FileInfo) fileStat {
	st := fileStat{size: info.Size(), modTime: info.ModTime()}
	switch m := info.Mode(); {
	case m.IsDir():
		st.kind = kindDir
	case m&fs.ModeSymlink != 0:
		st.kind = kindSymlink
	}
	return st
}

// statEntriesPortable is statEntries with os.Lstat.
func statEntriesPortable(entries []fs.DirEntry, fn func(e fs.DirEntry, st fileStat)) {
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			fn(e, statOf(info))
		}
	}
}

// newEntry makes the entry of rel.
func newEntry(rel string, st fileStat, ignored bool) Entry {
	e := Entry{Path: rel, ModTime: st.modTime, Ignored: ignored}
	switch st.kind {
	case kindDir:
		e.Dir = true
	case kindSymlink:
		e.Symlink = true
		e.Size = st.size
	default:
		e.Size = st.size
	}
	return e
}

// same reports whether a and b describe the same state of one path.
func (e Entry) same(o Entry) bool {
	return e.Path == o.Path && e.Dir == o.Dir && e.Symlink == o.Symlink && e.Size == o.Size &&
		e.ModTime.Equal(o.ModTime) && e.Ignored == o.Ignored && e.Unreadable == o.Unreadable
}

// Op is what happened to a path.
type Op uint8

// The operations of a Change.
const (
	Created Op = iota + 1
	Modified
	Removed
)

func (op Op) String() string {
	switch op {
	case Created:
		return "created"
	case Modified:
		return "modified"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Change is what happened to one path during a batch, with the path's
// state at the end of it.
//
// Created of a path the reader already has replaces it (a file renamed over
// another is reported so). Removed of a directory removes everything under
// it, whether or not its contents are listed too. A directory moved or
// renamed is Removed at its old path and Created at the new one, followed
// by Created for its contents.
type Change struct {
	Path string // as Entry.Path
	Op   Op
	// Entry is the path's state after the change; for Removed only Path
	// and Dir are set.
	Entry Entry
}

// Batch is the changes of a short period, at most one per path (two, Removed
// then Created, when a directory was replaced by a file), in tree order.
type Batch struct {
	Changes []Change
	// Rescan is set, with no Changes, when what changed is not known in
	// detail: too many changes at once, an event queue overflow, ignore
	// rules changed or watching switched to polling. The reader should
	// load a new Snapshot.
	Rescan bool
	// Err is set on the last batch when watching ended on its own, e.g.
	// with ErrRootRemoved. Batches is closed after it.
	Err error
}

// comparePaths orders slash-separated paths as a tree, depth first: each
// directory is followed by its contents, names in byte order.
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		switch {
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		}
		return cmp.Compare(ca, cb)
	}
	return cmp.Compare(len(a), len(b))
}
