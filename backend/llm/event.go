package llm

import "time"

// Event is one streaming event passed to the onEvent callback of
// Model.Stream: a TextDelta, ToolUseStart, ToolInputDelta, UsageUpdate or
// Retry. Events are a lossy progress stream for display: the Response that
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

// Retry reports that an attempt failed before it produced any other event
// and that the call will be tried again after Wait. Attempt is the number of
// the attempt about to start (2 for the first retry).
type Retry struct {
	Attempt int
	Wait    time.Duration
	Reason  string
	Err     error
}

func (TextDelta) event()      {}
func (ToolUseStart) event()   {}
func (ToolInputDelta) event() {}
func (UsageUpdate) event()    {}
func (Retry) event()          {}
