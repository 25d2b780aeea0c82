// Package agent is the orchestrator: it runs an agent's loop (model call, tool calls,
// results, next model call) as journal steps, so a run killed at any instant continues from
// its last completed step without repeating a finished model call or side effect.
//
// Every side effect and every nondeterministic input is a step: the run's resolved
// configuration (step 1), each model call and each tool call. Code between steps is
// deterministic, so the conversation rebuilt from the journal on resume is byte for byte the
// one an uninterrupted run would have had. The package must not know how steps are stored
// (journal), how providers speak (llm adapters) or how tools reach the workspace (sandbox).
package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// ErrSuspended means the run stopped to wait for a person (an interrupted side effect to
// resolve, or later an approval). The run's status says which.
var ErrSuspended = errors.New("agent: run is waiting for a person")

// ErrUnknownAgent means no agent has the requested id.
var ErrUnknownAgent = errors.New("agent: unknown agent")

// Models gives runs their model.
type Models interface {
	// Resolve fills in defaults: an empty provider becomes the first with credentials (else
	// "demo"), an empty model that provider's default model.
	Resolve(provider, model string) (string, string)
	// Model returns the model a resolved configuration names.
	Model(cfg RunConfig) (llm.Model, error)
}

// SandboxSource opens the sandbox a run's tools act through.
type SandboxSource func(ctx context.Context, run journal.Run, cfg RunConfig) (sandbox.Sandbox, error)

// Config is what a Runner is built from (New). A Runner never changes it afterwards; what
// varies from one drive to the next is a DriveOption.
type Config struct {
	// Journal records every run, step and decision.
	Journal *journal.Journal
	// Bus carries run events to the UI and the CLI; nil publishes none.
	Bus *bus.Bus[Event]
	// Agents are the agent definitions at start; SetAgents replaces them.
	Agents map[string]Definition
	// Prices price model calls; a drive may use others (WithPrices).
	Prices Prices
	// Models gives runs their model; a drive may use others (WithModels).
	Models Models
	// Sandboxes opens the sandbox a run's tools act through.
	Sandboxes SandboxSource
	// HostSandbox opens a local sandbox on a host directory, for reads outside the
	// workspace that a person approved; nil refuses them.
	HostSandbox func(dir string) (sandbox.Sandbox, error)
	// Tools are the tools agents may name.
	Tools []tool.Tool
	// MCP reaches the MCP servers whose tools runs are offered; nil means none.
	MCP *mcp.Host
	// Checkpoints keeps the workspace before and after every step that can change it; nil
	// takes none.
	Checkpoints Checkpointer
	// Ledger holds remembered approval rules; nil means none.
	Ledger *approval.Ledger
	// Approver answers approval requests while a run waits, unless a drive names
	// another (WithApprover); nil suspends the run instead.
	Approver Approver
	// DataDir holds default workspaces (DataDir/workspaces/SESSION).
	DataDir string
	// Cleanup removes what sandboxes keep for a session (Docker containers) when the session
	// is deleted; nil means nothing to remove.
	Cleanup func(ctx context.Context, sessionID string) error
	// SandboxDefaults gives the sandbox ("local" or "docker", "" for local) and
	// container settings a request leaves empty: the person's settings. A
	// request's own values win; nil means the built-in defaults.
	SandboxDefaults func() (string, ContainerSpec, error)
	// DailyCostCap returns the global cap on a day's model spend in US dollars (settings.json
	// budget.daily_cost_usd); zero or a nil func caps nothing. It is read before each new
	// model call.
	DailyCostCap func() (float64, error)
	// EgressDefault gives the settings' network policy ("", none, allowlist or open) for a
	// run that, its agent and its session leave it open; nil means none.
	EgressDefault func() string
	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time
}

// Runner starts and drives runs. Build it with New; it is safe for concurrent use on
// different runs.
type Runner struct {
	config Config

	// agentsMu guards agents, which SetAgents replaces while runs start.
	agentsMu sync.RWMutex
	agents   map[string]Definition
	// pricesMu guards prices (Config.Prices at first), which SetPrices replaces when the
	// Settings view saves prices.json.
	pricesMu sync.RWMutex
	prices   Prices
}

// SetPrices replaces the price table (and the context windows it holds) for drives started
// from now on.
func (r *Runner) SetPrices(p Prices) {
	r.pricesMu.Lock()
	defer r.pricesMu.Unlock()
	r.prices = p
}

// Prices returns the price table in force.
func (r *Runner) Prices() Prices {
	r.pricesMu.RLock()
	defer r.pricesMu.RUnlock()
	return r.prices
}

// New returns a Runner built from c. Fill every field of c that its documentation does
// not say may be nil.
func New(c Config) *Runner {
	return &Runner{config: c, agents: c.Agents, prices: c.Prices}
}

