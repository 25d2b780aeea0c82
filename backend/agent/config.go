package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/tool"
)

// Definition configures a named agent: which model it talks to, what it is told, which
// tools it may use, and when it must stop.
type Definition struct {
	ID string `json:"id"`
	// Provider is a catalog id (llm/catalog: "anthropic", "openai", "demo"); empty picks
	// the first with credentials, else demo.
	Provider string `json:"provider,omitempty"`
	// Model is the provider's model name; empty means the provider's default.
	Model     string   `json:"model,omitempty"`
	BaseURL   string   `json:"base_url,omitempty"`
	System    string   `json:"system"`
	Tools     []string `json:"tools"`
	MaxSteps  int      `json:"max_steps"`
	MaxTokens int      `json:"max_tokens"`
	// Thinking turns extended thinking (reasoning) on: "off" or empty, an effort level
	// ("low", "medium", "high"), or a budget of thinking tokens (a number, at least 1024).
	Thinking string `json:"thinking,omitempty"`
	// MaxTokensField names the output limit on the wire for OpenAI-compatible servers
	// ("max_tokens" or "max_completion_tokens"); empty lets the adapter choose by model and
	// host (gateways that want the other one are set here).
	MaxTokensField string `json:"max_tokens_field,omitempty"`
	// Approval is the agent's approval policy; zero fields take the sandbox's defaults
	// (local: ask before every command and file change; docker: commands by allowlist).
	Approval approval.Policy `json:"approval,omitzero"`
	// Rules are the agent's own allow / ask / deny rules, e.g. {"allow": ["exec(npm test)"]}.
	Rules approval.RuleLists `json:"rules,omitzero"`
	// MCP names the MCP servers (DATA_DIR/mcp.json) the agent's runs may
	// use; empty means every enabled server.
	MCP []string `json:"mcp,omitempty"`
	// MCPServers are the agent's own MCP servers, in the peers' shape
	// ({"name": {"command": ...}}): only its runs use them, besides MCP's.
	MCPServers json.RawMessage `json:"mcpServers,omitempty"`
	// Network is the egress policy of the agent's runs: "none" (or empty), "allowlist"
	// (the hosts of its net(...) allow rules, and the ledger's) or "open".
	Network string `json:"network,omitempty"`
	// SessionIdleMinutes is how long the agent's session container (docker sandbox,
	// session scope) may go without a command before it removes itself; 0 takes the
	// settings' time, else 15 minutes.
	SessionIdleMinutes int `json:"session_idle_minutes,omitempty"`
	// Subagents names the agents this one may delegate to with the task tool; empty
	// offers no task tool. A subagent gets no tool its parent lacks.
	Subagents []string `json:"subagents,omitempty"`
	// MaxCostUSD and MaxRunTokens are the caps of each of the agent's runs (see
	// record.Budget); a run's own (--max-cost, --max-run-tokens) replace them; zero caps
	// nothing.
	MaxCostUSD   float64 `json:"max_cost_usd,omitempty"`
	MaxRunTokens int64   `json:"max_run_tokens,omitempty"`
	// ContextWindow is the model's context window in tokens, for a model the provider
	// catalog does not know (or to compact earlier); 0 takes the catalog's.
	ContextWindow int `json:"context_window,omitempty"`
	// CompactAt is the percentage of the context window a request may reach before the run
	// compacts its conversation first (1-100); 0 means DefaultCompactAt.
	CompactAt int `json:"compact_at,omitempty"`
}

// DefaultAgentID names the built-in coding agent.
const DefaultAgentID = "coder"

// defaultSystem is the built-in coding agent's system prompt.
const defaultSystem = `You are Corral's coding agent. You work inside one workspace directory on the user's machine, through tools:
exec runs a shell command in the workspace; read, write and edit work on files; glob and grep find files and text.
Work in small, verifiable steps: look before you change, run what you wrote, and read errors carefully.
Paths are relative to the workspace. Keep your messages short and say plainly what you did and what is left.`

// Builtin returns the built-in agents.
func Builtin() []Definition {
	return []Definition{{
		ID:        DefaultAgentID,
		System:    defaultSystem,
		Tools:     []string{"exec", "read", "write", "edit", "glob", "grep"},
		MaxSteps:  50,
		MaxTokens: 8192,
	}}
}

// agentsFile is the user's agent configuration, in the data directory.
const agentsFile = "agents.json"

