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
}

// StopReason says why the model stopped, normalised across providers.
type StopReason string

// The normalised stop reasons. Adapters pass unknown provider values through.
const (
	StopEndTurn      StopReason = "end_turn"
	StopToolUse      StopReason = "tool_use"
	StopMaxTokens    StopReason = "max_tokens"
	StopSequence     StopReason = "stop_sequence"
	StopRefusal      StopReason = "refusal"
	StopPauseTurn    StopReason = "pause_turn"
	StopContentRules StopReason = "content_filter"
)

// Usage counts tokens for one call. The prompt's total size is
// InputTokens + CacheReadTokens + CacheWriteTokens: InputTokens excludes
// tokens read from or written to the prompt cache.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
}

// Add returns the sum of u and v, for run totals.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:      u.InputTokens + v.InputTokens,
		OutputTokens:     u.OutputTokens + v.OutputTokens,
		CacheReadTokens:  u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
	}
}

// Response is one complete assistant turn, accumulated from the stream.
type Response struct {
	Content    []Block    `json:"content"`
	StopReason StopReason `json:"stop_reason"`
	Usage      Usage      `json:"usage"`
	Model      string     `json:"model,omitempty"`
	ID         string     `json:"id,omitempty"`
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
