package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	"github.com/corral-dev/corral/backend/trace"
)

// SettingsConfig is what the Settings view's services need from the composition root.
type SettingsConfig struct {
	// DataDir holds settings.json, agents.json and the credentials file.
	DataDir string
	// Credentials keeps provider keys; nil disables the providers section.
	Credentials *credential.Credentials
	// Getenv is the process environment, to say when a variable overrides a saved value.
	Getenv func(string) string
	// Containers connects to the Docker engine; nil means no Docker panel.
	Containers func(ctx context.Context) (ContainerManager, error)
}

// Settings is the Settings view's providers and sandbox sections: provider keys (saved in
// the OS keychain or the credentials file, never returned in full), provider base URLs and
// the sandbox defaults new runs take.
type Settings struct {
	dataDir string
	creds   *credential.Credentials
	getenv  func(string) string
}

// ProvidersView is the providers section.
type ProvidersView struct {
	// Store is where a key saved now goes: "keychain" or "file".
	Store credential.Where `json:"store"`
	// StoreReason says why the keychain is not used, when it is not.
	StoreReason string          `json:"store_reason,omitempty"`
	FilePath    string          `json:"file_path"`
	Providers   []ProviderState `json:"providers"`
}

// ProviderState is one provider: its saved key (masked), and what the environment overrides.
type ProviderState struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	KeyVar string `json:"key_var"`
	// Key is the saved key's status: set, masked, where; never its value.
	Key credential.Status `json:"key"`
	// KeyFromEnv reports that KeyVar is set in the environment, which wins over a saved key.
	KeyFromEnv     bool   `json:"key_from_env"`
	URLVar         string `json:"url_var"`
	BaseURL        string `json:"base_url"`
	BaseURLFromEnv string `json:"base_url_from_env,omitempty"`
	DefaultBaseURL string `json:"default_base_url"`
}

// info returns the configurable catalog provider name.
func (s *Settings) info(name string) (catalog.Provider, error) {
	var ids []string
	for _, p := range catalog.Configurable() {
		if p.ID == name {
			return p, nil
		}
		ids = append(ids, p.ID)
	}
	return catalog.Provider{}, fmt.Errorf("unknown provider %q (want %s)", name, strings.Join(ids, " or "))
}

// Providers returns the providers section.
func (s *Settings) Providers() (ProvidersView, error) {
	if s.creds == nil {
		return ProvidersView{}, errors.New("credentials are not available in this process")
	}
	settings, err := config.LoadSettings(s.dataDir)
	if err != nil {
		return ProvidersView{}, err
	}
	where, reason := s.creds.Backend()
	v := ProvidersView{Store: where, StoreReason: reason, FilePath: s.creds.FilePath()}
	for _, p := range catalog.Configurable() {
		v.Providers = append(v.Providers, ProviderState{
			Name: p.ID, Label: p.Label, KeyVar: p.KeyVar,
			Key:        s.creds.Status(p.KeyVar),
			KeyFromEnv: s.getenv(p.KeyVar) != "",
			URLVar:     p.BaseURLVar, BaseURL: settings.Providers[p.ID].BaseURL, BaseURLFromEnv: s.getenv(p.BaseURLVar),
			DefaultBaseURL: p.DefaultBaseURL,
		})
	}
	return v, nil
}

// SaveKey saves a provider's API key and returns the providers section. The key is never
// returned, logged or recorded; the view shows it masked.
func (s *Settings) SaveKey(provider, key string) (ProvidersView, error) {
	p, err := s.info(provider)
	if err != nil {
		return ProvidersView{}, err
	}
	if s.creds == nil {
		return ProvidersView{}, errors.New("credentials are not available in this process")
	}
	if _, err := s.creds.Set(p.KeyVar, key); err != nil {
		return ProvidersView{}, err
	}
	return s.Providers()
}

// DeleteKey removes a provider's saved key (from the keychain and the file).
func (s *Settings) DeleteKey(provider string) (ProvidersView, error) {
	p, err := s.info(provider)
	if err != nil {
		return ProvidersView{}, err
	}
	if s.creds == nil {
		return ProvidersView{}, errors.New("credentials are not available in this process")
	}
	if err := s.creds.Delete(p.KeyVar); err != nil {
		return ProvidersView{}, err
	}
	return s.Providers()
}

