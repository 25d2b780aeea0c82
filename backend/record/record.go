package record

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/tool"
)

// Step kinds the agent records: each step of a run is one of these.
const (
	// KindConfig is the run's configuration, step 1 of every run (named NameConfig).
	KindConfig = "config"
	// KindLLM is a model call (named NameModel).
	KindLLM = "llm"
	// KindTool is a tool call, named after the tool.
	KindTool = "tool"
	// KindApproval is the approval gate before a tool call, named after the tool.
	KindApproval = "approval"
	// KindSubagent starts a subagent: the child run a task call asked for (named
	// NameTask); its output is a Subagent. The call's result, the child's answer, is the
	// tool step (kind tool, name task) that follows the turn's subagent steps.
	KindSubagent = "subagent"
	// KindCompact is a compaction of the conversation (named NameCompact: a model call that
	// summarizes the older turns) or a person's edit of its summary (NameCompactEdit).
	KindCompact = "compact"
)

// Step names of the kinds whose steps all have one name.
const (
	// NameConfig names the configuration step.
	NameConfig = "run.config"
	// NameModel names a model call step.
	NameModel = "model"
	// NameMCPTools names the step (kind config, right after the configuration, only in a
	// run with MCP servers) that records the tools its servers offered when it first drove
	// (an mcp.Discovery), so a resumed run offers the same ones.
	NameMCPTools = "mcp.tools"
	// NameTask names the task tool's steps: a subagent step that starts the child run,
	// and the tool step that waits for its answer.
	NameTask = "task"
	// NameBudget names a gate step (kind approval) before a model call that would pass one
	// of the run's spend caps: its request carries an approval.Budget, and the person's
	// answer raises the cap (approval.Raise) or stops the run.
	NameBudget = "budget"
	// NameCompact names a compaction step: its input is a CompactInput, its output a
	// Compaction.
	NameCompact = "compact"
	// NameCompactEdit names a person's edit of the latest compaction's summary: its output
	// is a CompactEdit.
	NameCompactEdit = "compact.edit"
)

// The version each record kind is written at. Version 0 is the format without a "v" member.
const (
	// ConfigVersion is the version of RunConfig, the configuration step's output. Version
	// 1 added Budget (the run's spend caps), Subagents, ContextWindow and CompactAt, and
	// Egress (the network policy).
	ConfigVersion = 1
	// ModelInputVersion is the version of ModelInput, a model step's input. Version 1
	// added EstimatedTokens and ContextWindow.
	ModelInputVersion = 1
	// ModelOutputVersion is the version of a model step's output (an llm.Response).
	ModelOutputVersion = 0
	// ToolOutputVersion is the version of a tool step's output (a tool.Result).
	ToolOutputVersion = 0
	// GateRequestVersion is the version of a gate step's input (an approval.Request).
	// Version 1 added Budget: a gate named NameBudget asks about a spend cap, not a tool.
	GateRequestVersion = 1
	// GateVersion is the version of GateRecord, a completed gate step's output. Version 1
	// added the answer's Raise (a spend cap raised by a person).
	GateVersion = 1
	// SubagentVersion is the version of Subagent, a subagent step's output.
	SubagentVersion = 0
	// CompactionVersion is the version of CompactInput, Compaction and CompactEdit (the
	// compact kind's records). The kind is new with version 1, so its records always carry
	// "v".
	CompactionVersion = 1
)

var (
	// ErrMalformed means a record is not the JSON its kind is written as.
	ErrMalformed = errors.New("record: malformed")
	// ErrVersion means a record has a version newer than this Corral reads: a newer Corral
	// wrote it.
	ErrVersion = errors.New("record: unknown version")
)

