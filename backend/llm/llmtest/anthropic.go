package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/llm"
)

// AnthropicBody encodes resp as a Messages API event stream, the way the
// API sends it: message_start, a ping, each block as start, deltas of at
// most chunk bytes (whole runes; 0 means one delta) and stop, then
// message_delta and message_stop. Tool input is streamed as written in
// Input, or RawInput when InputError is set.
func AnthropicBody(resp llm.Response, chunk int) string {
	var b strings.Builder
	event := func(name string, data any) {
		j, err := marshal(data)
		if err != nil {
			panic(fmt.Sprintf("llmtest: encode %s: %v", name, err))
		}
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, j)
	}
	type usage struct {
		InputTokens              int64 `json:"input_tokens"`
		CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
		OutputTokens             int64 `json:"output_tokens"`
	}
	type message struct {
		ID           string  `json:"id"`
		Type         string  `json:"type"`
		Role         string  `json:"role"`
		Model        string  `json:"model"`
		Content      []any   `json:"content"`
		StopReason   *string `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
		Usage        usage   `json:"usage"`
	}
	event("message_start", struct {
		Type    string  `json:"type"`
		Message message `json:"message"`
	}{"message_start", message{
		ID: resp.ID, Type: "message", Role: "assistant", Model: resp.Model, Content: []any{},
		Usage: usage{
			InputTokens:              resp.Usage.InputTokens,
			CacheCreationInputTokens: resp.Usage.CacheWriteTokens,
			CacheReadInputTokens:     resp.Usage.CacheReadTokens,
			OutputTokens:             1,
		},
	}})
	b.WriteString("event: ping\ndata: {\"type\": \"ping\"}\n\n")
	type delta struct {
		Type        string `json:"type"`
		Text        string `json:"text,omitempty"`
		PartialJSON string `json:"partial_json,omitempty"`
		Thinking    string `json:"thinking,omitempty"`
		Signature   string `json:"signature,omitempty"`
	}
	type deltaEvent struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
		Delta delta  `json:"delta"`
	}
	type indexEvent struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	for i, c := range resp.Content {
		switch c.Type {
		case llm.BlockText:
			event("content_block_start", struct {
				Type         string `json:"type"`
				Index        int    `json:"index"`
				ContentBlock any    `json:"content_block"`
			}{"content_block_start", i, struct {
				Type string `json:"type"`
				Text string `json:"text"`
			}{"text", ""}})
			for _, piece := range Chunks(c.Text, chunk) {
				event("content_block_delta", deltaEvent{"content_block_delta", i, delta{Type: "text_delta", Text: piece}})
			}
		case llm.BlockToolUse:
			event("content_block_start", struct {
				Type         string `json:"type"`
				Index        int    `json:"index"`
				ContentBlock any    `json:"content_block"`
			}{"content_block_start", i, struct {
				Type  string          `json:"type"`
				ID    string          `json:"id"`
				Name  string          `json:"name"`
				Input json.RawMessage `json:"input"`
			}{"tool_use", c.ID, c.Name, json.RawMessage("{}")}})
			input := string(c.Input)
			if c.InputError != "" {
				input = c.RawInput
			}
			event("content_block_delta", deltaEvent{"content_block_delta", i, delta{Type: "input_json_delta"}})
			for _, piece := range Chunks(input, chunk) {
				event("content_block_delta", deltaEvent{"content_block_delta", i, delta{Type: "input_json_delta", PartialJSON: piece}})
			}
		case llm.BlockThinking:
			event("content_block_start", struct {
				Type         string `json:"type"`
				Index        int    `json:"index"`
				ContentBlock any    `json:"content_block"`
			}{"content_block_start", i, struct {
				Type      string `json:"type"`
				Thinking  string `json:"thinking"`
				Signature string `json:"signature"`
			}{"thinking", "", ""}})
			for _, piece := range Chunks(c.Thinking, chunk) {
				event("content_block_delta", deltaEvent{"content_block_delta", i, delta{Type: "thinking_delta", Thinking: piece}})
			}
			if c.Signature != "" {
				event("content_block_delta", deltaEvent{"content_block_delta", i, delta{Type: "signature_delta", Signature: c.Signature}})
			}
		case llm.BlockRedactedThinking:
			event("content_block_start", struct {
				Type         string `json:"type"`
				Index        int    `json:"index"`
				ContentBlock any    `json:"content_block"`
			}{"content_block_start", i, struct {
				Type string `json:"type"`
				Data string `json:"data"`
			}{"redacted_thinking", c.Data}})
		default:
			panic(fmt.Sprintf("llmtest: cannot stream a %q block", c.Type))
		}
		event("content_block_stop", indexEvent{"content_block_stop", i})
	}
	stop := resp.RawStopReason
	if stop == "" {
		stop = string(resp.StopReason)
	}
	event("message_delta", struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage struct {
			OutputTokens int64 `json:"output_tokens"`
		} `json:"usage"`
	}{Type: "message_delta", Delta: struct {
		StopReason   string  `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
	}{StopReason: stop}, Usage: struct {
		OutputTokens int64 `json:"output_tokens"`
	}{resp.Usage.OutputTokens}})
	b.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	return b.String()
}

