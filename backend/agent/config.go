package agent

import (
	"encoding/json"

	"errors"
	"fmt"
	"github.com/corral-dev/corral/backend/approval"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Definition configures a named agent: which model it talks to, what it is told, which
// tools it may use, and when it must stop.
type Definition struct {
	ID string `json:"id"`
	// Provider is "anthropic", "openai" or "demo"; empty picks the first with credentials,
	// else demo.
	Provider string `json:"provider,omitempty"`
	// Model is the provider's model name; empty means the provider's default.
	Model     string   `json:"model,omitempty"`
	BaseURL   string   `json:"base_url,omitempty"`
	System    string   `json:"system"`
	Tools     []string `json:"tools"`
	MaxSteps  int      `json:"max_steps"`
	MaxTokens int      `json:"max_tokens"`
	// Approval is the agent's approval policy; zero fields take the sandbox's defaults
	// (local: ask before every command and file change; docker: commands by allowlist).
	Approval approval.Policy `json:"approval,omitzero"`
	// Rules are the agent's own allow / ask / deny rules, e.g. {"allow": ["exec(npm test)"]}.
	Rules approval.RuleLists `json:"rules,omitzero"`
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
