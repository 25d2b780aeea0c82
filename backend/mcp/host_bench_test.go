package mcp_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// BenchmarkSessionCall is a follow-up run's first MCP call: "kept" finds
// the session's server running (the Host's pool), "started" is the
// baseline of starting it again (confined) for every run, as when servers
// lived as long as one drive.
func BenchmarkSessionCall(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cfg := mcp.NewConfig(b.TempDir())
	srv := mcp.Server{Name: "go", Transport: mcp.TransportStdio, Command: exe, Env: map[string]string{mcptest.ServeEnv: "1"}}
	if err := cfg.Add(srv); err != nil {
		b.Fatal(err)
	}
	ws := b.TempDir()
	place := mcp.Place{Session: "s", Sandbox: "local", Own: true, Open: func(context.Context) (sandbox.Sandbox, error) {
		return local.New(ws, local.Options{})
	}}
	args := json.RawMessage(`{"text":"x"}`)
	for _, tc := range []struct {
		name    string
		release bool
	}{{"kept", false}, {"started", true}} {
		b.Run(tc.name, func(b *testing.B) {
			h := mcp.NewHost(cfg, nil)
			b.Cleanup(func() { h.Close() })
			if !tc.release { // the session's first run started it
				if _, err := h.Call(context.Background(), place, srv, "echo", args); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, err := h.Call(context.Background(), place, srv, "echo", args); err != nil {
					b.Fatal(err)
				}
				if tc.release {
					h.Release(place)
				}
			}
		})
	}
}
