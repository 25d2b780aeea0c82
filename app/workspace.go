package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/diff"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/workspace"
)

// EventWorkspace carries changes to the watched session's workspace: a WorkspaceBatch.
const EventWorkspace = "corral:workspace"

// maxFileView caps the bytes File returns for the viewer.
const maxFileView = 1 << 20

// Workspace is the workspace panel's service: a session's file tree, a file's content, and
// live changes of the session the panel shows (one watcher at a time).
type Workspace struct {
	journal *journal.Journal
	log     *slog.Logger
	// checkpoints holds the workspace as it was before each run (FileDiff); nil: none kept.
	checkpoints *checkpoint.Store

	mu      sync.Mutex
	base    context.Context
	emit    Emitter
	watched string
	stop    func()
	// pickFolder opens the OS folder dialog; set by the window, nil in `corral serve`.
	pickFolder func(title string) (string, error)
}

// EntryView is one file, directory or link of a workspace tree.
type EntryView struct {
	Path       string    `json:"path"`
	Size       int64     `json:"size"`
	ModTime    time.Time `json:"mod_time"`
	Dir        bool      `json:"dir,omitempty"`
	Symlink    bool      `json:"symlink,omitempty"`
	Ignored    bool      `json:"ignored,omitempty"`
	Unreadable bool      `json:"unreadable,omitempty"`
}

// ChangeView is one change in a WorkspaceBatch.
type ChangeView struct {
	Path  string    `json:"path"`
	Op    string    `json:"op"` // created, modified, removed
	Entry EntryView `json:"entry"`
}

// WorkspaceBatch is the payload of EventWorkspace.
type WorkspaceBatch struct {
	SessionID string       `json:"session_id"`
	Changes   []ChangeView `json:"changes"`
	// Rescan asks the UI to reload the tree (too many changes, or the watcher restarted).
	Rescan  bool   `json:"rescan,omitempty"`
	Mode    string `json:"mode"`              // "notify" or "polling"
	Warning string `json:"warning,omitempty"` // why polling, and how to fix it
	Error   string `json:"error,omitempty"`   // the workspace went away
}

// FileView is a file for the viewer.
type FileView struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Text      string `json:"text,omitempty"`
	Binary    bool   `json:"binary,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
}

func newEntryView(e workspace.Entry) EntryView {
	return EntryView{Path: e.Path, Size: e.Size, ModTime: e.ModTime, Dir: e.Dir, Symlink: e.Symlink, Ignored: e.Ignored, Unreadable: e.Unreadable}
}

// ErrImportedWorkspace means the session was imported: its workspace path was recorded on
// another machine, so it is never listed, read, watched or revealed on this one.
var ErrImportedWorkspace = errors.New("app: the session was imported; its workspace is on another machine and is not opened here")

// dir returns a session's workspace directory on this machine; an imported session has none.
func (w *Workspace) dir(sessionID string) (string, error) {
	s, err := w.journal.Session(context.Background(), sessionID)
	if err != nil {
		return "", err
	}
	if s.Imported() {
		return "", fmt.Errorf("%w (session %s, recorded path %s)", ErrImportedWorkspace, sessionID, s.Workspace)
	}
	return s.Workspace, nil
}

// Tree lists a session's workspace: every entry in tree order, ignored directories
// collapsed.
func (w *Workspace) Tree(sessionID string) ([]EntryView, error) {
	root, err := w.dir(sessionID)
	if err != nil {
		return nil, err
	}
	entries, err := workspace.Snapshot(context.Background(), root, workspace.Options{})
	if err != nil {
		return nil, err
	}
	out := make([]EntryView, len(entries))
	for i, e := range entries {
		out[i] = newEntryView(e)
	}
	return out, nil
}

// File returns a workspace file's content (at most 1 MiB of text), read through the same
// confinement as the agent's tools: nothing outside the workspace.
func (w *Workspace) File(sessionID, path string) (FileView, error) {
	root, err := w.dir(sessionID)
	if err != nil {
		return FileView{}, err
	}
	d, err := sandbox.OpenDir(root)
	if err != nil {
		return FileView{}, err
	}
	defer d.Close()
	info, err := d.Stat(path)
	if err != nil {
		return FileView{}, err
	}
	if info.IsDir() {
		return FileView{}, fmt.Errorf("%s is a directory", path)
	}
	v := FileView{Path: path, Size: info.Size()}
	if info.Size() > maxFileView {
		v.Truncated = true
		return v, nil
	}
	data, err := fs.ReadFile(d, path)
	if err != nil {
		return FileView{}, err
	}
	if diff.Binary(data) != "" {
		v.Binary = true
		return v, nil
	}
	v.Text = string(data)
	return v, nil
}

// Watch makes the panel follow a session's workspace: its changes are emitted as
// EventWorkspace batches until another session is watched or the app stops.
func (w *Workspace) Watch(sessionID string) error {
	root, err := w.dir(sessionID)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.base == nil || w.base.Err() != nil {
		return errors.New("the app is shutting down")
	}
	if w.watched == sessionID {
		return nil
	}
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
	wt, err := workspace.New(root, workspace.Options{})
	if err != nil {
		return err
	}
	if err := wt.Start(w.base); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range wt.Batches() {
			out := WorkspaceBatch{SessionID: sessionID, Rescan: b.Rescan, Mode: string(wt.Mode()), Warning: wt.Warning(), Changes: make([]ChangeView, len(b.Changes))}
			for i, c := range b.Changes {
				out.Changes[i] = ChangeView{Path: c.Path, Op: c.Op.String(), Entry: newEntryView(c.Entry)}
			}
			if b.Err != nil {
				out.Error = b.Err.Error()
			}
			w.emit.Emit(EventWorkspace, out)
		}
	}()
	w.watched = sessionID
	w.stop = func() { wt.Stop(); <-done }
	return nil
}

// Reveal opens a session's workspace in the OS file manager.
func (w *Workspace) Reveal(sessionID string) error {
	root, err := w.dir(sessionID)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", root)
	case "windows":
		cmd = exec.Command("explorer", root)
	default:
		cmd = exec.Command("xdg-open", root)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s: %w", root, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// start lets Workspace watch until stop is called.
func (w *Workspace) start(ctx context.Context, emit Emitter) (stop func()) {
	w.mu.Lock()
	w.base, w.emit = ctx, emit
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.stop != nil {
			w.stop()
			w.stop = nil
		}
		w.watched = ""
	}
}
