package app

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/changes"
	"github.com/corral-dev/corral/backend/journal"
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
	cs := []changes.Step{c}
	w.reword(runID, steps, cs)
	return cs[0], nil
}

// reword says of a step the journal has as started what it is by the run's status: in a
// live run it is still running (not cut off), in a cancelled run the person cut it off.
// It changes the notes of cs in place.
func (w *Workspace) reword(runID string, steps []journal.Step, cs []changes.Step) {
	run, err := w.journal.Run(context.Background(), runID)
	if err != nil {
		return
	}
	started := map[int]bool{}
	for _, st := range steps {
		if st.Status == journal.StepStarted && !st.RerunPending {
			started[st.Seq] = true
		}
	}
	for i := range cs {
		if !started[cs[i].Seq] {
			continue
		}
		switch run.Status {
		case journal.RunRunning, journal.RunPending:
			cs[i].Note = "This call is still running; what it changes shows when it ends."
		case journal.RunCancelled:
			cs[i].Note = "You cancelled this call while it ran; whether it changed files is unknown."
		}
	}
}

// RunChanges lists the steps of a run that can change files (write, edit, exec) with the
// files each changed and their line counts, without the diffs (StepChanges has them).
func (w *Workspace) RunChanges(runID string) ([]changes.Step, error) {
	steps, err := w.journal.Steps(context.Background(), runID)
	if err != nil {
		return nil, err
	}
	out := changes.Changes(steps)
	w.reword(runID, steps, out)
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
