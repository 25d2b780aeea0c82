package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/journal"
)

// MaxTitle is the longest session title, in characters.
const MaxTitle = 200

// Errors of deleting a session's workspace. Each refusal changes nothing: the session is
// kept too.
var (
	// ErrWorkspaceNotOwned: the workspace is a directory the person chose (--workspace),
	// not one Corral made; removing it needs its path confirmed.
	ErrWorkspaceNotOwned = errors.New("agent: workspace was not created by Corral")
	// ErrWorkspaceUnsafe: the workspace is a link, not a directory, shared with another
	// session, or a directory no confirmation makes removable (/, home, the data directory).
	ErrWorkspaceUnsafe = errors.New("agent: workspace cannot be removed safely")
)

// RenameSession sets a session's title: spaces and line breaks are collapsed, and an empty
// or over-long title is refused. It returns the title as stored.
func (r *Runner) RenameSession(ctx context.Context, sessionID, title string) (string, error) {
	title = strings.Join(strings.Fields(title), " ")
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "", fmt.Errorf("agent: rename session %s: the title is empty", sessionID)
	case n > MaxTitle:
		return "", fmt.Errorf("agent: rename session %s: the title has %d characters; at most %d", sessionID, n, MaxTitle)
	}
	if err := r.config.Journal.RenameSession(ctx, sessionID, title); err != nil {
		return "", fmt.Errorf("agent: %w", err)
	}
	return title, nil
}

// DeleteOptions say what happens to a deleted session's workspace.
type DeleteOptions struct {
	// RemoveWorkspace removes the workspace directory; otherwise it is kept.
	RemoveWorkspace bool
	// ConfirmWorkspace must be the workspace's path to remove a directory Corral did not
	// create for the session (one chosen with --workspace).
	ConfirmWorkspace string
}

// Deleted is what DeleteSession did.
type Deleted struct {
	SessionID string
	// Runs are the ids of the runs deleted with the session.
	Runs      []string
	Workspace string
	// WorkspaceRemoved reports the directory is gone (or was already).
	WorkspaceRemoved bool
	// Warnings are clean-up steps that failed after the session was deleted (a container
	// the engine would not remove, a file the workspace removal could not delete).
	Warnings []string
}

// WorkspaceInfo says whose a session's workspace is, for the question a person is asked
// before deleting the session.
type WorkspaceInfo struct {
	Path string
	// Owned: Corral created the directory for this session (DataDir/workspaces/SESSION).
	Owned bool
	// Exists: the directory is there.
	Exists bool
	// Removable is empty when the workspace may be removed (after confirming its path when
	// not Owned), else why not.
	Removable string
}

// SessionWorkspace tells whether a session's workspace is Corral's and can be removed.
func (r *Runner) SessionWorkspace(ctx context.Context, sessionID string) (WorkspaceInfo, error) {
	s, err := r.config.Journal.Session(ctx, sessionID)
	if err != nil {
		return WorkspaceInfo{}, fmt.Errorf("agent: %w", err)
	}
	info := WorkspaceInfo{Path: s.Workspace, Owned: r.ownsWorkspace(s)}
	_, err = r.checkRemovable(ctx, s, DeleteOptions{RemoveWorkspace: true, ConfirmWorkspace: s.Workspace})
	var gone *goneError
	switch {
	case errors.As(err, &gone):
	case err != nil:
		info.Exists = true
		info.Removable = strings.TrimPrefix(err.Error(), "agent: ")
	default:
		info.Exists = true
	}
	return info, nil
}

// DeleteSession deletes a session with its runs and steps (refused while one of its runs is
// pending or running: cancel it first), then the Docker containers of its runs (through
// Cleanup) and, when asked, its workspace directory. Whether the workspace can be removed is
// checked before anything is deleted, so a refusal leaves everything as it was. Only the
// directory Corral created for the session is removed without ConfirmWorkspace; a link is
// never followed, and an imported session's workspace (a path from another machine) is
// never removed.
func (r *Runner) DeleteSession(ctx context.Context, sessionID string, opts DeleteOptions) (Deleted, error) {
	s, err := r.config.Journal.Session(ctx, sessionID)
	if err != nil {
		return Deleted{}, fmt.Errorf("agent: %w", err)
	}
	out := Deleted{SessionID: s.ID, Workspace: s.Workspace}
	var remove func() error
	if opts.RemoveWorkspace {
		remove, err = r.checkRemovable(ctx, s, opts)
		var gone *goneError
		switch {
		case errors.As(err, &gone):
			remove = func() error { return nil }
		case err != nil:
			return out, err
		}
	}
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: s.ID})
	if err != nil {
		return out, fmt.Errorf("agent: %w", err)
	}
	if out.Runs, err = r.config.Journal.DeleteSession(ctx, s.ID); err != nil {
		return out, fmt.Errorf("agent: %w", err)
	}
	if r.config.MCP != nil {
		r.config.MCP.ReleaseSession(s.ID) // its MCP servers in this process
	}
	if r.config.Cleanup != nil && usedDocker(runs) {
		if err := r.config.Cleanup(ctx, s.ID); err != nil {
			out.Warnings = append(out.Warnings, fmt.Sprintf("remove the session's containers: %v", err))
		}
	}
	if remove != nil {
		if err := remove(); err != nil {
			out.Warnings = append(out.Warnings, fmt.Sprintf("remove workspace %s: %v", s.Workspace, err))
		} else {
			out.WorkspaceRemoved = true
		}
	}
	return out, nil
}

