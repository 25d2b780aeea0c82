package app

import (
	"context"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
)

// SessionEvent is the payload of EventSessions: a session renamed or deleted, so every
// window and browser showing the list updates.
type SessionEvent struct {
	// Type is "session.renamed" or "session.deleted".
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
	Title     string `json:"title,omitempty"` // session.renamed
	// RunIDs are the runs deleted with the session (session.deleted).
	RunIDs []string `json:"run_ids,omitempty"`
}

// The SessionEvent types.
const (
	SessionRenamed = "session.renamed"
	SessionDeleted = "session.deleted"
)

// WorkspaceChoice is what the delete dialog shows about a session's workspace.
type WorkspaceChoice struct {
	Path string `json:"path"`
	// Owned: Corral created the directory for the session; removing it needs no more than
	// the choice. Otherwise the person chose it and must confirm its path.
	Owned  bool `json:"owned"`
	Exists bool `json:"exists"`
	// Removable is empty when the workspace may be removed, else why not.
	Removable string `json:"removable,omitempty"`
	// Imported sessions have no workspace of their own here.
	Imported bool `json:"imported,omitempty"`
	// LiveRuns are runs that must be cancelled before the session can be deleted.
	LiveRuns []string `json:"live_runs,omitempty"`
}

// DeleteRequest is what the delete dialog sends.
type DeleteRequest struct {
	RemoveWorkspace bool `json:"remove_workspace"`
	// ConfirmWorkspace is the workspace path, repeated to remove a directory Corral did not
	// create.
	ConfirmWorkspace string `json:"confirm_workspace,omitempty"`
}

// DeleteResult says what a delete did.
type DeleteResult struct {
	SessionID        string   `json:"session_id"`
	RunIDs           []string `json:"run_ids"`
	Workspace        string   `json:"workspace"`
	WorkspaceRemoved bool     `json:"workspace_removed"`
	Warnings         []string `json:"warnings,omitempty"`
}

// RenameSession sets a session's title (trimmed; empty or over 200 characters is refused)
// and tells every window.
func (r *Runs) RenameSession(sessionID, title string) (string, error) {
	got, err := r.runner.RenameSession(context.Background(), sessionID, title)
	if err != nil {
		return "", err
	}
	r.emitSession(SessionEvent{Type: SessionRenamed, SessionID: sessionID, Title: got})
	return got, nil
}

// SessionWorkspace tells the delete dialog whose the session's workspace is and whether the
// session can be deleted now.
func (r *Runs) SessionWorkspace(sessionID string) (WorkspaceChoice, error) {
	ctx := context.Background()
	s, err := r.journal.Session(ctx, sessionID)
	if err != nil {
		return WorkspaceChoice{}, err
	}
	info, err := r.runner.SessionWorkspace(ctx, sessionID)
	if err != nil {
		return WorkspaceChoice{}, err
	}
	out := WorkspaceChoice{Path: info.Path, Owned: info.Owned, Exists: info.Exists, Removable: info.Removable, Imported: s.Imported()}
	runs, err := r.journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return WorkspaceChoice{}, err
	}
	for _, run := range runs {
		if run.Status == journal.RunPending || run.Status == journal.RunRunning {
			out.LiveRuns = append(out.LiveRuns, run.ID)
		}
	}
	return out, nil
}

// DeleteSession deletes a session with its runs and steps, the Docker containers of its runs
// and, when asked, its workspace (see agent.Runner.DeleteSession for what is refused), and
// tells every window.
func (r *Runs) DeleteSession(sessionID string, req DeleteRequest) (DeleteResult, error) {
	got, err := r.runner.DeleteSession(context.Background(), sessionID, agent.DeleteOptions{
		RemoveWorkspace: req.RemoveWorkspace, ConfirmWorkspace: req.ConfirmWorkspace,
	})
	if err != nil {
		return DeleteResult{}, err
	}
	if r.forget != nil {
		r.forget(sessionID) // the workspace panel stops following it
	}
	for _, w := range got.Warnings {
		r.log.Warn("delete session", "session", sessionID, "warning", w)
	}
	if got.Runs == nil {
		got.Runs = []string{}
	}
	r.emitSession(SessionEvent{Type: SessionDeleted, SessionID: sessionID, RunIDs: got.Runs})
	return DeleteResult{SessionID: got.SessionID, RunIDs: got.Runs, Workspace: got.Workspace, WorkspaceRemoved: got.WorkspaceRemoved, Warnings: got.Warnings}, nil
}

func (r *Runs) emitSession(ev SessionEvent) {
	r.mu.Lock()
	emit := r.emit
	r.mu.Unlock()
	if emit != nil {
		emit.Emit(EventSessions, ev)
	}
}
