package checkpoint

import (
	"context"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/journal"
)

// FileChange is a regular file that differs between two checkpoints, as exec's change
// tracking reports one.
type FileChange struct {
	Path string
	// Op is "created", "modified" (content or any of mode, size, mtime, ctime, inode) or
	// "deleted" (no longer a regular file).
	Op   string
	Size int64 // after; 0 when deleted
}

// Compare returns the regular files that differ from checkpoint a to checkpoint b, sorted
// by path. It reads two manifests and no file: with the watcher, what a step changed costs
// what changed, not the size of the tree.
func (s *Store) Compare(ctx context.Context, a, b journal.Checkpoint) ([]FileChange, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if a.Manifest == b.Manifest {
		return nil, nil
	}
	am, err := s.Load(a.Manifest)
	if err != nil {
		return nil, err
	}
	bm, err := s.Load(b.Manifest)
	if err != nil {
		return nil, err
	}
	return compareFiles(am, bm), nil
}

func compareFiles(a, b *Manifest) []FileChange {
	var out []FileChange
	for _, e := range b.Entries {
		if e.Type != TypeFile {
			continue
		}
		switch p, ok := a.Get(e.Path); {
		case !ok || p.Type != TypeFile:
			out = append(out, FileChange{Path: e.Path, Op: "created", Size: e.Size})
		case p != e:
			out = append(out, FileChange{Path: e.Path, Op: "modified", Size: e.Size})
		}
	}
	for _, e := range a.Entries {
		if e.Type != TypeFile {
			continue
		}
		if n, ok := b.Get(e.Path); !ok || n.Type != TypeFile {
			out = append(out, FileChange{Path: e.Path, Op: "deleted"})
		}
	}
	slices.SortFunc(out, func(x, y FileChange) int { return strings.Compare(x.Path, y.Path) })
	return out
}