// RunConfig is a run's resolved configuration, recorded as its first step so a resumed run
// uses exactly what it started with, whatever changed in the settings since.
type RunConfig struct {
	// V is the record's version (ConfigVersion); 0 is not written.
	V         int      `json:"v,omitempty"`
	Agent     string   `json:"agent"`
	Provider  string   `json:"provider"`
	Model     string   `json:"model"`
	BaseURL   string   `json:"base_url,omitempty"`
	System    string   `json:"system"`
	Tools     []string `json:"tools"`
	MaxSteps  int      `json:"max_steps"`
	MaxTokens int      `json:"max_tokens"`
	// Thinking is the run's extended thinking setting; nil (absent) is off.
	Thinking *llm.Thinking `json:"thinking,omitempty"`
	// MaxTokensField is the agent's choice of the output limit's name on the wire (see
	// llm.Request.MaxTokensField); empty lets the adapter choose.
	MaxTokensField string        `json:"max_tokens_field,omitempty"`
	Sandbox        string        `json:"sandbox"`
	Container      ContainerSpec `json:"container,omitzero"`
	// Approval is the policy in force; Rules the agent's and this run's own rules (the
	// remembered ones live in the ledger and are read when a call is judged).
	Approval approval.Policy `json:"approval,omitzero"`
	Rules    []RuleScope     `json:"rules,omitempty"`
	History  []llm.Message   `json:"history,omitempty"` // earlier runs of the session
	// ContextWindow is the model's context window in tokens (the agent's, else the
	// catalog's) and CompactAt the percentage of it a request may reach before the run
	// compacts its conversation first; 0 (absent, as in runs recorded before compaction)
	// never compacts and never clips a tool result.
	ContextWindow int `json:"context_window,omitempty"`
	CompactAt     int `json:"compact_at,omitempty"`
	// MCP names the MCP servers whose tools the run is offered; the tools themselves are
	// recorded by the run's mcp.tools step.
	MCP []string `json:"mcp,omitempty"`
	// Budget is the run's spend caps (from --max-cost / --max-run-tokens, else the agent's);
	// zero caps nothing. Since version 1.
	Budget Budget `json:"budget,omitzero"`
	// Subagents names the agents the run may start with the task tool; empty offers no
	// task tool.
	Subagents []string `json:"subagents,omitempty"`
	// Egress is the network policy of the run's commands through the egress proxy:
	// "allowlist" (the net(...) allow rules of Rules and of the ledger, read when the
	// sandbox opens) or "open"; empty is none, the sandbox's own network setting. Since
	// version 1.
	Egress string `json:"egress,omitempty"`
}

// Budget is a run's spend caps. Raises a person gives when a cap is reached are recorded
// by the budget gate steps, not here.
type Budget struct {
	// MaxCostUSD caps what the run's model calls may cost, in US dollars, by the price
	// table; a model without a known price is not capped by it (MaxTokens still applies).
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
	// MaxTokens caps the tokens the run's model calls may use: input, output, cache reads
	// and cache writes together.
	MaxTokens int64 `json:"max_tokens,omitempty"`
}

// Subagent is what a subagent step records: the child run a task call started, or why it
// started none (Error, which the model then sees as the call's result).
type Subagent struct {
	// V is the record's version (SubagentVersion); 0 is not written.
	V int `json:"v,omitempty"`
	// Run is the child run's id; empty when Error says why there is none.
	Run   string `json:"run,omitempty"`
	Agent string `json:"agent,omitempty"`
	// Isolation is "shared" (the child works in the parent's workspace), "copy" (in
	// Workspace, a copy whose changes come back as a diff) or "worktree" (in Workspace, a
	// git worktree of the repository at HEAD, likewise).
	Isolation string `json:"isolation,omitempty"`
	Workspace string `json:"workspace,omitempty"`
	// MaxSteps is the step budget the child took from its parent's.
	MaxSteps int    `json:"max_steps,omitempty"`
	Error    string `json:"error,omitempty"`
}

// DecodeSubagent reads a subagent step's output.
func DecodeSubagent(b []byte) (Subagent, error) {
	var s Subagent
	err := decode("subagent", b, &s, &s.V, SubagentVersion)
	return s, err
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
	// IdleSeconds is, for the session scope, how long the session's container may go
	// without a command before it removes itself (it outlives the process that made it);
	// zero in a record made before it was recorded means the default (15 minutes).
	IdleSeconds int64 `json:"idle_seconds,omitempty"`
}

