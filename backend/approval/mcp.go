package approval

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// MCPCall is a call to an MCP server's tool, as the gate judges it: where
// the tool lives and what it declares about itself (hints the server
// gives, which the gate trusts only to ask less for read-only tools).
type MCPCall struct {
	Server      string `json:"server"`
	Tool        string `json:"tool"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// ReadOnly is the tool's readOnlyHint.
	ReadOnly bool `json:"read_only,omitempty"`
	// Destructive is the tool's destructiveHint, as the tool declared it.
	Destructive bool `json:"destructive,omitempty"`
	// Schema is the tool's input schema, for the argument descriptions.
	Schema json.RawMessage `json:"-"`
}

// MCPPreview shows an MCP call: the server, the tool and its description,
// and each argument as a field of a form.
type MCPPreview struct {
	Server      string `json:"server"`
	Tool        string `json:"tool"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	ReadOnly    bool   `json:"read_only,omitempty"`
	Destructive bool   `json:"destructive,omitempty"`
	// Arguments are the input's fields, sorted by name.
	Arguments []MCPArgument `json:"arguments"`
}

// MCPArgument is one field of an MCP call's input.
type MCPArgument struct {
	Name string `json:"name"`
	// Value is the field's value as JSON.
	Value json.RawMessage `json:"value"`
	// Description is the schema's description of the field.
	Description string `json:"description,omitempty"`
}

// parseMCPRule completes r for the rule mcp(SERVER/TOOL): a glob (path.Match)
// over "server/tool", such as mcp(github/*) or mcp(*/read_*); mcp(SERVER)
// alone is every tool of the server.
func parseMCPRule(r Rule, text, arg string) (Rule, error) {
	if !strings.Contains(arg, "/") {
		arg += "/*"
	}
	if strings.Count(arg, "/") != 1 {
		return Rule{}, fmt.Errorf("%w %q: want mcp(server/tool), with * for any", ErrBadRule, text)
	}
	if _, err := path.Match(arg, ""); err != nil {
		return Rule{}, fmt.Errorf("%w %q: %q is not a valid pattern", ErrBadRule, text, arg)
	}
	r.Text, r.path = "mcp("+arg+")", arg
	return r, nil
}

// matchMCP returns the first rule on list that matches the call.
func (s RuleSet) matchMCP(list List, call MCPCall) *Rule {
	name := call.Server + "/" + call.Tool
	for i := range s.rules {
		r := &s.rules[i]
		if r.tool != "mcp" || r.List != list {
			continue
		}
		if ok, _ := path.Match(r.path, name); ok {
			return r
		}
	}
	return nil
}

// CheckMCP decides whether an MCP call may run without a person: a deny
// rule refuses it, an ask rule asks; a tool that declares destructiveHint
// always asks, whatever allow rules say; an allow rule allows it; a tool
// that declares readOnlyHint runs; any other asks.
func CheckMCP(call MCPCall, rules RuleSet) Assessment {
	for _, list := range []List{ListDeny, ListAsk} {
		if r := rules.matchMCP(list, call); r != nil {
			a := Assessment{Decision: list.decision(), Rule: r.ref()}
			a.Reason = "denied by " + a.Rule.String()
			if list == ListAsk {
				a.Reason = "the ask rule " + a.Rule.String() + " requires approval"
			}
			return a
		}
	}
	if call.Destructive {
		return Assessment{Decision: Ask, Reason: fmt.Sprintf("the MCP tool %s/%s declares itself destructive (destructiveHint), so it is always asked", call.Server, call.Tool)}
	}
	if r := rules.matchMCP(ListAllow, call); r != nil {
		return Assessment{Decision: Allow, Rule: r.ref(), Reason: "allowed by " + r.ref().String()}
	}
	if call.ReadOnly {
		return Assessment{Decision: Allow, Reason: fmt.Sprintf("the MCP tool %s/%s declares itself read-only (readOnlyHint)", call.Server, call.Tool)}
	}
	return Assessment{Decision: Ask, Reason: fmt.Sprintf("the MCP tool %s/%s is not marked read-only and no rule allows it", call.Server, call.Tool)}
}

// PrepareMCP builds the Request for an MCP call (offered to the model as
// toolName) that CheckMCP assessed as a: a preview with the server, tool,
// description and arguments, the action hash, and the rules to remember
// (this tool, then every tool of the server).
func PrepareMCP(toolName string, input json.RawMessage, call MCPCall, a Assessment) Request {
	p := Preview{Tool: toolName, Decision: a.Decision, Reason: a.Reason, Input: input}
	p.MCP = &MCPPreview{Server: call.Server, Tool: call.Tool, Title: call.Title, Description: call.Description,
		ReadOnly: call.ReadOnly, Destructive: call.Destructive, Arguments: mcpArguments(input, call.Schema)}
	p.Title = fmt.Sprintf("Call %s on MCP server %s", call.Tool, call.Server)
	var sugg []string
	if !call.Destructive {
		sugg = []string{"mcp(" + call.Server + "/" + call.Tool + ")", "mcp(" + call.Server + "/*)"}
	}
	return Request{Tool: toolName, Input: input, ActionHash: ActionHash(toolName, input), Preview: p, Suggestions: sugg}
}

// mcpArguments lists input's fields with the schema's descriptions.
func mcpArguments(input, schema json.RawMessage) []MCPArgument {
	var fields map[string]json.RawMessage
	if json.Unmarshal(input, &fields) != nil {
		return []MCPArgument{}
	}
	var s struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s)
	out := make([]MCPArgument, 0, len(fields))
	for name, v := range fields {
		out = append(out, MCPArgument{Name: name, Value: v, Description: s.Properties[name].Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// renderMCP writes an MCP call's preview for a terminal: the server, tool,
// hints and description, then one line per argument.
func renderMCP(b *strings.Builder, m *MCPPreview, style func(code, s string) string) {
	fmt.Fprintf(b, "server:   %s\ntool:     %s\n", m.Server, m.Tool)
	switch {
	case m.Destructive:
		fmt.Fprintf(b, "%s\n", style(ansiRed, "the tool declares itself destructive"))
	case m.ReadOnly:
		fmt.Fprintf(b, "the tool declares itself read-only\n")
	}
	if m.Description != "" {
		fmt.Fprintf(b, "does:     %s\n", oneLine(m.Description, 200))
	}
	for _, a := range m.Arguments {
		fmt.Fprintf(b, "  %s = %s\n", style(ansiBold, a.Name), oneLine(string(a.Value), 400))
	}
}
