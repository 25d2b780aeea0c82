package trace

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// Version is the version of the trace model and of the bundle format
// (docs/trace-bundle.md) this program writes and reads.
const Version = 1

// SpanKind says what a span stands for.
type SpanKind string

// The span kinds. Every journal step is one span of kind config, llm, tool,
// approval or step; run and command spans are derived; a resume is a point in
// time (a span of no duration) where the run went on after it had stopped.
const (
	KindRun      SpanKind = "run"      // the whole run; the root
	KindConfig   SpanKind = "config"   // the run.config step
	KindModel    SpanKind = "llm"      // one model call
	KindTool     SpanKind = "tool"     // one tool call
	KindApproval SpanKind = "approval" // a person's decision
	KindCompact  SpanKind = "compact"  // a compaction of the conversation, or a person's edit of its summary
	KindCommand  SpanKind = "command"  // the sandbox command an exec tool call ran
	KindStep     SpanKind = "step"     // a step of a kind this package does not know
	KindResume   SpanKind = "resume"   // the run was driven again after it had stopped part way
	KindSubagent SpanKind = "subagent" // a task call started a subagent's run
)

// Status is how a span ended.
type Status string

// The span statuses. The journal's own status of a step or run is kept in the
// attributes corral.step.status and corral.run.status.
const (
	StatusOK         Status = "ok"
	StatusError      Status = "error"
	StatusUnfinished Status = "unfinished" // started and never finished, or still running
)

// Trace is one run as a tree of spans. It is built by [Build] and is what the
// UI graph and every exporter read.
type Trace struct {
	Version int `json:"version"`
	// ID is the trace id: 32 hex digits derived from the run id.
	ID  string  `json:"trace_id"`
	Run RunInfo `json:"run"`
	// Spans lists the root span first, then one span per step in sequence
	// order, each followed by the spans derived from it and by the resumes
	// that came after it.
	Spans []Span `json:"spans"`
}

