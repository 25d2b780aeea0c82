package approval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ExecPolicy says how an agent's commands are gated.
type ExecPolicy string

// The exec policies.
const (
	// ExecApprovalAlways asks for every command that no rule allows: a
	// person approves each command once, and what they chose to remember
	// (an allow rule) runs unasked from then on; deny rules refuse without
	// asking. The default for a local sandbox.
	ExecApprovalAlways ExecPolicy = "approval-always"
	// ExecAllowlist runs what the rules allow, refuses what they deny and
	// asks for the rest. The default for a container.
	ExecAllowlist ExecPolicy = "allowlist"
	// ExecAllowAlways runs every command except those an ask rule or a
	// deny rule matches.
	ExecAllowAlways ExecPolicy = "allow-always"
)

// FilePolicy says how file writes and edits, or reads outside the
// workspace, are gated when no rule matches.
type FilePolicy string

// The file policies.
const (
	FileAsk   FilePolicy = "ask"
	FileAllow FilePolicy = "allow"
)

// Policy is an agent's approval policy. Zero fields take the defaults for
// the sandbox (see Defaults).
type Policy struct {
	Exec ExecPolicy `json:"exec,omitempty"`
	// Write covers write and edit inside the workspace. Writes outside it
	// are never possible, whatever the policy and rules.
	Write FilePolicy `json:"write,omitempty"`
	// ReadOutside covers reads outside the workspace in a local sandbox; a
	// container cannot reach the host's files, so there they are refused.
	// Reads inside the workspace are allowed unless a rule says otherwise.
	ReadOutside FilePolicy `json:"read_outside,omitempty"`
}

// ErrBadPolicy reports a policy field with an unknown value.
var ErrBadPolicy = errors.New("approval: bad policy")

