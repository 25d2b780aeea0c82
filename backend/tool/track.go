package tool

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/walk"
)

// FileChange is one workspace file a command created, modified or deleted
// (exec's Meta.Changed).
type FileChange struct {
	// Path is workspace relative.
	Path string `json:"path"`
	// Op is "created", "modified" or "deleted".
	Op string `json:"op"`
	// Bytes is the file's size after the command (0 when deleted).
	Bytes int64 `json:"bytes"`
}

// The operations of a FileChange.
const (
	OpCreated  = "created"
	OpModified = "modified"
	OpDeleted  = "deleted"
)

const (
	// defaultMaxTracked is Exec.MaxTrackedFiles's default.
	defaultMaxTracked = 200000
	// maxChangedListed caps Meta.Changed; Meta.ChangedOmitted counts the rest.
	maxChangedListed = 200
	// maxChangedShown caps the files named to the model.
	maxChangedShown = 10
	// trackWorkers read directories at once while snapshotting.
	trackWorkers = 4
)

// fileSig is what a snapshot knows of one regular file: a change to any of
// it marks the file modified.
type fileSig = walk.Info

type namedSig struct {
	name string
	sig  fileSig
}

// errTooManyFiles stops a snapshot over its limit.
var errTooManyFiles = errors.New("tool: too many files to track")

// snapshot lists the regular files of the workspace as glob and grep see
// them (version-control directories and ignored paths skipped, symbolic
// links not followed) with their signatures. It fails with errTooManyFiles
// past limit files.
func snapshot(ctx context.Context, files sandbox.Files, limit int) (map[string]fileSig, error) {
	parts := make([][]namedSig, trackWorkers)
	var n atomic.Int64
	w := &walker{files: files, workers: trackWorkers}
	err := w.walk(ctx, ".", func(worker int, f fileEntry) error {
		if n.Add(1) > int64(limit) {
			return errTooManyFiles
		}
		fi, err := f.entry.Info()
		if err != nil {
			if errors.Is(err, sandbox.ErrUnavailable) {
				return err
			}
			return nil // gone since the directory was read
		}
		parts[worker] = append(parts[worker], namedSig{f.name, walk.Stat(fi)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]fileSig, n.Load())
	for _, p := range parts {
		for _, e := range p {
			out[e.name] = e.sig
		}
	}
	return out, nil
}

// compareSnapshots returns the files that differ between before and after,
// sorted by path. A file missing from after is deleted only if it is no
// longer a regular file: one that is still there became ignored (or a
// link), and ignored paths are not tracked.
func compareSnapshots(files sandbox.Files, before, after map[string]fileSig) []FileChange {
	var out []FileChange
	for name, a := range after {
		b, ok := before[name]
		switch {
		case !ok:
			out = append(out, FileChange{Path: name, Op: OpCreated, Bytes: a.Size})
		case a != b:
			out = append(out, FileChange{Path: name, Op: OpModified, Bytes: a.Size})
		}
	}
	for name := range before {
		if _, ok := after[name]; ok {
			continue
		}
		fi, err := files.Stat(name)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
			out = append(out, FileChange{Path: name, Op: OpDeleted})
		}
	}
	slices.SortFunc(out, func(a, b FileChange) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// untrackedReason says why a snapshot failed, for Meta.Untracked.
func untrackedReason(err error, limit int) string {
	switch {
	case errors.Is(err, errTooManyFiles):
		return fmt.Sprintf("the workspace has more than %d files, the limit for tracking changed files", limit)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "listing the workspace was cancelled"
	default:
		return "listing the workspace failed: " + err.Error()
	}
}

// changedLine is the line that tells the model which files a command
// changed: "Files changed: a.txt (new), b.go, c.txt (deleted)", the first
// few by name.
func changedLine(changed []FileChange) string {
	var b strings.Builder
	b.WriteString("Files changed: ")
	for i, c := range changed[:min(len(changed), maxChangedShown)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Path)
		switch c.Op {
		case OpCreated:
			b.WriteString(" (new)")
		case OpDeleted:
			b.WriteString(" (deleted)")
		}
	}
	if rest := len(changed) - min(len(changed), maxChangedShown); rest > 0 {
		fmt.Fprintf(&b, " and %d more", rest)
	}
	return b.String()
}
