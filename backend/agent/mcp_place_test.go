package agent

import (
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// TestMCPPlace: runs of a session share their MCP servers only while their
// sandboxes confine alike: the same workspace, network and added writable
// paths; a run-scoped container's servers are the run's.
func TestMCPPlace(t *testing.T) {
	t.Parallel()
	ws, extra := t.TempDir(), t.TempDir()
	open := func(opts local.Options) *local.Sandbox {
		sb, err := local.New(ws, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sb.Close() })
		return sb
	}
	l := &loop{run: journal.Run{ID: "run_1", SessionID: "ses_1"}, cfg: RunConfig{Sandbox: "local"}}
	base := l.mcpPlace(open(local.Options{}))
	tests := []struct {
		name  string
		place func() string
		same  bool
	}{
		{"another drive, same settings", func() string { return l.mcpPlace(open(local.Options{})).Sandbox }, true},
		{"another run of the session", func() string {
			l2 := &loop{run: journal.Run{ID: "run_2", SessionID: "ses_1"}, cfg: RunConfig{Sandbox: "local"}}
			return l2.mcpPlace(open(local.Options{})).Sandbox
		}, true},
		{"a writable path added", func() string { return l.mcpPlace(open(local.Options{Writable: []string{extra}})).Sandbox }, false},
		{"network allowed", func() string { return l.mcpPlace(open(local.Options{Network: true})).Sandbox }, local.Probe().Mechanism == "none"},
		{"a run-scoped container", func() string {
			l2 := &loop{run: journal.Run{ID: "run_2", SessionID: "ses_1"}, cfg: RunConfig{Sandbox: "docker"}}
			return l2.mcpPlace(open(local.Options{})).Sandbox
		}, false},
	}
	for _, tt := range tests {
		if got := tt.place() == base.Sandbox; got != tt.same {
			t.Errorf("%s: same place %v, want %v", tt.name, got, tt.same)
		}
	}
	if base.Session != "ses_1" || !base.Own {
		t.Errorf("place = %+v, want session ses_1, owned by the Host", base)
	}
}
