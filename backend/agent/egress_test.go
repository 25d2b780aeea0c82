package agent

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/record"

	"github.com/corral-dev/corral/backend/approval"
)

// TestEgressMode: a run's network policy comes from the request, else its agent, else its
// session's last run, else allowlist when it allows hosts, else the settings; the record
// says so at version 1, and a run without one stays at version 0.
func TestEgressMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		req      StartRequest
		agentNet string
		settings string
		want     string
	}{
		{name: "none by default"},
		{name: "request", req: StartRequest{Network: "open"}, agentNet: "allowlist", settings: "allowlist", want: "open"},
		{name: "agent", agentNet: "allowlist", settings: "open", want: "allowlist"},
		{name: "allow-host implies allowlist", req: StartRequest{AllowHosts: []string{"api.test"}}, settings: "open", want: "allowlist"},
		{name: "settings", settings: "open", want: "open"},
		{name: "settings give way to a named container network", req: StartRequest{Sandbox: "docker", Container: ContainerSpec{Network: "bridge"}}, settings: "open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}}, func(c *Config) {
				d := c.Agents[DefaultAgentID]
				d.Network = tc.agentNet
				c.Agents[DefaultAgentID] = d
				c.EgressDefault = func() string { return tc.settings }
			})
			req := tc.req
			req.Prompt, req.Workspace = "go", t.TempDir()
			run, err := r.Start(context.Background(), req)
			if err != nil {
				t.Fatalf("Start() = %v", err)
			}
			cfg := runConfig(t, r, run.ID)
			if cfg.Egress != tc.want || cfg.V != record.ConfigVersion {
				t.Errorf("Egress = %q at v%d, want %q at v%d", cfg.Egress, cfg.V, tc.want, record.ConfigVersion)
			}
		})
	}
}

// TestEgressSessionInherits: a later run of a session keeps its policy and the hosts its
// earlier runs allowed, and EgressPolicy adds the ledger's net rules, read when asked.
func TestEgressSessionInherits(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{turns: []turn{{text: "ok"}}}, func(c *Config) { c.Ledger = approval.NewLedger(t.TempDir()) })
	ctx := context.Background()
	first, err := r.Start(ctx, StartRequest{Prompt: "one", Workspace: t.TempDir(), AllowHosts: []string{"a.test", "*.b.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Drive(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	second, err := r.Start(ctx, StartRequest{Prompt: "two", SessionID: first.SessionID, AllowHosts: []string{"c.test:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := runConfig(t, r, second.ID)
	if _, err := r.Ledger().AddRule("allow", "net(d.test)", "session:"+first.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Ledger().AddRule("deny", "net(x.b.test)", "global"); err != nil {
		t.Fatal(err)
	}
	pol, err := r.EgressPolicy(cfg, first.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	var allow []string
	for _, h := range pol.Allow {
		allow = append(allow, h.Pattern)
	}
	slices.Sort(allow)
	if cfg.Egress != "allowlist" || strings.Join(allow, " ") != "*.b.test a.test c.test:8443 d.test" {
		t.Errorf("second run: egress %q, allow %q; want allowlist and the hosts of both runs and the ledger", cfg.Egress, allow)
	}
	for host, want := range map[string]bool{"a.test": true, "y.b.test": true, "x.b.test": false, "d.test": true, "e.test": false} {
		if got := pol.Decide(host, 443).Allowed; got != want {
			t.Errorf("Decide(%s) = %v, want %v", host, got, want)
		}
	}
}
