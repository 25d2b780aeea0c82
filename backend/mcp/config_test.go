package mcp_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/mcp"
)

// Each document is pasted as the peer's documentation shows it (the page is
// named), so a configuration copied from there works unchanged.
func TestParseServersPeers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []mcp.Server
	}{{
		// docs.claude.com/en/docs/claude-code/mcp (.mcp.json, project scope)
		name: "claude code",
		doc: `{"mcpServers": {
		  "shared-server": {"command": "/path/to/server", "args": [], "env": {}},
		  "api-server": {"type": "http", "url": "${API_BASE_URL:-https://api.example.test}/mcp", "headers": {"Authorization": "Bearer ${API_KEY}"}}}}`,
		want: []mcp.Server{
			{Name: "api-server", Transport: mcp.TransportHTTP, URL: "${API_BASE_URL:-https://api.example.test}/mcp", Headers: map[string]string{"Authorization": "Bearer ${API_KEY}"}},
			{Name: "shared-server", Transport: mcp.TransportStdio, Command: "/path/to/server", Args: []string{}, Env: map[string]string{}},
		},
	}, {
		// docs.cline.bot/mcp/configuring-mcp-servers (cline_mcp_settings.json)
		name: "cline",
		doc: `{"mcpServers": {
		  "local-server": {"command": "node", "args": ["/path/to/server.js"], "env": {"API_KEY": "your_api_key"}, "alwaysAllow": ["tool1"], "disabled": false},
		  "remote": {"url": "https://example.test/mcp", "type": "streamableHttp", "disabled": true, "timeout": 120}}}`,
		want: []mcp.Server{
			{Name: "local-server", Transport: mcp.TransportStdio, Command: "node", Args: []string{"/path/to/server.js"}, Env: map[string]string{"API_KEY": "your_api_key"}},
			{Name: "remote", Transport: mcp.TransportHTTP, URL: "https://example.test/mcp", Disabled: true, Timeout: 2 * time.Minute},
		},
	}, {
		// kilo.ai/docs/features/mcp/using-mcp-in-cli
		name: "kilo streamable-http",
		doc:  `{"mcpServers": {"remote-server": {"type": "streamable-http", "url": "https://your-server.test/mcp", "headers": {"Authorization": "Bearer token"}}}}`,
		want: []mcp.Server{{Name: "remote-server", Transport: mcp.TransportHTTP, URL: "https://your-server.test/mcp", Headers: map[string]string{"Authorization": "Bearer token"}}},
	}, {
		// cursor.com/docs/context/mcp (mcp.json): a URL alone is a remote server
		name: "cursor url only",
		doc:  `{"mcpServers": {"server-name": {"url": "http://localhost:3000/mcp", "headers": {"API_KEY": "value"}}}}`,
		want: []mcp.Server{{Name: "server-name", Transport: mcp.TransportHTTP, URL: "http://localhost:3000/mcp", Headers: map[string]string{"API_KEY": "value"}}},
	}, {
		// code.visualstudio.com/docs/copilot/chat/mcp-servers (.vscode/mcp.json)
		name: "vs code servers key",
		doc:  `{"servers": {"github": {"type": "http", "url": "https://api.githubcopilot.test/mcp"}}, "inputs": []}`,
		want: []mcp.Server{{Name: "github", Transport: mcp.TransportHTTP, URL: "https://api.githubcopilot.test/mcp"}},
	}, {
		// docs.windsurf.com/windsurf/cascade/mcp (serverUrl) and Gemini CLI (httpUrl, timeout in ms)
		name: "windsurf and gemini",
		doc:  `{"mcpServers": {"w": {"serverUrl": "https://w.test/mcp"}, "g": {"httpUrl": "https://g.test/mcp", "timeout": 30000}}}`,
		want: []mcp.Server{
			{Name: "g", Transport: mcp.TransportHTTP, URL: "https://g.test/mcp", Timeout: 30 * time.Second},
			{Name: "w", Transport: mcp.TransportHTTP, URL: "https://w.test/mcp"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mcp.ParseServers([]byte(tt.doc))
			if err != nil {
				t.Fatalf("ParseServers: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseServers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseServersErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc string }{
		{"no command", `{"mcpServers": {"a": {"args": ["x"]}}}`},
		{"bad type", `{"mcpServers": {"a": {"type": "carrier-pigeon", "command": "x"}}}`},
		{"bad url", `{"mcpServers": {"a": {"type": "http", "url": "ftp://x.test"}}}`},
		{"bad name", `{"mcpServers": {"a/b": {"command": "x"}}}`},
		{"not json", `{"mcpServers": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := mcp.ParseServers([]byte(tt.doc)); !errors.Is(err, mcp.ErrBadConfig) {
				t.Errorf("ParseServers(%s) = %v, want ErrBadConfig", tt.doc, err)
			}
		})
	}
}

func TestConfigEdits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := mcp.NewConfig(dir)
	pasted := `{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."], "autoApprove": ["read_file"]}}}`
	names, err := c.Import([]byte(pasted))
	if err != nil || len(names) != 1 || names[0] != "fs" {
		t.Fatalf("Import = %v, %v; want [fs]", names, err)
	}
	if err := c.Add(mcp.Server{Name: "web", Transport: mcp.TransportHTTP, URL: "http://127.0.0.1:1/mcp"}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := c.SetDisabled("fs", true); err != nil {
		t.Fatalf("SetDisabled: %v", err)
	}
	fs, err := c.Server("fs")
	if err != nil || !fs.Disabled || fs.Command != "npx" {
		t.Errorf("Server(fs) = %+v, %v; want disabled npx", fs, err)
	}
	// Keys Corral does not use are kept as written.
	blob, err := os.ReadFile(filepath.Join(dir, mcp.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MCPServers map[string]map[string]any `json:"mcpServers"`
	}
	if err := json.Unmarshal(blob, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.MCPServers["fs"]["autoApprove"]; !ok {
		t.Errorf("after edits, fs = %v, want autoApprove kept", doc.MCPServers["fs"])
	}
	if err := c.Remove("web"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := c.Remove("web"); !errors.Is(err, mcp.ErrUnknownServer) {
		t.Errorf("Remove(web) twice = %v, want ErrUnknownServer", err)
	}
	all, _ := c.Servers()
	if len(all) != 1 {
		t.Errorf("Servers = %v, want only fs", all)
	}
}

func TestToolName(t *testing.T) {
	t.Parallel()
	taken := map[string]bool{"exec": true}
	long := "a_very_long_tool_name_that_goes_on_and_on_and_on_beyond_any_limit"
	tests := []struct{ server, tool, want string }{
		{"github", "create_issue", "mcp__github__create_issue"},
		{"my.server", "get/thing", "mcp__my_server__get_thing"},
		{"my_server", "get_thing", "mcp__my_server__get_thing_2"},
		{"s", long, ("mcp__s__" + long)[:64]},
		{"s", long + "2", ("mcp__s__" + long)[:62] + "_2"},
	}
	for _, tt := range tests {
		if got := mcp.ToolName(tt.server, tt.tool, taken); got != tt.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", tt.server, tt.tool, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TOKEN": "s3cret"}
	getenv := func(k string) string { return env[k] }
	tests := []struct{ in, want string }{
		{"Bearer ${TOKEN}", "Bearer s3cret"},
		{"${MISSING:-http://127.0.0.1}/mcp", "http://127.0.0.1/mcp"},
		{"${MISSING}", ""},
		{"$TOKEN stays", "$TOKEN stays"},
	}
	for _, tt := range tests {
		if got := mcp.Expand(tt.in, getenv); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