// ModelInput is what a model step records as its input: enough to identify the call. The
// full request is not stored; it is rebuilt from the run's history, deterministically.
type ModelInput struct {
	// V is the record's version (ModelInputVersion); 0 is not written.
	V         int    `json:"v,omitempty"`
	Model     string `json:"model"`
	Messages  int    `json:"messages"`
	Tools     int    `json:"tools"`
	MaxTokens int    `json:"max_tokens,omitempty"`
	// EstimatedTokens is how large the request was estimated to be before it was sent
	// (llm.EstimateRequestTokens), in input tokens. Since version 1.
	EstimatedTokens int64 `json:"estimated_tokens,omitempty"`
	// ContextWindow is the model's context window as the catalog (or prices.json) gave it
	// when the call was made; zero when unknown. Since version 1.
	ContextWindow int `json:"context_window,omitempty"`
}

// Compaction reasons: why a compaction step ran.
const (
	// CompactThreshold: the next request would have passed CompactAt percent of the window.
	CompactThreshold = "threshold"
	// CompactTooLong: the provider answered that the prompt is too long.
	CompactTooLong = "too_long"
	// CompactManual: a person asked for it (corral compact, the window).
	CompactManual = "manual"
)

// CompactInput is what a compaction step records as its input: why it ran and how much of
// the conversation it replaces.
type CompactInput struct {
	// V is the record's version (CompactionVersion).
	V      int    `json:"v"`
	Reason string `json:"reason"`
	// Messages is how many messages the conversation had; Summarized how many of the oldest
	// the summary replaces (the rest are kept unchanged).
	Messages   int `json:"messages"`
	Summarized int `json:"summarized"`
	// Tokens is the estimated size of the request that would have been sent, Window the
	// context window it was measured against.
	Tokens int `json:"tokens,omitempty"`
	Window int `json:"window,omitempty"`
}

// Compaction is what a compaction step records as its output: the model's summary of the
// older turns, the ledger Corral built from the journal, and the recent turns kept as they
// were. The requests after it carry CompactedMessage(Summary, Ledger) followed by Kept.
type Compaction struct {
	// V is the record's version (CompactionVersion).
	V       int    `json:"v"`
	Summary string `json:"summary"`
	Ledger  string `json:"ledger"`
	// Kept are the most recent messages, unchanged; the first is an assistant turn or a
	// user turn without tool results.
	Kept []llm.Message `json:"kept"`
}

// CompactEdit is a person's edit of a compaction's summary (step NameCompactEdit): the
// requests after it carry Summary instead of the model's.
type CompactEdit struct {
	// V is the record's version (CompactionVersion).
	V int `json:"v"`
	// Run and Seq name the compaction step whose summary is replaced.
	Run     string `json:"run"`
	Seq     int    `json:"seq"`
	Summary string `json:"summary"`
}

// GateRecord is what a gate step records when it completes: how the action was judged,
// the person's answer if one was needed, and what happens next.
type GateRecord struct {
	// V is the record's version (GateVersion); 0 is not written.
	V          int                 `json:"v,omitempty"`
	Assessment approval.Assessment `json:"assessment"`
	Answer     *approval.Answer    `json:"answer,omitempty"`
	Outcome    approval.Outcome    `json:"outcome"`
}

// ToolInput holds the members of the built-in tools' inputs that readers of a run's record
// use (what a write wrote, what an edit replaced, what a command was). A tool step's input
// is the call as the model sent it (or as a person edited it), so it has no version: its
// shape is the tool's schema.
type ToolInput struct {
	// Path is the file of a read, write or edit.
	Path string `json:"path"`
	// Content is what a write wrote; nil when the input has none.
	Content *string `json:"content"`
	// OldString, NewString and ReplaceAll are an edit's.
	OldString  string `json:"old_string"`
	NewString  string `json:"new_string"`
	ReplaceAll bool   `json:"replace_all"`
	// Command is an exec's.
	Command string `json:"command"`
}

