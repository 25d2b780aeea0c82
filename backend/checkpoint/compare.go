package checkpoint

import (
	"context"
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

// compareFiles walks the two sorted entry lists side by side (no index, no allocation but
// the answer).
func compareFiles(a, b *Manifest) []FileChange {
	var out []FileChange
	ae, be := a.Entries, b.Entries
	i, j := 0, 0
	for i < len(ae) || j < len(be) {
		var c int
		switch {
		case i == len(ae):
			c = 1
		case j == len(be):
			c = -1
		default:
			c = strings.Compare(ae[i].Path, be[j].Path)
		}
		switch {
		case c < 0: // only in a
			if ae[i].Type == TypeFile {
				out = append(out, FileChange{Path: ae[i].Path, Op: "deleted"})
			}
			i++
		case c > 0: // only in b
			if be[j].Type == TypeFile {
				out = append(out, FileChange{Path: be[j].Path, Op: "created", Size: be[j].Size})
			}
			j++
		default:
			p, e := ae[i], be[j]
			switch {
			case p.Type == TypeFile && e.Type != TypeFile:
				out = append(out, FileChange{Path: p.Path, Op: "deleted"})
			case p.Type != TypeFile && e.Type == TypeFile:
				out = append(out, FileChange{Path: e.Path, Op: "created", Size: e.Size})
			case e.Type == TypeFile && p != e:
				out = append(out, FileChange{Path: e.Path, Op: "modified", Size: e.Size})
			}
			i++
			j++
		}
	}
	return out
}
