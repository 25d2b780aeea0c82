package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Mode is how a Watcher learns about changes.
type Mode string

// The modes of a Watcher.
const (
	// ModeNotify: the operating system reports changes (inotify on Linux).
	ModeNotify Mode = "notify"
	// ModePolling: the tree is listed every Options.PollInterval and
	// compared with the previous listing.
	ModePolling Mode = "polling"
)

// Options configure Snapshot and a Watcher. The zero value is ready to use.
type Options struct {
	// Ignore holds extra patterns in .gitignore syntax, relative to the
	// root; the workspace's own ignore files come after them and can
	// re-include what they exclude.
	Ignore []string
	// Quiet is how long no change must arrive before a batch is sent
	// (default 50ms); MaxDelay bounds how long the first change of a batch
	// waits when changes keep coming (default 250ms; it bounds Quiet too).
	Quiet    time.Duration
	MaxDelay time.Duration
	// PollInterval is how often the tree is listed in polling mode
	// (default 2s).
	PollInterval time.Duration
	// MaxChanges is the most changes a batch lists; beyond it the batch is
	// sent as a Rescan (default 10,000).
	MaxChanges int
	// Poll makes the Watcher poll from the start, for file systems whose
	// changes the OS does not report (network and some container mounts).
	Poll bool
	// FeedOnly keeps only the change feed (Sync, Changed) for a reader that
	// keeps its own copy of the tree: no Batches are sent (the channel is
	// closed when the watcher stops), which saves stating every changed path.
	FeedOnly bool
}

func (o Options) withDefaults() Options {
	if o.Quiet <= 0 {
		o.Quiet = 50 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 250 * time.Millisecond
	}
	o.Quiet = min(o.Quiet, o.MaxDelay)
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.MaxChanges <= 0 {
		o.MaxChanges = 10000
	}
	return o
}

var (
	// ErrRootRemoved ends watching when the workspace directory is removed
	// or moved away; it is the Err of the last Batch.
	ErrRootRemoved = errors.New("workspace: root removed")
	// ErrStopped is returned by Start after Stop: a Watcher runs once.
	ErrStopped = errors.New("workspace: watcher stopped")

	errNotifyClosed = errors.New("workspace: notifications ended")
)

// Watcher reports the changes in a workspace directory as batches, see
// Batches. It watches every directory that is not ignored with the
// operating system's notifications, adding watches as directories appear
// (and listing each new directory once watched, so nothing made before the
// watch is missed) and removing them as they go. When the system's limits
// refuse a watch or an inotify instance, it falls back to polling the whole
// tree, says why in Warning, and sends a Rescan batch if it was running.
//
// A reader keeping a tree calls Start, then Snapshot, then applies each
// batch: a change made between the two is in both, and applying it twice
// is harmless (Created replaces, Removed of a missing path does nothing).
//
// Batches are a must-deliver stream: nothing is dropped while the reader
// is slow, changes accumulate into the next batch (up to
// Options.MaxChanges, then a Rescan). Each Change says which path changed
// and how, which is what attributing changes to an agent's steps needs.
type Watcher struct {
	root    string // absolute
	opts    Options
	base    *ignores
	batches chan Batch
	done    chan struct{} // closed when run returns, or by Stop if never started

	// newNotify starts OS notifications, addWatch adds a watch on a
	// directory by absolute path, and readDir lists a directory unsorted.
	// Tests replace them before Start to fake the system's failures.
	newNotify func() (*fsnotify.Watcher, error)
	addWatch  func(name string) error
	readDir   func(name string) ([]fs.DirEntry, error)

	startMu          sync.Mutex
	started, stopped bool
	cancel           context.CancelFunc

	mu      sync.Mutex // guards mode and warning
	mode    Mode
	warning string

	// Owned by Start, then by run. Walks visit directories from several
	// goroutines, which take treeMu.
	fsw        *fsnotify.Watcher // nil when polling
	treeMu     sync.Mutex
	dirs       map[string]*ignores // watched directories: the ignores in force for their entries
	unreadable map[string]bool     // directories that could not be watched or listed
	pending    map[string]pendingChange
	rescan     bool
	resync     map[string]bool // directories whose ignore files changed
	first      time.Time       // of the pending changes
	last       time.Time
	baseline   []Entry // polling: the tree as last reported
	queue      []Batch // to send, in order
	final      bool    // the last batch is queued

	feed feed // which directories changed, for Sync and Changed
}

// pendingChange is what is known before a batch of a path that changed
// during it.
type pendingChange struct {
	existed bool // the path existed when the batch began
	wasDir  bool // it was a watched (or unreadable) directory
}

