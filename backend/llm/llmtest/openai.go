package llmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/corral-dev/corral/backend/llm"
)

// OpenAIBody encodes resp as a chat completions event stream, the way the
// API sends it: a role chunk, content deltas of at most chunk bytes (whole
// runes; 0 means one delta), each tool call as a chunk with id and name
// followed by argument deltas, a finish_reason chunk, a usage chunk with
// empty choices, and "data: [DONE]".
func OpenAIBody(resp llm.Response, chunk int) string {
	var b strings.Builder
	type function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	}
	type toolCall struct {
		Index    int       `json:"index"`
		ID       string    `json:"id,omitempty"`
		Type     string    `json:"type,omitempty"`
		Function *function `json:"function,omitempty"`
	}
	type delta struct {
		Role             string     `json:"role,omitempty"`
		Content          *string    `json:"content,omitempty"`
		ReasoningContent string     `json:"reasoning_content,omitempty"`
		ToolCalls        []toolCall `json:"tool_calls,omitempty"`
	}
	type choice struct {
		Index        int     `json:"index"`
		Delta        delta   `json:"delta"`
		Logprobs     *string `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
	}
	type details struct {
		CachedTokens int64 `json:"cached_tokens"`
	}
	type completionDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	}
	type usage struct {
		PromptTokens            int64             `json:"prompt_tokens"`
		CompletionTokens        int64             `json:"completion_tokens"`
		TotalTokens             int64             `json:"total_tokens"`
		PromptTokensDetails     details           `json:"prompt_tokens_details"`
		CompletionTokensDetails completionDetails `json:"completion_tokens_details"`
	}
	type chunkT struct {
		ID                string   `json:"id"`
		Object            string   `json:"object"`
		Created           int64    `json:"created"`
		Model             string   `json:"model"`
		SystemFingerprint string   `json:"system_fingerprint"`
		Choices           []choice `json:"choices"`
		Usage             *usage   `json:"usage,omitempty"`
	}
	write := func(choices []choice, u *usage) {
		j, err := marshal(chunkT{ID: resp.ID, Object: "chat.completion.chunk", Created: 1700000000, Model: resp.Model, SystemFingerprint: "fp_llmtest", Choices: choices, Usage: u})
		if err != nil {
			panic(fmt.Sprintf("llmtest: encode chunk: %v", err))
		}
		fmt.Fprintf(&b, "data: %s\n\n", j)
	}
	empty := ""
	write([]choice{{Delta: delta{Role: "assistant", Content: &empty}}}, nil)
	calls := 0
	for _, c := range resp.Content {
		switch c.Type {
		case llm.BlockText:
			for _, piece := range Chunks(c.Text, chunk) {
				write([]choice{{Delta: delta{Content: &piece}}}, nil)
			}
		case llm.BlockThinking:
			for _, piece := range Chunks(c.Thinking, chunk) {
				write([]choice{{Delta: delta{ReasoningContent: piece}}}, nil)
			}
		case llm.BlockToolUse:
			i := calls
			calls++
			write([]choice{{Delta: delta{ToolCalls: []toolCall{{Index: i, ID: c.ID, Type: "function", Function: &function{Name: c.Name}}}}}}, nil)
			input := string(c.Input)
			if c.InputError != "" {
				input = c.RawInput
			}
			for _, piece := range Chunks(input, chunk) {
				write([]choice{{Delta: delta{ToolCalls: []toolCall{{Index: i, Function: &function{Arguments: piece}}}}}}, nil)
			}
		default:
			panic(fmt.Sprintf("llmtest: cannot stream a %q block", c.Type))
		}
	}
	finish := resp.RawStopReason
	if finish == "" {
		finish = map[llm.StopReason]string{
			llm.StopEndTurn:   "stop",
			llm.StopToolUse:   "tool_calls",
			llm.StopMaxTokens: "length",
			llm.StopRefusal:   "content_filter",
		}[resp.StopReason]
	}
	if finish == "" {
		finish = string(resp.StopReason)
	}
	write([]choice{{Delta: delta{}, FinishReason: &finish}}, nil)
	u := resp.Usage
	prompt := u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens
	write([]choice{}, &usage{
		PromptTokens:            prompt,
		CompletionTokens:        u.OutputTokens,
		TotalTokens:             prompt + u.OutputTokens,
		PromptTokensDetails:     details{CachedTokens: u.CacheReadTokens},
		CompletionTokensDetails: completionDetails{ReasoningTokens: u.ThinkingTokens},
	})
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// OpenAIError is an error reply in the chat completions format, e.g.
// OpenAIError(429, "rate_limit_exceeded", "Rate limit reached").
func OpenAIError(status int, code, message string) Reply {
	typ := map[int]string{
		http.StatusBadRequest:      "invalid_request_error",
		http.StatusUnauthorized:    "invalid_request_error",
		http.StatusTooManyRequests: "requests",
	}[status]
	if typ == "" {
		typ = "server_error"
	}
	j, _ := marshal(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": code}})
	return Reply{Status: status, Body: string(j), Header: http.Header{"X-Request-Id": {"req_llmtest"}}}
}

// OpenAIStreamError is the body of an error chunk sent mid-stream.
func OpenAIStreamError(typ, message string) string {
	j, _ := marshal(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": nil}})
	return "data: " + string(j) + "\n\n"
}

// DecodeOpenAIRequest turns a chat completions request body back into an
// llm.Request: the system message becomes System, runs of "tool" messages
// become tool_result blocks at the start of the next user message. The
// wire format has no is_error flag, so IsError is always false.
func DecodeOpenAIRequest(body []byte) (llm.Request, error) {
	var w struct {
		Model               string `json:"model"`
		MaxTokens           int    `json:"max_tokens"`
		MaxCompletionTokens int    `json:"max_completion_tokens"`
		ReasoningEffort     string `json:"reasoning_effort"`
		Messages            []struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return llm.Request{}, fmt.Errorf("llmtest: decode openai request: %w", err)
	}
	req := llm.Request{Model: w.Model, MaxTokens: max(w.MaxTokens, w.MaxCompletionTokens), Messages: []llm.Message{}}
	if w.ReasoningEffort != "" {
		req.Thinking = &llm.Thinking{Effort: w.ReasoningEffort}
	}
	for _, t := range w.Tools {
		req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Function.Name, Description: t.Function.Description, InputSchema: t.Function.Parameters})
	}
	var pending []llm.Block // tool results waiting for their user message
	flush := func() {
		if len(pending) > 0 {
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: pending})
			pending = nil
		}
	}
	for i, m := range w.Messages {
		content := ""
		if m.Content != nil {
			content = *m.Content
		}
		switch m.Role {
		case "system", "developer":
			req.System = content
		case "tool":
			pending = append(pending, llm.ToolResultBlock(m.ToolCallID, content, false))
		case "user":
			blocks := append(pending, llm.TextBlock(content))
			pending = nil
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: blocks})
		case "assistant":
			flush()
			blocks := []llm.Block{}
			if content != "" {
				blocks = append(blocks, llm.TextBlock(content))
			}
			for _, tc := range m.ToolCalls {
				blocks = append(blocks, llm.NewToolUse(tc.ID, tc.Function.Name, tc.Function.Arguments))
			}
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: blocks})
		default:
			return llm.Request{}, fmt.Errorf("llmtest: message %d: unknown role %q", i, m.Role)
		}
	}
	flush()
	return req, nil
}

// OpenAIModel is a Script that answers each request with m's response,
// streamed in the chat completions format with deltas of chunk bytes.
func OpenAIModel(m llm.Model, chunk int) Script {
	return func(_ int, r Request) Reply {
		req, err := DecodeOpenAIRequest(r.Body)
		if err != nil {
			return OpenAIError(http.StatusBadRequest, "invalid_request", err.Error())
		}
		resp, err := m.Stream(context.Background(), req, nil)
		if err != nil {
			return OpenAIError(http.StatusInternalServerError, "server_error", err.Error())
		}
		return Reply{Body: OpenAIBody(resp, chunk)}
	}
}