// SaveBaseURL saves a provider's base URL ("" returns to the default).
func (s *Settings) SaveBaseURL(provider, url string) (ProvidersView, error) {
	if _, err := s.info(provider); err != nil {
		return ProvidersView{}, err
	}
	settings, err := config.LoadSettings(s.dataDir)
	if err != nil {
		return ProvidersView{}, err
	}
	if settings.Providers == nil {
		settings.Providers = map[string]config.Provider{}
	}
	settings.Providers[provider] = config.Provider{BaseURL: url}
	if err := config.SaveSettings(s.dataDir, settings); err != nil {
		return ProvidersView{}, err
	}
	return s.Providers()
}

// SandboxView is the sandbox defaults section, as saved in settings.json.
type SandboxView = config.Sandbox

// Sandbox returns the sandbox defaults new runs take when they do not choose.
func (s *Settings) Sandbox() (SandboxView, error) {
	settings, err := config.LoadSettings(s.dataDir)
	return settings.Sandbox, err
}

// SaveSandbox validates and saves the sandbox defaults; they apply to the next run started
// from the window, `corral serve` or `corral run` without the matching flags.
func (s *Settings) SaveSandbox(v SandboxView) (SandboxView, error) {
	settings, err := config.LoadSettings(s.dataDir)
	if err != nil {
		return SandboxView{}, err
	}
	settings.Sandbox = v
	if err := config.SaveSettings(s.dataDir, settings); err != nil {
		return SandboxView{}, err
	}
	return s.Sandbox()
}

// Agents lists, creates, edits and deletes agents (DATA_DIR/agents.json). A saved change
// applies to runs started afterwards.
type Agents struct {
	dataDir string
	runner  *agent.Runner
}

// AgentView is an agent as the Settings view edits it.
type AgentView struct {
	ID        string   `json:"id"`
	Provider  string   `json:"provider"`
	Model     string   `json:"model"`
	System    string   `json:"system"`
	Tools     []string `json:"tools"`
	MaxSteps  int      `json:"max_steps"`
	MaxTokens int      `json:"max_tokens"`
	// Thinking is the extended thinking setting: "" (off), "off", an effort level
	// ("low", "medium", "high") or a budget of thinking tokens ("4096").
	Thinking string `json:"thinking"`
	// MaxTokensField names the output limit on the wire for OpenAI-compatible servers:
	// "" (automatic), "max_tokens" or "max_completion_tokens".
	MaxTokensField string `json:"max_tokens_field"`
	// MaxCostUSD and MaxRunTokens are the caps of each of the agent's runs (0: none).
	MaxCostUSD   float64         `json:"max_cost_usd"`
	MaxRunTokens int64           `json:"max_run_tokens"`
	Approval     approval.Policy `json:"approval"`
	// MCP names the MCP servers the agent uses; empty means every enabled one.
	MCP []string `json:"mcp"`
	// Network is the agent's egress policy: "" (the session's, else the settings'), "none",
	// "allowlist" (the hosts of its net(...) rules and the ledger's) or "open".
	Network string `json:"network"`
	// Rules counts the agent's own allow / ask / deny rules (edited in agents.json).
	Rules int `json:"rules"`
	// Builtin reports an agent that ships with Corral; Changed one that agents.json changes
	// (deleting it returns a built-in to its defaults).
	Builtin bool `json:"builtin"`
	Changed bool `json:"changed"`
}

// AgentList is the agents section: every agent and the tools they may be given.
type AgentList struct {
	Agents []AgentView `json:"agents"`
	Tools  []string    `json:"tools"`
}

// List returns every agent, sorted by id.
func (a *Agents) List() (AgentList, error) {
	defs, err := agent.LoadDefinitions(a.dataDir)
	if err != nil {
		return AgentList{}, err
	}
	return a.list(defs)
}

func (a *Agents) list(defs map[string]agent.Definition) (AgentList, error) {
	user, err := agent.UserIDs(a.dataDir)
	if err != nil {
		return AgentList{}, err
	}
	out := AgentList{Agents: []AgentView{}, Tools: agent.ToolNames()}
	for _, id := range agent.IDs(defs) {
		d := defs[id]
		tools := d.Tools
		if tools == nil {
			tools = []string{}
		}
		out.Agents = append(out.Agents, AgentView{
			ID: d.ID, Provider: d.Provider, Model: d.Model, System: d.System, Tools: tools,
			MaxSteps: d.MaxSteps, MaxTokens: d.MaxTokens, Thinking: d.Thinking, MaxTokensField: d.MaxTokensField, Approval: d.Approval, MCP: nonNil(d.MCP),
			MaxCostUSD: d.MaxCostUSD, MaxRunTokens: d.MaxRunTokens,
			Network: d.Network,
			Rules:   len(d.Rules.Allow) + len(d.Rules.Ask) + len(d.Rules.Deny),
			Builtin: agent.IsBuiltin(id), Changed: slices.Contains(user, id),
		})
	}
	return out, nil
}

