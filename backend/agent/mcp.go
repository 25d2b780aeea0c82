package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// mcpServers names the MCP servers a new run of def uses: the agent's own
// enabled servers, and of the global ones those its list names, else every
// enabled one.
func (r *Runner) mcpServers(def Definition) ([]string, error) {
	if r.config.MCP == nil {
		return nil, nil
	}
	own, err := def.OwnMCPServers()
	if err != nil {
		return nil, fmt.Errorf("agent %s: mcpServers: %w", def.ID, err)
	}
	all, err := r.config.MCP.Config.Servers()
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	var out []string
	for _, s := range own {
		if !s.Disabled {
			out = append(out, s.Name)
		}
	}
	for _, s := range all {
		if !s.Disabled && !slices.Contains(out, s.Name) && (len(def.MCP) == 0 || slices.Contains(def.MCP, s.Name)) {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// OwnMCPServers parses the agent's own mcpServers.
func (d Definition) OwnMCPServers() ([]mcp.Server, error) {
	if len(d.MCPServers) == 0 || string(d.MCPServers) == "null" {
		return nil, nil
	}
	return mcp.ParseServers(append(append([]byte(`{"mcpServers":`), d.MCPServers...), '}'))
}

// mcpTools adds the run's MCP tools to what the model is offered: a step
// records them (the servers started in the run's sandbox and listed),
// later drives replay it. A run without MCP servers has no such step.
func (l *loop) mcpTools(ctx context.Context, specs []llm.ToolSpec) ([]llm.ToolSpec, error) {
	if len(l.cfg.MCP) == 0 {
		return specs, nil
	}
	st, err := l.step(ctx, journal.StepSpec{Name: record.NameMCPTools, Kind: record.KindConfig, Idempotent: true}, func(ctx context.Context) (journal.StepResult, error) {
		d := mcp.Discovery{Servers: []mcp.ServerStatus{}, Tools: []mcp.ToolSpec{}}
		if l.r.config.MCP == nil {
			for _, name := range l.cfg.MCP {
				d.Servers = append(d.Servers, mcp.ServerStatus{Name: name, Error: "MCP servers are not available in this Corral"})
			}
		} else {
			if err := l.openSandbox(ctx); err != nil {
				return journal.StepResult{}, err
			}
			var err error
			if d, err = l.r.config.MCP.Discover(ctx, l.mcpPlace(l.sb), l.cfg.Agent, l.cfg.MCP, l.cfg.Tools); err != nil {
				return journal.StepResult{}, err
			}
		}
		out, err := json.Marshal(d)
		return journal.StepResult{Output: out}, err
	})
	if err != nil {
		return nil, err
	}
	var d mcp.Discovery
	if err := json.Unmarshal(st.Output, &d); err != nil {
		return nil, fmt.Errorf("agent: run %s step %d: recorded MCP tools: %w", l.run.ID, st.Seq, err)
	}
	for _, s := range d.Tools {
		t := mcp.NewTool(l.r.config.MCP, s)
		t.Place = l.mcpPlace
		l.tools[s.Name] = t
		specs = append(specs, llm.ToolSpec{Name: t.Name(), Description: t.Description(), InputSchema: t.Schema()})
	}
	return specs, nil
}

// mcpPlace is where the run's MCP servers live, given the sandbox the drive opened: they
// belong to the session, so its next runs in this process find them running, as long as
// they use the same kind of sandbox on the same workspace with the same network and
// container, and may write in the same places (a run-scoped container is the run's alone).
// The Host opens a sandbox of its own for them (closed when they stop), since the drive's
// closes when the drive ends.
func (l *loop) mcpPlace(sb sandbox.Sandbox) mcp.Place {
	id := struct {
		Sandbox   string               `json:"sandbox"`
		Container record.ContainerSpec `json:"container"`
		Info      sandbox.Info         `json:"info"`
		Writable  []string             `json:"writable,omitempty"`
		Run       string               `json:"run,omitempty"`
	}{Sandbox: l.cfg.Sandbox, Container: l.cfg.Container, Info: sb.Info()}
	id.Container.IdleSeconds = 0
	if w, ok := sb.(writableSandbox); ok {
		id.Writable = w.Writable()
	}
	if l.runScoped() {
		id.Run = l.run.ID
	}
	key, _ := json.Marshal(id)
	run, cfg := l.run, l.cfg
	return mcp.Place{Session: l.run.SessionID, Sandbox: string(key), Own: true,
		Open: func(ctx context.Context) (sandbox.Sandbox, error) { return l.r.config.Sandboxes(ctx, run, cfg) }}
}

// writableSandbox is a sandbox that says where else its commands may write (local's).
type writableSandbox interface {
	Writable() []string
}

// runScoped reports whether the run's sandbox is its own container, removed when the run's
// drive ends: its MCP servers end with the drive.
func (l *loop) runScoped() bool {
	return l.cfg.Sandbox == "docker" && l.cfg.Container.Scope != "session"
}

// isMCP reports whether t is an MCP server's tool: every call passes the
// gate, which lets read-only ones through unless a rule says otherwise.
func isMCP(t tool.Tool) bool {
	_, ok := t.(*mcp.Tool)
	return ok
}

// mcpCall is what the gate knows of an MCP tool.
func mcpCall(t *mcp.Tool) approval.MCPCall {
	s := t.Spec
	return approval.MCPCall{Server: s.Server, Tool: s.Tool, Title: s.Title, Description: s.Description,
		ReadOnly: s.ReadOnly, Destructive: s.DestructiveDeclared, Schema: s.InputSchema}
}

// check judges a gated call: an MCP tool by its rules and hints, any
// other by approval.Check.
func (l *loop) check(use llm.Block, rules approval.RuleSet) approval.Assessment {
	if t, ok := l.tools[use.Name].(*mcp.Tool); ok {
		return approval.CheckMCP(mcpCall(t), rules)
	}
	return approval.Check(use.Name, use.Input, l.policy(), rules, l.ws)
}

// prepare builds the request a person is asked about a gated call.
func (l *loop) prepare(use llm.Block, a approval.Assessment) (approval.Request, error) {
	if t, ok := l.tools[use.Name].(*mcp.Tool); ok {
		return approval.PrepareMCP(use.Name, use.Input, mcpCall(t), a), nil
	}
	return approval.Prepare(use.Name, use.Input, a, l.ws, l.sb.Files(), approval.PreviewOptions{})
}
