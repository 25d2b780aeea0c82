package checkpoint

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Entry types in a manifest.
const (
	TypeFile    = "f"
	TypeDir     = "d"
	TypeSymlink = "l"
)

// Entry is one path of a workspace in a manifest: a regular file (with its content's
// sha256), a directory or a symbolic link (with its target).
type Entry struct {
	// Path is workspace relative, slash separated.
	Path string `json:"p"`
	// Type is TypeFile, TypeDir or TypeSymlink.
	Type string `json:"t"`
	// Mode is the permission bits with setuid, setgid and sticky (fs.FileMode bits).
	Mode  fs.FileMode `json:"m"`
	Size  int64       `json:"s,omitempty"`
	MTime int64       `json:"mt,omitempty"` // unix nanoseconds
	Hash  string      `json:"h,omitempty"`
	// Target is a symbolic link's target, as written.
	Target string `json:"l,omitempty"`
	// CTime and Ino are what a later checkpoint compares (with size, mode and mtime) to
	// reuse Hash without reading the file again.
	CTime int64  `json:"ct,omitempty"`
	Ino   uint64 `json:"i,omitempty"`
}

// same reports whether e and o describe the same content and metadata a restore writes:
// type, mode, content (hash) or link target.
func (e Entry) same(o Entry) bool {
	return e.Type == o.Type && e.Mode == o.Mode && e.Hash == o.Hash && e.Target == o.Target
}

// Excluded is a path a checkpoint left out, and why.
type Excluded struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	Size   int64  `json:"size,omitempty"`
}

// Exclusion reasons.
const (
	ReasonFolder   = "excluded folder"
	ReasonTooLarge = "over the size limit"
	ReasonSpecial  = "not a file, folder or link"
	ReasonUnread   = "unreadable"
	ReasonDataDir  = "Corral's data directory"
)

// Manifest is the state of a workspace at one checkpoint: every entry, sorted by path, and
// what was left out.
type Manifest struct {
	// Taken is when the scan began (unix nanoseconds): a later scan trusts an entry's hash
	// by its stat only if the file was last modified well before.
	Taken    int64      `json:"taken"`
	Entries  []Entry    `json:"entries"`
	Excluded []Excluded `json:"excluded,omitempty"`

	depth int    // deltas between this manifest and a whole one
	base  string // the manifest this one is stored as a delta of ("": stored whole)

	// root is the whole manifest at the end of this one's chain of deltas (itself when
	// stored whole; nil when not known), so a manifest at the end of a chain can be stored
	// as one delta of it instead of whole (see encode).
	rootID string
	root   *Manifest

	lookups   atomic.Int64 // calls to Get so far
	indexOnce sync.Once
	index     map[string]int // path -> position in Entries, built once Get is called often

	dirsOnce sync.Once
	dirList  []string // the folders' paths, built on first use
}

// dirs returns the paths of the manifest's folders.
func (m *Manifest) dirs() []string {
	m.dirsOnce.Do(func() {
		for _, e := range m.Entries {
			if e.Type == TypeDir {
				m.dirList = append(m.dirList, e.Path)
			}
		}
	})
	return m.dirList
}

// Get returns the entry for a path.
func (m *Manifest) Get(path string) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	if m.lookups.Add(1) <= max(indexAfter, int64(len(m.Entries)/8)) {
		// A checkpoint of a step looks up a few paths: a binary search each costs less
		// than indexing every entry.
		i, ok := slices.BinarySearchFunc(m.Entries, path, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
		if !ok {
			return Entry{}, false
		}
		return m.Entries[i], true
	}
	m.indexOnce.Do(func() {
		m.index = make(map[string]int, len(m.Entries))
		for i, e := range m.Entries {
			m.index[e.Path] = i
		}
	})
	i, ok := m.index[path]
	if !ok {
		return Entry{}, false
	}
	return m.Entries[i], true
}

// indexAfter is how many lookups Get answers by binary search at least before it indexes
// the manifest (an eighth of its entries for a large one; a restore or a whole walk looks
// up every path).
const indexAfter = 64

// Bytes is the total size of the manifest's files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, e := range m.Entries {
		n += e.Size
	}
	return n
}

// sameEntries reports whether two manifests list the same entries (excluded paths too).
func sameEntries(a, b *Manifest) bool {
	if a == nil || b == nil {
		return false
	}
	return slices.Equal(a.Entries, b.Entries) && slices.Equal(a.Excluded, b.Excluded)
}

func (m *Manifest) sort() {
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(m.Excluded, func(a, b Excluded) int { return strings.Compare(a.Path, b.Path) })
}