// Save creates an agent (previous "") or changes the agent previous (renaming it when the
// id differs). Fields the view does not edit (base URL, rules) are kept.
func (a *Agents) Save(previous string, v AgentView) (AgentList, error) {
	defs, err := agent.LoadDefinitions(a.dataDir)
	if err != nil {
		return AgentList{}, err
	}
	d := agent.Definition{}
	if previous != "" {
		old, ok := defs[previous]
		if !ok {
			return AgentList{}, fmt.Errorf("%w %q", agent.ErrUnknownAgent, previous)
		}
		d = old
	}
	d.ID, d.Provider, d.Model, d.System = strings.TrimSpace(v.ID), v.Provider, strings.TrimSpace(v.Model), v.System
	d.Tools, d.MaxSteps, d.MaxTokens, d.Approval = v.Tools, v.MaxSteps, v.MaxTokens, v.Approval
	if v.MCP != nil { // a view without the key (an older UI) keeps the agent's list
		d.MCP = v.MCP
	}
	d.Thinking, d.MaxTokensField, d.Network = strings.TrimSpace(v.Thinking), v.MaxTokensField, v.Network
	d.MaxCostUSD, d.MaxRunTokens = v.MaxCostUSD, v.MaxRunTokens
	if err := agent.SaveDefinition(a.dataDir, previous, d); err != nil {
		return AgentList{}, err
	}
	return a.reload()
}

// Delete removes a user agent, or returns a changed built-in agent to its defaults.
func (a *Agents) Delete(id string) (AgentList, error) {
	if err := agent.DeleteDefinition(a.dataDir, id); err != nil {
		return AgentList{}, err
	}
	return a.reload()
}

// reload hands the saved definitions to the runner and lists them.
func (a *Agents) reload() (AgentList, error) {
	defs, err := agent.LoadDefinitions(a.dataDir)
	if err != nil {
		return AgentList{}, err
	}
	if a.runner != nil {
		a.runner.SetAgents(defs)
	}
	return a.list(defs)
}

// Rules is the remembered approval rules (the ledger, DATA_DIR/rules.json): list, revoke,
// add and test, with the same approval functions `corral rules` uses.
type Rules struct {
	ledger *approval.Ledger
}

// List returns the remembered rules in the order they were added.
func (r *Rules) List() ([]approval.Entry, error) {
	entries, err := r.ledger.List()
	if entries == nil {
		entries = []approval.Entry{}
	}
	return entries, err
}

// Add remembers a rule ("exec(npm test)", "write(src/**)") on a list (allow, ask, deny) at
// a scope (global, agent:ID, session:ID).
func (r *Rules) Add(list, rule, scope string) (approval.Entry, error) {
	return r.ledger.AddRule(list, rule, scope)
}

// Remove revokes the rule id.
func (r *Rules) Remove(id string) error {
	return r.ledger.Remove(id)
}

// Test judges a command line against the remembered rules at scope ("" or global, agent:ID,
// session:ID), without running it.
func (r *Rules) Test(command, scope string) (approval.Verdict, error) {
	return r.ledger.Test(command, strings.TrimSpace(scope))
}

// ContainerManager is what the Docker panel needs of the Docker sandbox manager.
type ContainerManager interface {
	List(ctx context.Context) ([]docker.Container, error)
	Remove(ctx context.Context, idOrName string) error
	Prune(ctx context.Context) ([]docker.Container, error)
	SessionContainer(ctx context.Context, sessionID string) (docker.SessionStatus, bool, error)
}

// dockerTimeout bounds each Docker panel call, so a dead or hung engine is a message in
// the panel, not a hung UI.
const dockerTimeout = 8 * time.Second

// Containers is the Docker panel: Corral's containers on the engine, remove and prune.
type Containers struct {
	connect func(ctx context.Context) (ContainerManager, error)
}

// ContainersView is the Docker panel's content. When the engine cannot be reached,
// Available is false and Error says why; that is not an error of the call.
type ContainersView struct {
	Available  bool            `json:"available"`
	Error      string          `json:"error,omitempty"`
	Containers []ContainerView `json:"containers"`
}