// SetAgents replaces the agent definitions for runs started from now on;
// runs already recorded keep the configuration they started with.
func (r *Runner) SetAgents(defs map[string]Definition) {
	r.agentsMu.Lock()
	defer r.agentsMu.Unlock()
	r.agents = defs
}

// Agent returns the definition of the agent id, if there is one.
func (r *Runner) Agent(id string) (Definition, bool) {
	d, ok, _ := r.definition(id)
	return d, ok
}

// Ledger returns the ledger of remembered approval rules the Runner was built with (nil if
// none), for the settings that list and change them.
func (r *Runner) Ledger() *approval.Ledger { return r.config.Ledger }

// MCP returns the host of the MCP servers runs are offered, or nil when there is none.
func (r *Runner) MCP() *mcp.Host { return r.config.MCP }

// definition returns the agent id's definition, or the known ids.
func (r *Runner) definition(id string) (Definition, bool, []string) {
	r.agentsMu.RLock()
	defer r.agentsMu.RUnlock()
	d, ok := r.agents[id]
	if !ok {
		return d, false, IDs(r.agents)
	}
	return d, true, nil
}

// applySandboxDefaults fills what req leaves empty from SandboxDefaults.
func (r *Runner) applySandboxDefaults(req *StartRequest) error {
	if r.config.SandboxDefaults == nil {
		return nil
	}
	env, spec, err := r.config.SandboxDefaults()
	if err != nil {
		return fmt.Errorf("agent: sandbox defaults: %w", err)
	}
	if req.Sandbox == "" {
		req.Sandbox = env
	}
	if req.Sandbox != "docker" {
		return nil
	}
	c := &req.Container
	if c.Image == "" {
		c.Image = spec.Image
	}
	if c.Scope == "" {
		c.Scope = spec.Scope
	}
	if c.Network == "" {
		c.Network = spec.Network
	}
	if c.Memory == 0 {
		c.Memory = spec.Memory
	}
	if c.CPUs == 0 {
		c.CPUs = spec.CPUs
	}
	if c.IdleSeconds == 0 {
		c.IdleSeconds = spec.IdleSeconds
	}
	return nil
}

// DefaultSessionIdle is how long a session's container may go without a command before it
// removes itself when neither the run, its agent nor the settings say.
const DefaultSessionIdle = 15 * time.Minute

// sessionIdle settles the idle time of a session's container: the request's, else the
// agent's, else the settings' (already in c), else DefaultSessionIdle; a run-scoped
// container has none.
func sessionIdle(c *ContainerSpec, def Definition, fromRequest bool) {
	switch {
	case c.Scope != "session":
		c.IdleSeconds = 0
	case fromRequest:
	case def.SessionIdleMinutes > 0:
		c.IdleSeconds = int64(def.SessionIdleMinutes) * 60
	case c.IdleSeconds == 0:
		c.IdleSeconds = int64(DefaultSessionIdle / time.Second)
	}
}

// StartRequest asks for a new run.
type StartRequest struct {
	SessionID string // empty starts a new session
	Agent     string // empty means DefaultAgentID
	Prompt    string
	Workspace string        // empty: the session's, else DataDir/workspaces/SESSION
	Sandbox   string        // "local" (default) or "docker"
	Container ContainerSpec // the container, for the docker sandbox
	// Overrides of the agent definition, for this run only.
	Provider  string
	Model     string
	BaseURL   string
	MaxSteps  int
	MaxTokens int
	// Thinking overrides the agent's thinking setting (see Definition.Thinking).
	Thinking string
	// ExecSecurity overrides the agent's exec policy for this run; Allow and Deny add
	// session-scoped rules.
	ExecSecurity approval.ExecPolicy
	Allow, Deny  []string
	// Queued names the queued prompt (journal.QueuedPrompt) this start takes off the
	// queue, in the same transaction that records the run.
	Queued string `json:"queued,omitempty"`
	// MaxCostUSD and MaxRunTokens replace the agent's spend caps for this run (zero keeps
	// the agent's).
	MaxCostUSD   float64
	MaxRunTokens int64
	// Network is the egress policy of the run's commands: "none", "allowlist" or "open"
	// (egress.Mode); empty takes the agent's, else the session's last run's, else
	// "allowlist" when AllowHosts names hosts, else none.
	Network string
	// AllowHosts adds net(HOST) allow rules at the session's scope ("*.github.com",
	// "registry.npmjs.org:443").
	AllowHosts []string
}

// RunConfig is a run's resolved configuration, recorded as its first step (see
// record.RunConfig, its one definition).
type RunConfig = record.RunConfig

// RuleScope is a set of rule lists at one scope, as recorded in a run's configuration.
type RuleScope = record.RuleScope

// ContainerSpec configures a run's container when its sandbox is "docker" (see
// record.ContainerSpec).
type ContainerSpec = record.ContainerSpec

