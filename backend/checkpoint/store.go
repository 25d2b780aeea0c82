package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// ErrNoCheckpoint means no checkpoint describes the workspace at the point asked for.
var ErrNoCheckpoint = errors.New("checkpoint: no checkpoint for that point")

// DefaultExcludeFolders are the folders left out by default: large, rebuilt by tools, and
// ignored by version control almost everywhere.
var DefaultExcludeFolders = []string{"node_modules", ".venv", "__pycache__"}

// DefaultMaxFileSize is the default size limit: larger files are left out (and said so).
const DefaultMaxFileSize = 64 << 20

// Options say what a checkpoint leaves out.
type Options struct {
	// ExcludeFolders are folder names (at any depth) left out whole; nil means
	// DefaultExcludeFolders, an empty non-nil list none.
	ExcludeFolders []string
	// MaxFileSize leaves out larger files; 0 means DefaultMaxFileSize, negative no limit.
	MaxFileSize int64
	// Budget is the size the store may grow to before garbage collection removes the
	// oldest checkpoints (bytes); 0 means no budget.
	Budget int64
	// NoWatch turns off following workspaces with a file-system watcher: every checkpoint
	// then walks its whole workspace. With it on (the default), a workspace's first
	// checkpoint starts a watcher (inotify) and later ones list only the folders it says
	// changed, plus the folders it does not watch (ignored ones, such as .git).
	NoWatch bool
}

func (o Options) withDefaults() Options {
	if o.ExcludeFolders == nil {
		o.ExcludeFolders = DefaultExcludeFolders
	}
	switch {
	case o.MaxFileSize == 0:
		o.MaxFileSize = DefaultMaxFileSize
	case o.MaxFileSize < 0:
		o.MaxFileSize = 0
	}
	return o
}

func (o Options) excludesFolder(name string) bool { return slices.Contains(o.ExcludeFolders, name) }

// Store keeps checkpoints: blobs and manifests in files under DATA_DIR/checkpoints (never
// inside a workspace), their records in the journal. It is safe for concurrent use.
type Store struct {
	dir     string
	journal *journal.Journal
	opts    Options
	blobs   *blobs

	grace time.Duration // gcGrace; tests shorten it

	loadedMu  sync.Mutex
	loaded    map[string]*Manifest // decoded manifests by id (immutable once built)
	loadOrder []string             // loaded's ids, least recently remembered first

	mu       sync.Mutex
	last     map[string]*cached   // workspace -> its newest manifest, as this process knows it
	followed map[string]*follower // workspace -> the watcher the store runs for it
	order    []string             // followed workspaces, oldest first
	refused  map[string]bool      // workspaces that could not be watched
}

type cached struct {
	id string
	m  *Manifest
	// cursor is the watcher's change number from just before m's scan began (0: none):
	// what changed after it is what the next checkpoint must read.
	cursor uint64
}

// Open opens (creating) the store under dataDir.
func Open(dataDir string, j *journal.Journal, opts Options) (*Store, error) {
	dir := filepath.Join(dataDir, "checkpoints")
	for _, sub := range []string{"blobs", "manifests", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("checkpoint: open store: %w", err)
		}
	}
	return &Store{
		dir: dir, journal: j, opts: opts.withDefaults(),
		blobs: &blobs{dir: filepath.Join(dir, "blobs"), tmp: filepath.Join(dir, "tmp")},
		last:  map[string]*cached{}, grace: gcGrace, loaded: map[string]*Manifest{},
		followed: map[string]*follower{}, refused: map[string]bool{},
	}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Options returns the options in force (defaults filled in).
func (s *Store) Options() Options { return s.opts }

// Point names where in a run a checkpoint is taken.
type Point struct {
	RunID     string
	Seq       int
	Phase     string
	Workspace string
}

