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
)

// Manifest is the state of a workspace at one checkpoint: every entry, sorted by path, and
// what was left out.
type Manifest struct {
	// Taken is when the scan began (unix nanoseconds): a later scan trusts an entry's hash
	// by its stat only if the file was last modified well before.
	Taken    int64      `json:"taken"`
	Entries  []Entry    `json:"entries"`
	Excluded []Excluded `json:"excluded,omitempty"`

	index map[string]int // path -> position in Entries, built on first use
}

// Get returns the entry for a path.
func (m *Manifest) Get(path string) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	if m.index == nil {
		m.index = make(map[string]int, len(m.Entries))
		for i, e := range m.Entries {
			m.index[e.Path] = i
		}
	}
	i, ok := m.index[path]
	if !ok {
		return Entry{}, false
	}
	return m.Entries[i], true
}

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

// encode returns the manifest's id (the sha256 of its JSON) and its gzipped JSON.
func (m *Manifest) encode() (string, []byte, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return "", nil, fmt.Errorf("checkpoint: encode manifest: %w", err)
	}
	sum := sha256.Sum256(raw)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(raw); err != nil {
		return "", nil, err
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(sum[:]), buf.Bytes(), nil
}

func decodeManifest(r io.Reader) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: read manifest: %w", err)
	}
	defer zr.Close()
	var m Manifest
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("checkpoint: read manifest: %w", err)
	}
	return &m, nil
}
