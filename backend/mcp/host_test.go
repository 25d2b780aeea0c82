package mcp_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// setup writes a configuration with the test server over stdio (this test
// binary, re-executed) and over Streamable HTTP, and returns a host and a
// local sandbox on a fresh workspace.
func setup(t *testing.T) (*mcp.Host, *local.Sandbox) {
	t.Helper()
	dir := t.TempDir()
	cfg := mcp.NewConfig(dir)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	web := mcptest.HTTP()
	t.Cleanup(web.Close)
	for _, s := range []mcp.Server{
		{Name: "go", Transport: mcp.TransportStdio, Command: exe, Env: map[string]string{mcptest.ServeEnv: "1", "GIVEN": "${HOST_VALUE}"}, Timeout: 3 * time.Second},
		{Name: "web", Transport: mcp.TransportHTTP, URL: web.URL, Headers: map[string]string{"X-Token": "${HOST_VALUE}"}, Timeout: 3 * time.Second},
	} {
		if err := cfg.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	ws := filepath.Join(dir, "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := mcp.NewHost(cfg, func(k string) string {
		if k == "HOST_VALUE" {
			return "from-corral"
		}
		return ""
	})
	t.Cleanup(func() {
		h.Close()
		sb.Close()
	})
	return h, sb
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	h, sb := setup(t)
	ctx := t.Context()
	d, err := h.Discover(ctx, mcp.In(sb), "", []string{"go", "web", "gone"}, []string{"exec"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Servers) != 3 || d.Servers[0].Tools < 10 || d.Servers[1].Tools != d.Servers[0].Tools || !strings.Contains(d.Servers[2].Error, "unknown server") {
		t.Fatalf("Discover servers = %+v, want go and web with the same tools, gone unknown", d.Servers)
	}
	byName := map[string]mcp.ToolSpec{}
	for _, s := range d.Tools {
		byName[s.Name] = s
	}
	tests := []struct {
		name                  string
		readOnly, destructive bool
		declaredDestructive   bool
	}{
		{"mcp__go__echo", true, false, false},
		{"mcp__web__echo", true, false, false},
		{"mcp__go__append", false, false, false},
		{"mcp__go__wipe", false, true, true},
		{"mcp__go__crash", false, true, false}, // no annotations: the spec's defaults
	}
	for _, tt := range tests {
		s, ok := byName[tt.name]
		if !ok {
			t.Errorf("Discover: no tool %s in %v", tt.name, d.Tools)
			continue
		}
		if s.ReadOnly != tt.readOnly || s.Destructive != tt.destructive || s.DestructiveDeclared != tt.declaredDestructive {
			t.Errorf("%s = read-only %v destructive %v declared %v, want %v %v %v", tt.name, s.ReadOnly, s.Destructive, s.DestructiveDeclared, tt.readOnly, tt.destructive, tt.declaredDestructive)
		}
		if !json.Valid(s.InputSchema) {
			t.Errorf("%s schema %s is not JSON", tt.name, s.InputSchema)
		}
	}
}

func TestCall(t *testing.T) {
	t.Parallel()
	h, sb := setup(t)
	ctx := t.Context()
	d, err := h.Discover(ctx, mcp.In(sb), "", []string{"go", "web"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]tool.Tool{}
	for _, s := range d.Tools {
		tools[s.Name] = mcp.NewTool(h, s)
	}
	tests := []struct {
		name, tool, input string
		want              string // in the content
		isError           bool
		check             func(t *testing.T, res tool.Result)
	}{
		{name: "echo stdio", tool: "mcp__go__echo", input: `{"text":"hi there"}`, want: "hi there"},
		{name: "echo http", tool: "mcp__web__echo", input: `{"text":"over http"}`, want: "over http"},
		{name: "structured", tool: "mcp__go__add", input: `{"a":2,"b":3}`, want: "5", check: func(t *testing.T, res tool.Result) {
			if string(res.Meta.MCP.Structured) != `{"sum":5}` {
				t.Errorf("add structured = %s, want {\"sum\":5}", res.Meta.MCP.Structured)
			}
		}},
		{name: "image", tool: "mcp__go__image", input: `{}`, want: "[image image/png", check: func(t *testing.T, res tool.Result) {
			if len(res.Meta.MCP.Images) != 1 || res.Meta.MCP.Images[0].Data == "" {
				t.Errorf("image meta = %+v, want one image with data", res.Meta.MCP)
			}
		}},
		{name: "resources and audio", tool: "mcp__go__resource", input: `{}`, want: "[resource file:///notes.txt]\nkept notes", check: func(t *testing.T, res tool.Result) {
			m := res.Meta.MCP
			if len(m.Resources) != 2 || m.Resources[0].URI != "file:///notes.txt" || !m.Resources[1].Link || len(m.Images) != 1 || m.Images[0].MIMEType != "audio/wav" {
				t.Errorf("resource meta = %+v, want the resource, the link and the audio clip", m)
			}
		}},
		{name: "env scrubbed", tool: "mcp__go__env", input: `{"name":"HOME_SECRET_FOR_TEST"}`, want: "(unset)"},
		{name: "env given", tool: "mcp__go__env", input: `{"name":"GIVEN"}`, want: "from-corral"},
		{name: "is error", tool: "mcp__go__fail", input: `{}`, want: "on purpose", isError: true},
		{name: "bad arguments", tool: "mcp__go__add", input: `{"a":"two"}`, want: "", isError: true},
		{name: "side effect in workspace", tool: "mcp__go__append", input: `{"line":"one"}`, want: "appended to " + sb.Info().Workspace},
		{name: "huge result cut", tool: "mcp__go__huge", input: `{"bytes":400000}`, want: "more bytes of the result were left out", check: func(t *testing.T, res tool.Result) {
			if !res.Meta.Truncated || len(res.Content) > mcp.MaxText+100 {
				t.Errorf("huge: truncated %v, %d bytes; want truncated near %d", res.Meta.Truncated, len(res.Content), mcp.MaxText)
			}
		}},
		{name: "flood past the message limit", tool: "mcp__go__huge", input: `{"bytes":9000000}`, want: "failed", isError: true},
		{name: "server back after a flood", tool: "mcp__go__echo", input: `{"text":"still here"}`, want: "still here"},
		{name: "hang", tool: "mcp__go__hang", input: `{}`, want: "no answer within 3s", isError: true},
		{name: "crash", tool: "mcp__go__crash", input: `{}`, want: "crashing on purpose", isError: true},
		{name: "restarted after crash", tool: "mcp__go__echo", input: `{"text":"again"}`, want: "again"},
		{name: "garbage", tool: "mcp__go__garbage", input: `{}`, want: "failed", isError: true},
		{name: "restarted after garbage", tool: "mcp__go__echo", input: `{"text":"clean"}`, want: "clean"},
	}
	for _, tt := range tests { // in order: later cases see what earlier ones did to the server
		t.Run(tt.name, func(t *testing.T) {
			tl, ok := tools[tt.tool]
			if !ok {
				t.Fatalf("no tool %s", tt.tool)
			}
			res, err := tl.Run(ctx, sb, json.RawMessage(tt.input))
			if err != nil {
				t.Fatalf("Run(%s) error = %v, want a result", tt.input, err)
			}
			if !strings.Contains(res.Content, tt.want) || res.IsError != tt.isError {
				t.Errorf("Run(%s) = %q (error %v), want %q (error %v)", tt.input, res.Content, res.IsError, tt.want, tt.isError)
			}
			if res.Meta.MCP == nil || res.Meta.MCP.Tool == "" {
				t.Errorf("Run(%s) meta = %+v, want the server and tool", tt.input, res.Meta)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
	if logs := h.Logs("go"); !strings.Contains(logs, "crashing on purpose") {
		t.Errorf("Logs(go) = %q, want the crash message", logs)
	}
}

func TestServerGone(t *testing.T) {
	t.Parallel()
	h, sb := setup(t)
	spec := mcp.ToolSpec{Name: "mcp__old__echo", Server: "old", Tool: "echo", InputSchema: json.RawMessage(`{}`)}
	res, err := mcp.NewTool(h, spec).Run(context.Background(), sb, json.RawMessage(`{}`))
	if err != nil || !res.IsError || !strings.Contains(res.Content, `"old" is no longer configured`) {
		t.Errorf("Run on a removed server = %q, %v; want a tool error naming it", res.Content, err)
	}
}

func TestReleaseStopsServers(t *testing.T) {
	t.Parallel()
	h, sb := setup(t)
	srv, err := h.Config.Server("go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Call(t.Context(), mcp.In(sb), srv, "echo", json.RawMessage(`{"text":"x"}`)); err != nil {
		t.Fatal(err)
	}
	h.Release(mcp.In(sb))
	// After Release, a call starts a fresh server (the old one is gone).
	res, err := h.Call(t.Context(), mcp.In(sb), srv, "echo", json.RawMessage(`{"text":"y"}`))
	if err != nil || len(res.Content) != 1 {
		t.Fatalf("Call after Release = %v, %v", res, err)
	}
}

// TestLogsKept: a server's stderr outlives its process and Corral's: the
// next host on the same log directory reads it.
func TestLogsKept(t *testing.T) {
	t.Parallel()
	h, sb := setup(t)
	h.LogDir = filepath.Join(t.TempDir(), "mcp-logs")
	srv, err := h.Config.Server("go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Call(t.Context(), mcp.In(sb), srv, "crash", json.RawMessage(`{}`)); err == nil {
		t.Fatal("Call(crash) = nil error, want the server's failure")
	}
	h.Close()
	later := mcp.NewHost(h.Config, nil)
	later.LogDir = h.LogDir
	if logs := later.Logs("go"); !strings.Contains(logs, "crashing on purpose") {
		t.Errorf("Logs(go) from another host = %q, want the crash message", logs)
	}
	if logs := later.Logs("../etc/passwd"); logs != "" {
		t.Errorf("Logs(../etc/passwd) = %q, want nothing", logs)
	}
}

// TestStdioConfined: a local stdio server runs under the confinement of
// local commands (the launcher's namespaces and Landlock), not as a plain
// child of Corral: it writes in the workspace but not beside it.
func TestStdioConfined(t *testing.T) {
	t.Parallel()
	for _, p := range local.Probe().Missing() {
		if p.Name == "filesystem writes" {
			t.Skipf("this machine does not confine writes: %s", p.Detail)
		}
	}
	h, sb := setup(t)
	srv, err := h.Config.Server("go")
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "escaped.txt")
	tests := []struct {
		name, path string
		isError    bool
	}{
		{"in the workspace", "inside.txt", false},
		{"outside the workspace", outside, true},
		{"the user's data dir", filepath.Join(filepath.Dir(h.Config.Path), "mcp.json"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := json.Marshal(map[string]string{"path": tt.path, "text": "x"})
			res, err := h.Call(t.Context(), mcp.In(sb), srv, "write", in)
			if err != nil {
				t.Fatal(err)
			}
			if res.IsError != tt.isError {
				b, _ := json.Marshal(res.Content)
				t.Errorf("write %s: error %v (%s), want error %v", tt.path, res.IsError, b, tt.isError)
			}
		})
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("%s exists: the server wrote outside the workspace", outside)
	}
	if b, err := os.ReadFile(filepath.Join(sb.Info().Workspace, "inside.txt")); err != nil || string(b) != "x" {
		t.Errorf("inside.txt = %q, %v; want x", b, err)
	}
}

// countingSandbox is a local sandbox that tells when it is closed.
type countingSandbox struct {
	*local.Sandbox
	closed chan struct{}
}

func (s countingSandbox) Close() error {
	err := s.Sandbox.Close()
	close(s.closed)
	return err
}

// TestPlaceKeepsServers: servers belong to their place (a session and its
// sandbox), not to one caller's sandbox: later calls from elsewhere in the
// session find the same process; a changed configuration, or a changed
// value it reads, starts it again; another session gets its own; idle
// places and released sessions stop theirs and close the sandbox the Host
// opened for them.
func TestPlaceKeepsServers(t *testing.T) {
	t.Parallel()
	h, _ := setup(t)
	value := "one"
	h.Getenv = func(k string) string {
		if k == "HOST_VALUE" {
			return value
		}
		return ""
	}
	var opened []countingSandbox
	place := func(session string) mcp.Place {
		return mcp.Place{Session: session, Sandbox: "local", Own: true, Open: func(context.Context) (sandbox.Sandbox, error) {
			sb, err := local.New(t.TempDir(), local.Options{})
			if err != nil {
				return nil, err
			}
			c := countingSandbox{sb, make(chan struct{})}
			opened = append(opened, c)
			return c, nil
		}}
	}
	instance := func(pl mcp.Place) string {
		t.Helper()
		srv, err := h.Config.Server("go")
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.Call(t.Context(), pl, srv, "instance", nil)
		if err != nil {
			t.Fatal(err)
		}
		return mcp.Convert("go", "instance", res).Content
	}
	first := instance(place("s1"))
	if again := instance(place("s1")); again != first || len(opened) != 1 {
		t.Errorf("second call in the session: instance %s (first %s), %d sandboxes opened; want the same server, one sandbox", again, first, len(opened))
	}
	if other := instance(place("s2")); other == first {
		t.Errorf("another session got the same server %s, want its own", other)
	}
	value = "two" // a value the server's env reads
	changedValue := instance(place("s1"))
	if changedValue == first {
		t.Errorf("after its ${HOST_VALUE} changed: instance %s, want a new server", changedValue)
	}
	srv, err := h.Config.Server("go")
	if err != nil {
		t.Fatal(err)
	}
	srv.Args = append(srv.Args, "-test.run=^$")
	if err := h.Config.Remove("go"); err != nil {
		t.Fatal(err)
	}
	if err := h.Config.Add(srv); err != nil {
		t.Fatal(err)
	}
	if changed := instance(place("s1")); changed == changedValue {
		t.Errorf("after its configuration changed: instance %s, want a new server", changed)
	}
	if n := h.Running(place("s1")); n != 1 {
		t.Errorf("Running(s1) = %d, want 1 (the old one stopped)", n)
	}
	h.ReleaseSession("s2")
	select {
	case <-opened[1].closed:
	case <-time.After(10 * time.Second):
		t.Fatal("ReleaseSession(s2) left its sandbox open")
	}
	if n := h.Running(place("s2")); n != 0 {
		t.Errorf("Running(s2) after ReleaseSession = %d, want 0", n)
	}
	h.Idle = 50 * time.Millisecond
	instance(place("s1")) // arms the idle timer with the short time
	select {
	case <-opened[0].closed:
	case <-time.After(10 * time.Second):
		t.Fatal("an idle place kept its sandbox open")
	}
	if n := h.Running(place("s1")); n != 0 {
		t.Errorf("Running(s1) after idling = %d, want 0", n)
	}
}

// TestPastedConfigsWork: documents shaped as each peer prints them
// (Claude Desktop's and Claude Code's stdio entries, Claude Code's
// .mcp.json "type": "http" and "type": "sse" with ${VAR} headers, Cursor's
// bare "url") are imported unchanged and their servers answer.
func TestPastedConfigsWork(t *testing.T) {
	t.Parallel()
	const token = "Bearer pasted-token"
	web := mcptest.HTTP("Authorization", token)
	t.Cleanup(web.Close)
	sse := mcptest.SSE("X-Api-Key", "k3y")
	t.Cleanup(sse.Close)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	tests := []struct{ name, doc string }{
		// modelcontextprotocol.io's Claude Desktop quickstart (claude_desktop_config.json)
		{"claude desktop", `{"mcpServers": {"desktop": {"command": "` + exe + `", "args": [], "env": {"` + mcptest.ServeEnv + `": "1"}}}}`},
		// code.claude.com/docs/en/mcp: `claude mcp add` writes "type": "stdio"
		{"claude code stdio", `{"mcpServers": {"code": {"type": "stdio", "command": "` + exe + `", "args": [], "env": {"` + mcptest.ServeEnv + `": "1"}}}}`},
		// code.claude.com/docs/en/mcp (.mcp.json): "type": "http" with an expanded header
		{"claude code http", `{"mcpServers": {"remote": {"type": "http", "url": "` + web.URL + `", "headers": {"Authorization": "Bearer ${API_TOKEN}"}}}}`},
		// docs.anthropic.com/.../claude-code/sdk/sdk-mcp: "type": "sse"
		{"claude code sse", `{"mcpServers": {"legacy": {"type": "sse", "url": "` + sse.URL + `", "headers": {"X-Api-Key": "${API_KEY}"}}}}`},
		// cursor.com/docs/context/mcp: a bare url
		{"cursor url", `{"mcpServers": {"cursor": {"url": "` + web.URL + `", "headers": {"Authorization": "` + token + `"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := mcp.NewConfig(t.TempDir())
			names, err := cfg.Import([]byte(tt.doc))
			if err != nil || len(names) != 1 {
				t.Fatalf("Import = %v, %v", names, err)
			}
			h := mcp.NewHost(cfg, func(k string) string {
				return map[string]string{"API_TOKEN": "pasted-token", "API_KEY": "k3y"}[k]
			})
			t.Cleanup(func() { h.Close() })
			srv, err := cfg.Server(names[0])
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.Call(t.Context(), mcp.In(sb), srv, "echo", json.RawMessage(`{"text":"pasted"}`))
			if err != nil {
				t.Fatalf("Call(echo) through %s = %v", srv.Transport, err)
			}
			if got := mcp.Convert(srv.Name, "echo", res).Content; got != "pasted" {
				t.Errorf("echo through %s = %q, want pasted", srv.Transport, got)
			}
		})
	}
}