// Take checkpoints the workspace at a point of a run and records it in the journal. Only
// what changed since the workspace's previous checkpoint is read; an unchanged tree reuses
// the previous manifest.
func (s *Store) Take(ctx context.Context, at Point) (journal.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, m, added, err := s.snapshot(ctx, at.Workspace)
	if err != nil {
		return journal.Checkpoint{}, err
	}
	excluded, err := json.Marshal(append([]Excluded{}, m.Excluded...))
	if err != nil {
		return journal.Checkpoint{}, err
	}
	c, err := s.journal.AddCheckpoint(ctx, journal.Checkpoint{
		RunID: at.RunID, Seq: at.Seq, Phase: at.Phase, Workspace: at.Workspace, Manifest: id,
		Files: len(m.Entries), Bytes: m.Bytes(), AddedBytes: added, Excluded: excluded,
	})
	if err != nil {
		return c, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}

// snapshot scans a workspace against its previous manifest and stores what is new. Callers
// hold s.mu.
func (s *Store) snapshot(ctx context.Context, workspace string) (string, *Manifest, int64, error) {
	prev, err := s.previous(ctx, workspace)
	if err != nil {
		return "", nil, 0, err
	}
	root := filepath.Clean(workspace)
	sc := &scan{root: root, opts: s.opts, blobs: s.blobs, dataDir: filepath.Dir(s.dir)}
	if prev != nil {
		sc.prev = prev.m
	}
	var cursor uint64
	var m *Manifest
	var added int64
	if f := s.follow(ctx, root); f != nil {
		// Every change made before the cursor is known: the next checkpoint reads what
		// changed after it, this one's scan included.
		var serr error
		if cursor, serr = f.Sync(ctx); serr != nil {
			cursor = 0 // this checkpoint walks the whole tree
		}
		if changed, ok := f.Changed(cachedCursor(prev)); ok && cursor != 0 && sc.prev != nil {
			m, added, err = sc.runIncremental(ctx, f, changed)
		}
	}
	if m == nil && err == nil {
		m, added, err = sc.run(ctx)
	}
	if err != nil {
		return "", nil, 0, fmt.Errorf("checkpoint: scan %s: %w", workspace, err)
	}
	if prev != nil && (m == prev.m || sameEntries(m, prev.m)) {
		// Unchanged: the previous manifest says it all. In memory it takes this scan's
		// time, so files hashed again as racy now are trusted next time (the stored copy
		// keeps the older time, which only makes another process more careful).
		if m != prev.m {
			prev.m.Taken = m.Taken
		}
		prev.cursor = cursor
		s.remember(prev.id, prev.m) // the step's tracking compares it, maybe long after it was made
		return prev.id, prev.m, added, nil
	}
	var prevID string
	var prevM *Manifest
	if prev != nil {
		prevID, prevM = prev.id, prev.m
	}
	id, data, err := m.encode(prevID, prevM)
	if err != nil {
		return "", nil, 0, err
	}
	n, err := s.writeManifest(id, data)
	if err != nil {
		return "", nil, 0, err
	}
	s.last[workspace] = &cached{id: id, m: m, cursor: cursor}
	s.remember(id, m) // the step's tracking compares it with the one before, right away
	return id, m, added + n, nil
}

// cachedCursor is c's cursor, 0 for none.
func cachedCursor(c *cached) uint64 {
	if c == nil {
		return 0
	}
	return c.cursor
}

// previous returns the workspace's newest manifest: this process's, else the journal's.
func (s *Store) previous(ctx context.Context, workspace string) (*cached, error) {
	if c, ok := s.last[workspace]; ok {
		return c, nil
	}
	rec, err := s.journal.LatestCheckpoint(ctx, workspace)
	if errors.Is(err, journal.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	m, err := s.Load(rec.Manifest)
	if err != nil {
		return nil, nil // a lost manifest only makes this scan read everything
	}
	c := &cached{id: rec.Manifest, m: m}
	s.last[workspace] = c
	return c, nil
}

func (s *Store) manifestPath(id string) string {
	return filepath.Join(s.dir, "manifests", id[:2], id[2:]+".json.gz")
}

// writeManifest stores a manifest once; it returns the bytes written (0 if it was there).
func (s *Store) writeManifest(id string, data []byte) (int64, error) {
	p := s.manifestPath(id)
	if _, err := os.Stat(p); err == nil {
		return 0, nil
	}
	tmp, err := os.CreateTemp(s.blobs.tmp, "manifest-*")
	if err != nil {
		return 0, fmt.Errorf("checkpoint: store manifest: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("checkpoint: store manifest: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("checkpoint: store manifest: %w", err)
	}
	if err := renameInto(tmp.Name(), p); err != nil {
		return 0, fmt.Errorf("checkpoint: store manifest: %w", err)
	}
	return int64(len(data)), nil
}

// Load reads a manifest by id (following its chain of deltas).
func (s *Store) Load(id string) (*Manifest, error) {
	if len(id) < 3 {
		return nil, fmt.Errorf("checkpoint: bad manifest name %q", id)
	}
	s.loadedMu.Lock()
	m, ok := s.loaded[id]
	s.loadedMu.Unlock()
	if ok {
		return m, nil
	}
	var chain []stored
	for next := id; ; {
		data, err := os.ReadFile(s.manifestPath(next))
		if err != nil {
			return nil, fmt.Errorf("checkpoint: manifest %s: %w", next, err)
		}
		st, err := decodeStored(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		chain = append(chain, st)
		if st.Base == "" {
			break
		}
		if len(chain) > maxDepth+1 {
			return nil, fmt.Errorf("checkpoint: manifest %s: chain of deltas longer than %d", id, maxDepth)
		}
		next = st.Base
	}
	root := chain[len(chain)-1]
	m = &Manifest{Taken: root.Taken, Entries: root.Entries, Excluded: root.Excluded}
	whole, wholeID := m, id
	if len(chain) > 1 {
		wholeID = chain[len(chain)-2].Base
	}
	m.root, m.rootID = m, wholeID
	for i := len(chain) - 2; i >= 0; i-- {
		m = chain[i].apply(m)
		m.root, m.rootID = whole, wholeID
	}
	s.remember(id, m)
	return m, nil
}

// remember keeps a decoded manifest for Load.
func (s *Store) remember(id string, m *Manifest) {
	s.loadedMu.Lock()
	defer s.loadedMu.Unlock()
	// The least recently remembered goes first: a step's tracking compares the manifest
	// before it, reused since, with the one just made.
	s.loadOrder = slices.DeleteFunc(s.loadOrder, func(o string) bool { return o == id })
	if _, ok := s.loaded[id]; !ok && len(s.loaded) >= maxLoaded {
		delete(s.loaded, s.loadOrder[0])
		s.loadOrder = s.loadOrder[1:]
	}
	s.loaded[id] = m
	s.loadOrder = append(s.loadOrder, id)
}

// maxLoaded bounds the manifests kept decoded in memory.
const maxLoaded = 16

// At finds the checkpoint that holds a run's workspace as it was before (after == false)
// or after step seq: the newest checkpoint of the run at or before that point (steps that
// took none did not change the workspace), else the run's first checkpoint after it (taken
// before the next step that could change anything), else the newest of the session's
// earlier runs. Checkpoints taken for restores do not count.
func (s *Store) At(ctx context.Context, run journal.Run, seq int, after bool) (journal.Checkpoint, error) {
	list, err := s.journal.Checkpoints(ctx, run.ID)
	if err != nil {
		return journal.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	pos := func(c journal.Checkpoint) int {
		p := c.Seq * 2
		if c.Phase == journal.PhaseAfter {
			p++
		}
		return p
	}
	want := seq * 2
	if after {
		want++
	}
	var best, next *journal.Checkpoint
	for i := range list {
		c := &list[i]
		if c.Phase == journal.PhaseRestore {
			continue
		}
		switch p := pos(*c); {
		case p <= want && (best == nil || p >= pos(*best)):
			best = c
		case p > want && (next == nil || p < pos(*next)):
			next = c
		}
	}
	switch {
	case best != nil:
		return *best, nil
	case next != nil && next.Phase == journal.PhaseBefore:
		return *next, nil
	}
	all, err := s.journal.SessionCheckpoints(ctx, run.SessionID)
	if err != nil {
		return journal.Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	for i := len(all) - 1; i >= 0; i-- {
		if c := all[i]; c.RunID != run.ID && c.Phase != journal.PhaseRestore && c.CreatedAt.Before(run.CreatedAt) {
			return c, nil
		}
	}
	return journal.Checkpoint{}, fmt.Errorf("%w: run %s step %d", ErrNoCheckpoint, run.ID, seq)
}