// New returns a Watcher for the directory root; Start begins watching.
func New(root string, opts Options) (*Watcher, error) {
	abs, err := checkRoot(root)
	if err != nil {
		return nil, fmt.Errorf("new watcher: %w", err)
	}
	w := &Watcher{
		root:    abs,
		opts:    opts.withDefaults(),
		base:    newIgnores(opts.Ignore),
		batches: make(chan Batch),
		done:    make(chan struct{}),
		readDir: readDirUnsorted,
		mode:    ModeNotify,

		newNotify: fsnotify.NewWatcher,
	}
	w.addWatch = w.notifyAdd
	return w, nil
}

// Batches returns the channel of change batches. It is closed when the
// watcher stops: by Stop, when Start's context ends, or after a batch with
// Err set. A batch not yet received when the watcher stops is dropped.
func (w *Watcher) Batches() <-chan Batch { return w.batches }

// Mode reports whether the watcher is notified of changes or polls.
func (w *Watcher) Mode() Mode {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mode
}

// Warning explains, when the watcher fell back to polling, why and how to
// avoid it; it is empty otherwise.
func (w *Watcher) Warning() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.warning
}

// Start lists the tree, watches it and returns; changes from then on are
// reported on Batches until ctx ends or Stop is called. A second call does
// nothing; a call after Stop returns ErrStopped.
func (w *Watcher) Start(ctx context.Context) error {
	w.startMu.Lock()
	defer w.startMu.Unlock()
	switch {
	case w.stopped:
		return ErrStopped
	case w.started:
		return nil
	}
	if err := w.begin(ctx); err != nil {
		return fmt.Errorf("watch %s: %w", w.root, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w.started, w.cancel = true, cancel
	go w.run(ctx)
	return nil
}

// Stop ends watching, closes Batches and waits until every goroutine of
// the watcher has returned. It may be called more than once.
func (w *Watcher) Stop() {
	w.startMu.Lock()
	if !w.stopped {
		w.stopped = true
		if w.started {
			w.cancel()
		} else {
			close(w.batches)
			close(w.done)
		}
	}
	w.startMu.Unlock()
	<-w.done
}

// begin sets up notifications and watches the tree, or polls.
func (w *Watcher) begin(ctx context.Context) error {
	w.dirs = map[string]*ignores{}
	w.unreadable = map[string]bool{}
	w.pending = map[string]pendingChange{}
	w.resync = map[string]bool{}
	if w.opts.Poll {
		return w.startPolling(ctx, "")
	}
	fsw, err := w.newNotify()
	if err != nil {
		if isLimit(err) {
			return w.startPolling(ctx, pollWarning(err, w.opts.PollInterval))
		}
		return err
	}
	w.fsw = fsw
	if err := w.watchTree(ctx, ".", w.base, false); err != nil {
		if ctx.Err() != nil {
			w.closeNotify()
			return err
		}
		return w.fallBack(ctx, err)
	}
	switch _, watched := w.dirs["."]; {
	case w.unreadable["."]:
		w.closeNotify()
		return errUnreadable
	case !watched:
		w.closeNotify()
		return fs.ErrNotExist // removed since New
	}
	if err := w.feed.start(w.fsw); err != nil {
		return w.fallBack(ctx, err)
	}
	return nil
}

// notifyAdd is the default addWatch.
func (w *Watcher) notifyAdd(name string) error { return w.fsw.Add(name) }

// closeNotify stops notifications and forgets the watches.
func (w *Watcher) closeNotify() {
	w.feed.close()
	if w.fsw != nil {
		w.fsw.Close()
		w.fsw = nil
	}
	w.treeMu.Lock()
	clear(w.dirs)
	w.treeMu.Unlock()
}

// fallBack switches to polling because watching failed with cause.
func (w *Watcher) fallBack(ctx context.Context, cause error) error {
	w.closeNotify()
	return w.startPolling(ctx, pollWarning(cause, w.opts.PollInterval))
}

func (w *Watcher) startPolling(ctx context.Context, warning string) error {
	entries, err := snapshot(ctx, w.root, w.base, w.readDir)
	if err != nil {
		return err
	}
	w.baseline = entries
	w.mu.Lock()
	w.mode, w.warning = ModePolling, warning
	w.mu.Unlock()
	return nil
}

// watchTree watches the directory rel and every directory below it that
// is not ignored; ig is the chain in force in rel's parent. With report,
// everything found is noted as created, so what appeared before the watches
// did is reported too.
func (w *Watcher) watchTree(ctx context.Context, rel string, ig *ignores, report bool) error {
	wk := &walker{
		root:    w.root,
		workers: snapshotWorkers(),
		readDir: w.readDir,
		enter:   w.enter,
		visit: func(_ int, l *listing) {
			w.treeMu.Lock()
			defer w.treeMu.Unlock()
			if l.err != nil {
				w.unreadable[l.rel] = true
			} else {
				delete(w.unreadable, l.rel)
			}
			if _, ok := w.dirs[l.rel]; ok {
				w.dirs[l.rel] = l.ig
			}
			if report {
				for _, e := range l.entries {
					w.note(childPath(l.rel, e.Name()), false)
				}
			}
		},
	}
	return wk.walk(ctx, rel, ig)
}

// enter watches the directory rel before a walk lists it.
func (w *Watcher) enter(rel string) error {
	switch err := w.addWatch(w.abs(rel)); {
	case err == nil:
		w.treeMu.Lock()
		if _, ok := w.dirs[rel]; !ok {
			w.dirs[rel] = nil // until the listing gives its ignores
		}
		w.treeMu.Unlock()
		return nil
	case gone(err):
		return errGone
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", errUnreadable, err)
	default:
		return fmt.Errorf("watch %s: %w", rel, err)
	}
}

// unwatch removes the watches of the directory rel and below.
func (w *Watcher) unwatch(rel string) {
	w.treeMu.Lock()
	defer w.treeMu.Unlock()
	for dir := range w.dirs {
		if isUnder(dir, rel) {
			// The watch may be gone already, with its directory.
			_ = w.fsw.Remove(w.abs(dir))
			delete(w.dirs, dir)
		}
	}
	for dir := range w.unreadable {
		if isUnder(dir, rel) {
			delete(w.unreadable, dir)
		}
	}
}

// run reports changes until ctx ends or the root goes.
func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer close(w.batches)
	defer w.closeNotify()

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var (
		timerC <-chan time.Time
		due    bool // the timer fired while a batch waited for the reader
		ticker *time.Ticker
		tickC  <-chan time.Time
	)
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		if ticker == nil && w.fsw == nil && !w.final {
			ticker = time.NewTicker(w.opts.PollInterval)
			tickC = ticker.C
		}
		var (
			out    chan<- Batch
			next   Batch
			events <-chan fsnotify.Event
			errs   <-chan error
		)
		if len(w.queue) > 0 {
			out, next = w.batches, w.queue[0]
		}
		if w.fsw != nil {
			events, errs = w.fsw.Events, w.fsw.Errors
		}
		dirty := false
		select {
		case <-ctx.Done():
			return
		case out <- next:
			w.queue = w.queue[1:]
			if len(w.queue) == 0 && w.final {
				return
			}
			if due && len(w.queue) == 0 {
				due = false
				w.flush(ctx)
			}
		case ev, ok := <-events:
			if !ok {
				w.switchToPolling(ctx, errNotifyClosed)
				break
			}
			if w.feed.marker(ev) {
				break
			}
			w.handle(ctx, ev)
			dirty = true
		case _, ok := <-errs:
			if !ok {
				w.switchToPolling(ctx, errNotifyClosed)
				break
			}
			// An overflow (fsnotify.ErrEventOverflow) or a read error:
			// events were lost, so watch the tree afresh and have the
			// reader reload it.
			w.resync["."] = true
			w.setRescan()
			dirty = true
		case <-timerC:
			timerC = nil
			if len(w.queue) > 0 {
				due = true
			} else {
				w.flush(ctx)
			}
		case <-tickC:
			if len(w.queue) == 0 && !w.final {
				w.poll(ctx)
			}
		}
		if w.final {
			timerC, tickC = nil, nil
			continue
		}
		if dirty && w.hasPending() {
			timer.Reset(min(time.Until(w.first.Add(w.opts.MaxDelay)), time.Until(w.last.Add(w.opts.Quiet))))
			timerC = timer.C
		}
	}
}