// Start records a new run (and session, if none was given) and returns it, pending. Drive
// runs it.
func (r *Runner) Start(ctx context.Context, req StartRequest) (journal.Run, error) {
	return r.start(ctx, req, r.config.Models)
}

// start is Start with the Models that resolve the request's provider and model.
func (r *Runner) start(ctx context.Context, req StartRequest, models Models) (journal.Run, error) {
	if req.Prompt == "" {
		return journal.Run{}, errors.New("agent: empty prompt")
	}
	if req.Agent == "" {
		req.Agent = DefaultAgentID
	}
	def, ok, known := r.definition(req.Agent)
	if !ok {
		return journal.Run{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownAgent, req.Agent, known)
	}
	if err := r.inheritSessionSandbox(ctx, &req); err != nil {
		return journal.Run{}, err
	}
	idleAsked := req.Container.IdleSeconds > 0
	if err := r.applySandboxDefaults(&req); err != nil {
		return journal.Run{}, err
	}
	switch req.Sandbox {
	case "":
		req.Sandbox = "local"
	case "local", "docker":
	default:
		return journal.Run{}, fmt.Errorf("agent: unknown sandbox %q (want local or docker)", req.Sandbox)
	}
	switch req.Container.Scope {
	case "", "run", "session":
	default:
		return journal.Run{}, fmt.Errorf("agent: unknown container scope %q (want run or session)", req.Container.Scope)
	}
	if req.Sandbox != "docker" && req.Container != (ContainerSpec{}) {
		return journal.Run{}, errors.New("agent: container settings (image, scope, network, memory, cpus, idle) need the docker sandbox")
	}
	if req.Sandbox == "docker" {
		sessionIdle(&req.Container, def, idleAsked)
	}
	sess, err := r.session(ctx, req)
	if err != nil {
		return journal.Run{}, err
	}
	cfg, err := r.resolve(ctx, def, req, sess.ID, models)
	if err != nil {
		return journal.Run{}, err
	}
	blob, err := json.Marshal(cfg)
	if err != nil {
		return journal.Run{}, err
	}
	// The run and its configuration are recorded together: a crash leaves both or neither.
	run, err := r.config.Journal.CreateRunWithStep(ctx, journal.Run{
		ID:        journal.NewID("run"),
		SessionID: sess.ID,
		Agent:     req.Agent,
		Prompt:    req.Prompt,
		Workspace: sess.Workspace,
		Sandbox:   cfg.Sandbox,
		Status:    journal.RunPending,
		FromQueue: req.Queued,
	}, journal.StepSpec{Name: record.NameConfig, Kind: record.KindConfig, Idempotent: true}, journal.StepResult{Output: blob})
	if err != nil {
		return journal.Run{}, fmt.Errorf("agent: create run: %w", err)
	}
	return run, nil
}

// resolve turns a request into the run's configuration: the agent definition with the
// request's overrides, defaults filled in, and the session's earlier conversation.
func (r *Runner) resolve(ctx context.Context, def Definition, req StartRequest, sessionID string, models Models) (RunConfig, error) {
	cfg := RunConfig{
		Agent: def.ID, Provider: def.Provider, Model: def.Model, BaseURL: def.BaseURL,
		System: def.System, Tools: def.Tools, MaxSteps: def.MaxSteps, MaxTokens: def.MaxTokens, MaxTokensField: def.MaxTokensField,
		Sandbox: req.Sandbox, Container: req.Container,
		Approval: def.Approval, Subagents: def.Subagents,
		Budget: Budget{MaxCostUSD: def.MaxCostUSD, MaxTokens: def.MaxRunTokens},
	}
	if req.MaxCostUSD > 0 {
		cfg.Budget.MaxCostUSD = req.MaxCostUSD
	}
	if req.MaxRunTokens > 0 {
		cfg.Budget.MaxTokens = req.MaxRunTokens
	}
	if req.ExecSecurity != "" {
		cfg.Approval.Exec = req.ExecSecurity
	}
	if err := cfg.Approval.Validate(); err != nil {
		return cfg, fmt.Errorf("agent %s: %w", def.ID, err)
	}
	mode, inherited, err := r.egressMode(ctx, def, req, sessionID)
	if err != nil {
		return cfg, err
	}
	allow := slices.Clone(req.Allow)
	for _, h := range append(inherited, req.AllowHosts...) {
		if rule := "net(" + h + ")"; !slices.Contains(allow, rule) {
			allow = append(allow, rule)
		}
	}
	if mode != egress.ModeNone {
		cfg.Egress = string(mode)
	}
	for _, rs := range []RuleScope{
		{Scope: approval.AgentScope(def.ID), Lists: def.Rules},
		{Scope: approval.SessionScope(sessionID), Lists: approval.RuleLists{Allow: allow, Deny: req.Deny}},
	} {
		if _, err := rs.Lists.Rules(rs.Scope); err != nil {
			return cfg, fmt.Errorf("agent: rules: %w", err)
		}
		if len(rs.Lists.Allow)+len(rs.Lists.Ask)+len(rs.Lists.Deny) > 0 {
			cfg.Rules = append(cfg.Rules, rs)
		}
	}
	if req.Provider != "" {
		cfg.Provider, cfg.Model, cfg.BaseURL = req.Provider, "", ""
	}
	if req.Model != "" {
		cfg.Model = req.Model
	}
	if req.BaseURL != "" {
		cfg.BaseURL = req.BaseURL
	}
	if req.MaxSteps > 0 {
		cfg.MaxSteps = req.MaxSteps
	}
	if req.MaxTokens > 0 {
		cfg.MaxTokens = req.MaxTokens
	}
	thinking := def.Thinking
	if req.Thinking != "" {
		thinking = req.Thinking
	}
	if cfg.Thinking, err = ParseThinking(thinking); err != nil {
		return cfg, fmt.Errorf("agent %s: %w", def.ID, err)
	}
	cfg.Provider, cfg.Model = models.Resolve(cfg.Provider, cfg.Model)
	if cfg.ContextWindow = contextWindow(def, r.Prices(), cfg.Provider, cfg.Model); cfg.ContextWindow > 0 {
		cfg.CompactAt = compactAt(def)
	}
	history, err := r.history(ctx, sessionID, clipBudget(cfg))
	if err != nil {
		return cfg, err
	}
	cfg.History = history
	if cfg.MCP, err = r.mcpServers(def); err != nil {
		return cfg, err
	}
	cfg.V = record.ConfigVersion
	return cfg, nil
}

