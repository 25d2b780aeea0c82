package agent

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
)

func TestDefinitionValidate(t *testing.T) {
	t.Parallel()
	ok := Definition{ID: "reviewer", Tools: []string{"read", "grep"}, MaxSteps: 10}
	tests := []struct {
		name string
		mod  func(*Definition)
		want string // "" means valid
	}{
		{"Valid", func(*Definition) {}, ""},
		{"EmptyID", func(d *Definition) { d.ID = "" }, "id is empty"},
		{"IDWithSpace", func(d *Definition) { d.ID = "my agent" }, "id \"my agent\""},
		{"UnknownTool", func(d *Definition) { d.Tools = []string{"read", "browse"} }, "unknown tool \"browse\""},
		{"ToolTwice", func(d *Definition) { d.Tools = []string{"read", "read"} }, "listed twice"},
		{"UnknownProvider", func(d *Definition) { d.Provider = "cohere" }, "provider \"cohere\""},
		{"NegativeSteps", func(d *Definition) { d.MaxSteps = -1 }, "max steps"},
		{"BadPolicy", func(d *Definition) { d.Approval.Exec = "sometimes" }, "exec \"sometimes\""},
		{"BadRule", func(d *Definition) { d.Rules.Allow = []string{"npm test"} }, "rules"},
		{"GoodRule", func(d *Definition) { d.Rules.Allow = []string{"exec(npm test)"} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := ok
			d.Tools = append([]string(nil), ok.Tools...)
			tt.mod(&d)
			err := d.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadDefinition) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want ErrBadDefinition about %q", err, tt.want)
			}
		})
	}
}

func TestSaveAndDeleteDefinition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A hand-written entry that changes one field of the built-in agent is kept as written.
	hand := `{"agents": [{"id": "coder", "model": "hand-picked"}]}`
	if err := os.WriteFile(filepath.Join(dir, agentsFile), []byte(hand), 0o600); err != nil {
		t.Fatal(err)
	}
	rev := Definition{ID: "reviewer", Provider: "demo", System: "Review.", Tools: []string{"read", "grep"}, MaxSteps: 5,
		Approval: approval.Policy{Exec: approval.ExecAllowlist}}
	if err := SaveDefinition(dir, "", rev); err != nil {
		t.Fatal(err)
	}
	defs, err := LoadDefinitions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := defs["reviewer"]; got.System != "Review." || got.Approval.Exec != approval.ExecAllowlist || len(got.Tools) != 2 {
		t.Errorf("reviewer after save = %+v", got)
	}
	if got := defs["coder"]; got.Model != "hand-picked" || got.System != defaultSystem {
		t.Errorf("coder = %+v, want the built-in with the hand-written model", got)
	}

	// Creating another agent with a taken id, or renaming onto one, is refused.
	for _, tc := range []struct{ previous, id string }{{"", "reviewer"}, {"", "coder"}, {"reviewer", "coder"}} {
		d := rev
		d.ID = tc.id
		if err := SaveDefinition(dir, tc.previous, d); !errors.Is(err, ErrDuplicate) {
			t.Errorf("SaveDefinition(previous %q, id %q) = %v, want ErrDuplicate", tc.previous, tc.id, err)
		}
	}
	// An invalid definition leaves the file alone.
	before, _ := os.ReadFile(filepath.Join(dir, agentsFile))
	bad := rev
	bad.Tools = []string{"teleport"}
	if err := SaveDefinition(dir, "reviewer", bad); !errors.Is(err, ErrBadDefinition) {
		t.Errorf("SaveDefinition(unknown tool) = %v, want ErrBadDefinition", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, agentsFile))
	if string(before) != string(after) {
		t.Error("a refused save changed agents.json")
	}

	// Renaming replaces the entry in place.
	renamed := rev
	renamed.ID = "critic"
	if err := SaveDefinition(dir, "reviewer", renamed); err != nil {
		t.Fatal(err)
	}
	ids, err := UserIDs(dir)
	if err != nil || strings.Join(ids, ",") != "coder,critic" {
		t.Errorf("UserIDs() = %v, %v; want coder,critic", ids, err)
	}

	// Deleting: a user agent goes; the built-in returns to its defaults; unchanged built-ins refuse.
	if err := DeleteDefinition(dir, "critic"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteDefinition(dir, "coder"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteDefinition(dir, "coder"); err == nil {
		t.Error("DeleteDefinition(unchanged built-in) = nil, want an error")
	}
	if err := DeleteDefinition(dir, "ghost"); !errors.Is(err, ErrUnknownAgent) {
		t.Errorf("DeleteDefinition(ghost) = %v, want ErrUnknownAgent", err)
	}
	defs, err = LoadDefinitions(dir)
	if err != nil || len(defs) != 1 || defs["coder"].Model != "" {
		t.Errorf("after deletes: %v, %v; want only the built-in coder", defs, err)
	}
	var file struct{ Agents []json.RawMessage }
	blob, _ := os.ReadFile(filepath.Join(dir, agentsFile))
	if err := json.Unmarshal(blob, &file); err != nil || len(file.Agents) != 0 {
		t.Errorf("agents.json = %s, want an empty list", blob)
	}
}

func TestSetAgentsAppliesToNewRuns(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}})
	_, err := r.Start(context.Background(), StartRequest{Agent: "reviewer", Prompt: "x", Workspace: t.TempDir()})
	if !errors.Is(err, ErrUnknownAgent) {
		t.Fatalf("Start(unknown agent) = %v, want ErrUnknownAgent", err)
	}
	defs := map[string]Definition{"reviewer": {ID: "reviewer", System: "Review.", Tools: []string{"read"}, MaxSteps: 3}}
	r.SetAgents(defs)
	run := start(t, r, StartRequest{Agent: "reviewer", Prompt: "x"})
	cfg := runConfig(t, r, run.ID)
	if cfg.System != "Review." || cfg.MaxSteps != 3 {
		t.Errorf("run config = %+v, want the new agent's", cfg)
	}
}

