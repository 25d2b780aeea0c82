package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// openJournal opens a journal in dir (a fresh temp dir when empty), closed when the test ends.
func openJournal(t testing.TB, dir string) *journal.Journal {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	j, err := journal.Open(context.Background(), filepath.Join(dir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// startDemoApp starts the app as the window does, on a real journal in a temp data dir, with
// the demo model, the local sandbox and every approval approved; emit receives its events.
func startDemoApp(t *testing.T, emit Emitter) *App {
	t.Helper()
	dir := t.TempDir()
	j := openJournal(t, dir)
	b := bus.New[agent.Event]()
	runner := agent.New(agent.Config{
		Journal: j, Bus: b, Agents: map[string]agent.Definition{"coder": agent.Builtin()[0]}, Models: demoModels{},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{})
		},
		Tools: tool.Builtin(), DataDir: dir, Approver: approveAll{},
	})
	a := New(Config{Journal: j, Runner: runner, Bus: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(a.Start(context.Background(), emit))
	return a
}