// DecodeConfig reads a configuration step's output.
func DecodeConfig(b []byte) (RunConfig, error) {
	var c RunConfig
	err := decode("run configuration", b, &c, &c.V, ConfigVersion)
	return c, err
}

// DecodeModelInput reads a model step's input.
func DecodeModelInput(b []byte) (ModelInput, error) {
	var in ModelInput
	err := decode("model input", b, &in, &in.V, ModelInputVersion)
	return in, err
}

// DecodeModelOutput reads a model step's output: the model's response.
func DecodeModelOutput(b []byte) (llm.Response, error) {
	var out struct {
		V int `json:"v"`
		llm.Response
	}
	err := decode("model response", b, &out, &out.V, ModelOutputVersion)
	return out.Response, err
}

// DecodeToolInput reads a tool step's input. Members of the wrong type are left zero and
// reported; the others are read.
func DecodeToolInput(b []byte) (ToolInput, error) {
	var in ToolInput
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("%w tool input: %w", ErrMalformed, err)
	}
	return in, nil
}

// DecodeToolOutput reads a tool step's output: the tool's result.
func DecodeToolOutput(b []byte) (tool.Result, error) {
	var out struct {
		V int `json:"v"`
		tool.Result
	}
	err := decode("tool result", b, &out, &out.V, ToolOutputVersion)
	return out.Result, err
}

// DecodeGateRequest reads a gate step's input: the request a person is asked to answer.
func DecodeGateRequest(b []byte) (approval.Request, error) {
	var out struct {
		V int `json:"v"`
		approval.Request
	}
	err := decode("approval request", b, &out, &out.V, GateRequestVersion)
	return out.Request, err
}

// EncodeGateRequest is a gate step's input: req at GateRequestVersion.
func EncodeGateRequest(req approval.Request) ([]byte, error) {
	return json.Marshal(struct {
		V int `json:"v,omitempty"`
		approval.Request
	}{GateRequestVersion, req})
}

// DecodeGate reads a completed gate step's output. A record without an outcome is
// malformed: every version has one.
func DecodeGate(b []byte) (GateRecord, error) {
	var out struct {
		GateRecord
		Outcome *approval.Outcome `json:"outcome"`
	}
	if err := decode("approval decision", b, &out, &out.V, GateVersion); err != nil {
		return out.GateRecord, err
	}
	if out.Outcome == nil {
		return out.GateRecord, fmt.Errorf("%w approval decision: no outcome", ErrMalformed)
	}
	out.GateRecord.Outcome = *out.Outcome
	return out.GateRecord, nil
}

// DecodeCompactInput reads a compaction step's input.
func DecodeCompactInput(b []byte) (CompactInput, error) {
	var in CompactInput
	err := decode("compaction input", b, &in, &in.V, CompactionVersion)
	return in, err
}

// DecodeCompaction reads a compaction step's output.
func DecodeCompaction(b []byte) (Compaction, error) {
	var out Compaction
	err := decode("compaction", b, &out, &out.V, CompactionVersion)
	return out, err
}

// DecodeCompactEdit reads a summary edit step's output.
func DecodeCompactEdit(b []byte) (CompactEdit, error) {
	var out CompactEdit
	err := decode("summary edit", b, &out, &out.V, CompactionVersion)
	return out, err
}

// decode unmarshals a record of the named kind into v, whose version lands in *version, and
// checks the version is one this Corral reads. On error v holds what could be read.
func decode(what string, b []byte, v any, version *int, latest int) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w %s: %w", ErrMalformed, what, err)
	}
	if *version < 0 || *version > latest {
		return fmt.Errorf("%w: %s version %d (this Corral reads versions 0 to %d)", ErrVersion, what, *version, latest)
	}
	return nil
}
