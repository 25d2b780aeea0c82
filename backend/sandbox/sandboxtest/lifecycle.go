package sandboxtest

import (
	"context"
	"errors"
	"path"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
)

func testLifecycle(t *testing.T, newSandbox Factory) {
	t.Run("Info", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		info := b.sb.Info()
		if info.Kind == "" {
			t.Errorf("Info().Kind is empty")
		}
		if info.Workspace != b.workspace {
			t.Errorf("Info().Workspace = %q, want the host directory %q", info.Workspace, b.workspace)
		}
		if !path.IsAbs(info.WorkDir) {
			t.Errorf("Info().WorkDir = %q, want an absolute path", info.WorkDir)
		}
	})

	t.Run("Close", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		if err := b.sb.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if err := b.sb.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil (idempotent)", err)
		}
		_, err := b.sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"})
		if !errors.Is(err, sandbox.ErrUnavailable) {
			t.Errorf("Exec after Close error = %v, want %v", err, sandbox.ErrUnavailable)
		}
		if _, err := b.files.ReadFile("any"); !errors.Is(err, sandbox.ErrUnavailable) {
			t.Errorf("ReadFile after Close error = %v, want %v", err, sandbox.ErrUnavailable)
		}
		if err := b.files.WriteFile("any", nil, 0o644); !errors.Is(err, sandbox.ErrUnavailable) {
			t.Errorf("WriteFile after Close error = %v, want %v", err, sandbox.ErrUnavailable)
		}
	})
}
