package app

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/changes"
)

// StepChanges returns what one step of a run changed: the files a write or an edit changed,
// as diffs, and for a command (exec) the files it created, modified or deleted (listed, no
// diffs), or that its changes are not known. A step that is not a write, edit or exec is an
// error.
func (w *Workspace) StepChanges(runID string, seq int) (changes.Step, error) {
	steps, err := w.journal.Steps(context.Background(), runID)
	if err != nil {
		return changes.Step{}, err
	}
	c, ok := changes.Of(steps, seq)
	if !ok {
		return changes.Step{}, fmt.Errorf("step %d of run %s is not a write, edit or exec step", seq, runID)
	}
	return c, nil
}

// RunChanges lists the steps of a run that can change files (write, edit, exec) with the
// files each changed and their line counts, without the diffs (StepChanges has them).
func (w *Workspace) RunChanges(runID string) ([]changes.Step, error) {
	steps, err := w.journal.Steps(context.Background(), runID)
	if err != nil {
		return nil, err
	}
	out := changes.Changes(steps)
	for i := range out {
		for j := range out[i].Files {
			out[i].Files[j].Diff = ""
		}
	}
	if out == nil {
		out = []changes.Step{}
	}
	return out, nil
}

// forget stops following a session's workspace (it was deleted).
func (w *Workspace) forget(sessionID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watched != sessionID {
		return
	}
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
	w.watched = ""
}
