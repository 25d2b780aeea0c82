package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/corral-dev/corral/backend/changes"
	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/diff"
	"github.com/corral-dev/corral/backend/journal"
)

// RunFileDiff is what a run did to one file, as one diff: the file as it was before the run
// (its first checkpoint) against the file after the run's last step that changed it, or
// against the file in the workspace now.
type RunFileDiff struct {
	Path string `json:"path"`
	// Op is "created", "modified", "deleted" or "unchanged" (the two states are equal).
	Op      string `json:"op"`
	Diff    string `json:"diff,omitempty"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
	// Steps are the run's steps that changed the file (write, edit, or a command that
	// listed it), in order.
	Steps []int `json:"steps"`
	// Binary is set when either side is not text (binary, or over 256 KiB): no diff.
	Binary bool `json:"binary,omitempty"`
	// Note says why there is no diff, when there is none.
	Note string `json:"note,omitempty"`
}

// FileDiff returns one file's change over a run as one diff (several edits of it are one
// net change), with the steps that made it: from the workspace's checkpoint before the run
// to its checkpoint after the last of those steps, or, with now, to the file in the
// workspace as it is (what the file viewer shows). path is relative to the workspace.
func (w *Workspace) FileDiff(runID, path string, now bool) (RunFileDiff, error) {
	ctx := context.Background()
	run, err := w.journal.Run(ctx, runID)
	if err != nil {
		return RunFileDiff{}, err
	}
	steps, err := w.journal.Steps(ctx, runID)
	if err != nil {
		return RunFileDiff{}, err
	}
	out := RunFileDiff{Path: path, Steps: stepsChanging(changes.Changes(steps), path)}
	if w.checkpoints == nil {
		out.Note = "This Corral keeps no checkpoints, so the file before the run is not known."
		return out, nil
	}
	from, err := w.checkpoints.At(ctx, run, 0, false)
	if err != nil {
		out.Note = "No checkpoint holds the workspace before this run (it changed nothing, or ran before Corral kept checkpoints)."
		return out, nil
	}
	before, existed, err := w.checkpoints.Text(from, path)
	if err == nil {
		var after string
		var exists bool
		if after, exists, err = w.afterRun(ctx, run, out.Steps, path, now); err == nil {
			return netDiff(out, before, after, existed, exists), nil
		}
	}
	var ex *checkpoint.ExcludedError
	switch {
	case errors.As(err, &ex):
		out.Binary, out.Note = true, fmt.Sprintf("Checkpoints leave this file out (%s), so what it held is not known: no diff.", ex.Reason)
	case errors.Is(err, checkpoint.ErrNotText) || errors.Is(err, errNotText):
		out.Binary, out.Note = true, "The file is binary or over 256 KiB: no diff."
	default:
		return RunFileDiff{}, err
	}
	return out, nil
}

// netDiff fills out with the diff from before to after.
func netDiff(out RunFileDiff, before, after string, existed, exists bool) RunFileDiff {
	switch {
	case !existed && !exists:
		out.Op, out.Note = "unchanged", "The file did not exist before the run and does not now."
		return out
	case !existed:
		out.Op = "created"
	case !exists:
		out.Op = "deleted"
	case before == after:
		out.Op = "unchanged"
		return out
	default:
		out.Op = "modified"
	}
	d := diff.Lines(before, after, diff.DefaultContext)
	oldName, newName := "a/"+out.Path, "b/"+out.Path
	if !existed {
		oldName = "/dev/null"
	}
	if !exists {
		newName = "/dev/null"
	}
	out.Diff, out.Added, out.Removed = d.Unified(oldName, newName), d.Added, d.Removed
	return out
}

// errNotText means the workspace's file is binary or over the viewer's limit.
var errNotText = errors.New("app: not a text file")

// afterRun returns the file in the workspace now, or as the checkpoint after the last of
// the steps that changed it (after the run's last checkpoint when none did) holds it.
func (w *Workspace) afterRun(ctx context.Context, run journal.Run, steps []int, path string, now bool) (string, bool, error) {
	if now {
		v, err := w.File(run.SessionID, path)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		if v.Binary || v.Truncated {
			return "", true, fmt.Errorf("%w: %s", errNotText, path)
		}
		return v.Text, true, nil
	}
	last := 1 << 30 // after everything the run did
	if len(steps) > 0 {
		last = steps[len(steps)-1]
	}
	to, err := w.checkpoints.At(ctx, run, last, true)
	if err != nil {
		return "", false, fmt.Errorf("app: the workspace after step %d: %w", last, err)
	}
	return w.checkpoints.Text(to, path)
}

// stepsChanging returns the seqs of the steps that changed path, in order.
func stepsChanging(list []changes.Step, path string) []int {
	out := []int{}
	for _, c := range list {
		if c.Path == path && c.Tool != "exec" && c.Source == changes.Unknown {
			out = append(out, c.Seq) // a write or edit of the file whose outcome is unknown
			continue
		}
		if slices.ContainsFunc(c.Files, func(f changes.File) bool { return f.Path == path }) {
			out = append(out, c.Seq)
		}
	}
	return out
}