// ContainerView is one container.
type ContainerView struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Image    string    `json:"image"`
	State    string    `json:"state"`
	Status   string    `json:"status"`
	Session  string    `json:"session"`
	Run      string    `json:"run"`
	Scope    string    `json:"scope"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
	Size     int64     `json:"size"`
	// Owner is "this process", "orphan" or "pid N".
	Owner string `json:"owner"`
}

func (c *Containers) manager(ctx context.Context) (ContainerManager, error) {
	if c.connect == nil {
		return nil, errors.New("the Docker sandbox is not available in this process")
	}
	return c.connect(ctx)
}

// List returns Corral's containers, oldest first.
func (c *Containers) List() (ContainersView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	m, err := c.manager(ctx)
	if err != nil {
		return ContainersView{Containers: []ContainerView{}, Error: err.Error()}, nil
	}
	list, err := m.List(ctx)
	if err != nil {
		return ContainersView{Containers: []ContainerView{}, Error: err.Error()}, nil
	}
	out := ContainersView{Available: true, Containers: make([]ContainerView, 0, len(list))}
	for _, x := range list {
		out.Containers = append(out.Containers, ContainerView{
			ID: x.ID, Name: x.Name, Image: x.Image, State: x.State, Status: x.Status, Session: x.Session, Run: x.Run,
			Scope: x.Scope, Created: x.Created, LastUsed: x.LastUsed, Size: x.Size, Owner: x.OwnerText(),
		})
	}
	return out, nil
}

// Remove removes one Corral container, whoever owns it.
func (c *Containers) Remove(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	m, err := c.manager(ctx)
	if err != nil {
		return err
	}
	return m.Remove(ctx, id)
}

// Prune removes the containers nobody needs (orphans, and this process's idle or stopped
// ones) and returns how many went.
func (c *Containers) Prune() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	m, err := c.manager(ctx)
	if err != nil {
		return 0, err
	}
	removed, err := m.Prune(ctx)
	return len(removed), err
}

// SessionContainerView is a session's shared container as the session header shows it:
// the one its runs (docker sandbox, session scope) share, which outlives Corral and removes
// itself when idle. Available is false with Error when the engine cannot be reached;
// Running is false when the session has no such container now.
type SessionContainerView struct {
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
	Running   bool   `json:"running"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Image     string `json:"image"`
	// IdleSeconds is how long it has run no command; IdleTimeoutSeconds when it goes.
	IdleSeconds        int64 `json:"idle_seconds"`
	IdleTimeoutSeconds int64 `json:"idle_timeout_seconds"`
}

// Session returns the container a session's runs share, if one runs. Stop it with Remove.
func (c *Containers) Session(sessionID string) (SessionContainerView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	m, err := c.manager(ctx)
	if err != nil {
		return SessionContainerView{Error: err.Error()}, nil
	}
	st, ok, err := m.SessionContainer(ctx, sessionID)
	if err != nil && !ok {
		return SessionContainerView{Error: err.Error()}, nil
	}
	v := SessionContainerView{Available: true, Running: ok}
	if ok {
		v.ID, v.Name, v.Image = st.Container.ID, st.Container.Name, st.Container.Image
		v.IdleSeconds, v.IdleTimeoutSeconds = int64(st.IdleFor/time.Second), int64(st.IdleTimeout/time.Second)
	}
	return v, nil
}

// redactions turns the saved keys into patterns for trace.Options.Redact.
func (t *Traces) redactions() []*regexp.Regexp {
	if t.secrets == nil {
		return nil
	}
	return trace.Literals(t.secrets())
}

func secretsOf(c *credential.Credentials, dataDir string) func() []string {
	if c == nil {
		return nil
	}
	return func() []string {
		servers, _ := mcp.NewConfig(dataDir).Servers()
		return append(c.Values(), c.ValuesOf(mcp.SecretNames(servers))...)
	}
}

func getenvOrEmpty(getenv func(string) string) func(string) string {
	if getenv == nil {
		return func(string) string { return "" }
	}
	return getenv
}

// ledgerOf is the runner's ledger, or one in the data directory.
func ledgerOf(cfg Config) *approval.Ledger {
	if cfg.Runner != nil && cfg.Runner.Ledger() != nil {
		return cfg.Runner.Ledger()
	}
	return approval.NewLedger(cfg.Settings.DataDir)
}
