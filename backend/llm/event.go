package llm

import "time"

// Event is one streaming event passed to the onEvent callback of
// Model.Stream: a TextDelta, ThinkingDelta, ToolUseStart, ToolInputDelta,
// UsageUpdate or Retry. Events are a lossy progress stream for display: the Response that
// Stream returns is the authoritative turn. The callback runs on the
// streaming goroutine, so it must return quickly.
type Event interface {
	event()
}

// TextDelta is a piece of assistant text for the block Index. Index
// identifies a block within one attempt; it is not a position in
// Response.Content.
type TextDelta struct {
	Index int
	Text  string
}

// ThinkingDelta is a piece of the model's reasoning for the block Index,
// to show collapsed apart from the answer. Signatures and redacted data are
// not streamed; they arrive with the Response.
type ThinkingDelta struct {
	Index    int
	Thinking string
}

// ToolUseStart announces a tool call; its input follows as ToolInputDelta
// events with the same Index.
type ToolUseStart struct {
	Index int
	ID    string
	Name  string
}

// ToolInputDelta is a piece of the tool call's JSON input, as raw text that
// is not valid JSON until the block is complete.
type ToolInputDelta struct {
	Index       int
	PartialJSON string
}

// UsageUpdate reports the token counts known so far in this attempt.
type UsageUpdate struct {
	Usage Usage
}

// Retry reports that an attempt failed and that the call will be tried
// again from the start after Wait. Attempt is the number of the attempt
// about to start (2 for the first retry). Discard is set when the failed
// attempt had already streamed output: consumers must drop everything the
// attempt showed (text, thinking, tool calls), because the next attempt
// streams the turn again from its beginning.
type Retry struct {
	Attempt int
	Wait    time.Duration
	Reason  string
	Err     error
	Discard bool
}

func (TextDelta) event()      {}
func (ThinkingDelta) event()  {}
func (ToolUseStart) event()   {}
func (ToolInputDelta) event() {}
func (UsageUpdate) event()    {}
func (Retry) event()          {}