func (w *Watcher) hasPending() bool {
	return len(w.pending) > 0 || w.rescan || len(w.resync) > 0
}

// handle takes one event in notify mode: it notes the change and keeps the
// watches in step with the directories.
func (w *Watcher) handle(ctx context.Context, ev fsnotify.Event) {
	rel, ok := w.rel(ev.Name)
	if !ok {
		return
	}
	if rel == "." {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			w.finish(fmt.Errorf("%w: %s", ErrRootRemoved, w.root))
		}
		return
	}
	parent := parentDir(rel)
	ig, watched := w.dirs[parent]
	switch {
	case ev.Has(fsnotify.Create):
		w.note(rel, false)
		if _, ok := w.dirs[rel]; ok || !watched {
			break // watched already, by the listing of a new parent
		}
		info, err := os.Lstat(w.abs(rel))
		if err != nil || !info.IsDir() || ig.ignored(rel, true) {
			break
		}
		if err := w.watchTree(ctx, rel, ig, true); err != nil && ctx.Err() == nil {
			w.switchToPolling(ctx, err)
			return
		}
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		w.note(rel, true)
		if _, ok := w.dirs[rel]; ok || w.unreadable[rel] {
			w.unwatch(rel)
		}
	case ev.Has(fsnotify.Write) || ev.Has(fsnotify.Chmod):
		w.note(rel, true)
		if w.unreadable[rel] && watched {
			// Permissions changed: it may be readable now.
			w.unwatch(rel)
			if err := w.watchTree(ctx, rel, ig, true); err != nil && ctx.Err() == nil {
				w.switchToPolling(ctx, err)
				return
			}
		}
	}
	if watched && isIgnoreFile(path.Base(rel)) && ev.Op != fsnotify.Chmod {
		w.resync[parent] = true
	}
}

