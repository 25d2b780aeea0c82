package llm

import "context"

// Model produces one assistant turn for a conversation.
//
// Stream sends req and passes streaming events to onEvent (which may be
// nil) as they arrive, then returns the complete turn. Implementations
// retry transient failures only while no output event has been passed to
// onEvent (announcing each retry with a Retry event), return an error rather than
// a truncated Response, and never panic on malformed provider output. On
// error the returned Response is empty.
type Model interface {
	Stream(ctx context.Context, req Request, onEvent func(Event)) (Response, error)
}
