package workspace

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"

	"github.com/corral-dev/corral/backend/walk"
)

// errUnreadable from walker.enter leaves a directory unlisted and marked
// unreadable; errGone leaves it out of the walk (it vanished).
var (
	errUnreadable = errors.New("workspace: directory unreadable")
	errGone       = errors.New("workspace: directory gone")
)

// listing is one directory read by a walk.
type listing struct {
	rel     string   // root-relative, "." for the root
	ig      *ignores // in force for the entries, with the directory's own ignore files
	entries []fs.DirEntry
	// err is why the directory could not be watched or listed; entries
	// is then empty.
	err error
}

// walker lists the directories of a tree that are not ignored, several at
// once, never following symbolic links.
type walker struct {
	root    string // absolute
	workers int
	// readDir lists a directory by absolute path, unsorted.
	readDir func(name string) ([]fs.DirEntry, error)
	// enter, if set, is called for each directory before it is read, so a
	// watch added there misses nothing the listing does not show. It may
	// return errUnreadable or errGone; any other error stops the walk.
	enter func(rel string) error
	// visit is called for each directory listed or found unreadable, from
	// several goroutines at once.
	visit func(worker int, l *listing)
}

type walkJob struct {
	rel string
	ig  *ignores // the parent's
}

// walk lists the directory rel and everything below it that is not
// ignored; ig is the chain in force in rel's parent. It returns the first
// error from enter or the context.
func (w *walker) walk(ctx context.Context, rel string, ig *ignores) error {
	return walk.Tree(ctx, w.workers, []walkJob{{rel: rel, ig: ig}}, w.list)
}

// list reads one directory, visits it and returns its subdirectories to
// walk.
func (w *walker) list(ctx context.Context, worker int, job walkJob) ([]walkJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &listing{rel: job.rel, ig: job.ig}
	if w.enter != nil {
		switch err := w.enter(job.rel); {
		case errors.Is(err, errGone):
			return nil, nil
		case errors.Is(err, errUnreadable):
			l.err = err
			w.visit(worker, l)
			return nil, nil
		case err != nil:
			return nil, err
		}
	}
	entries, err := w.readDir(filepath.Join(w.root, filepath.FromSlash(job.rel)))
	if err != nil {
		if gone(err) {
			return nil, nil
		}
		l.err = err
		w.visit(worker, l)
		return nil, nil
	}
	l.entries = entries
	l.ig = job.ig.with(readIgnores(w.root, job.rel, entries))
	w.visit(worker, l)
	var subdirs []walkJob
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		rel := childPath(job.rel, e.Name())
		if !l.ig.ignored(rel, true) {
			subdirs = append(subdirs, walkJob{rel: rel, ig: l.ig})
		}
	}
	return subdirs, nil
}

// readDirUnsorted lists a directory without sorting it.
func readDirUnsorted(name string) ([]fs.DirEntry, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil && len(entries) > 0 {
		err = nil // a partial listing is still worth showing
	}
	return entries, err
}

// gone reports whether err says a path no longer exists (or is no longer a
// directory).
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// childPath joins a root-relative directory and a name.
func childPath(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// isUnder reports whether rel is dir or below it.
func isUnder(rel, dir string) bool {
	if dir == "." {
		return true
	}
	return rel == dir || len(rel) > len(dir) && rel[len(dir)] == '/' && rel[:len(dir)] == dir
}

// parentDir returns the root-relative parent of rel.
func parentDir(rel string) string { return path.Dir(rel) }