// RunInfo describes the traced run. Steps, Usage and CostUSD are summed from
// the steps.
type RunInfo struct {
	ID        string            `json:"id"`
	SessionID string            `json:"session_id"`
	Agent     string            `json:"agent"`
	Prompt    string            `json:"prompt"`
	Status    journal.RunStatus `json:"status"`
	Workspace string            `json:"workspace"`
	Sandbox   string            `json:"sandbox"`
	Error     string            `json:"error,omitempty"`
	// Provider and Model come from the run's recorded configuration.
	Provider  string    `json:"provider,omitempty"`
	Model     string    `json:"model,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Steps     int       `json:"steps"`
	Usage     llm.Usage `json:"usage"`
	CostUSD   float64   `json:"cost_usd"`
}

// Span is one timed operation of a run.
type Span struct {
	// ID is 16 hex digits derived from the run id, the step's seq and the
	// span's place among the spans of that step.
	ID       string `json:"span_id"`
	ParentID string `json:"parent_span_id,omitempty"`
	// RequestedBy is, for a tool call, the span of the model call whose
	// tool_use it answers.
	RequestedBy string   `json:"requested_by,omitempty"`
	Kind        SpanKind `json:"kind"`
	Name        string   `json:"name"`
	// Seq is the journal sequence number of the step; 0 for the root and for
	// resumes (corral.resume.after_seq says which step a resume follows).
	Seq    int       `json:"seq"`
	Status Status    `json:"status"`
	Start  time.Time `json:"start,omitzero"`
	// End is zero while the span is unfinished.
	End     time.Time `json:"end,omitzero"`
	Model   string    `json:"model,omitempty"`
	Usage   llm.Usage `json:"usage,omitzero"`
	CostUSD float64   `json:"cost_usd,omitempty"`
	// Input and Output are the step's recorded input and output, as JSON (a
	// record that is not JSON is given as a JSON string).
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	// Group is, for the spans of a subagent grafted into its parent's trace (see
	// [Graft]), the subagent's run id; empty for the traced run's own spans.
	Group string `json:"group,omitempty"`
	// Attributes are OpenTelemetry-style attributes: the GenAI semantic
	// conventions (gen_ai.*) and Corral's own (corral.*). Values are string,
	// int64, float64, bool or []string.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Egress, on a command span, are the connections the command attempted
	// through the egress proxy (from the tool's recorded result); OTLP gives
	// each as a span event named "corral.egress".
	Egress []egress.Event `json:"egress,omitempty"`
}

// Duration is End minus Start, or zero for an unfinished span.
func (s Span) Duration() time.Duration {
	if s.End.IsZero() || s.Start.IsZero() {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Attribute keys. gen_ai.* follow the OpenTelemetry GenAI semantic
// conventions; corral.* are Corral's and carry what an import needs.
const (
	attrOperation     = "gen_ai.operation.name"
	attrProvider      = "gen_ai.provider.name"
	attrSystem        = "gen_ai.system" // the older name of gen_ai.provider.name
	attrAgentName     = "gen_ai.agent.name"
	attrConversation  = "gen_ai.conversation.id"
	attrRequestModel  = "gen_ai.request.model"
	attrMaxTokens     = "gen_ai.request.max_tokens"
	attrResponseModel = "gen_ai.response.model"
	attrResponseID    = "gen_ai.response.id"
	attrFinish        = "gen_ai.response.finish_reasons"
	attrInputTokens   = "gen_ai.usage.input_tokens"
	attrOutputTokens  = "gen_ai.usage.output_tokens"
	attrCacheRead     = "gen_ai.usage.cache_read.input_tokens"
	attrCacheWrite    = "gen_ai.usage.cache_creation.input_tokens"
	attrToolName      = "gen_ai.tool.name"
	attrToolCallID    = "gen_ai.tool.call.id"
	attrToolType      = "gen_ai.tool.type"
	attrErrorType     = "error.type"
	attrCommandLine   = "process.command_line"
	attrExitCode      = "process.exit.code"

	attrSpanKind       = "corral.span.kind"
	attrRunID          = "corral.run.id"
	attrSessionID      = "corral.session.id"
	attrRunStatus      = "corral.run.status"
	attrRunWorkspace   = "corral.run.workspace"
	attrRunSandbox     = "corral.run.sandbox"
	attrRunCreated     = "corral.run.created_at"
	attrRunUpdated     = "corral.run.updated_at"
	attrCost           = "corral.cost_usd"
	attrStepSeq        = "corral.step.seq"
	attrStepKind       = "corral.step.kind"
	attrStepName       = "corral.step.name"
	attrStepStatus     = "corral.step.status"
	attrStepAttempt    = "corral.step.attempt"
	attrStepIdempotent = "corral.step.idempotent"
	attrStepResolution = "corral.step.resolution"
	attrStepRerun      = "corral.step.rerun_pending"
	attrResumeReason   = "corral.resume.reason"
	attrResumeAfter    = "corral.resume.after_seq"
)

// resumePart is added to a resume's number (1, 2, ... in the run) to make the
// part of its span id (see [SpanID]): far above the parts of a step's derived
// spans, so the two never meet.
const resumePart = 1 << 32

// ImportPrefix starts the ids of imported sessions and runs. Ids are derived
// from a run id without it, so an imported run keeps the trace and span ids of
// the run it was exported from.
const ImportPrefix = "imp_"

// IsImported reports whether a session or run id is that of an imported one.
func IsImported(id string) bool { return strings.HasPrefix(id, ImportPrefix) }

// TraceID returns the trace id of a run: 32 hex digits.
func TraceID(runID string) string {
	sum := sha256.Sum256([]byte("corral.trace\x00" + strings.TrimPrefix(runID, ImportPrefix)))
	if allZero(sum[:16]) { // an all-zero id is invalid in OpenTelemetry
		sum[15] = 1
	}
	return hex.EncodeToString(sum[:16])
}

// SpanID returns the id of span part (0 for the step itself, then one per
// derived span) of step seq (0 for the run) of a run: 16 hex digits. The
// run's n-th resume has part 2^32+n of the step it follows.
func SpanID(runID string, seq, part int) string {
	b := make([]byte, 0, 64)
	b = append(b, "corral.span\x00"...)
	b = append(b, strings.TrimPrefix(runID, ImportPrefix)...)
	b = binary.BigEndian.AppendUint64(append(b, 0), uint64(seq))
	b = binary.BigEndian.AppendUint64(b, uint64(part))
	sum := sha256.Sum256(b)
	if allZero(sum[:8]) {
		sum[7] = 1
	}
	return hex.EncodeToString(sum[:8])
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Build turns a run, its steps (ordered by seq, as journal.Steps returns
// them) and its resumes (in the order they happened, as journal.Resumes
// returns them; none for a run never resumed) into its trace. It is a pure
// function of its arguments. An output it cannot parse is kept as it is,
// without the attributes it would have given; only steps out of order, or
// steps or resumes of another run, are an error.
func Build(run journal.Run, steps []journal.Step, resumes ...journal.Resume) (Trace, error) {
	prev := 0
	for _, st := range steps {
		if st.RunID != "" && st.RunID != run.ID {
			return Trace{}, fmt.Errorf("trace: build run %s: step %d belongs to run %s", run.ID, st.Seq, st.RunID)
		}
		if st.Seq <= prev {
			return Trace{}, fmt.Errorf("trace: build run %s: step seq %d after %d; steps must be in increasing seq order from 1", run.ID, st.Seq, prev)
		}
		prev = st.Seq
	}
	for _, r := range resumes {
		if r.RunID != "" && r.RunID != run.ID {
			return Trace{}, fmt.Errorf("trace: build run %s: a resume belongs to run %s", run.ID, r.RunID)
		}
	}
	b := builder{run: run, cfg: readConfig(steps)}
	return b.build(steps, resumes), nil
}

type builder struct {
	run journal.Run
	cfg record.RunConfig

	// The tool calls of the latest model response, and how many were answered.
	caller   string
	pending  []llm.Block
	answered int
	// next is the step after the one being built, if any.
	next *journal.Step
}

// callFor returns the index of the first unanswered tool call named name
// among the latest response's, or -1. Matching by name as well as order keeps
// the pairing right when a call gets no tool step (an approval refused it).
func (b *builder) callFor(name string) int {
	for j := b.answered; j < len(b.pending); j++ {
		if b.pending[j].Name == name {
			return j
		}
	}
	return -1
}

func (b *builder) build(steps []journal.Step, resumes []journal.Resume) Trace {
	run := b.run
	t := Trace{
		Version: Version,
		ID:      TraceID(run.ID),
		Run: RunInfo{
			ID: run.ID, SessionID: run.SessionID, Agent: run.Agent, Prompt: run.Prompt, Status: run.Status,
			Workspace: run.Workspace, Sandbox: run.Sandbox, Error: run.Error,
			Provider: b.cfg.Provider, Model: b.cfg.Model,
			CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt, Steps: len(steps),
		},
		Spans: make([]Span, 1, len(steps)+len(steps)/4+len(resumes)+1),
	}
	root := Span{
		ID: SpanID(run.ID, 0, 0), Kind: KindRun, Name: "invoke_agent " + run.Agent,
		Status: runStatus(run.Status), Start: run.CreatedAt, Model: b.cfg.Model, Error: run.Error,
	}
	end := run.UpdatedAt
	switch run.Status {
	case journal.RunCompleted, journal.RunFailed, journal.RunCancelled, journal.RunRefused, journal.RunCutOff:
	default:
		end = time.Time{} // still going: the root ends with its last finished step
	}
	// Each resume follows the step it came after (a step that is not there:
	// the next one that is); their numbers are their places in the run.
	type numbered struct {
		n int
		r journal.Resume
	}
	pending := make([]numbered, len(resumes))
	for i, r := range resumes {
		pending[i] = numbered{i + 1, r}
	}
	slices.SortStableFunc(pending, func(x, y numbered) int { return cmp.Compare(x.r.AfterSeq, y.r.AfterSeq) })
	flush := func(before int) {
		for len(pending) > 0 && pending[0].r.AfterSeq < before {
			t.Spans = append(t.Spans, b.resume(root.ID, pending[0].n, pending[0].r))
			pending = pending[1:]
		}
	}
	for i, st := range steps {
		flush(st.Seq)
		b.next = nil
		if i+1 < len(steps) {
			b.next = &steps[i+1]
		}
		t.Run.Usage = t.Run.Usage.Add(usage(st.Usage))
		t.Run.CostUSD += st.CostUSD
		if !st.StartedAt.IsZero() && (root.Start.IsZero() || st.StartedAt.Before(root.Start)) {
			root.Start = st.StartedAt
		}
		for _, at := range []time.Time{st.StartedAt, st.FinishedAt} {
			if at.After(end) {
				end = at
			}
		}
		t.Spans = b.step(t.Spans, root.ID, st)
	}
	flush(math.MaxInt)
	root.End = end
	if root.Status == StatusUnfinished {
		root.End = time.Time{}
	}
	root.Usage, root.CostUSD = t.Run.Usage, t.Run.CostUSD
	root.Attributes = map[string]any{
		attrSpanKind:     string(KindRun),
		attrOperation:    "invoke_agent",
		attrAgentName:    run.Agent,
		attrConversation: run.SessionID,
		attrRunID:        run.ID,
		attrSessionID:    run.SessionID,
		attrRunStatus:    string(run.Status),
		attrRunWorkspace: run.Workspace,
		attrRunSandbox:   run.Sandbox,
		attrRunCreated:   run.CreatedAt.UnixNano(),
		attrRunUpdated:   run.UpdatedAt.UnixNano(),
	}
	if run.ParentRunID != "" {
		root.Attributes[attrParentRun] = run.ParentRunID
		root.Attributes[attrParentSeq] = int64(run.ParentSeq)
	}
	b.provider(root.Attributes)
	if b.cfg.Model != "" {
		root.Attributes[attrRequestModel] = b.cfg.Model
	}
	setUsage(root.Attributes, root.Usage, root.CostUSD)
	if root.Status == StatusError {
		root.Attributes[attrErrorType] = "run_" + string(run.Status)
	}
	t.Spans[0] = root
	return t
}

// resume is the span of the run's n-th resume: a point in time, under the run.
func (b *builder) resume(rootID string, n int, r journal.Resume) Span {
	return Span{
		ID: SpanID(b.run.ID, r.AfterSeq, resumePart+n), ParentID: rootID, Kind: KindResume,
		Name: "resume (" + r.Reason + ")", Status: StatusOK, Start: r.At, End: r.At,
		Attributes: map[string]any{
			attrSpanKind:     string(KindResume),
			attrResumeReason: r.Reason,
			attrResumeAfter:  int64(r.AfterSeq),
		},
	}
}

func (b *builder) provider(attrs map[string]any) {
	if b.cfg.Provider != "" {
		attrs[attrProvider] = b.cfg.Provider
		attrs[attrSystem] = b.cfg.Provider
	}
}

func runStatus(s journal.RunStatus) Status {
	switch s {
	case journal.RunCompleted:
		return StatusOK
	case journal.RunFailed, journal.RunCancelled, journal.RunRefused, journal.RunCutOff:
		return StatusError
	}
	return StatusUnfinished
}

func stepStatus(s journal.StepStatus) Status {
	switch s {
	case journal.StepCompleted:
		return StatusOK
	case journal.StepFailed:
		return StatusError
	}
	return StatusUnfinished
}

func usage(u journal.Usage) llm.Usage {
	return llm.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadTokens, CacheWriteTokens: u.CacheWriteTokens}
}

// setUsage records tokens the GenAI way: input tokens include the prompt
// tokens read from and written to the cache.
func setUsage(attrs map[string]any, u llm.Usage, cost float64) {
	if u != (llm.Usage{}) {
		attrs[attrInputTokens] = u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens
		attrs[attrOutputTokens] = u.OutputTokens
	}
	if u.CacheReadTokens != 0 {
		attrs[attrCacheRead] = u.CacheReadTokens
	}
	if u.CacheWriteTokens != 0 {
		attrs[attrCacheWrite] = u.CacheWriteTokens
	}
	if cost != 0 {
		attrs[attrCost] = cost
	}
}

// jsonOrString returns b if it is JSON, otherwise b as a JSON string, so a
// span always marshals.
func jsonOrString(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

// step appends the spans of one step.
func (b *builder) step(spans []Span, rootID string, st journal.Step) []Span {
	run := b.run
	sp := Span{
		ID: SpanID(run.ID, st.Seq, 0), ParentID: rootID, Name: st.Name, Seq: st.Seq,
		Status: stepStatus(st.Status), Start: st.StartedAt, End: st.FinishedAt,
		Usage: usage(st.Usage), CostUSD: st.CostUSD, Error: st.Error,
	}
	if sp.Status == StatusUnfinished {
		sp.End = time.Time{}
	}
	attrs := map[string]any{
		attrStepSeq:        int64(st.Seq),
		attrStepKind:       st.Kind,
		attrStepName:       st.Name,
		attrStepStatus:     string(st.Status),
		attrStepAttempt:    int64(st.Attempt),
		attrStepIdempotent: st.Idempotent,
	}
	if st.Resolution != "" {
		attrs[attrStepResolution] = string(st.Resolution)
	}
	if st.RerunPending {
		attrs[attrStepRerun] = true
	}
	if sp.Status == StatusError {
		attrs[attrErrorType] = "step_failed"
	}
	setUsage(attrs, sp.Usage, sp.CostUSD)
	sp.Attributes = attrs

	var derived []Span
	switch st.Kind {
	case record.KindConfig:
		sp.Kind = KindConfig
		b.config(&sp)
	case record.KindLLM:
		sp.Kind = KindModel
		b.model(&sp, st)
	case record.KindTool:
		sp.Kind = KindTool
		derived = b.tool(&sp, st)
	case record.KindApproval:
		sp.Kind = KindApproval
		b.approval(&sp, st)
	case record.KindSubagent:
		sp.Kind = KindSubagent
	case record.KindCompact:
		sp.Kind = KindCompact
		b.compact(&sp, st)
	default:
		sp.Kind = KindStep
	}
	// The kinds above set Input and Output to the records they parsed; the
	// rest must be checked to be JSON.
	if sp.Input == nil {
		sp.Input = jsonOrString(st.Input)
	}
	if sp.Output == nil {
		sp.Output = jsonOrString(st.Output)
	}
	attrs[attrSpanKind] = string(sp.Kind)
	return append(append(spans, sp), derived...)
}

func (b *builder) config(sp *Span) {
	cfg := b.cfg
	a := sp.Attributes
	a["corral.config.agent"] = cfg.Agent
	a["corral.config.sandbox"] = cfg.Sandbox
	a["corral.config.max_steps"] = int64(cfg.MaxSteps)
	a["corral.config.max_tokens"] = int64(cfg.MaxTokens)
	a["corral.config.history_messages"] = int64(len(cfg.History))
	if len(cfg.Tools) > 0 {
		a["corral.config.tools"] = append([]string(nil), cfg.Tools...)
	}
	b.provider(a)
	if cfg.Model != "" {
		a[attrRequestModel] = cfg.Model
	}
}

func (b *builder) model(sp *Span, st journal.Step) {
	a := sp.Attributes
	a[attrOperation] = "chat"
	b.provider(a)
	in, err := record.DecodeModelInput(st.Input)
	if err == nil {
		sp.Input = json.RawMessage(st.Input)
		a["corral.llm.messages"] = int64(in.Messages)
		a["corral.llm.tools"] = int64(in.Tools)
		if in.MaxTokens > 0 {
			a[attrMaxTokens] = int64(in.MaxTokens)
		}
	}
	if in.Model == "" {
		in.Model = b.cfg.Model
	}
	sp.Model = in.Model
	if in.Model != "" {
		a[attrRequestModel] = in.Model
	}
	sp.Name = strings.TrimSpace("chat " + in.Model)

	b.caller, b.pending, b.answered = sp.ID, nil, 0
	if st.Status != journal.StepCompleted {
		return
	}
	resp, err := record.DecodeModelOutput(st.Output)
	if err != nil {
		return
	}
	sp.Output = json.RawMessage(st.Output)
	if resp.Model != "" {
		sp.Model = resp.Model
	}
	if sp.Model != "" {
		a[attrResponseModel] = sp.Model
	}
	if resp.ID != "" {
		a[attrResponseID] = resp.ID
	}
	if resp.StopReason != "" {
		a[attrFinish] = []string{string(resp.StopReason)}
	}
	b.pending = resp.ToolUses()
}

func (b *builder) tool(sp *Span, st journal.Step) []Span {
	a := sp.Attributes
	a[attrOperation] = "execute_tool"
	a[attrToolName] = st.Name
	a[attrToolType] = "function"
	sp.Name = "execute_tool " + st.Name
	if j := b.callFor(st.Name); j >= 0 {
		a[attrToolCallID] = b.pending[j].ID
		sp.RequestedBy = b.caller
		b.answered = j + 1
	}
	if st.Status != journal.StepCompleted {
		return nil
	}
	res, err := record.DecodeToolOutput(st.Output)
	if err != nil {
		return nil
	}
	sp.Output = json.RawMessage(st.Output)
	a["corral.tool.is_error"] = res.IsError
	if res.IsError {
		a[attrErrorType] = "tool_error"
	}
	m := res.Meta
	for k, v := range map[string]int64{
		"corral.tool.duration_ms": m.DurationMS, "corral.tool.bytes": m.Bytes, "corral.tool.lines": int64(m.Lines),
		"corral.tool.replacements": int64(m.Replacements), "corral.tool.added": int64(m.Added),
		"corral.tool.removed": int64(m.Removed), "corral.tool.matches": int64(m.Matches), "corral.tool.files": int64(m.Files),
	} {
		if v != 0 {
			a[k] = v
		}
	}
	if m.Path != "" {
		a["corral.tool.path"] = m.Path
	}
	if m.Truncated {
		a["corral.tool.truncated"] = true
	}
	mcpAttributes(a, m.MCP)
	if m.ExitCode == nil && !m.TimedOut {
		return nil
	}
	// The tool ran a command in the sandbox: give the command its own span,
	// ending with the tool call and as long as the command took.
	cmd := Span{
		ID: SpanID(b.run.ID, st.Seq, 1), ParentID: sp.ID, Kind: KindCommand, Name: "sandbox.exec", Seq: st.Seq,
		Status: StatusOK, Start: sp.Start, End: sp.End,
		Attributes: map[string]any{attrSpanKind: string(KindCommand), "corral.sandbox": b.run.Sandbox, "corral.command.timed_out": m.TimedOut},
	}
	if d := time.Duration(m.DurationMS) * time.Millisecond; d > 0 && sp.End.Add(-d).After(sp.Start) {
		cmd.Start = sp.End.Add(-d)
	}
	if m.DurationMS > 0 {
		cmd.Attributes["corral.command.duration_ms"] = m.DurationMS
	}
	if m.ExitCode != nil {
		cmd.Attributes[attrExitCode] = int64(*m.ExitCode)
		if *m.ExitCode != 0 {
			cmd.Status = StatusError
			cmd.Attributes[attrErrorType] = "exit_status"
		}
	}
	if m.TimedOut {
		cmd.Status = StatusError
		cmd.Attributes[attrErrorType] = "timeout"
	}
	if in, err := record.DecodeToolInput(st.Input); err == nil && in.Command != "" {
		cmd.Attributes[attrCommandLine] = in.Command
	}
	egressAttributes(&cmd, m.Egress)
	return []Span{cmd}
}

// approval describes the gate a tool call passed: the call it gates, how
// it was judged, the person's answer and whether the tool ran.
// compact describes a compaction (a model call: its provider, why it ran and how much it
// replaced) or a summary edit.
func (b *builder) compact(sp *Span, st journal.Step) {
	a := sp.Attributes
	if st.Name != record.NameCompact {
		return
	}
	a[attrOperation] = "chat"
	b.provider(a)
	if b.cfg.Model != "" {
		a[attrRequestModel] = b.cfg.Model
	}
	if in, err := record.DecodeCompactInput(st.Input); err == nil {
		a["corral.compact.reason"] = in.Reason
		a["corral.compact.messages"] = int64(in.Messages)
		a["corral.compact.summarized"] = int64(in.Summarized)
		if in.Tokens > 0 {
			a["corral.compact.estimated_tokens"] = int64(in.Tokens)
		}
	}
}

func (b *builder) approval(sp *Span, st journal.Step) {
	a := sp.Attributes
	sp.Name = "approval " + st.Name
	j := b.callFor(st.Name)
	if j >= 0 {
		sp.RequestedBy = b.caller
		a["corral.approval.tool_call_id"] = b.pending[j].ID
	}
	if st.Status != journal.StepCompleted {
		return // still waiting for a person
	}
	rec, err := record.DecodeGate(st.Output)
	if err != nil {
		scalars(a, st.Output)
		return
	}
	a["corral.approval.decision"] = string(rec.Assessment.Decision)
	if rec.Assessment.Reason != "" {
		a["corral.approval.reason"] = rec.Assessment.Reason
	}
	if rec.Answer != nil {
		a["corral.approval.answer"] = string(rec.Answer.Kind)
		if rec.Answer.By != "" {
			a["corral.approval.by"] = rec.Answer.By
		}
	}
	a["corral.approval.run"] = rec.Outcome.Run
	// A refused call that no tool step follows was answered by the refusal.
	if !rec.Outcome.Run && j >= 0 && (b.next == nil || b.next.Kind != record.KindTool || b.next.Name != st.Name) {
		b.answered = j + 1
	}
}

// scalars copies the string and boolean members of a JSON object into
// attributes, for an approval recorded in a form this package does not know.
func scalars(attrs map[string]any, record []byte) {
	var out map[string]any
	if json.Unmarshal(record, &out) != nil {
		return
	}
	for k, v := range out {
		switch v := v.(type) {
		case string:
			attrs["corral.approval."+k] = v
		case bool:
			attrs["corral.approval."+k] = v
		}
	}
}

// egressAttributes gives a command span its connections: how many were allowed and
// blocked, and the blocked hosts (corral.egress.*), with the events themselves.
func egressAttributes(cmd *Span, evs []egress.Event) {
	if len(evs) == 0 {
		return
	}
	cmd.Egress = evs
	var allowed, blocked int64
	var hosts []string
	for _, ev := range evs {
		if ev.Allowed {
			allowed++
			continue
		}
		blocked++
		if h := egress.AllowPattern(ev); !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	cmd.Attributes["corral.egress.allowed"] = allowed
	cmd.Attributes["corral.egress.blocked"] = blocked
	if len(hosts) > 0 {
		cmd.Attributes["corral.egress.blocked_hosts"] = hosts
	}
}