func usedDocker(runs []journal.Run) bool {
	for _, run := range runs {
		if run.Sandbox == "docker" {
			return true
		}
	}
	return false
}

// managedWorkspace is where Corral creates a session's workspace.
func (r *Runner) managedWorkspace(sessionID string) string {
	if r.config.DataDir == "" {
		return ""
	}
	return filepath.Join(absClean(r.config.DataDir), "workspaces", sessionID)
}

func (r *Runner) ownsWorkspace(s journal.Session) bool {
	m := r.managedWorkspace(s.ID)
	return m != "" && !s.Imported() && s.Workspace != "" && sameDir(s.Workspace, m)
}

func absClean(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// goneError: there is no workspace directory to remove.
type goneError struct{ path string }

func (e *goneError) Error() string { return fmt.Sprintf("agent: workspace %s does not exist", e.path) }

// checkRemovable decides whether the session's workspace may be removed, and returns the
// function that removes it. The removal works through an os.Root on the parent directory,
// so it never leaves that directory whatever links the tree holds.
func (r *Runner) checkRemovable(ctx context.Context, s journal.Session, opts DeleteOptions) (func() error, error) {
	ws := s.Workspace
	if s.Imported() {
		return nil, fmt.Errorf("%w: session %s was imported; its workspace path %s comes from the trace, not from this machine's Corral", ErrWorkspaceUnsafe, s.ID, ws)
	}
	if ws == "" {
		return nil, &goneError{ws}
	}
	ws = absClean(ws)
	fi, err := os.Lstat(ws)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, &goneError{ws}
	case err != nil:
		return nil, fmt.Errorf("agent: workspace %s: %w", ws, err)
	case fi.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("%w: %s is a symbolic link; Corral does not follow it (remove it yourself)", ErrWorkspaceUnsafe, ws)
	case !fi.IsDir():
		return nil, fmt.Errorf("%w: %s is not a directory", ErrWorkspaceUnsafe, ws)
	}
	if !r.ownsWorkspace(s) {
		if reason := r.protected(ws); reason != "" {
			return nil, fmt.Errorf("%w: %s is %s", ErrWorkspaceUnsafe, ws, reason)
		}
		if opts.ConfirmWorkspace == "" || !sameDir(opts.ConfirmWorkspace, ws) {
			return nil, fmt.Errorf("%w: %s was chosen for this session, outside Corral's data; to delete it anyway, confirm its path", ErrWorkspaceNotOwned, ws)
		}
	}
	sessions, err := r.config.Journal.Sessions(ctx)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	for _, other := range sessions {
		if other.ID != s.ID && other.Workspace != "" && sameDir(other.Workspace, ws) {
			return nil, fmt.Errorf("%w: session %s works in %s too; keep the workspace, or delete that session first", ErrWorkspaceUnsafe, other.ID, ws)
		}
	}
	parent, name := filepath.Dir(ws), filepath.Base(ws)
	return func() error {
		root, err := os.OpenRoot(parent)
		if err != nil {
			return err
		}
		defer root.Close()
		return root.RemoveAll(name)
	}, nil
}

// protected says why a directory must never be removed as a workspace, or "".
func (r *Runner) protected(dir string) string {
	if filepath.Dir(dir) == dir {
		return "a file system root"
	}
	within := func(a, b string) bool { // a is b or inside it
		rel, err := filepath.Rel(b, a)
		return err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))))
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" && within(absClean(home), dir) {
		return "your home directory or holds it"
	}
	if r.config.DataDir != "" {
		data := absClean(r.config.DataDir)
		if within(data, dir) {
			return "Corral's data directory or holds it"
		}
		if dir == filepath.Join(data, "workspaces") {
			return "the directory of every session's workspace"
		}
	}
	return ""
}
