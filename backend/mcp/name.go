package mcp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// ToolSpec is one tool a server offers, as a run records it: the name the
// model calls it by, where it comes from, and what it declares.
type ToolSpec struct {
	// Name is the name offered to the model: mcp__SERVER__TOOL, sanitized
	// to the providers' rule ^[a-zA-Z0-9_-]{1,64}$ and made unique.
	Name   string `json:"name"`
	Server string `json:"server"`
	// Agent names the agent whose own server (agents.json) this is; empty
	// for a server of DATA_DIR/mcp.json.
	Agent string `json:"agent,omitempty"`
	// Tool is the tool's own name on its server.
	Tool        string          `json:"tool"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	// The tool's annotations (hints, not guarantees). Destructive is the
	// spec's default (true) unless the tool is read-only or says false.
	ReadOnly    bool `json:"read_only,omitempty"`
	Destructive bool `json:"destructive,omitempty"`
	Idempotent  bool `json:"idempotent,omitempty"`
	OpenWorld   bool `json:"open_world,omitempty"`
	// DestructiveDeclared reports that the tool said destructiveHint: true
	// itself (rather than leaving the default).
	DestructiveDeclared bool `json:"destructive_declared,omitempty"`
}

// Prefix starts every MCP tool's name; no built-in tool starts with it.
const Prefix = "mcp__"

// maxName is the providers' limit on a tool name.
const maxName = 64

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// ToolName is the name a server's tool is offered under:
// mcp__SERVER__TOOL with every character outside [A-Za-z0-9_-] replaced by
// '_', cut to 64 characters. taken holds the names already given; a clash
// gets a numbered suffix, so two tools never share a name.
func ToolName(server, tool string, taken map[string]bool) string {
	base := Prefix + unsafeChars.ReplaceAllString(server, "_") + "__" + unsafeChars.ReplaceAllString(tool, "_")
	if len(base) > maxName {
		base = base[:maxName]
	}
	name := base
	for i := 2; taken[name]; i++ {
		suffix := fmt.Sprintf("_%d", i)
		cut := min(len(base), maxName-len(suffix))
		name = base[:cut] + suffix
	}
	taken[name] = true
	return name
}

// IsToolName reports whether name is an MCP tool's offered name.
func IsToolName(name string) bool { return strings.HasPrefix(name, Prefix) }