// LoadDefinitions returns the built-in agents overlaid with dataDir/agents.json
// ({"agents": [...]}), where an entry with a built-in id replaces it field by field.
// A missing file is not an error; a malformed one is, naming the file.
func LoadDefinitions(dataDir string) (map[string]Definition, error) {
	defs := map[string]Definition{}
	for _, d := range Builtin() {
		defs[d.ID] = d
	}
	path := filepath.Join(dataDir, agentsFile)
	blob, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return defs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent: read %s: %w", path, err)
	}
	var file struct {
		Agents []json.RawMessage `json:"agents"`
	}
	if err := json.Unmarshal(blob, &file); err != nil {
		return nil, fmt.Errorf("agent: %s: %w", path, err)
	}
	for i, raw := range file.Agents {
		var probe struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil || probe.ID == "" {
			return nil, fmt.Errorf("agent: %s: agent %d has no id", path, i+1)
		}
		d := defs[probe.ID] // start from the built-in, if any
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("agent: %s: agent %q: %w", path, probe.ID, err)
		}
		if d.MaxSteps <= 0 {
			d.MaxSteps = 50
		}
		defs[d.ID] = d
	}
	return defs, nil
}

// IDs lists agent ids, sorted.
func IDs(defs map[string]Definition) []string {
	ids := make([]string, 0, len(defs))
	for id := range defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ErrBadDefinition wraps every problem Validate finds.
var ErrBadDefinition = errors.New("agent: bad definition")

// ErrDuplicate means an agent with that id already exists.
var ErrDuplicate = errors.New("agent: an agent with this id already exists")

// idPattern is what an agent id may look like: it names the agent in rule
// scopes (agent:ID), on the command line and in the journal.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate checks a definition before it is saved: an id of letters, digits,
// '.', '_' or '-'; a known provider; tools that exist; limits that are not
// negative; a valid approval policy and rules.
func (d Definition) Validate() error {
	var errs []error
	if d.ID == "" {
		errs = append(errs, fmt.Errorf("%w: the id is empty", ErrBadDefinition))
	} else if !idPattern.MatchString(d.ID) {
		errs = append(errs, fmt.Errorf("%w: id %q: use up to 64 letters, digits, '.', '_' or '-'", ErrBadDefinition, d.ID))
	}
	if _, ok := catalog.Lookup(d.Provider); d.Provider != "" && !ok {
		errs = append(errs, fmt.Errorf("%w: provider %q: want %s or empty (automatic)", ErrBadDefinition, d.Provider, strings.Join(catalog.IDs(), ", ")))
	}
	known := ToolNames()
	seen := map[string]bool{}
	for _, name := range d.Tools {
		if !slices.Contains(known, name) {
			errs = append(errs, fmt.Errorf("%w: unknown tool %q (known: %s)", ErrBadDefinition, name, strings.Join(known, ", ")))
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("%w: tool %q is listed twice", ErrBadDefinition, name))
		}
		seen[name] = true
	}
	for _, id := range d.Subagents {
		if !idPattern.MatchString(id) {
			errs = append(errs, fmt.Errorf("%w: subagent %q is not an agent id", ErrBadDefinition, id))
		}
	}
	if d.MaxSteps < 0 || d.MaxSteps > 10000 {
		errs = append(errs, fmt.Errorf("%w: max steps %d: want 1 to 10000 (0 means 50)", ErrBadDefinition, d.MaxSteps))
	}
	if d.MaxTokens < 0 {
		errs = append(errs, fmt.Errorf("%w: max tokens %d is negative", ErrBadDefinition, d.MaxTokens))
	}
	if d.MaxCostUSD < 0 || d.MaxRunTokens < 0 {
		errs = append(errs, fmt.Errorf("%w: a spend cap is negative (0 caps nothing)", ErrBadDefinition))
	}
	if _, err := d.OwnMCPServers(); err != nil {
		errs = append(errs, fmt.Errorf("%w: mcpServers: %w", ErrBadDefinition, err))
	}
	switch d.MaxTokensField {
	case "", catalog.MaxTokens, catalog.MaxCompletionTokens:
	default:
		errs = append(errs, fmt.Errorf("%w: max tokens field %q: want %s, %s or empty (automatic)", ErrBadDefinition, d.MaxTokensField, catalog.MaxTokens, catalog.MaxCompletionTokens))
	}
	if _, err := ParseThinking(d.Thinking); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrBadDefinition, err))
	}
	if err := d.Approval.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrBadDefinition, err))
	}
	if _, err := egress.ParseMode(d.Network); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrBadDefinition, err))
	}
	if d.ID != "" {
		if _, err := d.Rules.Rules(approval.AgentScope(d.ID)); err != nil {
			errs = append(errs, fmt.Errorf("%w: rules: %w", ErrBadDefinition, err))
		}
	}
	return errors.Join(errs...)
}