// AnthropicError is an error reply in the Messages API format, e.g.
// AnthropicError(529, "overloaded_error", "Overloaded").
func AnthropicError(status int, typ, message string) Reply {
	j, _ := marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": message}})
	return Reply{Status: status, Body: string(j), Header: http.Header{"Request-Id": {"req_llmtest"}}}
}

// AnthropicStreamError is the body of an error event sent mid-stream.
func AnthropicStreamError(typ, message string) string {
	j, _ := marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": message}})
	return "event: error\ndata: " + string(j) + "\n\n"
}

// DecodeAnthropicRequest turns a Messages API request body back into an
// llm.Request, dropping cache_control. It is the inverse of what the
// anthropic adapter sends, which the conformance suite checks.
func DecodeAnthropicRequest(body []byte) (llm.Request, error) {
	var w struct {
		Model     string `json:"model"`
		MaxTokens int    `json:"max_tokens"`
		Thinking  *struct {
			BudgetTokens int `json:"budget_tokens"`
		} `json:"thinking"`
		OutputConfig *struct {
			Effort string `json:"effort"`
		} `json:"output_config"`
		System   json.RawMessage `json:"system"`
		Messages []struct {
			Role    llm.Role        `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Tools []struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			InputSchema json.RawMessage `json:"input_schema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return llm.Request{}, fmt.Errorf("llmtest: decode anthropic request: %w", err)
	}
	req := llm.Request{Model: w.Model, MaxTokens: w.MaxTokens, Messages: []llm.Message{}}
	if w.Thinking != nil || w.OutputConfig != nil {
		req.Thinking = &llm.Thinking{}
		if w.Thinking != nil {
			req.Thinking.BudgetTokens = w.Thinking.BudgetTokens
		}
		if w.OutputConfig != nil {
			req.Thinking.Effort = w.OutputConfig.Effort
		}
	}
	sys, err := anthropicContent(w.System)
	if err != nil {
		return llm.Request{}, fmt.Errorf("llmtest: system: %w", err)
	}
	var texts []string
	for _, b := range sys {
		texts = append(texts, b.Text)
	}
	req.System = strings.Join(texts, "\n\n")
	for _, t := range w.Tools {
		req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Name, Description: t.Description, InputSchema: t.InputSchema})
	}
	for i, m := range w.Messages {
		blocks, err := anthropicContent(m.Content)
		if err != nil {
			return llm.Request{}, fmt.Errorf("llmtest: message %d: %w", i, err)
		}
		req.Messages = append(req.Messages, llm.Message{Role: m.Role, Content: blocks})
	}
	return req, nil
}

