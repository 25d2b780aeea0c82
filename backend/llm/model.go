package llm

import "context"

// Model produces one assistant turn for a conversation.
//
// Stream sends req and passes streaming events to onEvent (which may be
// nil) as they arrive, then returns the complete turn. Implementations
// retry transient failures from the start, also after output was streamed
// (announcing each retry with a Retry event whose Discard tells consumers
// to drop what the failed attempt showed), record the failed attempts in
// Response.Attempts, return an error rather than a truncated Response, and
// never panic on malformed provider output. On error the returned Response
// is empty and the error is an *AttemptsError listing every attempt (unless
// ctx ended).
type Model interface {
	Stream(ctx context.Context, req Request, onEvent func(Event)) (Response, error)
}
