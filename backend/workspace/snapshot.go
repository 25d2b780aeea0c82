package workspace

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Snapshot lists the workspace under root: every file, directory and
// symbolic link except the root itself, in tree order (each directory
// followed by its contents, names in byte order; see Entry.Path). Ignored
// and unreadable directories are listed without their contents. It fails
// only when root itself cannot be listed.
func Snapshot(ctx context.Context, root string, opts Options) ([]Entry, error) {
	root, err := checkRoot(root)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return snapshot(ctx, root, newIgnores(opts.Ignore), readDirUnsorted)
}

// snapshotWorkers lists directories in parallel: reading them is mostly
// system calls, so a few more workers than cores keep the cores busy.
func snapshotWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

func snapshot(ctx context.Context, root string, base *ignores, readDir func(string) ([]fs.DirEntry, error)) ([]Entry, error) {
	// Each directory's entries are sorted by name by the worker that
	// listed it; the tree order is then one depth-first pass.
	var (
		mu         sync.Mutex
		listed     = map[string][]Entry{}
		unreadable = map[string]bool{}
		rootErr    error
		total      int
	)
	w := &walker{
		root:    root,
		workers: snapshotWorkers(),
		readDir: readDir,
		visit: func(_ int, l *listing) {
			var entries []Entry
			if l.err == nil {
				entries = make([]Entry, 0, len(l.entries))
				statEntries(filepath.Join(root, filepath.FromSlash(l.rel)), l.entries, func(e fs.DirEntry, st fileStat) {
					rel := childPath(l.rel, e.Name())
					entries = append(entries, newEntry(rel, st, l.ig.ignored(rel, st.kind == kindDir)))
				})
				slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
			}
			mu.Lock()
			defer mu.Unlock()
			if l.rel == "." {
				rootErr = l.err
			}
			if l.err != nil {
				unreadable[l.rel] = true
				return
			}
			listed[l.rel] = entries
			total += len(entries)
		},
	}
	if err := w.walk(ctx, ".", base); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", root, err)
	}
	if _, ok := listed["."]; !ok && rootErr == nil {
		rootErr = fs.ErrNotExist // vanished between the check and the listing
	}
	if rootErr != nil {
		return nil, fmt.Errorf("snapshot %s: %w", root, rootErr)
	}
	out := make([]Entry, 0, total)
	var add func(dir string)
	add = func(dir string) {
		for _, e := range listed[dir] {
			if e.Dir && unreadable[e.Path] {
				e.Unreadable = true
			}
			out = append(out, e)
			if e.Dir {
				add(e.Path)
			}
		}
	}
	add(".")
	return out, nil
}

// checkRoot returns root made absolute after checking it is a directory.
func checkRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("workspace root: %w", err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("workspace root: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("workspace root %s: %w", abs, fs.ErrInvalid)
	}
	return abs, nil
}