// switchToPolling falls back to polling in the middle of a run; the reader
// is told to reload, as changes may have been missed.
func (w *Watcher) switchToPolling(ctx context.Context, cause error) {
	if err := w.fallBack(ctx, cause); err != nil {
		if ctx.Err() == nil {
			w.finish(rootError(err))
		}
		return
	}
	w.setRescan()
	w.flush(ctx)
}

// rootError is the Err of a last batch when the root cannot be listed.
func rootError(err error) error {
	if gone(err) {
		return fmt.Errorf("%w: %w", ErrRootRemoved, err)
	}
	return err
}

// note records that rel changed; existed says whether the event implies it
// existed before (anything but a creation).
func (w *Watcher) note(rel string, existed bool) {
	w.feed.touch(rel)
	if w.opts.FeedOnly {
		return
	}
	now := time.Now()
	if w.first.IsZero() {
		w.first = now
	}
	w.last = now
	if w.rescan {
		return
	}
	if _, ok := w.pending[rel]; ok {
		return
	}
	if len(w.pending) >= w.opts.MaxChanges {
		w.setRescan()
		return
	}
	if existed && w.createdInBatch(parentDir(rel)) {
		// Its directory appeared in this batch, so it did not exist when
		// the batch began: the watch on a new directory can see an entry
		// go that its listing, made after, never saw come.
		existed = false
	}
	_, wasDir := w.dirs[rel]
	w.pending[rel] = pendingChange{existed: existed, wasDir: wasDir || w.unreadable[rel]}
}

// createdInBatch reports whether dir or a directory above it was first
// seen created in the pending batch.
func (w *Watcher) createdInBatch(dir string) bool {
	for ; dir != "." && dir != "/" && dir != ""; dir = parentDir(dir) {
		if pc, ok := w.pending[dir]; ok && !pc.existed {
			return true
		}
	}
	return false
}

// setRescan gives up listing the pending changes.
func (w *Watcher) setRescan() {
	w.feed.lose()
	w.rescan = true
	clear(w.pending)
	if w.first.IsZero() {
		w.first = time.Now()
		w.last = w.first
	}
}

// flush queues a batch of the pending changes, if any.
func (w *Watcher) flush(ctx context.Context) {
	w.resyncIgnores(ctx)
	if w.final {
		return
	}
	if _, err := os.Stat(w.root); err != nil {
		w.finish(rootError(err))
		return
	}
	if b := w.take(); b.Rescan || len(b.Changes) > 0 {
		w.queue = append(w.queue, b)
	}
}

// finish queues the last batch, with err.
func (w *Watcher) finish(err error) {
	b := w.take()
	b.Err = err
	w.queue = append(w.queue, b)
	w.final = true
	w.closeNotify()
}