// Validate checks the policy's values; zero fields are valid.
func (p Policy) Validate() error {
	var errs []error
	switch p.Exec {
	case "", ExecApprovalAlways, ExecAllowlist, ExecAllowAlways:
	default:
		errs = append(errs, fmt.Errorf("%w: exec %q: want approval-always, allowlist or allow-always", ErrBadPolicy, p.Exec))
	}
	for _, f := range []struct {
		name string
		v    FilePolicy
	}{{"write", p.Write}, {"read_outside", p.ReadOutside}} {
		if f.v != "" && f.v != FileAsk && f.v != FileAllow {
			errs = append(errs, fmt.Errorf("%w: %s %q: want ask or allow", ErrBadPolicy, f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// Defaults returns p with its zero fields set for a sandbox of the given
// kind. A local sandbox asks for every command, every write and every read
// outside the workspace. A container ("docker") confines commands to the
// workspace and its own files, so commands follow the rules (asking for
// what no rule allows) and writes inside the workspace are allowed.
func (p Policy) Defaults(isolated bool) Policy {
	if p.Exec == "" {
		p.Exec = ExecApprovalAlways
		if isolated {
			p.Exec = ExecAllowlist
		}
	}
	if p.Write == "" {
		p.Write = FileAsk
		if isolated {
			p.Write = FileAllow
		}
	}
	if p.ReadOutside == "" {
		p.ReadOutside = FileAsk
	}
	return p
}

// Assessment is the gate's answer for one tool call.
type Assessment struct {
	Decision Decision `json:"decision"`
	// Reason says why, for the person asked or, on deny, for the model.
	Reason string `json:"reason"`
	// Rule is the rule that decided a file action, if one did (exec
	// verdicts name a rule per segment).
	Rule *RuleRef `json:"rule,omitempty"`
	// Exec is the rule engine's verdict on an exec call's command.
	Exec *Verdict `json:"exec,omitempty"`
	// Path is where a read, write or edit lands.
	Path *PathInfo `json:"path,omitempty"`
}

// PathInfo is a file action's path, resolved against the workspace.
type PathInfo struct {
	// Given is the path as the model wrote it.
	Given string `json:"given"`
	// Path is the path relative to the workspace when inside it, else the
	// absolute path (empty when it cannot be known).
	Path   string `json:"path"`
	Inside bool   `json:"inside"`
	// Outside says why the path is outside the workspace.
	Outside string `json:"outside,omitempty"`
}

// Input shapes of the tools Check knows, decoded as strictly as the tools
// decode them.
type (
	execInput struct {
		Command        string  `json:"command"`
		TimeoutSeconds float64 `json:"timeout_seconds"`
		Cwd            string  `json:"cwd"`
	}
	writeInput struct {
		Path    string  `json:"path"`
		Content *string `json:"content"`
	}
	editInput struct {
		Path       string  `json:"path"`
		OldString  *string `json:"old_string"`
		NewString  *string `json:"new_string"`
		ReplaceAll bool    `json:"replace_all"`
	}
	readInput struct {
		Path   string `json:"path"`
		Offset int    `json:"offset"`
		Limit  int    `json:"limit"`
	}
)

// decodeInput decodes a tool's input strictly, as the tools do: unknown
// fields are an error, an empty or null input is {}.
func decodeInput(input json.RawMessage, v any) error {
	input = bytes.TrimSpace(input)
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// Check decides whether the tool call may run without a person, under the
// agent's policy p (zero fields default by ws.Sandbox.Isolated) and rules.
//
//   - exec: Evaluate's verdict on the command; the policy decides only
//     what no rule decided: approval-always asks for it (a command every
//     segment of which an allow rule allows still runs unasked, since a
//     rule a person remembered must take effect under every policy);
//     allowlist keeps the verdict; allow-always allows what no ask or deny
//     rule matched. Whatever the policy, a write the command makes passes
//     the write rules, and a file that makes tools run code always asks. A cwd
//     outside the workspace is refused (the tool would refuse it too).
//   - write, edit: outside the workspace is denied; inside, write(...)
//     rules decide (deny > ask > allow), else p.Write.
//   - read: inside the workspace allowed unless a read(...) deny or ask
//     rule matches; outside, denied in a container and otherwise decided
//     by read(...) rules, else p.ReadOutside.
//   - glob, grep: allowed (they only list and search the workspace).
//   - any other tool: ask, since nothing here knows what it does.
//
// Input that does not decode as the tool's schema asks: the tool would
// refuse it, but a person should see what the model sent.
func Check(tool string, input json.RawMessage, p Policy, rules RuleSet, ws Workspace) Assessment {
	if err := p.Validate(); err != nil {
		return Assessment{Decision: Ask, Reason: err.Error()}
	}
	p = p.Defaults(ws.Sandbox.Isolated)
	switch tool {
	case "exec":
		return checkExec(input, p, rules, ws)
	case "write", "edit":
		var path string
		var err error
		if tool == "write" {
			var in writeInput
			err = decodeInput(input, &in)
			path = in.Path
		} else {
			var in editInput
			err = decodeInput(input, &in)
			path = in.Path
		}
		if err != nil {
			return badInput(tool, err)
		}
		return checkFile(tool, path, p, rules, ws)
	case "read":
		var in readInput
		if err := decodeInput(input, &in); err != nil {
			return badInput(tool, err)
		}
		return checkFile(tool, in.Path, p, rules, ws)
	case "glob", "grep":
		return Assessment{Decision: Allow, Reason: tool + " only lists and searches files in the workspace"}
	}
	return Assessment{Decision: Ask, Reason: "there is no approval policy for the tool " + tool}
}

func badInput(tool string, err error) Assessment {
	return Assessment{Decision: Ask, Reason: fmt.Sprintf("the input does not match the %s tool's schema (%v)", tool, err)}
}

func checkExec(input json.RawMessage, p Policy, rules RuleSet, ws Workspace) Assessment {
	var in execInput
	if err := decodeInput(input, &in); err != nil {
		return badInput("exec", err)
	}
	if strings.TrimSpace(in.Cwd) != "" {
		r := ws.resolve(strings.TrimSpace(in.Cwd), "")
		if !r.inside {
			return Assessment{Decision: Deny, Reason: fmt.Sprintf("the working directory %s is outside the workspace (%s); commands run only inside it", in.Cwd, r.why)}
		}
		ws.Cwd = r.rel
	}
	v := Evaluate(in.Command, rules, ws)
	a := Assessment{Decision: v.Decision, Reason: v.Reason, Exec: &v}
	if v.Decision == Deny {
		return a
	}
	// A file the command writes passes the write policy and rules, as
	// the write tool would; a file that makes tools run code always asks.
	ask := ""
	for _, s := range v.Segments {
		if s.CodeFile != "" && ask == "" {
			ask = fmt.Sprintf("`%s`: %s", s.Text, s.Reason)
		}
		for _, w := range s.Writes {
			fa := checkFile("write", w, p, rules, ws)
			switch {
			case fa.Decision == Deny:
				a.Decision, a.Reason = Deny, fmt.Sprintf("`%s` writes %s: %s", s.Text, w, fa.Reason)
				return a
			case fa.Decision == Ask && ask == "":
				ask = fmt.Sprintf("`%s` writes %s: %s", s.Text, w, fa.Reason)
			}
		}
	}
	switch p.Exec {
	case ExecApprovalAlways:
		if a.Decision != Allow {
			a.Decision = Ask
			a.Reason = "the agent's exec policy is approval-always: a person approves every command no rule allows"
		}
	case ExecAllowAlways:
		a.Decision, a.Reason = Allow, "the agent's exec policy is allow-always"
		for _, s := range v.Segments {
			if s.Decision == Ask && s.Rule != nil {
				a.Decision = Ask
				a.Reason = fmt.Sprintf("`%s`: %s", s.Text, s.Reason)
				break
			}
		}
	}
	if ask != "" && a.Decision == Allow {
		a.Decision, a.Reason = Ask, ask
	}
	return a
}

func checkFile(tool, given string, p Policy, rules RuleSet, ws Workspace) Assessment {
	given = strings.TrimSpace(given)
	r := ws.resolve(given, "")
	info := &PathInfo{Given: given, Inside: r.inside, Path: r.rel}
	if !r.inside {
		info.Path, info.Outside = r.abs, r.why
	}
	a := Assessment{Path: info}
	if given == "" {
		a.Decision, a.Reason = Allow, "the path is empty; the tool will refuse it"
		return a
	}
	ruleTool := "write"
	if tool == "read" {
		ruleTool = "read"
	}
	if !r.inside && ruleTool == "write" {
		a.Decision = Deny
		a.Reason = fmt.Sprintf("%s is outside the workspace (%s); files are written only inside it", r.display(), r.why)
		return a
	}
	if !r.inside && ws.Sandbox.Isolated {
		a.Decision = Deny
		a.Reason = fmt.Sprintf("%s is outside the workspace (%s), which a container cannot reach", r.display(), r.why)
		return a
	}
	code := ""
	if why, ok := CodeFile(r.rel); ok && ruleTool == "write" && r.inside {
		code = r.rel + " makes tools run code (" + why + "); such writes always ask, whatever the write policy and rules say"
	}
	for _, list := range []List{ListDeny, ListAsk, ListAllow} {
		for i := range rules.rules {
			rule := &rules.rules[i]
			if rule.tool != ruleTool || rule.List != list || !ws.pathMatch(rule.path, r) {
				continue
			}
			a.Decision, a.Rule = list.decision(), rule.ref()
			switch list {
			case ListDeny:
				a.Reason = "denied by " + a.Rule.String()
			case ListAsk:
				a.Reason = "the ask rule " + a.Rule.String() + " requires approval"
			default:
				a.Reason = "allowed by " + a.Rule.String()
			}
			if code != "" && list == ListAllow {
				a.Decision, a.Rule, a.Reason = Ask, nil, code
			}
			return a
		}
	}
	if code != "" {
		a.Decision, a.Reason = Ask, code
		return a
	}
	switch {
	case ruleTool == "read" && r.inside:
		a.Decision, a.Reason = Allow, "reads inside the workspace are allowed"
	case ruleTool == "read":
		a.Decision = Decision(p.ReadOutside)
		a.Reason = fmt.Sprintf("%s is outside the workspace (%s); the agent's policy for such reads is %s", r.display(), r.why, p.ReadOutside)
	default:
		a.Decision = Decision(p.Write)
		a.Reason = fmt.Sprintf("no rule matches %s; the agent's policy for writes and edits is %s", r.rel, p.Write)
	}
	return a
}