func TestSandboxDefaults(t *testing.T) {
	t.Parallel()
	settings := ContainerSpec{Image: "img:settings", Network: "bridge", Memory: 1 << 30, CPUs: 2, Scope: "session", IdleSeconds: 600}
	tests := []struct {
		name      string
		env       string
		req       StartRequest
		wantEnv   string
		wantSpec  ContainerSpec
		wantError bool
	}{
		{"NoSettings", "", StartRequest{}, "local", ContainerSpec{}, false},
		{"SettingsDocker", "docker", StartRequest{}, "docker", settings, false},
		{"FlagWinsEnv", "docker", StartRequest{Sandbox: "local"}, "local", ContainerSpec{}, false},
		{"FlagWinsField", "docker", StartRequest{Container: ContainerSpec{Image: "img:flag", Network: "none"}}, "docker",
			ContainerSpec{Image: "img:flag", Network: "none", Memory: 1 << 30, CPUs: 2, Scope: "session", IdleSeconds: 600}, false},
		{"SettingsLocalFlagDocker", "local", StartRequest{Sandbox: "docker"}, "docker", settings, false},
		{"ContainerFlagsNeedDocker", "local", StartRequest{Container: ContainerSpec{Image: "x"}}, "", ContainerSpec{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}}, func(c *Config) {
				c.SandboxDefaults = func() (string, ContainerSpec, error) { return tt.env, settings, nil }
			})
			tt.req.Prompt, tt.req.Workspace = "x", t.TempDir()
			run, err := r.Start(context.Background(), tt.req)
			if tt.wantError {
				if err == nil {
					t.Fatal("Start() = nil error, want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg := runConfig(t, r, run.ID)
			if cfg.Sandbox != tt.wantEnv || cfg.Container != tt.wantSpec {
				t.Errorf("recorded sandbox %q %+v, want %q %+v", cfg.Sandbox, cfg.Container, tt.wantEnv, tt.wantSpec)
			}
		})
	}
}

