package tool

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/walk"
)

// skippedDirs are version-control directories never listed or searched.
var skippedDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// ignoreFiles are read in every directory walked; their patterns apply to
// that directory and below, with the syntax of .gitignore.
var ignoreFiles = []string{".gitignore", ".ignore"}

// ignores is the chain of ignore patterns in force in one directory. It is
// immutable once built, so directories walked in parallel share parents.
type ignores struct {
	patterns []gitignore.Pattern // all patterns from the workspace root down, in order
}

// with returns the ignores for a child directory adding patterns.
func (ig *ignores) with(patterns []gitignore.Pattern) *ignores {
	if len(patterns) == 0 {
		return ig
	}
	all := make([]gitignore.Pattern, 0, len(ig.patterns)+len(patterns))
	return &ignores{patterns: append(append(all, ig.patterns...), patterns...)}
}

// ignored reports whether the workspace-relative name is ignored. The last
// matching pattern decides, as in git.
func (ig *ignores) ignored(name string, isDir bool) bool {
	if len(ig.patterns) == 0 {
		return false
	}
	parts := strings.Split(name, "/")
	for i := len(ig.patterns) - 1; i >= 0; i-- {
		switch ig.patterns[i].Match(parts, isDir) {
		case gitignore.Exclude:
			return true
		case gitignore.Include:
			return false
		}
	}
	return false
}

// readIgnores parses the ignore files of the directory dir (workspace
// relative) among its entries.
func readIgnores(files sandbox.Files, dir string, entries []fs.DirEntry) []gitignore.Pattern {
	var patterns []gitignore.Pattern
	var domain []string
	if dir != "." {
		domain = strings.Split(dir, "/")
	}
	for _, name := range ignoreFiles {
		if !hasRegular(entries, name) {
			continue
		}
		data, err := files.ReadFile(path.Join(dir, name))
		if err != nil || len(data) > 1<<20 {
			continue
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			patterns = append(patterns, gitignore.ParsePattern(line, domain))
		}
	}
	return patterns
}

func hasRegular(entries []fs.DirEntry, name string) bool {
	for _, e := range entries {
		if e.Name() == name {
			return e.Type().IsRegular()
		}
	}
	return false
}

// rootIgnores returns the ignores in force at dir from the ignore files of
// its ancestors. When those ignore dir itself, they are dropped: a
// directory named explicitly is searched even if ignored.
func rootIgnores(files sandbox.Files, dir string) *ignores {
	ig := &ignores{}
	if dir == "." {
		return ig
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		parent := "."
		if i > 0 {
			parent = strings.Join(parts[:i], "/")
		}
		entries, err := files.ReadDir(parent)
		if err != nil {
			return &ignores{}
		}
		ig = ig.with(readIgnores(files, parent, entries))
		if ig.ignored(strings.Join(parts[:i+1], "/"), true) {
			return &ignores{}
		}
	}
	return ig
}

// walker lists the regular files under a directory of the workspace,
// skipping version-control directories and ignored paths and not following
// symbolic links. Directories are read by several workers at once.
type walker struct {
	files   sandbox.Files
	workers int
	// maxDepth limits how many directory levels below the root are
	// entered; 0 means no limit.
	maxDepth int
}

// fileEntry is one regular file found by a walk.
type fileEntry struct {
	name  string // workspace relative
	entry fs.DirEntry
	// dir holds the file under the name local: the workspace's files, or
	// its directory's subtree when the sandbox offers subtrees. It is valid
	// only during the visit.
	dir   sandbox.Files
	local string
}

type dirJob struct {
	name  string
	depth int
	ig    *ignores
}

// walk calls visit for every file under root, from w.workers goroutines at
// once (worker is the caller's index, for per-worker scratch space). It
// stops at the first error from visit or a directory read failing with
// sandbox.ErrUnavailable, and when ctx ends.
func (w *walker) walk(ctx context.Context, root string, visit func(worker int, f fileEntry) error) error {
	roots := []dirJob{{name: root, ig: rootIgnores(w.files, root)}}
	return walk.Tree(ctx, w.workers, roots, func(ctx context.Context, worker int, job dirJob) ([]dirJob, error) {
		return w.readDir(ctx, job, worker, visit)
	})
}

// readDir lists one directory, visits its files and returns its
// subdirectories to walk.
func (w *walker) readDir(ctx context.Context, job dirJob, worker int, visit func(int, fileEntry) error) ([]dirJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, local := w.files, func(name string) string { return path.Join(job.name, name) }
	if opener, ok := w.files.(sandbox.SubtreeOpener); ok {
		sub, err := opener.OpenSubtree(job.name)
		if err != nil {
			if errors.Is(err, sandbox.ErrUnavailable) {
				return nil, err
			}
			return nil, nil // unreadable, vanished or swapped for a link: skip it
		}
		defer sub.Close()
		dir, local = sub, func(name string) string { return name }
	}
	entries, err := dir.ReadDir(local("."))
	if err != nil {
		if errors.Is(err, sandbox.ErrUnavailable) {
			return nil, err
		}
		if len(entries) == 0 {
			return nil, nil
		}
	}
	ig := job.ig.with(readIgnores(w.files, job.name, entries))
	var subdirs []dirJob
	for _, e := range entries {
		name := e.Name()
		if job.name != "." {
			name = job.name + "/" + name
		}
		switch t := e.Type(); {
		case t.IsDir():
			if skippedDirs[e.Name()] || ig.ignored(name, true) || (w.maxDepth > 0 && job.depth+1 >= w.maxDepth) {
				continue
			}
			subdirs = append(subdirs, dirJob{name: name, depth: job.depth + 1, ig: ig})
		case t.IsRegular():
			if ig.ignored(name, false) {
				continue
			}
			if err := visit(worker, fileEntry{name: name, entry: e, dir: dir, local: local(e.Name())}); err != nil {
				return subdirs, err
			}
		}
	}
	return subdirs, nil
}
