package llm

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Role says who wrote a Message.
type Role string

// The roles a Message can have. System prompts travel in Request.System.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// BlockType says which fields of a Block are meaningful.
type BlockType string

// The content block types.
const (
	// BlockText is model or user text (Text).
	BlockText BlockType = "text"
	// BlockToolUse is a tool call by the model (ID, Name, Input or RawInput
	// with InputError).
	BlockToolUse BlockType = "tool_use"
	// BlockToolResult is the outcome of a tool call, sent in a user message
	// (ToolUseID, Content, IsError).
	BlockToolResult BlockType = "tool_result"
	// BlockThinking is the model's reasoning before its answer (Thinking),
	// kept apart from the answer text. Anthropic signs it (Signature) and
	// requires it back unchanged in the next request of a tool-use turn;
	// OpenAI-compatible reasoning (reasoning_content, reasoning) has no
	// signature and is never sent back.
	BlockThinking BlockType = "thinking"
	// BlockRedactedThinking is reasoning the provider encrypted (Data); it is
	// sent back unchanged like a signed BlockThinking.
	BlockRedactedThinking BlockType = "redacted_thinking"
)

// Block is one piece of message content. It is a flat struct rather than an
// interface so that it marshals to deterministic JSON for the journal.
type Block struct {
	Type BlockType `json:"type"`

	// Text is the text of a BlockText.
	Text string `json:"text,omitempty"`

	// ID, Name and Input describe a BlockToolUse. Input is a JSON object.
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// InputError is set when the model produced tool input that is not a
	// JSON object; Input is then empty and RawInput holds the text as it was
	// received. The tool must not run: answer with an error tool result that
	// quotes InputError so the model can correct itself.
	InputError string `json:"input_error,omitempty"`
	RawInput   string `json:"raw_input,omitempty"`

	// Truncated marks a BlockToolUse cut off by the output limit
	// (StopMaxTokens): its input is incomplete, InputError says so, and it
	// must not run. Retrying with a larger limit is the remedy, not asking
	// the model to resend.
	Truncated bool `json:"truncated,omitempty"`

	// Thinking and Signature describe a BlockThinking; Data describes a
	// BlockRedactedThinking. All three are kept byte for byte.
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`

	// ToolUseID, Content and IsError describe a BlockToolResult.
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
}

// Message is one turn of the conversation.
type Message struct {
	Role    Role    `json:"role"`
	Content []Block `json:"content"`
}

// ToolSpec describes a tool the model may call. InputSchema is a JSON Schema
// object; it is sent as given, so keep it deterministic (no map iteration).
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
}

// Request is one model call. Adapters turn the same Request into the same
// bytes every time: no maps, no timestamps, no random identifiers.
type Request struct {
	// Model names the provider's model; empty means the adapter's default.
	Model    string     `json:"model,omitempty"`
	System   string     `json:"system,omitempty"`
	Messages []Message  `json:"messages"`
	Tools    []ToolSpec `json:"tools,omitempty"`
	// MaxTokens caps the output; zero means the adapter's default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// MaxTokensField overrides the name of the output cap on the wire for
	// adapters whose servers disagree on it (OpenAI-compatible:
	// "max_tokens" or "max_completion_tokens"); empty lets the adapter
	// choose by model and host.
	MaxTokensField string `json:"max_tokens_field,omitempty"`
	// Thinking turns extended thinking or reasoning on; nil leaves it at
	// the provider's default (off where the provider has a switch).
	Thinking *Thinking `json:"thinking,omitempty"`
}

// Thinking is the reasoning setting of a Request. Each adapter puts on the
// wire what its provider documents and ignores the rest: Anthropic sends
// BudgetTokens as thinking.budget_tokens and Effort as
// output_config.effort; OpenAI-compatible servers get Effort as
// reasoning_effort and have no budget.
type Thinking struct {
	// BudgetTokens is the most output tokens the model may spend thinking
	// (Anthropic requires at least 1024 and less than max_tokens).
	BudgetTokens int `json:"budget_tokens,omitempty"`
	// Effort is a provider effort level: "low", "medium", "high" on both;
	// "minimal" and "none" (OpenAI), "xhigh" and "max" (Anthropic).
	Effort string `json:"effort,omitempty"`
}

// StopReason says why the model stopped, normalised across providers.
type StopReason string

// The normalised stop reasons. Adapters map their provider's values onto
// these (OpenAI: stop, tool_calls, length, content_filter) and pass unknown
// values through; Response.RawStopReason keeps the value as sent.
const (
	// StopEndTurn: the model finished its turn.
	StopEndTurn StopReason = "end_turn"
	// StopToolUse: the model waits for the results of its tool calls.
	StopToolUse StopReason = "tool_use"
	// StopMaxTokens: the output limit cut the turn; a tool call it cut is
	// marked Truncated.
	StopMaxTokens StopReason = "max_tokens"
	// StopSequence: a stop sequence ended the turn.
	StopSequence StopReason = "stop_sequence"
	// StopRefusal: the model or the provider's filter declined;
	// Response.Refusal holds the explanation when one was given.
	StopRefusal StopReason = "refusal"
	// StopPauseTurn: the provider paused a long turn; sending the turn back
	// as it is lets the model continue it.
	StopPauseTurn StopReason = "pause_turn"
	// StopContextWindow: the conversation filled the model's context window.
	StopContextWindow StopReason = "model_context_window_exceeded"
)

// Usage counts tokens for one call. The prompt's total size is
// InputTokens + CacheReadTokens + CacheWriteTokens: InputTokens excludes
// tokens read from or written to the prompt cache.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
	// ThinkingTokens is the part of OutputTokens spent reasoning, where the
	// provider reports it (OpenAI's reasoning_tokens); it is already
	// included in OutputTokens.
	ThinkingTokens int64 `json:"thinking_tokens,omitempty"`
}

// Add returns the sum of u and v, for run totals.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:      u.InputTokens + v.InputTokens,
		OutputTokens:     u.OutputTokens + v.OutputTokens,
		CacheReadTokens:  u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
		ThinkingTokens:   u.ThinkingTokens + v.ThinkingTokens,
	}
}

// Response is one complete assistant turn, accumulated from the stream.
type Response struct {
	Content    []Block    `json:"content"`
	StopReason StopReason `json:"stop_reason"`
	Usage      Usage      `json:"usage"`
	Model      string     `json:"model,omitempty"`
	ID         string     `json:"id,omitempty"`
	// RawStopReason is the provider's own stop value (finish_reason for
	// OpenAI-compatible servers) before it was normalised into StopReason.
	RawStopReason string `json:"raw_stop_reason,omitempty"`
	// Refusal is the provider's explanation of a refusal, where it gives one
	// (OpenAI's refusal deltas).
	Refusal string `json:"refusal,omitempty"`
	// Attempts lists the failed attempts that came before the one that
	// produced this turn, oldest first; empty when the first attempt
	// succeeded.
	Attempts []Attempt `json:"attempts,omitempty"`
	// MaxTokens is the output limit this turn was produced under when the
	// caller raised it above the request's first one (a tool call cut by the
	// limit is asked again with a larger one); zero otherwise.
	MaxTokens int `json:"max_tokens,omitempty"`
}

// Message returns the response as the assistant message to append to the
// conversation.
func (r Response) Message() Message {
	return Message{Role: RoleAssistant, Content: r.Content}
}

// Text returns the concatenated text blocks.
func (r Response) Text() string {
	var b strings.Builder
	for _, c := range r.Content {
		if c.Type == BlockText {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// Thinking returns the concatenated thinking blocks' text.
func (r Response) Thinking() string {
	var b strings.Builder
	for _, c := range r.Content {
		if c.Type == BlockThinking {
			b.WriteString(c.Thinking)
		}
	}
	return b.String()
}

// ToolUses returns the tool_use blocks in order.
func (r Response) ToolUses() []Block {
	var out []Block
	for _, c := range r.Content {
		if c.Type == BlockToolUse {
			out = append(out, c)
		}
	}
	return out
}

// TextBlock returns a text block.
func TextBlock(text string) Block {
	return Block{Type: BlockText, Text: text}
}

// ToolResultBlock returns the result of the tool call toolUseID.
func ToolResultBlock(toolUseID, content string, isError bool) Block {
	return Block{Type: BlockToolResult, ToolUseID: toolUseID, Content: content, IsError: isError}
}

// UserText returns a user message holding one text block.
func UserText(text string) Message {
	return Message{Role: RoleUser, Content: []Block{TextBlock(text)}}
}

// NewToolUse returns a tool_use block for input as the model produced it.
// Empty input means an empty object. Input that is not a JSON object is kept
// in RawInput and described in InputError rather than dropped; valid input
// is stored compacted.
func NewToolUse(id, name, input string) Block {
	b := Block{Type: BlockToolUse, ID: id, Name: name}
	trimmed := strings.TrimSpace(input)
	if trimmed == "" {
		b.Input = json.RawMessage("{}")
		return b
	}
	var v any
	if err := json.Unmarshal([]byte(trimmed), &v); err != nil {
		b.RawInput = input
		b.InputError = "tool input is not valid JSON: " + err.Error()
		return b
	}
	if _, ok := v.(map[string]any); !ok {
		b.RawInput = input
		b.InputError = "tool input must be a JSON object"
		return b
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(trimmed)); err != nil {
		// Unreachable: Unmarshal accepted the same bytes.
		b.Input = json.RawMessage(trimmed)
		return b
	}
	b.Input = json.RawMessage(compact.Bytes())
	return b
}

// TruncatedInput is the InputError of a tool call cut off by the output
// limit.
const TruncatedInput = "tool input was cut off by the output limit (max_tokens) before it was complete"

// MarkTruncated marks the tool call that the output limit cut: when r
// stopped at StopMaxTokens and its last block is a tool_use, that block
// is Truncated, its input moves to RawInput and InputError says why, so
// the call never runs even if the cut happened to leave valid JSON.
// Adapters call it on every response they return.
func (r *Response) MarkTruncated() {
	if r.StopReason != StopMaxTokens || len(r.Content) == 0 {
		return
	}
	b := &r.Content[len(r.Content)-1]
	if b.Type != BlockToolUse {
		return
	}
	if b.InputError == "" {
		b.RawInput = string(b.Input)
	}
	b.Input = nil
	b.Truncated = true
	b.InputError = TruncatedInput
}