// TestSessionIdle: a session's container records how long it may sit idle: the run's own
// time, else its agent's, else the settings', else 15 minutes; a run's container none.
func TestSessionIdle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		req          ContainerSpec
		agentMinutes int
		settings     int64
		want         int64
	}{
		{"Default", ContainerSpec{Scope: "session"}, 0, 0, 900},
		{"Settings", ContainerSpec{Scope: "session"}, 0, 600, 600},
		{"AgentOverSettings", ContainerSpec{Scope: "session"}, 2, 600, 120},
		{"RunOverAgent", ContainerSpec{Scope: "session", IdleSeconds: 3}, 2, 600, 3},
		{"RunScopeHasNone", ContainerSpec{Scope: "run", IdleSeconds: 3}, 2, 600, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}})
			def, _, _ := r.definition(DefaultAgentID)
			def.SessionIdleMinutes = tt.agentMinutes
			r.SetAgents(map[string]Definition{DefaultAgentID: def})
			r.config.SandboxDefaults = func() (string, ContainerSpec, error) {
				return "docker", ContainerSpec{IdleSeconds: tt.settings}, nil
			}
			run, err := r.Start(context.Background(), StartRequest{Prompt: "x", Workspace: t.TempDir(), Container: tt.req})
			if err != nil {
				t.Fatal(err)
			}
			if got := runConfig(t, r, run.ID).Container.IdleSeconds; got != tt.want {
				t.Errorf("recorded idle seconds = %d, want %d", got, tt.want)
			}
		})
	}
}

func runConfig(t *testing.T, r *Runner, runID string) RunConfig {
	t.Helper()
	steps, err := r.config.Journal.Steps(context.Background(), runID)
	if err != nil || len(steps) == 0 {
		t.Fatalf("steps of %s: %v", runID, err)
	}
	var cfg RunConfig
	if err := json.Unmarshal(steps[0].Output, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestFollowUpKeepsSessionContainer: a follow-up run in a session that shares a container
// asks for the same container (image, limits, network, idle time) whatever the settings say
// now; a run that names another image gets it.
func TestFollowUpKeepsSessionContainer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}})
	first := ContainerSpec{Image: "img:first", Scope: "session", Network: "bridge", Memory: 1 << 30, CPUs: 1.5, IdleSeconds: 60}
	run, err := r.Start(ctx, StartRequest{Prompt: "x", Workspace: t.TempDir(), Sandbox: "docker", Container: first})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.config.Journal.SetRunStatus(ctx, run.ID, journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	r.config.SandboxDefaults = func() (string, ContainerSpec, error) {
		return "local", ContainerSpec{Image: "img:settings-now", Scope: "run"}, nil
	}
	tests := []struct {
		name string
		req  StartRequest
		want ContainerSpec
	}{
		{"Inherited", StartRequest{}, first},
		{"ImageNamed", StartRequest{Container: ContainerSpec{Image: "img:other"}},
			ContainerSpec{Image: "img:other", Scope: "session", Network: "bridge", Memory: 1 << 30, CPUs: 1.5, IdleSeconds: 60}},
	}
	for _, tt := range tests {
		tt.req.Prompt, tt.req.SessionID = "again", run.SessionID
		next, err := r.Start(ctx, tt.req)
		if err != nil {
			t.Fatalf("%s: Start() = %v", tt.name, err)
		}
		if cfg := runConfig(t, r, next.ID); cfg.Sandbox != "docker" || cfg.Container != tt.want {
			t.Errorf("%s: follow-up recorded %q %+v, want docker %+v", tt.name, cfg.Sandbox, cfg.Container, tt.want)
		}
		if err := r.config.Journal.SetRunStatus(ctx, next.ID, journal.RunCompleted, ""); err != nil {
			t.Fatal(err)
		}
	}
}
