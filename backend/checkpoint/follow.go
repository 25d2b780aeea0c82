package checkpoint

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/walk"
	"github.com/corral-dev/corral/backend/workspace"
)

// maxFollowed bounds the workspaces followed with a watcher at once (each holds an inotify
// instance and a watch per folder); the one followed longest ago is let go first.
const maxFollowed = 8

// feed is what a checkpoint needs of a file-system watcher (workspace.Watcher): which
// folders changed since the previous checkpoint, after every change made so far is known.
type feed interface {
	Sync(ctx context.Context) (uint64, error)
	Changed(since uint64) (dirs []string, ok bool)
	Watched(rel string) bool
}

// follower is a watcher the store runs for one workspace.
type follower struct {
	w    *workspace.Watcher
	done chan struct{} // closed when its batches are drained to the end
}

// follow returns the watcher of a workspace, starting one if none runs; nil when the
// workspace cannot be watched with notifications (checkpoints then walk it whole). Callers
// hold s.mu.
func (s *Store) follow(ctx context.Context, root string) feed {
	if s.opts.NoWatch {
		return nil
	}
	if f, ok := s.followed[root]; ok {
		if f.w.Mode() == workspace.ModeNotify {
			return f.w
		}
		s.unfollow(root) // fell back to polling: a walk per checkpoint is cheaper
		return nil
	}
	if s.refused[root] {
		return nil
	}
	w, err := workspace.New(root, workspace.Options{FeedOnly: true})
	if err == nil {
		// The watcher lives as long as the store, not as the step that started it.
		err = w.Start(context.WithoutCancel(ctx))
	}
	if err != nil || w.Mode() != workspace.ModeNotify {
		if w != nil {
			w.Stop()
		}
		s.refused[root] = true
		return nil
	}
	f := &follower{w: w, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for range w.Batches() { // nobody shows them; they must still be read
		}
	}()
	if len(s.order) >= maxFollowed {
		s.unfollow(s.order[0])
	}
	s.followed[root] = f
	s.order = append(s.order, root)
	return w
}

// unfollow stops a workspace's watcher. Callers hold s.mu.
func (s *Store) unfollow(root string) {
	f, ok := s.followed[root]
	if !ok {
		return
	}
	f.w.Stop()
	<-f.done
	delete(s.followed, root)
	s.order = slices.DeleteFunc(s.order, func(r string) bool { return r == root })
	for ws, c := range s.last {
		if filepath.Clean(ws) == root {
			c.cursor = 0 // changes from now on go unseen
		}
	}
}

// Close stops the watchers the store runs. It may be called more than once; checkpoints
// taken afterwards walk their workspace whole.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 {
		s.unfollow(s.order[0])
	}
	s.opts.NoWatch = true
}

// job is a folder an incremental scan lists: alone, or with everything below (a folder
// new since the previous checkpoint, or one the watcher does not watch).
type job struct {
	dir       string
	recursive bool
}

