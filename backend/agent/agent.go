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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// Step kinds and names the loop records.
const (
	KindConfig = "config"
	KindLLM    = "llm"
	KindTool   = "tool"

	stepConfig = "run.config"
	stepModel  = "model"
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

// Runner starts and drives runs. Fill every field; it is safe for concurrent use on
// different runs.
type Runner struct {
	Journal   *journal.Journal
	Bus       *bus.Bus[Event]
	Agents    map[string]Definition
	Prices    Prices
	Models    Models
	Sandboxes SandboxSource
	// HostSandbox opens a local sandbox on a host directory, for reads outside the
	// workspace that a person approved; nil refuses them.
	HostSandbox func(dir string) (sandbox.Sandbox, error)
	Tools       []tool.Tool
	// Ledger holds remembered approval rules; nil means none.
	Ledger *approval.Ledger
	// Approver answers approval requests while a run waits; nil suspends the run instead.
	Approver Approver
	// Checkpoints keeps the workspace before and after every step that can change it; nil
	// takes none.
	Checkpoints Checkpointer
	// DataDir holds default workspaces (DataDir/workspaces/SESSION).
	DataDir string
	// Cleanup removes what sandboxes keep for a session (Docker containers) when the session
	// is deleted; nil means nothing to remove.
	Cleanup func(ctx context.Context, sessionID string) error
	// SandboxDefaults gives the sandbox ("local" or "docker", "" for local) and
	// container settings a request leaves empty: the person's settings. A
	// request's own values win; nil means the built-in defaults.
	SandboxDefaults func() (string, ContainerSpec, error)
	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time

	// agentsMu guards Agents once the Runner is shared (SetAgents).
	agentsMu sync.RWMutex
}

// SetAgents replaces the agent definitions for runs started from now on;
// runs already recorded keep the configuration they started with.
func (r *Runner) SetAgents(defs map[string]Definition) {
	r.agentsMu.Lock()
	defer r.agentsMu.Unlock()
	r.Agents = defs
}

// definition returns the agent id's definition, or the known ids.
func (r *Runner) definition(id string) (Definition, bool, []string) {
	r.agentsMu.RLock()
	defer r.agentsMu.RUnlock()
	d, ok := r.Agents[id]
	if !ok {
		return d, false, IDs(r.Agents)
	}
	return d, true, nil
}

// applySandboxDefaults fills what req leaves empty from SandboxDefaults.
func (r *Runner) applySandboxDefaults(req *StartRequest) error {
	if r.SandboxDefaults == nil {
		return nil
	}
	env, spec, err := r.SandboxDefaults()
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
	return nil
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
	// ExecSecurity overrides the agent's exec policy for this run; Allow and Deny add
	// session-scoped rules.
	ExecSecurity approval.ExecPolicy
	Allow, Deny  []string
}

// RunConfig is a run's resolved configuration, recorded as its first step so a resumed run
// uses exactly what it started with, whatever changed in the settings since.
type RunConfig struct {
	Agent     string        `json:"agent"`
	Provider  string        `json:"provider"`
	Model     string        `json:"model"`
	BaseURL   string        `json:"base_url,omitempty"`
	System    string        `json:"system"`
	Tools     []string      `json:"tools"`
	MaxSteps  int           `json:"max_steps"`
	MaxTokens int           `json:"max_tokens"`
	Sandbox   string        `json:"sandbox"`
	Container ContainerSpec `json:"container,omitzero"`
	// Approval is the policy in force; Rules the agent's and this run's own rules (the
	// remembered ones live in the ledger and are read when a call is judged).
	Approval approval.Policy `json:"approval,omitzero"`
	Rules    []RuleScope     `json:"rules,omitempty"`
	History  []llm.Message   `json:"history,omitempty"` // earlier runs of the session
}

// RuleScope is a set of rule lists at one scope, as recorded in a run's configuration.
type RuleScope struct {
	Scope approval.Scope     `json:"scope"`
	Lists approval.RuleLists `json:"lists"`
}

// ContainerSpec configures a run's container when its sandbox is "docker"; zero fields take
// the sandbox's defaults (and the network is off unless named here).
type ContainerSpec struct {
	Image   string  `json:"image,omitempty"`
	Scope   string  `json:"scope,omitempty"` // "run" (default) or "session"
	Network string  `json:"network,omitempty"`
	Memory  int64   `json:"memory,omitempty"` // bytes
	CPUs    float64 `json:"cpus,omitempty"`
}

// Start records a new run (and session, if none was given) and returns it, pending. Drive
// runs it.
func (r *Runner) Start(ctx context.Context, req StartRequest) (journal.Run, error) {
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
		return journal.Run{}, errors.New("agent: container settings (image, scope, network, memory, cpus) need the docker sandbox")
	}
	sess, err := r.session(ctx, req)
	if err != nil {
		return journal.Run{}, err
	}
	cfg, err := r.resolve(ctx, def, req, sess.ID)
	if err != nil {
		return journal.Run{}, err
	}
	blob, err := json.Marshal(cfg)
	if err != nil {
		return journal.Run{}, err
	}
	// The run and its configuration are recorded together: a crash leaves both or neither.
	run, err := r.Journal.CreateRunWithStep(ctx, journal.Run{
		ID:        journal.NewID("run"),
		SessionID: sess.ID,
		Agent:     req.Agent,
		Prompt:    req.Prompt,
		Workspace: sess.Workspace,
		Sandbox:   cfg.Sandbox,
		Status:    journal.RunPending,
	}, journal.StepSpec{Name: stepConfig, Kind: KindConfig, Idempotent: true}, journal.StepResult{Output: blob})
	if err != nil {
		return journal.Run{}, fmt.Errorf("agent: create run: %w", err)
	}
	return run, nil
}

// resolve turns a request into the run's configuration: the agent definition with the
// request's overrides, defaults filled in, and the session's earlier conversation.
func (r *Runner) resolve(ctx context.Context, def Definition, req StartRequest, sessionID string) (RunConfig, error) {
	cfg := RunConfig{
		Agent: def.ID, Provider: def.Provider, Model: def.Model, BaseURL: def.BaseURL,
		System: def.System, Tools: def.Tools, MaxSteps: def.MaxSteps, MaxTokens: def.MaxTokens,
		Sandbox: req.Sandbox, Container: req.Container,
		Approval: def.Approval,
	}
	if req.ExecSecurity != "" {
		cfg.Approval.Exec = req.ExecSecurity
	}
	if err := cfg.Approval.Validate(); err != nil {
		return cfg, fmt.Errorf("agent %s: %w", def.ID, err)
	}
	for _, rs := range []RuleScope{
		{Scope: approval.AgentScope(def.ID), Lists: def.Rules},
		{Scope: approval.SessionScope(sessionID), Lists: approval.RuleLists{Allow: req.Allow, Deny: req.Deny}},
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
	cfg.Provider, cfg.Model = r.Models.Resolve(cfg.Provider, cfg.Model)
	history, err := r.history(ctx, sessionID)
	if err != nil {
		return cfg, err
	}
	cfg.History = history
	return cfg, nil
}

func (r *Runner) session(ctx context.Context, req StartRequest) (journal.Session, error) {
	if req.SessionID != "" {
		s, err := r.Journal.Session(ctx, req.SessionID)
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
		ws = filepath.Join(r.DataDir, "workspaces", id)
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
	s, err := r.Journal.CreateSession(ctx, journal.Session{ID: id, Title: title, Workspace: ws})
	if err != nil {
		return s, fmt.Errorf("agent: create session: %w", err)
	}
	return s, nil
}

func sameDir(a, b string) bool { return absClean(a) == absClean(b) }
