package docker

import (
	"context"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/sandboxtest"
)

// factory makes run-scoped sandboxes on the test image from m.
func factory(m *Manager) sandboxtest.Factory {
	return func(t *testing.T, workspace string) sandbox.Sandbox {
		t.Helper()
		sb, err := m.Sandbox(context.Background(), Spec{SessionID: "conformance", Workspace: workspace, Config: testConfig()})
		if err != nil {
			t.Fatalf("Manager.Sandbox() error = %v", err)
		}
		return sb
	}
}

// TestConformanceMount runs the sandbox conformance suite with the
// workspace bind-mounted, as with a local engine.
func TestConformanceMount(t *testing.T) {
	m := newManager(t, Options{Workspace: WorkspaceMount})
	sandboxtest.Run(t, factory(m))
}

// TestConformanceCopy runs the suite with the workspace copied in and out
// through the archive API, as with a remote engine, on the local engine.
func TestConformanceCopy(t *testing.T) {
	m := newManager(t, Options{Workspace: WorkspaceCopy})
	if !m.CopiesWorkspace() {
		t.Fatal("CopiesWorkspace() = false with WorkspaceCopy")
	}
	sandboxtest.Run(t, factory(m))
}
