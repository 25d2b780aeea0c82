package agent

import (
	"encoding/json"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/tool"
)

// EventType names what happened. The catalog is mirrored in app/events.go for the UI.
type EventType string

// The run events. Text deltas, retries and live tool output are lossy (a slow subscriber may miss some); every
// other event must be delivered.
const (
	EventRunStarted    EventType = "run.started"
	EventRunResumed    EventType = "run.resumed"
	EventRunCompleted  EventType = "run.completed"
	EventRunFailed     EventType = "run.failed"
	EventRunSuspended  EventType = "run.suspended" // waits for a person: interrupted step or approval
	EventRunCancelled  EventType = "run.cancelled"
	EventModelStarted  EventType = "model.started"
	EventModelFinished EventType = "model.finished"
	EventModelRetry    EventType = "model.retry"
	EventTextDelta     EventType = "text.delta"
	// EventThinkingDelta carries a piece of the model's reasoning (Text), shown apart from
	// the answer; lossy like text deltas.
	EventThinkingDelta EventType = "thinking.delta"
	EventToolStarted   EventType = "tool.started"
	EventToolFinished  EventType = "tool.finished"
	// EventToolOutput: a chunk of a running command's output (lossy, bounded: coalesced,
	// capped per second and per step); the step's record keeps the result.
	EventToolOutput EventType = "tool.output"
	// EventToolEgress: a connection a running command attempted through the egress proxy,
	// allowed or blocked (Egress), as it ends (lossy, at most egressLive a step); the step's
	// record lists them all.
	EventToolEgress EventType = "tool.egress"
	// EventCompactStarted: the run compacts its conversation first (a model call writing
	// the summary, whose text streams as text.delta of the same seq); Reason is why
	// ("threshold" or "too_long") and ContextTokens the estimated size that led to it.
	EventCompactStarted EventType = "compact.started"
	// EventCompactFinished: the compaction is recorded; Text is the summary, Usage and
	// CostUSD what its model call cost.
	EventCompactFinished EventType = "compact.finished"
	// EventApprovalRequested: a tool call waits for a person; Approval holds the request
	// with its preview.
	EventApprovalRequested EventType = "approval.requested"
	// EventApprovalDecided: the gate let a call run or refused it; Decision says how.
	EventApprovalDecided EventType = "approval.decided"
)

// Lossy reports whether subscribers may miss events of this type.
func (t EventType) Lossy() bool {
	return t == EventTextDelta || t == EventThinkingDelta || t == EventModelRetry || t == EventToolOutput || t == EventToolEgress
}

// Event is one thing that happened in a run, as published on the bus and printed by
// `corral run --json` (one object per line).
type Event struct {
	Type      EventType `json:"type"`
	RunID     string    `json:"run_id"`
	SessionID string    `json:"session_id,omitempty"`
	Seq       int       `json:"seq,omitempty"`
	Time      time.Time `json:"time"`

	// Replayed marks a step event for a step that was already in the journal (on resume):
	// nothing ran and nothing was paid for.
	Replayed bool `json:"replayed,omitempty"`

	Text    string          `json:"text,omitempty"`  // text.delta, tool.output; the final text on run.completed
	Tool    string          `json:"tool,omitempty"`  // tool.*
	Input   json.RawMessage `json:"input,omitempty"` // tool.started
	Result  *ToolOutcome    `json:"result,omitempty"`
	Model   string          `json:"model,omitempty"`
	Usage   *llm.Usage      `json:"usage,omitempty"`
	CostUSD float64         `json:"cost_usd,omitempty"`
	// ContextTokens is, on model.started and model.finished, the estimated size of the
	// request in input tokens (llm.EstimateRequestTokens).
	ContextTokens int64  `json:"context_tokens,omitempty"`
	Status        string `json:"status,omitempty"` // run.* : the run status
	Error         string `json:"error,omitempty"`
	Attempt       int    `json:"attempt,omitempty"` // model.retry
	WaitMS        int64  `json:"wait_ms,omitempty"` // model.retry
	// Discard is set on model.retry when the failed attempt had streamed output: what it
	// showed (text.delta) must be dropped, as the next attempt streams the turn again.
	Discard  bool  `json:"discard,omitempty"`
	Duration int64 `json:"duration_ms,omitempty"` // *.finished
	// Stream ("stdout" or "stderr"), OutputSeq (1, 2, ... within the step), Elapsed (ms
	// since the command started) and Dropped (bytes left out before this chunk, over the
	// bounds) describe tool.output.
	Stream    string `json:"stream,omitempty"`
	OutputSeq int    `json:"output_seq,omitempty"`
	Elapsed   int64  `json:"elapsed_ms,omitempty"`
	Dropped   int64  `json:"dropped,omitempty"`
	Workspace string `json:"workspace,omitempty"` // run.started / run.resumed
	// Reason is set on run.resumed when the run had stopped part way (ResumeInterrupted,
	// ResumeCancelled) and the journal recorded the resume; a run going on after an approval
	// answer is not resumed and has none. On compact.started it says why the run compacts.
	Reason string `json:"reason,omitempty"`

	Egress *egress.Event `json:"egress,omitempty"` // tool.egress

	Approval *approval.Request `json:"approval,omitempty"` // approval.requested
	Decision *GateRecord       `json:"decision,omitempty"` // approval.decided
}

// ToolOutcome summarizes a tool result for events: what the model saw, whether it was an
// error, and the facts cards show (exit code, line counts, the diff when it is small).
type ToolOutcome struct {
	Content string     `json:"content"`
	IsError bool       `json:"is_error"`
	Meta    *tool.Meta `json:"meta,omitempty"`
}

// maxEventDiff bounds the diff a tool.finished event carries; a longer one is left out (the
// counts stay) and read from the journal when it is shown.
const maxEventDiff = 16 << 10

// NewToolOutcome summarizes a tool result for a tool.finished event.
func NewToolOutcome(res tool.Result) *ToolOutcome {
	out := &ToolOutcome{Content: res.Content, IsError: res.IsError}
	if !res.Meta.IsZero() {
		m := res.Meta
		if len(m.Diff) > maxEventDiff {
			m.Diff = ""
		}
		out.Meta = &m
	}
	return out
}
