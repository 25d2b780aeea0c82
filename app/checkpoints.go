package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// Checkpoints is the bound service behind "Restore to here" and "Fork from here": a run's
// checkpoints, a restore's preview, the restore and its undo, forks, and the store's usage.
type Checkpoints struct {
	store  *checkpoint.Store // nil: this Corral keeps no checkpoints
	runner *agent.Runner
}

// errNoCheckpoints answers every call when no store was configured.
var errNoCheckpoints = errors.New("app: this Corral keeps no checkpoints")

// CheckpointView is one checkpoint of a run.
type CheckpointView struct {
	ID    string `json:"id"`
	Seq   int    `json:"seq"`
	Phase string `json:"phase"`
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
	// AddedBytes is what the checkpoint added to the store.
	AddedBytes int64 `json:"added_bytes"`
	// Excluded is what the checkpoint left out and why, shown next to it.
	Excluded  []checkpoint.Excluded `json:"excluded"`
	CreatedAt time.Time             `json:"created_at"`
}

// RestoreRequest names the point to restore a run's workspace to.
type RestoreRequest struct {
	RunID string `json:"run_id"`
	Seq   int    `json:"seq"`
	// After: the workspace as the step left it; otherwise as it was just before it.
	After bool `json:"after"`
	// Git restores .git too.
	Git bool `json:"git"`
}

// RestorePreview is what a restore would change, for the dialog.
type RestorePreview struct {
	CheckpointID string                `json:"checkpoint_id"`
	Workspace    string                `json:"workspace"`
	Changes      []checkpoint.Change   `json:"changes"`
	Excluded     []checkpoint.Excluded `json:"excluded"`
	Warnings     []string              `json:"warnings"`
}

// RestoreView is a finished restore.
type RestoreView struct {
	RestorePreview
	// UndoID is the checkpoint taken just before; Undo restores it.
	UndoID string `json:"undo_id"`
}

// ForkView is a session forked from a step.
type ForkView struct {
	SessionID   string `json:"session_id"`
	Workspace   string `json:"workspace"`
	FromSession string `json:"from_session"`
	FromRun     string `json:"from_run"`
	AtSeq       int    `json:"at_seq"`
	Warning     string `json:"warning,omitempty"`
}

// List returns a run's checkpoints, oldest first.
func (c *Checkpoints) List(runID string) ([]CheckpointView, error) {
	if c.store == nil {
		return nil, errNoCheckpoints
	}
	list, err := c.store.List(context.Background(), runID)
	if err != nil {
		return nil, err
	}
	out := make([]CheckpointView, 0, len(list))
	for _, k := range list {
		out = append(out, NewCheckpointView(k))
	}
	return out, nil
}

// NewCheckpointView is the view of a journal checkpoint: the window's and `corral
// checkpoints --json`'s. What it left out is never null.
func NewCheckpointView(k journal.Checkpoint) CheckpointView {
	v := CheckpointView{ID: k.ID, Seq: k.Seq, Phase: k.Phase, Files: k.Files, Bytes: k.Bytes, AddedBytes: k.AddedBytes, CreatedAt: k.CreatedAt}
	if err := json.Unmarshal(k.Excluded, &v.Excluded); err != nil || v.Excluded == nil {
		v.Excluded = []checkpoint.Excluded{}
	}
	return v
}

// Preview says what restoring the run's workspace to the point would change (text diffs,
// sizes for binaries), changing nothing.
func (c *Checkpoints) Preview(req RestoreRequest) (RestorePreview, error) {
	if c.store == nil {
		return RestorePreview{}, errNoCheckpoints
	}
	p, err := c.store.PreviewStep(context.Background(), req.RunID, req.Seq, req.After, checkpoint.RestoreOptions{Git: req.Git})
	if err != nil {
		return RestorePreview{}, err
	}
	return previewView(p), nil
}

func previewView(p checkpoint.Plan) RestorePreview {
	return RestorePreview{CheckpointID: p.Target.ID, Workspace: p.Target.Workspace, Changes: p.Changes, Excluded: p.Excluded, Warnings: p.Warnings}
}

// Restore puts the run's workspace back to the point, after checkpointing it as it is (the
// undo). It is refused while a run of the session is running.
func (c *Checkpoints) Restore(req RestoreRequest) (RestoreView, error) {
	if c.store == nil {
		return RestoreView{}, errNoCheckpoints
	}
	res, err := c.store.RestoreStep(context.Background(), req.RunID, req.Seq, req.After, checkpoint.RestoreOptions{Git: req.Git})
	if err != nil {
		return RestoreView{}, err
	}
	return RestoreView{RestorePreview: previewView(res.Plan), UndoID: res.Undo.ID}, nil
}

// Undo undoes the run's latest restore.
func (c *Checkpoints) Undo(runID string, git bool) (RestoreView, error) {
	if c.store == nil {
		return RestoreView{}, errNoCheckpoints
	}
	res, err := c.store.Undo(context.Background(), runID, checkpoint.RestoreOptions{Git: git})
	if err != nil {
		return RestoreView{}, err
	}
	return RestoreView{RestorePreview: previewView(res.Plan), UndoID: res.Undo.ID}, nil
}

// Fork makes a new session from step seq of a run: the conversation up to there and a copy
// of the workspace as it was after that step.
func (c *Checkpoints) Fork(runID string, seq int) (ForkView, error) {
	f, err := c.runner.Fork(context.Background(), runID, seq)
	if err != nil {
		return ForkView{}, err
	}
	return ForkView{SessionID: f.Session.ID, Workspace: f.Session.Workspace, FromSession: f.Fork.FromSession,
		FromRun: f.Fork.FromRun, AtSeq: f.Fork.AtSeq, Warning: f.Warning}, nil
}

// Usage is the checkpoint store's size and budget, for the Settings line.
func (c *Checkpoints) Usage() (checkpoint.Usage, error) {
	if c.store == nil {
		return checkpoint.Usage{}, errNoCheckpoints
	}
	return c.store.Usage(context.Background())
}

// forkViews maps forked sessions to where they came from, for the sidebar.
func forkViews(ctx context.Context, j *journal.Journal) (map[string]*ForkView, error) {
	forks, err := j.Forks(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*ForkView, len(forks))
	for _, f := range forks {
		out[f.SessionID] = &ForkView{SessionID: f.SessionID, FromSession: f.FromSession, FromRun: f.FromRun, AtSeq: f.AtSeq}
	}
	return out, nil
}
