package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/corral-dev/corral/backend/llm"
)

// The request body. Struct field order is the JSON key order, which keeps
// the bytes identical for identical requests.
type wireRequest struct {
	Model        string        `json:"model"`
	MaxTokens    int           `json:"max_tokens"`
	Thinking     *wireThinking `json:"thinking,omitempty"`
	OutputConfig *outputConfig `json:"output_config,omitempty"`
	System       []wireBlock   `json:"system,omitempty"`
	Messages     []wireMessage `json:"messages"`
	Tools        []wireTool    `json:"tools,omitempty"`
	Stream       bool          `json:"stream"`
}

type wireThinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

type outputConfig struct {
	Effort string `json:"effort"`
}

type wireMessage struct {
	Role    llm.Role    `json:"role"`
	Content []wireBlock `json:"content"`
}

type wireBlock struct {
	Type         string          `json:"type"`
	Text         string          `json:"text,omitempty"`
	ID           string          `json:"id,omitempty"`
	Name         string          `json:"name,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	ToolUseID    string          `json:"tool_use_id,omitempty"`
	Content      string          `json:"content,omitempty"`
	IsError      bool            `json:"is_error,omitempty"`
	CacheControl *cacheControl   `json:"cache_control,omitempty"`
	// Thinking and Signature are pointers because a thinking block needs
	// both keys even when a string is empty.
	Thinking  *string `json:"thinking,omitempty"`
	Signature *string `json:"signature,omitempty"`
	Data      string  `json:"data,omitempty"`
}

type wireTool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	CacheControl *cacheControl   `json:"cache_control,omitempty"`
}

type cacheControl struct {
	Type string `json:"type"`
}

var ephemeral = &cacheControl{Type: "ephemeral"}

// emptyContent stands in for a message that has no content left, which the
// API rejects (for example a turn cut off by max_tokens before any text).
const emptyContent = "(empty)"

// marshalRequest encodes req. Prompt-cache breakpoints go on the system
// prompt, the last tool and the last block of the last message, so each
// turn of an agent loop reads the previous turn's prefix from the cache.
func marshalRequest(req llm.Request, defaultModel string) ([]byte, error) {
	w := wireRequest{
		Model:     req.Model,
		MaxTokens: req.MaxTokens,
		Messages:  make([]wireMessage, 0, len(req.Messages)),
		Stream:    true,
	}
	if w.Model == "" {
		w.Model = defaultModel
	}
	if w.MaxTokens <= 0 {
		w.MaxTokens = DefaultMaxTokens
	}
	if th := req.Thinking; th != nil {
		if th.BudgetTokens > 0 {
			w.Thinking = &wireThinking{Type: "enabled", BudgetTokens: th.BudgetTokens}
			// The budget is part of max_tokens and must be smaller.
			if w.MaxTokens <= th.BudgetTokens {
				w.MaxTokens = th.BudgetTokens + DefaultMaxTokens
			}
		}
		if th.Effort != "" {
			w.OutputConfig = &outputConfig{Effort: th.Effort}
		}
	}
	if req.System != "" {
		w.System = []wireBlock{{Type: "text", Text: req.System, CacheControl: ephemeral}}
	}
	for i, t := range req.Tools {
		wt := wireTool{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema}
		if len(wt.InputSchema) == 0 {
			wt.InputSchema = json.RawMessage(`{"type":"object"}`)
		}
		if i == len(req.Tools)-1 {
			wt.CacheControl = ephemeral
		}
		w.Tools = append(w.Tools, wt)
	}
	for i, m := range req.Messages {
		if m.Role != llm.RoleUser && m.Role != llm.RoleAssistant {
			return nil, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
		wm := wireMessage{Role: m.Role, Content: []wireBlock{}}
		// Tool results must open a user message.
		for _, b := range m.Content {
			if b.Type == llm.BlockToolResult {
				wm.Content = append(wm.Content, wireBlock{Type: "tool_result", ToolUseID: b.ToolUseID, Content: b.Content, IsError: b.IsError})
			}
		}
		for j, b := range m.Content {
			switch b.Type {
			case llm.BlockToolResult:
			case llm.BlockText:
				if b.Text != "" {
					wm.Content = append(wm.Content, wireBlock{Type: "text", Text: b.Text})
				}
			case llm.BlockToolUse:
				input := b.Input
				if b.InputError != "" || len(input) == 0 {
					// The API requires an object; the tool result carries the error.
					input = json.RawMessage("{}")
				}
				wm.Content = append(wm.Content, wireBlock{Type: "tool_use", ID: b.ID, Name: b.Name, Input: input})
			case llm.BlockThinking:
				// Signed thinking goes back unchanged; unsigned reasoning
				// (from another provider) cannot be verified and is left out.
				if b.Signature != "" {
					wm.Content = append(wm.Content, wireBlock{Type: "thinking", Thinking: &b.Thinking, Signature: &b.Signature})
				}
			case llm.BlockRedactedThinking:
				wm.Content = append(wm.Content, wireBlock{Type: "redacted_thinking", Data: b.Data})
			default:
				return nil, fmt.Errorf("message %d block %d: unknown block type %q", i, j, b.Type)
			}
		}
		if len(wm.Content) == 0 {
			wm.Content = append(wm.Content, wireBlock{Type: "text", Text: emptyContent})
		}
		w.Messages = append(w.Messages, wm)
	}
	if n := len(w.Messages); n > 0 {
		blocks := w.Messages[n-1].Content
		blocks[len(blocks)-1].CacheControl = ephemeral
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