// anthropicContent decodes content given as a string or as blocks.
func anthropicContent(raw json.RawMessage) ([]llm.Block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []llm.Block{llm.TextBlock(s)}, nil
	}
	var ws []struct {
		Type      string          `json:"type"`
		Text      string          `json:"text"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
		Content   json.RawMessage `json:"content"`
		IsError   bool            `json:"is_error"`
		Thinking  string          `json:"thinking"`
		Signature string          `json:"signature"`
		Data      string          `json:"data"`
	}
	if err := json.Unmarshal(raw, &ws); err != nil {
		return nil, err
	}
	out := []llm.Block{}
	for _, w := range ws {
		switch w.Type {
		case "text":
			out = append(out, llm.TextBlock(w.Text))
		case "tool_use":
			out = append(out, llm.NewToolUse(w.ID, w.Name, string(w.Input)))
		case "thinking":
			out = append(out, llm.Block{Type: llm.BlockThinking, Thinking: w.Thinking, Signature: w.Signature})
		case "redacted_thinking":
			out = append(out, llm.Block{Type: llm.BlockRedactedThinking, Data: w.Data})
		case "tool_result":
			inner, err := anthropicContent(w.Content)
			if err != nil {
				return nil, err
			}
			var texts []string
			for _, b := range inner {
				texts = append(texts, b.Text)
			}
			out = append(out, llm.ToolResultBlock(w.ToolUseID, strings.Join(texts, "\n"), w.IsError))
		default:
			return nil, fmt.Errorf("unknown block type %q", w.Type)
		}
	}
	return out, nil
}

// AnthropicModel is a Script that answers each request with m's response,
// streamed in the Messages API format with deltas of chunk bytes. Backed
// by the demo model it makes a deterministic fake Anthropic API.
func AnthropicModel(m llm.Model, chunk int) Script {
	return func(_ int, r Request) Reply { return answerAnthropic(m, r, chunk, nil) }
}

// answerAnthropic answers r with m's response (changed by adjust, if set), streamed in
// deltas of chunk bytes; a body that does not decode is a 400, a model error a 500.
func answerAnthropic(m llm.Model, r Request, chunk int, adjust func(*llm.Response)) Reply {
	req, err := DecodeAnthropicRequest(r.Body)
	if err != nil {
		return AnthropicError(http.StatusBadRequest, "invalid_request_error", err.Error())
	}
	resp, err := m.Stream(context.Background(), req, nil)
	if err != nil {
		return AnthropicError(http.StatusInternalServerError, "api_error", err.Error())
	}
	if adjust != nil {
		adjust(&resp)
	}
	return Reply{Body: AnthropicBody(resp, chunk)}
}

// Chunks splits s into pieces of at most n bytes without splitting a rune
// (a rune longer than n gets a piece of its own). n <= 0 means one piece.
// An empty s has no pieces.
func Chunks(s string, n int) []string {
	if s == "" {
		return nil
	}
	if n <= 0 {
		return []string{s}
	}
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		if end == 0 {
			_, size := utf8.DecodeRuneInString(s)
			end = size
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// BytesPerToken is how AnthropicWindow counts tokens: a request of n bytes is n/4 tokens,
// deterministically.
const BytesPerToken = 4

// AnthropicWindow is a Script for a fake Anthropic API whose model has a context window of
// limit tokens, counted as the request body's bytes / BytesPerToken. A request past it is
// answered as the API answers one: 400 invalid_request_error "prompt is too long: N tokens
// > M maximum" (the body carries the request id, as the API's does). Others get m's
// response with its input_tokens set to the count, streamed in deltas of chunk bytes.
func AnthropicWindow(limit int, m llm.Model, chunk int) Script {
	return func(n int, r Request) Reply {
		tokens := len(r.Body) / BytesPerToken
		if tokens > limit {
			j, _ := marshal(map[string]any{"type": "error",
				"error":      map[string]string{"type": "invalid_request_error", "message": fmt.Sprintf("prompt is too long: %d tokens > %d maximum", tokens, limit)},
				"request_id": fmt.Sprintf("req_llmtest_%d", n)})
			return Reply{Status: http.StatusBadRequest, Body: string(j), Header: http.Header{"Request-Id": {fmt.Sprintf("req_llmtest_%d", n)}}}
		}
		return answerAnthropic(m, r, chunk, func(resp *llm.Response) { resp.Usage.InputTokens = int64(tokens) })
	}
}
