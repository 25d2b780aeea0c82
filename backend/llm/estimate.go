package llm

import (
	"unicode/utf8"
)

// Baseline is what a provider counted for an earlier request of the same conversation: the
// input tokens of a request whose first Messages messages are the start of the next one,
// and how long (in bytes of content) its last message was then, so that a message merged
// into since (a paused turn continued, tool results added to a user turn) counts only what
// it gained. The zero Baseline means nothing was counted: the whole request is estimated.
type Baseline struct {
	// Messages is how many messages the counted request had.
	Messages int
	// LastBytes is the content size (MessageBytes) of its last message.
	LastBytes int
	// InputTokens is the request's input as the provider counted it: input, cache read and
	// cache write tokens together.
	InputTokens int64
}

// NewBaseline is the Baseline of req as resp counted it. A turn asked again with a larger
// output limit (a cut tool call) sums the usage of every attempt, so the input is divided
// by the number of times the request was sent.
func NewBaseline(req Request, resp Response) Baseline {
	sent := int64(1)
	for _, a := range resp.Attempts {
		if a.Kind == ErrorKind(StopMaxTokens) {
			sent++
		}
	}
	u := resp.Usage
	b := Baseline{Messages: len(req.Messages), InputTokens: (u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens) / sent}
	if n := len(req.Messages); n > 0 {
		b.LastBytes = MessageBytes(req.Messages[n-1])
	}
	return b
}

// Estimate overheads, in tokens, that providers add around content: a tool's definition
// wrapper, a message's role markers, a block's framing. They are the figures Anthropic's
// count_tokens answers for empty parts, rounded up; an estimate should err high.
const (
	messageOverhead = 4
	blockOverhead   = 3
	toolOverhead    = 12
	requestOverhead = 8
)

// EstimateRequestTokens is Corral's one estimate of how many input tokens req will be when
// it is sent: base's count from the provider for the part it already counted, plus a
// tokenizer-free estimate (EstimateTextTokens) of every message added since and of what the
// last counted message gained. Without a baseline (the first call of a run, or a baseline
// that is not a prefix of req) the whole request is estimated: system prompt, tool
// definitions and messages. The compaction and budget checks call it before every model
// call; it is deterministic (the same request and baseline give the same figure), so a
// resumed run estimates what an uninterrupted one did.
func EstimateRequestTokens(req Request, base Baseline) int64 {
	if base.Messages <= 0 || base.InputTokens <= 0 || base.Messages > len(req.Messages) {
		return estimateWhole(req)
	}
	n := base.InputTokens
	last := req.Messages[base.Messages-1]
	if grown := MessageBytes(last) - base.LastBytes; grown > 0 {
		n += (int64(grown) + 3) / 4
	}
	for _, m := range req.Messages[base.Messages:] {
		n += estimateMessage(m)
	}
	return n
}

func estimateWhole(req Request) int64 {
	n := int64(requestOverhead) + EstimateTextTokens(req.System)
	for _, t := range req.Tools {
		n += toolOverhead + EstimateTextTokens(t.Name) + EstimateTextTokens(t.Description) + EstimateTextTokens(string(t.InputSchema))
	}
	for _, m := range req.Messages {
		n += estimateMessage(m)
	}
	return n
}

func estimateMessage(m Message) int64 {
	n := int64(messageOverhead)
	for _, b := range m.Content {
		n += blockOverhead + estimateBlock(b)
	}
	return n
}

func estimateBlock(b Block) int64 {
	switch b.Type {
	case BlockRedactedThinking:
		// Encrypted: its bytes are not text; providers count it about as its base64 length / 4.
		return int64(len(b.Data)+3) / 4
	}
	return EstimateTextTokens(b.Text) + EstimateTextTokens(b.Name) + EstimateTextTokens(string(b.Input)) +
		EstimateTextTokens(b.Thinking) + EstimateTextTokens(b.Content) + EstimateTextTokens(b.RawInput)
}

// EstimateTextTokens estimates the tokens of s without a tokenizer: a token per four bytes
// of ASCII (English prose and code average 3.5 to 4.5 characters a token in the providers'
// BPE vocabularies) and one per other character (CJK, emoji and most accented letters cost
// a token or more each, where bytes/4 would count them at under one).
func EstimateTextTokens(s string) int64 {
	ascii, other := 0, 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			ascii++
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		other++
		i += size
	}
	return int64(ascii+3)/4 + int64(other)
}

// MessageBytes is the size of a message's content, in bytes of text, input and results:
// what Baseline.LastBytes compares.
func MessageBytes(m Message) int {
	n := 0
	for _, b := range m.Content {
		n += len(b.Text) + len(b.Name) + len(b.Input) + len(b.Thinking) + len(b.Content) + len(b.RawInput) + len(b.Data)
	}
	return n
}