// egressMode settles a run's egress policy: the request's, else the agent's, else the
// session's last run's, else allowlist when the request allows hosts, else none. A run in
// an existing session also inherits the hosts earlier runs allowed for the session
// (--allow-host), returned as inherited.
func (r *Runner) egressMode(ctx context.Context, def Definition, req StartRequest, sessionID string) (mode egress.Mode, inherited []string, err error) {
	name := cmp.Or(req.Network, def.Network)
	if req.SessionID != "" {
		prev, hosts, err := r.sessionEgress(ctx, sessionID)
		if err != nil {
			return "", nil, err
		}
		name, inherited = cmp.Or(name, prev), hosts
	}
	if name == "" && len(req.AllowHosts) > 0 {
		name = string(egress.ModeAllowlist)
	}
	if name == "" && r.config.EgressDefault != nil {
		// The settings' default gives way to a container network the request names.
		if req.Sandbox != "docker" || req.Container.Network == "" || req.Container.Network == "none" {
			name = r.config.EgressDefault()
		}
	}
	mode, err = egress.ParseMode(name)
	if err != nil {
		return "", nil, fmt.Errorf("agent %s: %w", def.ID, err)
	}
	if mode != egress.ModeNone && req.Sandbox == "docker" && req.Container.Network != "" && req.Container.Network != "none" {
		return "", nil, fmt.Errorf("agent: egress policy %s needs the container network none, not %q (the proxy is its way out)", mode, req.Container.Network)
	}
	return mode, inherited, nil
}

func (r *Runner) session(ctx context.Context, req StartRequest) (journal.Session, error) {
	if req.SessionID != "" {
		s, err := r.config.Journal.Session(ctx, req.SessionID)
		if err != nil {
			return s, fmt.Errorf("agent: session %s: %w", req.SessionID, err)
		}
		if s.Imported() {
			return s, fmt.Errorf("agent: session %s was imported and is read-only: start a new session, or re-run its runs with corral replay", s.ID)
		}
		if req.Workspace != "" && !sameDir(req.Workspace, s.Workspace) {
			return s, fmt.Errorf("agent: session %s works in %s; a run cannot move it to %s", s.ID, s.Workspace, req.Workspace)
		}
		return s, nil
	}
	id := journal.NewID("ses")
	ws := req.Workspace
	if ws == "" {
		ws = filepath.Join(r.config.DataDir, "workspaces", id)
	}
	ws, err := filepath.Abs(ws)
	if err != nil {
		return journal.Session{}, fmt.Errorf("agent: workspace: %w", err)
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return journal.Session{}, fmt.Errorf("agent: create workspace: %w", err)
	}
	title := req.Prompt
	if len(title) > 80 {
		title = title[:77] + "..."
	}
	s, err := r.config.Journal.CreateSession(ctx, journal.Session{ID: id, Title: title, Workspace: ws})
	if err != nil {
		return s, fmt.Errorf("agent: create session: %w", err)
	}
	return s, nil
}

func sameDir(a, b string) bool { return absClean(a) == absClean(b) }
