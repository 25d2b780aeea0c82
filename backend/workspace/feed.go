package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// ErrNoFeed means a Watcher cannot say what changed in detail: it is not started, it
// stopped, or it polls.
var ErrNoFeed = errors.New("workspace: watcher keeps no change feed")

// feed is a Watcher's record of which directories changed, for readers that keep their
// own copy of the tree (checkpoints, exec's change tracking) and re-read only those. A
// change is numbered as the watcher handles it; Sync returns the number of the latest one
// after every change made before the call was handled.
type feed struct {
	mu      sync.Mutex
	gen     uint64            // number of the latest change
	lost    uint64            // the latest number at which changes may have gone unreported
	touched map[string]uint64 // directory -> number of its latest change
	dir     string            // private directory watched with the tree, for Sync's markers
	tokens  uint64
	waiters map[string]chan uint64
}

// touch records a change of rel: its directory's listing or an entry's metadata changed.
func (f *feed) touch(rel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.touched == nil {
		f.touched = map[string]uint64{}
	}
	f.gen++
	f.touched[parentDir(rel)] = f.gen
}

// lose records that changes may have been missed from now (lost events, ignore rules
// reloaded, polling).
func (f *feed) lose() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.lost = f.gen
}

// start makes the marker directory and watches it with fsw, on the same queue as the tree.
func (f *feed) start(fsw *fsnotify.Watcher) error {
	dir, err := os.MkdirTemp("", "corral-watch-*")
	if err != nil {
		return err
	}
	if err := fsw.Add(dir); err != nil {
		os.RemoveAll(dir)
		return err
	}
	f.mu.Lock()
	f.dir = dir
	f.gen++ // cursors start above 0, which means none
	f.mu.Unlock()
	return nil
}

// close removes the marker directory; Sync fails from then on.
func (f *feed) close() {
	f.mu.Lock()
	dir := f.dir
	f.dir = ""
	f.gen++
	f.lost = f.gen
	for _, ch := range f.waiters {
		close(ch)
	}
	f.waiters = nil
	f.mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// marker reports whether ev is about the marker directory; a marker's creation releases
// its Sync.
func (f *feed) marker(ev fsnotify.Event) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dir == "" || filepath.Dir(ev.Name) != f.dir {
		return false
	}
	if ch, ok := f.waiters[filepath.Base(ev.Name)]; ok && ev.Has(fsnotify.Create) {
		ch <- f.gen
		delete(f.waiters, filepath.Base(ev.Name))
	}
	return true
}

// Sync waits until the watcher has handled every change made in the tree before the call
// and returns the number of the latest change: a cursor for Changed. The operating system
// queues a watcher's events in order, so when a marker file created in a private directory
// watched on the same queue comes through, everything before it has. Sync fails with
// ErrNoFeed when the watcher polls, is not started or has stopped.
func (w *Watcher) Sync(ctx context.Context) (uint64, error) {
	f := &w.feed
	f.mu.Lock()
	if f.dir == "" {
		f.mu.Unlock()
		return 0, ErrNoFeed
	}
	f.tokens++
	token := strconv.FormatUint(f.tokens, 10)
	name := filepath.Join(f.dir, token)
	ch := make(chan uint64, 1)
	if f.waiters == nil {
		f.waiters = map[string]chan uint64{}
	}
	f.waiters[token] = ch
	f.mu.Unlock()
	if err := os.WriteFile(name, nil, 0o600); err != nil {
		f.mu.Lock()
		delete(f.waiters, token)
		f.mu.Unlock()
		return 0, fmt.Errorf("%w: %w", ErrNoFeed, err)
	}
	defer os.Remove(name)
	select {
	case gen, ok := <-ch:
		if !ok {
			return 0, ErrNoFeed
		}
		return gen, nil
	case <-w.done:
		return 0, ErrNoFeed
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.waiters, token)
		f.mu.Unlock()
		return 0, ctx.Err()
	}
}

// Changed returns the directories (root relative, "." for the root) in which an entry was
// created, removed, renamed, written or had its metadata changed after the change numbered
// since (a cursor from Sync), up to now. ok is false when the watcher cannot say: changes
// may have been missed since then, or it polls. Ignored directories are not watched (see
// Watched), so what changes inside them is not reported.
func (w *Watcher) Changed(since uint64) (dirs []string, ok bool) {
	f := &w.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dir == "" || since == 0 || since < f.lost || since > f.gen {
		return nil, false
	}
	for dir, gen := range f.touched {
		if gen > since {
			dirs = append(dirs, dir)
		}
	}
	return dirs, true
}

// Watched reports whether the directory rel is watched: it exists, is not ignored and
// could be listed. What changes in a directory that is not watched is not reported.
func (w *Watcher) Watched(rel string) bool {
	w.treeMu.Lock()
	defer w.treeMu.Unlock()
	_, ok := w.dirs[rel]
	return ok && !w.unreadable[rel]
}
