package app

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	"github.com/moby/moby/client"
)

const testKey = "sk-proj-settings-test-0123456789a1b2"

func newSettings(t *testing.T, env map[string]string) (*Settings, string) {
	t.Helper()
	dir := t.TempDir()
	creds, err := credential.Open(dir, credential.Options{Mode: credential.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	return &Settings{dataDir: dir, creds: creds, getenv: func(k string) string { return env[k] }}, dir
}

func provider(t *testing.T, v ProvidersView, name string) ProviderState {
	t.Helper()
	for _, p := range v.Providers {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no provider %s in %+v", name, v)
	return ProviderState{}
}

func TestSettingsProviders(t *testing.T) {
	t.Parallel()
	s, dir := newSettings(t, map[string]string{"ANTHROPIC_API_KEY": "sk-ant-from-env"})
	v, err := s.SaveKey("openai", "  "+testKey+"\n")
	if err != nil {
		t.Fatal(err)
	}
	o := provider(t, v, "openai")
	if !o.Key.Set || o.Key.Masked != "sk-…a1b2" || o.Key.Where != credential.File || o.KeyFromEnv {
		t.Errorf("openai after SaveKey = %+v, want set in the file, masked sk-…a1b2", o)
	}
	if v.Store != credential.File || !strings.Contains(v.StoreReason, "file") {
		t.Errorf("store = %s (%s), want file with a reason", v.Store, v.StoreReason)
	}
	if a := provider(t, v, "anthropic"); a.Key.Set || !a.KeyFromEnv {
		t.Errorf("anthropic = %+v, want no saved key and the environment noted", a)
	}
	blob, _ := json.Marshal(v)
	if strings.Contains(string(blob), testKey) || strings.Contains(string(blob), "sk-ant-from-env") {
		t.Errorf("the providers view carries a key: %s", blob)
	}
	if got, _ := credential.NewFile(dir).Get("OPENAI_API_KEY"); got != testKey {
		t.Errorf("saved key = %q, want the trimmed key", got)
	}

	v, err = s.SaveBaseURL("openai", "http://127.0.0.1:11434/v1")
	if err != nil || provider(t, v, "openai").BaseURL != "http://127.0.0.1:11434/v1" {
		t.Errorf("SaveBaseURL = %+v, %v", v, err)
	}
	if _, err := s.SaveBaseURL("openai", "not a url"); !errors.Is(err, config.ErrBadSettings) {
		t.Errorf("SaveBaseURL(bad) = %v, want ErrBadSettings", err)
	}
	if _, err := s.SaveKey("cohere", "x"); err == nil {
		t.Error("SaveKey(unknown provider) = nil, want an error")
	}
	v, err = s.DeleteKey("openai")
	if err != nil || provider(t, v, "openai").Key.Set {
		t.Errorf("DeleteKey = %+v, %v; want unset", v, err)
	}
}

// TestSettingsListsTheCatalog: the providers section shows every configurable catalog
// provider, in catalog order, with the catalog's label, variables and default base URL.
func TestSettingsListsTheCatalog(t *testing.T) {
	t.Parallel()
	s, _ := newSettings(t, nil)
	v, err := s.Providers()
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Configurable()
	if len(v.Providers) != len(want) {
		t.Fatalf("Providers() lists %+v, want one per catalog provider %+v", v.Providers, want)
	}
	for i, p := range want {
		got := v.Providers[i]
		if got.Name != p.ID || got.Label != p.Label || got.KeyVar != p.KeyVar || got.URLVar != p.BaseURLVar || got.DefaultBaseURL != p.DefaultBaseURL {
			t.Errorf("Providers()[%d] = %+v, want the catalog's %+v", i, got, p)
		}
	}
}

func TestSettingsSandbox(t *testing.T) {
	t.Parallel()
	s, _ := newSettings(t, nil)
	got, err := s.SaveSandbox(SandboxView{Env: "docker", Image: "busybox", Network: true, Memory: "1g", CPUs: 2, Scope: "session"})
	if err != nil || got.Env != "docker" || got.Memory != "1g" || !got.Network {
		t.Fatalf("SaveSandbox = %+v, %v", got, err)
	}
	if _, err := s.SaveSandbox(SandboxView{Env: "docker", Memory: "lots"}); !errors.Is(err, config.ErrBadSettings) {
		t.Errorf("SaveSandbox(bad memory) = %v, want ErrBadSettings", err)
	}
	if again, _ := s.Sandbox(); again != got {
		t.Errorf("Sandbox() after a refused save = %+v, want %+v", again, got)
	}
}

func TestAgentsService(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runner := agent.New(agent.Config{Agents: map[string]agent.Definition{"coder": agent.Builtin()[0]}})
	a := &Agents{dataDir: dir, runner: runner}
	list, err := a.List()
	if err != nil || len(list.Agents) != 1 || !list.Agents[0].Builtin || list.Agents[0].Changed || len(list.Tools) != 6 {
		t.Fatalf("List() = %+v, %v; want the built-in coder and six tools", list, err)
	}
	rev := AgentView{ID: "reviewer", Provider: "demo", System: "Review only.", Tools: []string{"read", "grep"}, MaxSteps: 8,
		Approval: approval.Policy{Exec: approval.ExecAllowlist}}
	if list, err = a.Save("", rev); err != nil || len(list.Agents) != 2 {
		t.Fatalf("Save(new) = %+v, %v", list, err)
	}
	if _, err := a.Save("", rev); !errors.Is(err, agent.ErrDuplicate) {
		t.Errorf("Save(duplicate) = %v, want ErrDuplicate", err)
	}
	bad := rev
	bad.Tools = []string{"fly"}
	if _, err := a.Save("reviewer", bad); !errors.Is(err, agent.ErrBadDefinition) {
		t.Errorf("Save(unknown tool) = %v, want ErrBadDefinition", err)
	}
	bad = rev
	bad.ID = ""
	if _, err := a.Save("", bad); !errors.Is(err, agent.ErrBadDefinition) {
		t.Errorf("Save(empty id) = %v, want ErrBadDefinition", err)
	}
	bad = rev
	bad.Network = "sometimes"
	if _, err := a.Save("reviewer", bad); !errors.Is(err, agent.ErrBadDefinition) {
		t.Errorf("Save(network sometimes) = %v, want ErrBadDefinition", err)
	}
	withNet := rev
	withNet.Network = "allowlist"
	if list, err := a.Save("reviewer", withNet); err != nil || list.Agents[1].Network != "allowlist" {
		t.Errorf("Save(network allowlist) = %+v, %v; want the agent's network kept", list.Agents, err)
	}
	// The runner sees the new agent at once.
	if d, ok := runner.Agent("reviewer"); !ok || d.System != "Review only." || d.Network != "allowlist" {
		t.Errorf("runner after Save has reviewer = %+v, %v; want the saved definition", d, ok)
	}
	// Changing the built-in marks it changed; deleting returns it to its defaults.
	coder := list.Agents[0]
	coder.Model = "my-model"
	if list, err = a.Save("coder", coder); err != nil || !list.Agents[0].Changed || list.Agents[0].Model != "my-model" {
		t.Fatalf("Save(coder) = %+v, %v", list.Agents[0], err)
	}
	if list, err = a.Delete("coder"); err != nil || list.Agents[0].Changed || list.Agents[0].Model != "" {
		t.Errorf("Delete(coder) = %+v, %v; want the built-in back", list.Agents, err)
	}
	if list, err = a.Delete("reviewer"); err != nil || len(list.Agents) != 1 {
		t.Errorf("Delete(reviewer) = %+v, %v", list.Agents, err)
	}
}

func TestRulesService(t *testing.T) {
	t.Parallel()
	r := &Rules{ledger: approval.NewLedger(t.TempDir())}
	if list, err := r.List(); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List() = %#v, %v; want an empty list (not null)", list, err)
	}
	e, err := r.Add("allow", " exec(npm test) ", "global")
	if err != nil || e.Rule != "exec(npm test)" || e.Source != "user" || e.CreatedAt.IsZero() {
		t.Fatalf("Add = %+v, %v", e, err)
	}
	for _, bad := range [][3]string{{"allow", "npm test", "global"}, {"maybe", "exec(ls)", "global"}, {"allow", "exec(ls)", "team"}} {
		if _, err := r.Add(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Add(%q) = nil error, want one", bad)
		}
	}
	v, err := r.Test("npm test && rm -rf build", "")
	if err != nil || v.Decision != approval.Ask || len(v.Segments) != 2 || v.Segments[0].Decision != approval.Allow {
		t.Errorf("Test = %+v, %v; want ask with npm test allowed by the rule", v, err)
	}
	if err := r.Remove(e.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(e.ID); !errors.Is(err, approval.ErrRuleNotFound) {
		t.Errorf("second Remove = %v, want ErrRuleNotFound", err)
	}
	if v, _ := r.Test("npm test", ""); v.Decision != approval.Ask {
		t.Errorf("Test after revoke = %s, want ask", v.Decision)
	}
}

// TestContainersUnavailable: with no engine the panel says so, quickly, and is not an error.
func TestContainersUnavailable(t *testing.T) {
	t.Parallel()
	c := &Containers{connect: func(ctx context.Context) (ContainerManager, error) {
		cli, err := client.New(client.WithHost("unix:///nonexistent/docker.sock"))
		if err != nil {
			return nil, err
		}
		m, err := docker.New(ctx, docker.Options{Client: cli, ConnectTimeout: time.Second})
		if err != nil {
			cli.Close()
			return nil, err
		}
		return m, nil
	}}
	start := time.Now()
	v, err := c.List()
	if err != nil || v.Available || !strings.Contains(v.Error, "nonexistent") || v.Containers == nil {
		t.Errorf("List() = %+v, %v; want unavailable with the engine named", v, err)
	}
	if d := time.Since(start); d > dockerTimeout {
		t.Errorf("List() took %s, want under %s", d, dockerTimeout)
	}
	if _, err := c.Prune(); err == nil {
		t.Error("Prune() without an engine = nil error, want one")
	}
	if v, _ := (&Containers{}).List(); v.Available || v.Error == "" {
		t.Errorf("List() with no Docker = %+v, want a message", v)
	}
}

// TestTracesRedactSavedKeys: a saved key that reached a run's text is redacted on export,
// even though it matches no built-in secret pattern.
func TestTracesRedactSavedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const odd = "plainvaluewithoutprefix12345"
	dir := t.TempDir()
	creds, _ := credential.Open(dir, credential.Options{Mode: credential.ModeFile})
	if _, err := creds.Set("OPENAI_API_KEY", odd); err != nil {
		t.Fatal(err)
	}
	// An MCP server's secret, kept the same way and named in mcp.json, is redacted too.
	const oddMCP = "anothervaluewithoutprefix678"
	if _, err := creds.Set("MCP_GH_AUTHORIZATION", oddMCP); err != nil {
		t.Fatal(err)
	}
	if err := mcp.NewConfig(dir).Add(mcp.Server{Name: "gh", Transport: mcp.TransportHTTP, URL: "https://gh.test/mcp", Headers: map[string]string{"Authorization": "${MCP_GH_AUTHORIZATION}"}}); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(ctx, filepath.Join(dir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	if _, err := j.CreateSession(ctx, journal.Session{ID: "ses_1", Title: "t", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cfg := `{"agent":"coder","provider":"demo","model":"corral-demo","system":"s","tools":[],"max_steps":5,"max_tokens":100,"sandbox":"local"}`
	if _, err := j.CreateRunWithStep(ctx, journal.Run{ID: "run_1", SessionID: "ses_1", Agent: "coder", Prompt: "my key is " + odd + ", the server's " + oddMCP, Status: journal.RunCompleted},
		journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}, journal.StepResult{Output: []byte(cfg)}); err != nil {
		t.Fatal(err)
	}
	for _, withSecrets := range []bool{false, true} {
		tr := &Traces{journal: j}
		if withSecrets {
			tr.secrets = secretsOf(creds, dir)
		}
		f, err := tr.Export("run_1", "json", false)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(f.Content, odd); got == withSecrets {
			t.Errorf("export with saved keys redacted=%v contains the key: %v", withSecrets, got)
		}
		if got := strings.Contains(f.Content, oddMCP); got == withSecrets {
			t.Errorf("export with saved keys redacted=%v contains the MCP secret: %v", withSecrets, got)
		}
	}
}

// TestContainersOnRealEngine lists a container the Docker sandbox made, with its session,
// then prunes it once idle (needs a Docker engine and the test image: make docker-deps).
func TestContainersOnRealEngine(t *testing.T) {
	t.Parallel()
	const image = "corral-test/busybox:latest"
	if out, err := exec.Command("docker", "image", "inspect", image).CombinedOutput(); err != nil {
		t.Skipf("no Docker engine or test image %s (make docker-deps): %s", image, out)
	}
	ctx := context.Background()
	m, err := docker.New(ctx, docker.Options{})
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	session := "ses_settings_" + strings.ReplaceAll(t.Name(), "/", "_")
	sb, err := m.Sandbox(ctx, docker.Spec{Scope: docker.ScopeSession, SessionID: session, Workspace: t.TempDir(), Config: docker.Config{Image: image}})
	if err != nil {
		t.Fatal(err)
	}
	c := &Containers{connect: func(context.Context) (ContainerManager, error) { return m, nil }}
	v, err := c.List()
	if err != nil || !v.Available {
		t.Fatalf("List() = %+v, %v", v, err)
	}
	var mine *ContainerView
	for i := range v.Containers {
		if v.Containers[i].Session == session {
			mine = &v.Containers[i]
		}
	}
	if mine == nil || mine.Owner != "this process" || mine.Created.IsZero() {
		t.Fatalf("List() = %+v, want the session's container owned by this process", v.Containers)
	}
	// In use, it survives a prune; once its sandbox is closed it is idle and goes.
	if _, err := c.Prune(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.List(); !hasSession(v, session) {
		t.Error("Prune removed a container in use")
	}
	sb.Close()
	if _, err := c.Prune(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.List(); hasSession(v, session) {
		t.Error("Prune left an idle container")
	}
}

func hasSession(v ContainersView, session string) bool {
	for _, c := range v.Containers {
		if c.Session == session {
			return true
		}
	}
	return false
}