// ToolNames lists the tools an agent may be given, in the built-in order.
func ToolNames() []string {
	var out []string
	for _, t := range tool.Builtin() {
		out = append(out, t.Name())
	}
	return out
}

// IsBuiltin reports whether id names a built-in agent.
func IsBuiltin(id string) bool {
	return slices.ContainsFunc(Builtin(), func(d Definition) bool { return d.ID == id })
}

// readEntries returns agents.json's entries as written, with their ids.
func readEntries(dataDir string) ([]json.RawMessage, []string, error) {
	path := filepath.Join(dataDir, agentsFile)
	blob, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("agent: read %s: %w", path, err)
	}
	var file struct {
		Agents []json.RawMessage `json:"agents"`
	}
	if err := json.Unmarshal(blob, &file); err != nil {
		return nil, nil, fmt.Errorf("agent: %s: %w", path, err)
	}
	ids := make([]string, len(file.Agents))
	for i, raw := range file.Agents {
		var probe struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil || probe.ID == "" {
			return nil, nil, fmt.Errorf("agent: %s: agent %d has no id", path, i+1)
		}
		ids[i] = probe.ID
	}
	return file.Agents, ids, nil
}

// UserIDs lists the ids agents.json defines (new agents, and built-ins it
// changes), in file order.
func UserIDs(dataDir string) ([]string, error) {
	_, ids, err := readEntries(dataDir)
	return ids, err
}

// SaveDefinition validates d and writes it to dataDir/agents.json, replacing
// the entry of previous (its id before an edit; "" for a new agent). A new or
// renamed agent must not take an id in use (ErrDuplicate). Other entries are
// kept as written; the file is replaced atomically.
func SaveDefinition(dataDir, previous string, d Definition) error {
	if err := d.Validate(); err != nil {
		return err
	}
	entries, ids, err := readEntries(dataDir)
	if err != nil {
		return err
	}
	if d.ID != previous && (slices.Contains(ids, d.ID) || IsBuiltin(d.ID)) {
		return fmt.Errorf("%w: %q", ErrDuplicate, d.ID)
	}
	blob, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("agent: encode %s: %w", d.ID, err)
	}
	if i := slices.Index(ids, previous); previous != "" && i >= 0 {
		entries[i] = blob
	} else {
		entries = append(entries, blob)
	}
	return writeEntries(dataDir, entries)
}

// DeleteDefinition removes the agent id from agents.json: a user agent is
// gone, a built-in one returns to its defaults. An id the file does not
// define is an error wrapping ErrUnknownAgent.
func DeleteDefinition(dataDir, id string) error {
	entries, ids, err := readEntries(dataDir)
	if err != nil {
		return err
	}
	i := slices.Index(ids, id)
	if i < 0 {
		if IsBuiltin(id) {
			return fmt.Errorf("agent: %q is built in and unchanged; there is nothing to delete", id)
		}
		return fmt.Errorf("%w %q", ErrUnknownAgent, id)
	}
	return writeEntries(dataDir, slices.Delete(entries, i, i+1))
}

func writeEntries(dataDir string, entries []json.RawMessage) error {
	if entries == nil {
		entries = []json.RawMessage{}
	}
	blob, err := json.MarshalIndent(struct {
		Agents []json.RawMessage `json:"agents"`
	}{entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("agent: encode agents: %w", err)
	}
	return config.WriteFileAtomic(filepath.Join(dataDir, agentsFile), append(blob, '\n'))
}

// Thinking settings.
const (
	// ThinkingOff leaves extended thinking off (as does an empty setting).
	ThinkingOff = "off"
	// minThinkingBudget is the least budget Anthropic accepts.
	minThinkingBudget = 1024
)

// ThinkingEfforts are the effort levels a thinking setting may name: the ones both
// providers document (Anthropic's output_config.effort, OpenAI's reasoning_effort).
var ThinkingEfforts = []string{"low", "medium", "high"}

// ParseThinking reads a thinking setting: "" or "off" is nil (off), an effort level is
// that effort, a number is a budget of thinking tokens (at least 1024).
func ParseThinking(s string) (*llm.Thinking, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch {
	case s == "" || s == ThinkingOff:
		return nil, nil
	case slices.Contains(ThinkingEfforts, s):
		return &llm.Thinking{Effort: s}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minThinkingBudget {
		return nil, fmt.Errorf("thinking %q: want off, %s, or a budget of at least %d tokens", s, strings.Join(ThinkingEfforts, ", "), minThinkingBudget)
	}
	return &llm.Thinking{BudgetTokens: n}, nil
}