// take empties the pending changes into a batch.
func (w *Watcher) take() Batch {
	defer func() {
		clear(w.pending)
		w.rescan = false
		w.first, w.last = time.Time{}, time.Time{}
	}()
	if w.rescan {
		return Batch{Rescan: true}
	}
	changes := make([]Change, 0, len(w.pending))
	for rel, pc := range w.pending {
		e, exists := w.entry(rel)
		switch {
		case exists && !pc.existed:
			changes = append(changes, Change{Path: rel, Op: Created, Entry: e})
		case exists && pc.wasDir && !e.Dir:
			changes = append(changes,
				Change{Path: rel, Op: Removed, Entry: Entry{Path: rel, Dir: true}},
				Change{Path: rel, Op: Created, Entry: e})
		case exists:
			changes = append(changes, Change{Path: rel, Op: Modified, Entry: e})
		case pc.existed:
			changes = append(changes, Change{Path: rel, Op: Removed, Entry: Entry{Path: rel, Dir: pc.wasDir}})
		}
	}
	slices.SortStableFunc(changes, func(a, b Change) int { return comparePaths(a.Path, b.Path) })
	return Batch{Changes: changes}
}

// entry returns the current state of rel, if it exists.
func (w *Watcher) entry(rel string) (Entry, bool) {
	info, err := os.Lstat(w.abs(rel))
	if err != nil {
		return Entry{}, false
	}
	e := newEntry(rel, statOf(info), w.dirs[parentDir(rel)].ignored(rel, info.IsDir()))
	e.Unreadable = e.Dir && w.unreadable[rel]
	return e, true
}

// resyncIgnores watches afresh the directories whose ignore files changed
// (or the whole tree after lost events): what is ignored there may have
// changed, so the reader is told to reload.
func (w *Watcher) resyncIgnores(ctx context.Context) {
	if len(w.resync) == 0 {
		return
	}
	dirs := make([]string, 0, len(w.resync))
	for dir := range w.resync {
		dirs = append(dirs, dir)
	}
	clear(w.resync)
	slices.SortFunc(dirs, comparePaths)
	w.setRescan()
	done := ""
	for _, dir := range dirs {
		if w.fsw == nil {
			return // polling
		}
		if done != "" && isUnder(dir, done) {
			continue
		}
		ig := w.base
		if dir != "." {
			var ok bool
			if ig, ok = w.dirs[parentDir(dir)]; !ok {
				continue
			}
		}
		if _, ok := w.dirs[dir]; !ok {
			continue
		}
		w.unwatch(dir)
		if err := w.watchTree(ctx, dir, ig, false); err != nil {
			if ctx.Err() == nil {
				w.switchToPolling(ctx, err)
			}
			return
		}
		done = dir
	}
}

// poll lists the tree and queues the differences from the last listing.
func (w *Watcher) poll(ctx context.Context) {
	entries, err := snapshot(ctx, w.root, w.base, w.readDir)
	if err != nil {
		if ctx.Err() == nil {
			w.finish(rootError(err))
		}
		return
	}
	changes := diffEntries(w.baseline, entries)
	w.baseline = entries
	switch {
	case len(changes) > w.opts.MaxChanges:
		w.queue = append(w.queue, Batch{Rescan: true})
	case len(changes) > 0:
		w.queue = append(w.queue, Batch{Changes: changes})
	}
}

// diffEntries returns the changes from old to cur, both in tree order.
func diffEntries(old, cur []Entry) []Change {
	var changes []Change
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		c := 0
		switch {
		case i == len(old):
			c = 1
		case j == len(cur):
			c = -1
		default:
			c = comparePaths(old[i].Path, cur[j].Path)
		}
		switch {
		case c < 0:
			changes = append(changes, Change{Path: old[i].Path, Op: Removed, Entry: Entry{Path: old[i].Path, Dir: old[i].Dir}})
			i++
		case c > 0:
			changes = append(changes, Change{Path: cur[j].Path, Op: Created, Entry: cur[j]})
			j++
		default:
			o, e := old[i], cur[j]
			switch {
			case o.Dir && !e.Dir:
				changes = append(changes,
					Change{Path: e.Path, Op: Removed, Entry: Entry{Path: e.Path, Dir: true}},
					Change{Path: e.Path, Op: Created, Entry: e})
			case !o.same(e):
				changes = append(changes, Change{Path: e.Path, Op: Modified, Entry: e})
			}
			i++
			j++
		}
	}
	return changes
}

// abs returns the absolute name of rel.
func (w *Watcher) abs(rel string) string {
	if rel == "." {
		return w.root
	}
	return filepath.Join(w.root, filepath.FromSlash(rel))
}

// rel returns the root-relative path of an absolute name from an event.
func (w *Watcher) rel(name string) (string, bool) {
	if name == w.root {
		return ".", true
	}
	rest, ok := strings.CutPrefix(name, w.root+string(filepath.Separator))
	if !ok || rest == "" {
		return "", false
	}
	return filepath.ToSlash(rest), true
}
