package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

func TestMain(m *testing.M) {
	mcptest.Main() // serves MCP over stdio when a test starts this binary as a server
	os.Exit(m.Run())
}

// TestMCPSettings drives the Settings section as the window does: paste a
// configuration, see it listed (secrets by name only), disable and enable
// it, test it (its tools with hints), remove it.
func TestMCPSettings(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := &MCP{host: mcp.NewHost(mcp.NewConfig(t.TempDir()), nil)}
	t.Cleanup(func() { m.host.Close() })
	doc := `{"mcpServers": {"t": {"command": "` + exe + `", "env": {"` + mcptest.ServeEnv + `": "1", "TOKEN": "s3cret"}}}}`
	v, err := m.Import(doc)
	if err != nil || len(v.Servers) != 1 || !v.Servers[0].Enabled || !slices.Contains(v.Servers[0].Env, "TOKEN") {
		t.Fatalf("Import = %+v, %v; want t enabled with env names", v, err)
	}
	if v, err = m.SetEnabled("t", false); err != nil || v.Servers[0].Enabled {
		t.Errorf("SetEnabled(t, false) = %+v, %v", v, err)
	}
	if v, err = m.SetEnabled("t", true); err != nil || !v.Servers[0].Enabled {
		t.Errorf("SetEnabled(t, true) = %+v, %v", v, err)
	}
	if v, err = m.Add("web", "http://127.0.0.1:9/mcp", ""); err != nil || len(v.Servers) != 2 || v.Servers[1].Transport != "http" {
		t.Errorf("Add(web) = %+v, %v", v, err)
	}
	if _, err := m.Add("bad name!", "x", ""); err == nil {
		t.Errorf("Add(bad name!) = nil error, want a bad configuration")
	}
	tv, err := m.Test("t")
	if err != nil || !tv.OK || !slices.ContainsFunc(tv.Tools, func(s mcp.ToolSpec) bool { return s.Name == "mcp__t__echo" && s.ReadOnly }) {
		t.Fatalf("Test(t) = %+v, %v; want its tools, echo read-only", tv, err)
	}
	if tv, err = m.Test("web"); err != nil || tv.OK || !strings.Contains(tv.Error, "web") {
		t.Errorf("Test(web) (nothing listens) = %+v, %v; want a failure", tv, err)
	}
	if v, err = m.Remove("web"); err != nil || len(v.Servers) != 1 {
		t.Errorf("Remove(web) = %+v, %v", v, err)
	}
}

// TestAgentMCPList: Settings → Agents edits an agent's MCP servers; a view
// without the list (an older UI) keeps it.
func TestAgentMCPList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := &Agents{dataDir: dir, runner: &agent.Runner{}}
	v := AgentView{ID: "gh", Provider: "demo", System: "s", Tools: []string{"read"}, MaxSteps: 5, MCP: []string{"github"}}
	list, err := a.Save("", v)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Agents, func(v AgentView) bool { return v.ID == "gh" })
	if i < 0 || !slices.Equal(list.Agents[i].MCP, []string{"github"}) {
		t.Fatalf("Save(mcp github) lists %+v", list.Agents)
	}
	v.MCP, v.System = nil, "changed"
	if list, err = a.Save("gh", v); err != nil || !slices.Equal(list.Agents[i].MCP, []string{"github"}) {
		t.Errorf("Save(no mcp key) = %+v, %v; want the list kept", list.Agents[i], err)
	}
	v.MCP = []string{}
	if list, err = a.Save("gh", v); err != nil || len(list.Agents[i].MCP) != 0 {
		t.Errorf("Save(mcp []) = %+v, %v; want it cleared (every enabled server)", list.Agents[i], err)
	}
}

// TestMCPSecretHeaders: Settings adds a Streamable HTTP server with a
// secret header: the value goes to the credential store (the keychain,
// here the file), mcp.json holds only ${MCP_...}, and Test reaches the
// server with the header; a malformed line or a header on a command is
// refused before anything is kept.
func TestMCPSecretHeaders(t *testing.T) {
	t.Parallel()
	const token = "Bearer s3cret-from-settings"
	web := mcptest.HTTP("Authorization", token)
	t.Cleanup(web.Close)
	dir := t.TempDir()
	creds, err := credential.Open(dir, credential.Options{Mode: credential.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	m := &MCP{host: mcpHostOf(Config{Settings: SettingsConfig{DataDir: dir, Credentials: creds}}), creds: creds}
	t.Cleanup(func() { m.host.Close() })
	for _, tt := range []struct{ name, target, headers string }{
		{"bad", web.URL, "Authorization Bearer x"},
		{"cmd", "some-server --stdio", "Authorization: Bearer x"},
	} {
		if _, err := m.Add(tt.name, tt.target, tt.headers); err == nil {
			t.Errorf("Add(%s, %q, %q) = nil error, want refused", tt.name, tt.target, tt.headers)
		}
	}
	v, err := m.Add("web", web.URL, "Authorization: "+token+"\n")
	if err != nil || len(v.Servers) != 1 || !slices.Equal(v.Servers[0].Headers, []string{"Authorization"}) {
		t.Fatalf("Add(web, secret header) = %+v, %v", v, err)
	}
	blob, err := os.ReadFile(filepath.Join(dir, "mcp.json"))
	if err != nil || strings.Contains(string(blob), "s3cret") || !strings.Contains(string(blob), "${MCP_WEB_AUTHORIZATION}") {
		t.Errorf("mcp.json = %s, %v; want the reference, not the value", blob, err)
	}
	if got, _, err := creds.Get("MCP_WEB_AUTHORIZATION"); err != nil || got != token {
		t.Errorf("kept MCP_WEB_AUTHORIZATION = %q, %v; want the header's value", got, err)
	}
	if tv, err := m.Test("web"); err != nil || !tv.OK {
		t.Errorf("Test(web) = %+v, %v; want connected with the kept header", tv, err)
	}
}
