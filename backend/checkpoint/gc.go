package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gcGrace keeps files younger than this through a sweep: another process may have written
// them for a checkpoint it has not recorded yet.
const gcGrace = time.Hour

// Usage is what the store holds on disk.
type Usage struct {
	Checkpoints int   `json:"checkpoints"`
	Manifests   int   `json:"manifests"`
	Blobs       int   `json:"blobs"`
	Bytes       int64 `json:"bytes"`
	// Budget is the size the store may reach (0: no budget).
	Budget int64 `json:"budget"`
}

// GCResult says what a collection removed and what is left.
type GCResult struct {
	// Checkpoints counts the records removed to fit the budget (oldest first).
	Checkpoints int   `json:"checkpoints"`
	Manifests   int   `json:"manifests"`
	Blobs       int   `json:"blobs"`
	Freed       int64 `json:"freed"`
	Usage       Usage `json:"usage"`
}

// Usage measures the store.
func (s *Store) Usage(ctx context.Context) (Usage, error) {
	u := Usage{Budget: s.opts.Budget}
	list, err := s.journal.AllCheckpoints(ctx)
	if err != nil {
		return u, fmt.Errorf("checkpoint: %w", err)
	}
	u.Checkpoints = len(list)
	for _, sub := range []string{"manifests", "blobs"} {
		n, size, err := dirUsage(filepath.Join(s.dir, sub))
		if err != nil {
			return u, err
		}
		u.Bytes += size
		if sub == "blobs" {
			u.Blobs = n
		} else {
			u.Manifests = n
		}
	}
	return u, nil
}

func dirUsage(dir string) (n int, size int64, err error) {
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n++
				size += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: usage: %w", err)
	}
	return n, size, nil
}

// GC removes the files no checkpoint names any more (those of deleted sessions and runs go
// with their records), then, while the store is over its budget, the oldest checkpoints
// (a tenth at a time) and what only they named.
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.last) // a cached manifest may be swept
	var res GCResult
	for round := 0; round < 50; round++ {
		if err := s.sweep(ctx, &res); err != nil {
			return res, err
		}
		u, err := s.Usage(ctx)
		if err != nil {
			return res, err
		}
		res.Usage = u
		if s.opts.Budget <= 0 || u.Bytes <= s.opts.Budget || u.Checkpoints == 0 {
			return res, nil
		}
		list, err := s.journal.AllCheckpoints(ctx)
		if err != nil {
			return res, fmt.Errorf("checkpoint: %w", err)
		}
		n := max(1, len(list)/10)
		ids := make([]string, 0, n)
		for _, c := range list[:n] {
			ids = append(ids, c.ID)
		}
		if err := s.journal.DeleteCheckpoints(ctx, ids); err != nil {
			return res, fmt.Errorf("checkpoint: %w", err)
		}
		res.Checkpoints += n
	}
	return res, nil
}

// sweep deletes manifests no checkpoint names and blobs no kept manifest names.
func (s *Store) sweep(ctx context.Context, res *GCResult) error {
	ids, err := s.journal.Manifests(ctx)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	keep := map[string]bool{}
	live := map[string]bool{}
	for _, id := range ids {
		for _, c := range s.chain(id) {
			keep[c] = true
		}
		m, err := s.Load(id)
		if err != nil {
			continue
		}
		for _, e := range m.Entries {
			if e.Hash != "" {
				live[e.Hash] = true
			}
		}
	}
	cutoff := time.Now().Add(-s.grace)
	old := func(p string) (int64, bool) {
		info, err := os.Stat(p)
		if err != nil {
			return 0, false
		}
		return info.Size(), !info.ModTime().After(cutoff)
	}
	manifests := filepath.Join(s.dir, "manifests")
	err = filepath.WalkDir(manifests, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		id := filepath.Base(filepath.Dir(p)) + strings.TrimSuffix(d.Name(), ".json.gz")
		if size, ok := old(p); ok && !keep[id] && os.Remove(p) == nil {
			res.Manifests++
			res.Freed += size
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.blobs.each(func(hash string, size int64) error {
		if live[hash] {
			return nil
		}
		p := s.blobs.path(hash)
		if _, ok := old(p); ok && os.Remove(p) == nil {
			res.Blobs++
			res.Freed += size
		}
		return nil
	})
}

// chain lists a manifest and the bases its deltas stand on.
func (s *Store) chain(id string) []string {
	out := []string{id}
	for len(out) <= maxDepth+1 {
		data, err := os.ReadFile(s.manifestPath(id))
		if err != nil {
			break
		}
		st, err := decodeStored(bytes.NewReader(data))
		if err != nil || st.Base == "" {
			break
		}
		id = st.Base
		out = append(out, id)
	}
	return out
}
