package app

import (
	"os"
	"slices"
	"strings"
	"testing"

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
	if v, err = m.Add("web", "http://127.0.0.1:9/mcp"); err != nil || len(v.Servers) != 2 || v.Servers[1].Transport != "http" {
		t.Errorf("Add(web) = %+v, %v", v, err)
	}
	if _, err := m.Add("bad name!", "x"); err == nil {
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
