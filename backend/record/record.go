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
)

// The version each record kind is written at. Version 0 is the format without a "v" member.
const (
	// ConfigVersion is the version of RunConfig, the configuration step's output. Version 1
	// added Egress; a configuration without it is still written at version 0 (see
	// RunConfig.Version), so a Corral that reads only version 0 refuses exactly the runs
	// whose network policy it would not enforce.
	ConfigVersion = 1
	// ModelInputVersion is the version of ModelInput, a model step's input.
	ModelInputVersion = 0
	// ModelOutputVersion is the version of a model step's output (an llm.Response).
	ModelOutputVersion = 0
	// ToolOutputVersion is the version of a tool step's output (a tool.Result).
	ToolOutputVersion = 0
	// GateRequestVersion is the version of a gate step's input (an approval.Request).
	GateRequestVersion = 0
	// GateVersion is the version of GateRecord, a completed gate step's output.
	GateVersion = 0
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
	// MCP names the MCP servers whose tools the run is offered; the tools themselves are
	// recorded by the run's mcp.tools step.
	MCP []string `json:"mcp,omitempty"`
	// Egress is the network policy of the run's commands through the egress proxy:
	// "allowlist" (the net(...) allow rules of Rules and of the ledger, read when the
	// sandbox opens) or "open"; empty (version 0) is none, the sandbox's own network
	// setting. Since version 1.
	Egress string `json:"egress,omitempty"`
}

// Version is the version c is written at: the lowest that holds what it uses (1 with
// Egress, else 0, which is not written), so records without the newer members stay byte
// for byte what older releases wrote and read.
func (c RunConfig) Version() int {
	if c.Egress != "" {
		return 1
	}
	return 0
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