// runIncremental is run for a tree whose changes since prev the watcher names: only the
// folders it says changed, the new ones and the ones it does not watch (ignored, such as
// .git) are listed; everything else is prev's.
func (s *scan) runIncremental(ctx context.Context, f feed, changed []string) (*Manifest, int64, error) {
	taken := time.Now().UnixNano()
	s.racy = s.prev.Taken - int64(racyMargin)
	// A folder whose listing changed is listed again, and so is its parent: the folder's own
	// entry (its mtime) is in the parent's listing, unless the folder's own stat is as prev
	// has it (a file in it was only rewritten). A changed folder prev does not have is
	// new, and its parent lists it; one that is no longer a folder is left to its parent.
	var roots []job
	queued := map[string]bool{}
	for _, d := range changed {
		for _, dir := range []string{d, parentOf(d)} {
			if queued[dir] || (dir != d && (d == "." || s.sameDir(d))) {
				continue
			}
			queued[dir] = true
			if dir == "." {
				roots = append(roots, job{dir: dir})
				continue
			}
			if e, ok := s.prev.Get(dir); ok && e.Type == TypeDir && s.isDir(dir) {
				roots = append(roots, job{dir: dir})
			}
		}
	}
	for _, d := range s.prev.dirs() {
		if !queued[d] && !f.Watched(d) && (parentOf(d) == "." || f.Watched(parentOf(d))) && s.isDir(d) {
			roots = append(roots, job{dir: d, recursive: true})
		}
	}
	if len(roots) == 0 {
		return s.prev, 0, nil
	}
	var mu sync.Mutex
	listed := map[string]bool{}
	err := walk.Tree(ctx, scanWorkers, roots, func(ctx context.Context, _ int, j job) ([]job, error) {
		subdirs, err := s.readDir(ctx, j.dir)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		listed[j.dir] = true
		mu.Unlock()
		var next []job
		for _, d := range subdirs {
			if e, ok := s.prev.Get(d); j.recursive || !ok || e.Type != TypeDir || !f.Watched(d) {
				next = append(next, job{dir: d, recursive: true})
			}
		}
		return next, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if !s.dirty.Load() && !s.excludedChanged(listed) && !s.lostAny(listed) {
		s.prev.Taken = taken
		return s.prev, s.added, nil
	}
	m := &Manifest{Taken: taken}
	m.Entries = mergeEntries(s.prev.Entries, s.entries, listed)
	m.Excluded = mergeExcluded(s.prev.Excluded, s.excluded, listed, m)
	return m, s.added, nil
}

// sameDir reports whether rel is a folder whose own entry (mode, mtime, ctime, inode) is
// still prev's: its parent's listing would find nothing new about it.
func (s *scan) sameDir(rel string) bool {
	p, ok := s.prev.Get(rel)
	if !ok || p.Type != TypeDir {
		return false
	}
	fi, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil || !fi.IsDir() {
		return false
	}
	in := walk.Stat(fi)
	return p.Mode == in.Mode&modeBits && p.MTime == in.MTime && p.CTime == in.CTime && p.Ino == in.Ino
}

// isDir reports whether rel is a folder now (not a link to one).
func (s *scan) isDir(rel string) bool {
	fi, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(rel)))
	return err == nil && fi.IsDir()
}

// lostAny reports whether a path prev has directly in a listed folder is gone.
func (s *scan) lostAny(listed map[string]bool) bool {
	now := make(map[string]bool, len(s.entries))
	for _, e := range s.entries {
		now[e.Path] = true
	}
	for _, x := range s.excluded {
		now[x.Path] = true
	}
	in := listedParent(listed)
	for _, e := range s.prev.Entries {
		if in(e.Path) && !now[e.Path] {
			return true
		}
	}
	return false
}

// listedParent returns a test of whether a path's parent is among the listed folders. It
// remembers the last parent asked about: entries come sorted, so runs of them share one.
func listedParent(listed map[string]bool) func(p string) bool {
	last, was := "\x00", false
	return func(p string) bool {
		if parent := parentOf(p); parent != last {
			last, was = parent, listed[parent]
		}
		return was
	}
}

// excludedChanged reports whether what was left out in the listed folders differs from prev.
func (s *scan) excludedChanged(listed map[string]bool) bool {
	var before []Excluded
	for _, x := range s.prev.Excluded {
		if listed[parentOf(x.Path)] || (listed[x.Path] && x.Reason == ReasonUnread) {
			before = append(before, x)
		}
	}
	after := slices.Clone(s.excluded)
	slices.SortFunc(before, compareExcluded)
	slices.SortFunc(after, compareExcluded)
	return !slices.Equal(before, after)
}

func compareExcluded(a, b Excluded) int { return strings.Compare(a.Path, b.Path) }

