package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/llm"
)

// The request body. Struct field order is the JSON key order, which keeps
// the bytes identical for identical requests.
type wireRequest struct {
	Model               string         `json:"model"`
	Messages            []wireMessage  `json:"messages"`
	Tools               []wireTool     `json:"tools,omitempty"`
	MaxTokens           int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int            `json:"max_completion_tokens,omitempty"`
	ReasoningEffort     string         `json:"reasoning_effort,omitempty"`
	Stream              bool           `json:"stream"`
	StreamOptions       *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type wireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type wireToolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function wireFunctionCall `json:"function"`
}

type wireFunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type wireTool struct {
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// marshalRequest encodes req. The system prompt becomes the first message;
// a user message's tool results become "tool" messages, placed before its
// text because they must follow the assistant's tool_calls directly.
// Reasoning blocks are not sent back: chat completions has no field for
// them, and DeepSeek rejects reasoning_content in input messages.
func marshalRequest(req llm.Request, defaultModel, maxTokensField string) ([]byte, error) {
	w := wireRequest{
		Model:         req.Model,
		Messages:      []wireMessage{},
		Stream:        true,
		StreamOptions: &streamOptions{IncludeUsage: true},
	}
	if w.Model == "" {
		w.Model = defaultModel
	}
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	if req.MaxTokensField != "" {
		maxTokensField = req.MaxTokensField
	}
	if req.Thinking != nil {
		w.ReasoningEffort = req.Thinking.Effort
	}
	if maxTokensField == MaxCompletionTokens {
		w.MaxCompletionTokens = maxTokens
	} else {
		w.MaxTokens = maxTokens
	}
	if req.System != "" {
		w.Messages = append(w.Messages, wireMessage{Role: "system", Content: ptr(req.System)})
	}
	for _, t := range req.Tools {
		params := t.InputSchema
		if len(params) == 0 {
			params = json.RawMessage(`{"type":"object"}`)
		}
		w.Tools = append(w.Tools, wireTool{Type: "function", Function: wireFunction{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	for i, m := range req.Messages {
		var texts []string
		var calls []wireToolCall
		for j, b := range m.Content {
			switch b.Type {
			case llm.BlockText:
				if b.Text != "" {
					texts = append(texts, b.Text)
				}
			case llm.BlockToolResult:
				if m.Role != llm.RoleUser {
					return nil, fmt.Errorf("message %d block %d: tool_result in a %s message", i, j, m.Role)
				}
				w.Messages = append(w.Messages, wireMessage{Role: "tool", Content: ptr(b.Content), ToolCallID: b.ToolUseID})
			case llm.BlockToolUse:
				if m.Role != llm.RoleAssistant {
					return nil, fmt.Errorf("message %d block %d: tool_use in a %s message", i, j, m.Role)
				}
				args := string(b.Input)
				if b.InputError != "" {
					args = b.RawInput
				} else if args == "" {
					args = "{}"
				}
				calls = append(calls, wireToolCall{ID: b.ID, Type: "function", Function: wireFunctionCall{Name: b.Name, Arguments: args}})
			case llm.BlockThinking, llm.BlockRedactedThinking:
			default:
				return nil, fmt.Errorf("message %d block %d: unknown block type %q", i, j, b.Type)
			}
		}
		text := strings.Join(texts, "\n\n")
		switch m.Role {
		case llm.RoleUser:
			if len(texts) > 0 || len(m.Content) == 0 {
				w.Messages = append(w.Messages, wireMessage{Role: "user", Content: ptr(text)})
			}
		case llm.RoleAssistant:
			wm := wireMessage{Role: "assistant", ToolCalls: calls}
			if text != "" || len(calls) == 0 {
				wm.Content = ptr(text)
			}
			w.Messages = append(w.Messages, wm)
		default:
			return nil, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func ptr(s string) *string { return &s }
