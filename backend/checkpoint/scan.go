package checkpoint

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/backend/walk"
)

// scanWorkers read directories at once.
const scanWorkers = 4

// racyMargin: a file modified less than this before the previous scan began may have
// changed again within the same timestamp tick, so its hash is not trusted by stat.
const racyMargin = 100 * time.Millisecond

// modeBits are the mode bits a checkpoint keeps and a restore sets.
const modeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// scan lists a workspace as a manifest: every file, directory and link under root, the
// excluded ones aside. A file whose stat matches prev's entry (and was not modified just
// before prev was taken) keeps prev's hash unread; any other is read into the blob store.
type scan struct {
	root  string
	prev  *Manifest
	opts  Options
	blobs *blobs
	racy  int64 // unix ns: files modified at or after this are hashed again
	// dataDir is Corral's data directory, never captured (nor restored over) even when it
	// lies inside the workspace: it holds the journal and this store.
	dataDir string

	// dirty is set when an entry differs from prev's (or prev has no such path).
	dirty atomic.Bool

	mu       sync.Mutex
	entries  []Entry
	excluded []Excluded
	added    int64
}

// run walks the tree and returns the manifest and the bytes it added to the store.
func (s *scan) run(ctx context.Context) (*Manifest, int64, error) {
	taken := time.Now().UnixNano()
	if s.prev != nil {
		s.racy = s.prev.Taken - int64(racyMargin)
	}
	err := walk.Tree(ctx, scanWorkers, []string{"."}, func(ctx context.Context, _ int, dir string) ([]string, error) {
		return s.readDir(ctx, dir)
	})
	if err != nil {
		return nil, 0, err
	}
	m := &Manifest{Taken: taken, Entries: s.entries, Excluded: s.excluded}
	if s.prev != nil && !s.dirty.Load() && len(m.Entries) == len(s.prev.Entries) {
		// Every entry is prev's: prev is this tree, unless what was left out changed.
		slices.SortFunc(m.Excluded, func(a, b Excluded) int { return strings.Compare(a.Path, b.Path) })
		if slices.Equal(m.Excluded, s.prev.Excluded) {
			// Files hashed again as racy had not changed: from now on they are judged
			// against this scan's time (callers hold the store's lock).
			s.prev.Taken = taken
			return s.prev, s.added, nil
		}
	}
	m.sort()
	return m, s.added, nil
}

// readDir lists one directory into s's entries and returns its subdirectories to walk.
func (s *scan) readDir(ctx context.Context, dir string) ([]string, error) {
	f, err := os.OpenFile(filepath.Join(s.root, filepath.FromSlash(dir)), os.O_RDONLY|noFollow|directoryOnly, 0)
	if err != nil {
		if dir == "." {
			return nil, err
		}
		s.exclude(Excluded{Path: dir, Reason: ReasonUnread})
		return nil, nil
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil && len(names) == 0 {
		if dir == "." {
			return nil, err
		}
		s.exclude(Excluded{Path: dir, Reason: ReasonUnread})
		return nil, nil
	}
	var (
		entries  []Entry
		excluded []Excluded
		subdirs  []string
		added    int64
		failed   error
	)
	walk.StatAt(f, names, func(i int, in walk.Info) {
		if failed != nil {
			return
		}
		name := names[i]
		if dir != "." {
			name = dir + "/" + name
		}
		if in.Mode.IsDir() && s.opts.excludesFolder(names[i]) {
			excluded = append(excluded, Excluded{Path: name, Reason: ReasonFolder})
			return
		}
		if in.Mode.IsDir() && s.dataDir != "" && filepath.Join(s.root, filepath.FromSlash(name)) == s.dataDir {
			excluded = append(excluded, Excluded{Path: name, Reason: ReasonDataDir})
			return
		}
		e, skip, err := s.entry(name, in, &added)
		switch {
		case err != nil:
			failed = err
			return
		case skip != nil:
			excluded = append(excluded, *skip)
			return
		}
		if !s.dirty.Load() {
			if p, ok := s.prev.Get(name); !ok || p != e {
				s.dirty.Store(true)
			}
		}
		entries = append(entries, e)
		if e.Type == TypeDir {
			subdirs = append(subdirs, name)
		}
	})
	if failed != nil {
		return nil, failed
	}
	s.mu.Lock()
	s.entries = append(s.entries, entries...)
	s.excluded = append(s.excluded, excluded...)
	s.added += added
	s.mu.Unlock()
	return subdirs, ctx.Err()
}

// exclude lists a path left out.
func (s *scan) exclude(x Excluded) {
	s.mu.Lock()
	s.excluded = append(s.excluded, x)
	s.mu.Unlock()
}

// entry describes one path, storing a file's content when it is not known already. A path
// left out comes back as skip; err is a store failure.
func (s *scan) entry(name string, in walk.Info, added *int64) (e Entry, skip *Excluded, err error) {
	e = Entry{Path: name, Mode: in.Mode & modeBits, MTime: in.MTime, CTime: in.CTime, Ino: in.Ino}
	abs := filepath.Join(s.root, filepath.FromSlash(name))
	switch t := in.Mode.Type(); {
	case t == fs.ModeDir:
		e.Type = TypeDir
	case t == fs.ModeSymlink:
		e.Type, e.Mode, e.CTime, e.Ino = TypeSymlink, 0, 0, 0
		target, err := os.Readlink(abs)
		if err != nil {
			return e, &Excluded{Path: name, Reason: ReasonUnread}, nil
		}
		e.Target = target
	case t.IsRegular():
		e.Type, e.Size = TypeFile, in.Size
		if s.opts.MaxFileSize > 0 && e.Size > s.opts.MaxFileSize {
			return e, &Excluded{Path: name, Reason: ReasonTooLarge, Size: e.Size}, nil
		}
		if p, ok := s.prev.Get(name); ok && p.Type == TypeFile && p.Mode == e.Mode && p.Size == e.Size &&
			p.MTime == e.MTime && p.CTime == e.CTime && p.Ino == e.Ino && e.MTime < s.racy && p.Hash != "" {
			e.Hash = p.Hash
			return e, nil, nil
		}
		hash, n, err := s.blobs.put(abs, e.Size)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) && pe.Path == abs {
				return e, &Excluded{Path: name, Reason: ReasonUnread, Size: e.Size}, nil
			}
			return e, nil, err
		}
		e.Hash = hash
		*added += n
	default:
		return e, &Excluded{Path: name, Reason: ReasonSpecial}, nil
	}
	return e, nil, nil
}

// under reports whether name is dir or inside it.
func under(name, dir string) bool {
	return name == dir || (len(name) > len(dir) && name[len(dir)] == '/' && name[:len(dir)] == dir)
}

// parentOf returns the workspace-relative parent of name ("." at the top). Names in a
// manifest are clean, so the common case needs no path.Dir (a checkpoint asks it of every
// entry).
func parentOf(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i <= 0 || i == len(name)-1 {
		return path.Dir(name)
	}
	return name[:i]
}