// maxDepth bounds a chain of delta manifests: every maxDepth-th manifest of a workspace is
// stored whole, so loading one reads at most maxDepth+1 files.
const maxDepth = 32

// stored is a manifest as written: whole (no Base), or as the entries changed and the paths
// removed since its base manifest.
type stored struct {
	Taken    int64      `json:"taken"`
	Base     string     `json:"base,omitempty"`
	Depth    int        `json:"depth,omitempty"`
	Entries  []Entry    `json:"entries"`
	Removed  []string   `json:"removed,omitempty"`
	Excluded []Excluded `json:"excluded,omitempty"`
}

// encode returns the manifest's id (the sha256 of what is stored) and its gzipped JSON:
// a delta from prev when prev is close enough; at the end of a chain of maxDepth deltas,
// a delta from the chain's whole manifest (its root) when that is still small; else the
// whole list. So a workspace where steps change a few files is stored whole about once
// per quarter of its entries changed, not once per maxDepth steps: encoding all of a large
// tree's entries is most of what a checkpoint would otherwise cost.
func (m *Manifest) encode(prevID string, prev *Manifest) (string, []byte, error) {
	st := stored{Taken: m.Taken, Entries: m.Entries, Excluded: m.Excluded}
	var root *Manifest
	var rootID string
	small := func(changed []Entry, removed []string) bool { return len(changed)+len(removed) <= len(m.Entries)/4 }
	switch {
	case prev != nil && prev.depth < maxDepth:
		if changed, removed := delta(prev.Entries, m.Entries); small(changed, removed) {
			st = stored{Taken: m.Taken, Base: prevID, Depth: prev.depth + 1, Entries: changed, Removed: removed, Excluded: m.Excluded}
			root, rootID = prev.root, prev.rootID
			if prev.depth == 0 {
				root, rootID = prev, prevID
			}
		}
	case prev != nil && prev.root != nil:
		if changed, removed := delta(prev.root.Entries, m.Entries); small(changed, removed) {
			st = stored{Taken: m.Taken, Base: prev.rootID, Depth: 1, Entries: changed, Removed: removed, Excluded: m.Excluded}
			root, rootID = prev.root, prev.rootID
		}
	}
	m.depth = st.Depth
	raw, err := json.Marshal(st)
	if err != nil {
		return "", nil, fmt.Errorf("checkpoint: encode manifest: %w", err)
	}
	sum := sha256.Sum256(raw)
	id := hex.EncodeToString(sum[:])
	if st.Base == "" {
		root, rootID = m, id
	}
	m.root, m.rootID = root, rootID
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return "", nil, err
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return id, buf.Bytes(), nil
}

// gzipWriters keeps compressors for encode: making one allocates about a megabyte.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// delta lists the entries of b not in a as they are (added or changed) and the paths of a
// not in b; both lists are sorted by path.
func delta(a, b []Entry) (changed []Entry, removed []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Path < b[j].Path):
			removed = append(removed, a[i].Path)
			i++
		case i == len(a) || b[j].Path < a[i].Path:
			changed = append(changed, b[j])
			j++
		default:
			if a[i] != b[j] {
				changed = append(changed, b[j])
			}
			i++
			j++
		}
	}
	return changed, removed
}

// apply rebuilds a whole manifest from its base and a stored delta.
func (st stored) apply(base *Manifest) *Manifest {
	m := &Manifest{Taken: st.Taken, Excluded: st.Excluded, depth: st.Depth, base: st.Base}
	gone := make(map[string]bool, len(st.Removed))
	for _, p := range st.Removed {
		gone[p] = true
	}
	m.Entries = make([]Entry, 0, len(base.Entries)+len(st.Entries))
	i, j := 0, 0
	for i < len(base.Entries) || j < len(st.Entries) {
		switch {
		case j == len(st.Entries) || (i < len(base.Entries) && base.Entries[i].Path < st.Entries[j].Path):
			if !gone[base.Entries[i].Path] {
				m.Entries = append(m.Entries, base.Entries[i])
			}
			i++
		case i == len(base.Entries) || st.Entries[j].Path < base.Entries[i].Path:
			m.Entries = append(m.Entries, st.Entries[j])
			j++
		default:
			m.Entries = append(m.Entries, st.Entries[j])
			i++
			j++
		}
	}
	return m
}

func decodeStored(r io.Reader) (stored, error) {
	var st stored
	zr, err := gzip.NewReader(r)
	if err != nil {
		return st, fmt.Errorf("checkpoint: read manifest: %w", err)
	}
	defer zr.Close()
	if err := json.NewDecoder(zr).Decode(&st); err != nil {
		return st, fmt.Errorf("checkpoint: read manifest: %w", err)
	}
	return st, nil
}
