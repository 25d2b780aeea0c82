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
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/docker"
)

// shServer is an MCP server in busybox sh, enough for one read-only tool:
// "where" answers with the working directory, the user and the network
// interfaces it sees. (JSON-RPC ids are numbers from the Go SDK client.)
const shServer = `while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
  *'"method":"initialize"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id";;
  *'"method":"tools/list"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"where","description":"Where am I?","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}}\n' "$id";;
  *'"method":"tools/call"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"pwd=%s uid=%s net=%s"}]}}\n' "$id" "$(pwd)" "$(id -u)" "$(ls /sys/class/net | tr '\n' ',')";;
  *'"id":'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id";;
  esac
done
`

// TestDockerStdioServer runs a stdio server inside a Docker sandbox's
// container: it works in /workspace, as the sandbox's commands' user,
// with no network but loopback.
func TestDockerStdioServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := docker.New(ctx, docker.Options{})
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "server.sh"), []byte(shServer), 0o755); err != nil {
		t.Fatal(err)
	}
	sb, err := m.Sandbox(ctx, docker.Spec{Workspace: ws, Config: docker.Config{Image: "corral-test/busybox:latest"}})
	if err != nil {
		t.Skipf("no test image: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	cfg := mcp.NewConfig(dir)
	if err := cfg.Add(mcp.Server{Name: "box", Transport: mcp.TransportStdio, Command: "/bin/sh", Args: []string{"/workspace/server.sh"}, Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	h := mcp.NewHost(cfg, nil)
	t.Cleanup(func() { h.Close() })
	d, err := h.Discover(ctx, mcp.In(sb), "", []string{"box"}, nil)
	if err != nil || len(d.Tools) != 1 || d.Tools[0].Name != "mcp__box__where" || !d.Tools[0].ReadOnly {
		t.Fatalf("Discover in a container = %+v, %v; want mcp__box__where, read-only", d, err)
	}
	res, err := mcp.NewTool(h, d.Tools[0]).Run(ctx, sb, json.RawMessage(`{}`))
	if err != nil || res.IsError {
		t.Fatalf("Run(where) = %+v, %v", res, err)
	}
	// The server runs as the sandbox's commands do.
	who, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "id -u"})
	if err != nil {
		t.Fatal(err)
	}
	want := "pwd=/workspace uid=" + strings.TrimSpace(who.Stdout) + " net=lo,"
	if res.Content != want {
		t.Errorf("where = %q, want %q (the workspace, the commands' user, only loopback)", res.Content, want)
	}
	h.Release(mcp.In(sb))
}