// mergeEntries is prev with the listed folders' contents replaced by what was found, and
// whatever lay under a folder that is gone (or no longer a folder) dropped; sorted.
func mergeEntries(prev, found []Entry, listed map[string]bool) []Entry {
	// prev is sorted and what was found is small: sort that and merge the two, entry by
	// entry only where the listed folders' contents lie; the rest is copied whole.
	found = slices.Clone(found)
	slices.SortFunc(found, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	found = slices.CompactFunc(found, func(a, b Entry) bool { return a.Path == b.Path })
	out, lost, ok := mergeSpans(prev, found, listed, listedSpans(prev, listed))
	if !ok { // an entry found outside the listed folders' spans: merge entry by entry
		out, lost, _ = mergeSpans(prev, found, listed, []span{{0, len(prev), ""}})
	}
	if !lost && !orphans(out, found) {
		return out // every folder is still there: nothing is orphaned
	}
	// A parent sorts before its children, so one pass drops whole subtrees.
	alive := make(map[string]bool)
	return slices.DeleteFunc(out, func(e Entry) bool {
		if orphan(e.Path, alive) {
			return true
		}
		if e.Type == TypeDir {
			alive[e.Path] = true
		}
		return false
	})
}

// mergeSpans merges found into prev span by span, copying what lies between them whole;
// ok is false when an entry found lay outside every span.
func mergeSpans(prev, found []Entry, listed map[string]bool, spans []span) (out []Entry, lost, ok bool) {
	out = make([]Entry, 0, len(prev)+len(found))
	in := listedParent(listed)
	pos, fi := 0, 0
	for _, sp := range spans {
		out = append(out, prev[pos:sp.lo]...)
		end := len(found)
		if sp.upper != "" {
			end = fi + sort.Search(len(found)-fi, func(k int) bool { return found[fi+k].Path >= sp.upper })
		}
		if fi < end && sp.lo > 0 && found[fi].Path < prev[sp.lo-1].Path {
			return nil, false, false
		}
		out, lost = mergeSpan(out, prev[sp.lo:sp.hi], found[fi:end], in, lost)
		pos, fi = sp.hi, end
	}
	return append(out, prev[pos:]...), lost, fi == len(found)
}

// span is the part of a sorted manifest that holds a listed folder's contents: entries
// lo to hi, paths from the folder's name and "/" up to upper ("" for no bound: the top).
type span struct {
	lo, hi int
	upper  string
}

// listedSpans returns the spans of prev holding the listed folders' contents, in order,
// nested ones merged: a folder's contents sort together, from "dir/" to "dir0" ('0' follows
// '/'). With the top listed, one span covers everything.
func listedSpans(prev []Entry, listed map[string]bool) []span {
	if listed["."] {
		return []span{{0, len(prev), ""}}
	}
	dirs := slices.Sorted(maps.Keys(listed))
	var out []span
	at := func(key string) int {
		i, _ := slices.BinarySearchFunc(prev, key, func(e Entry, k string) int { return strings.Compare(e.Path, k) })
		return i
	}
	for _, d := range dirs {
		lower, upper := d+"/", d+"0"
		if n := len(out); n > 0 && lower < out[n-1].upper {
			continue // inside the previous folder's span
		}
		out = append(out, span{at(lower), at(upper), upper})
	}
	return out
}

// mergeSpan is mergeEntries for one span: prev's entries there, less those directly in a
// listed folder, merged with what was found there.
func mergeSpan(out, prev, found []Entry, in func(string) bool, lost bool) ([]Entry, bool) {
	i := 0
	for _, e := range prev {
		if in(e.Path) {
			if e.Type == TypeDir && !lost {
				k, ok := slices.BinarySearchFunc(found, e.Path, func(f Entry, p string) int { return strings.Compare(f.Path, p) })
				lost = !ok || found[k].Type != TypeDir
			}
			continue
		}
		for i < len(found) && found[i].Path < e.Path {
			out = append(out, found[i])
			i++
		}
		if i < len(found) && found[i].Path == e.Path {
			continue // listed again (a folder's own entry in a listed parent is found anew)
		}
		out = append(out, e)
	}
	return append(out, found[i:]...), lost
}

// orphans reports whether an entry found lies in a folder the merged list out does not
// have (one removed between its listing and its parent's).
func orphans(out, found []Entry) bool {
	last := "."
	for _, f := range found {
		p := parentOf(f.Path)
		if p == last || p == "." {
			continue
		}
		k, ok := slices.BinarySearchFunc(out, p, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
		if !ok || out[k].Type != TypeDir {
			return true
		}
		last = p
	}
	return false
}

// mergeExcluded is mergeEntries for what was left out; m holds the merged entries.
func mergeExcluded(prev, found []Excluded, listed map[string]bool, m *Manifest) []Excluded {
	out := make([]Excluded, 0, len(prev)+len(found))
	for _, x := range prev {
		if !listed[parentOf(x.Path)] && (!listed[x.Path] || x.Reason != ReasonUnread) {
			out = append(out, x)
		}
	}
	out = append(out, found...)
	if len(out) == 0 {
		return out
	}
	slices.SortFunc(out, compareExcluded)
	out = slices.CompactFunc(out, func(a, b Excluded) bool { return a.Path == b.Path })
	dirs := make(map[string]bool)
	for _, e := range m.Entries {
		if e.Type == TypeDir {
			dirs[e.Path] = true
		}
	}
	return slices.DeleteFunc(out, func(x Excluded) bool {
		if x.Reason == ReasonUnread && dirs[x.Path] {
			return false
		}
		return orphan(x.Path, dirs)
	})
}

// orphan reports whether a path's parent folder is not among dirs (the top is always there).
func orphan(p string, dirs map[string]bool) bool {
	parent := parentOf(p)
	return parent != "." && !dirs[parent]
}
