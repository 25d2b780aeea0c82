package openai

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// The documented streams (llmtest/testdata/README.md names the pages) and
// the turns they decode to: every finish_reason, refusals, reasoning and
// the servers' quirks.
func TestDocumentedTranscripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want llm.Response
	}{
		{"openai/text.sse", llm.Response{ID: "chatcmpl-123", Model: "gpt-4o-mini",
			Content: []llm.Block{llm.TextBlock("Hello")}, StopReason: llm.StopEndTurn, RawStopReason: "stop"}},
		{"openai/text_utf8.sse", llm.Response{ID: "chatcmpl-123", Model: "gpt-4o-mini",
			Content: []llm.Block{llm.TextBlock("Hello, wörld 🌍!")}, StopReason: llm.StopEndTurn, RawStopReason: "stop",
			Usage: llm.Usage{InputTokens: 9, OutputTokens: 4}}},
		{"openai/tool_calls.sse", llm.Response{ID: "chatcmpl-tool", Model: "gpt-4.1",
			Content:    []llm.Block{llm.NewToolUse("call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_weather", `{"location":"Paris, France"}`)},
			StopReason: llm.StopToolUse, RawStopReason: "tool_calls"}},
		{"openai/length.sse", llm.Response{ID: "chatcmpl-len", Model: "gpt-4o-mini",
			Content: []llm.Block{llm.TextBlock("The first three")}, StopReason: llm.StopMaxTokens, RawStopReason: "length"}},
		{"openai/content_filter.sse", llm.Response{ID: "chatcmpl-cf", Model: "gpt-4o-mini",
			Content: []llm.Block{}, StopReason: llm.StopRefusal, RawStopReason: "content_filter"}},
		{"openai/refusal.sse", llm.Response{ID: "chatcmpl-ref", Model: "gpt-4o-2024-08-06",
			Content: []llm.Block{}, StopReason: llm.StopRefusal, RawStopReason: "stop", Refusal: "I'm sorry, I cannot assist with that request."}},
		{"openai/reasoning_usage.sse", llm.Response{ID: "chatcmpl-o4", Model: "o4-mini",
			Content: []llm.Block{llm.TextBlock("21")}, StopReason: llm.StopEndTurn, RawStopReason: "stop",
			Usage: llm.Usage{InputTokens: 30, OutputTokens: 210, ThinkingTokens: 192}}},
		{"openai/deepseek_reasoning.sse", llm.Response{ID: "a1b2c3", Model: "deepseek-reasoner",
			Content:    []llm.Block{{Type: llm.BlockThinking, Thinking: "9.11 and 9.8: compare the tenths, 1 < 8."}, llm.TextBlock("9.8 is greater.")},
			StopReason: llm.StopEndTurn, RawStopReason: "stop"}},
		{"openai/ollama_parallel_tools.sse", llm.Response{ID: "chatcmpl-212", Model: "qwen3:8b",
			Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "Two files; read both."},
				llm.NewToolUse("call_3x8ksp1w", "read", `{"path":"a.txt"}`),
				llm.NewToolUse("call_vq2dmz0e", "read", `{"path":"b.txt"}`),
			},
			StopReason: llm.StopToolUse, RawStopReason: "stop"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Replay(tt.file)))
			rec := &llmtest.Recorder{}
			got, err := newClient(srv).Stream(context.Background(), userRequest(), rec.On)
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tt.want)
				t.Fatalf("Stream() = %s\nwant %s", gj, wj)
			}
			if rec.Thinking() != tt.want.Thinking() || rec.Text() != tt.want.Text() {
				t.Errorf("events: thinking %q text %q, want %q and %q", rec.Thinking(), rec.Text(), tt.want.Thinking(), tt.want.Text())
			}
		})
	}
}

// OpenRouter's documented error chunk after output is retried from the
// start and the partial text discarded.
func TestDocumentedErrorChunk(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Replay("openai/openrouter_error.sse"), llmtest.Replay("openai/text.sse")))
	rec := &llmtest.Recorder{}
	got, err := newClient(srv).Stream(context.Background(), userRequest(), rec.On)
	if err != nil {
		t.Fatalf("Stream() error = %v", err)
	}
	if got.Text() != "Hello" || rec.Text() != "Hello" {
		t.Errorf("Text() = %q, shown %q; want Hello", got.Text(), rec.Text())
	}
	if len(got.Attempts) != 1 || !got.Attempts[0].Discarded || !strings.Contains(got.Attempts[0].Error, "Provider disconnected unexpectedly") {
		t.Errorf("Attempts = %+v, want the discarded attempt with the provider's message", got.Attempts)
	}
	if r := rec.Retries(); len(r) != 1 || !r[0].Discard {
		t.Errorf("Retry events = %+v, want one discarding", r)
	}
}

// The error codes of https://platform.openai.com/docs/guides/error-codes
// are classified for the agent: retried or handed to a person.
func TestDocumentedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     llmtest.Reply
		kind      llm.ErrorKind
		retryable bool
	}{
		{"401 invalid key", llmtest.OpenAIError(401, "invalid_api_key", "Incorrect API key provided"), llm.KindAuth, false},
		{"403 region", llmtest.OpenAIError(403, "unsupported_country_region_territory", "Country, region, or territory not supported"), llm.KindAuth, false},
		{"429 rate limit", llmtest.OpenAIError(429, "rate_limit_exceeded", "Rate limit reached for requests"), llm.KindRateLimited, true},
		{"429 quota", llmtest.Reply{Status: 429, Body: `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`}, llm.KindQuota, false},
		{"400 context length", llmtest.Reply{Status: 400, Body: `{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`}, llm.KindContextTooLong, false},
		{"500 server error", llmtest.OpenAIError(500, "server_error", "The server had an error while processing your request."), llm.KindServer, true},
		{"503 overloaded", llmtest.OpenAIError(503, "", "The engine is currently overloaded, please try again later."), llm.KindServer, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(tt.reply))
			_, err := New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, MaxRetries: -1}).Stream(context.Background(), userRequest(), nil)
			var ae *llm.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Stream() error = %v, want an *llm.APIError", err)
			}
			if ae.Kind() != tt.kind || llm.Retryable(err) != tt.retryable || ae.Action() == "" {
				t.Errorf("error %v: Kind() = %q, Retryable = %v; want %q, %v", err, ae.Kind(), llm.Retryable(err), tt.kind, tt.retryable)
			}
		})
	}
}

func TestReasoningRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		thinking *llm.Thinking
		want     string
	}{
		{"off", nil, `"max_tokens":8192,"stream":true`},
		{"effort", &llm.Thinking{Effort: "high"}, `"max_tokens":8192,"reasoning_effort":"high","stream":true`},
		{"budget only has no field here", &llm.Thinking{BudgetTokens: 4000}, `"max_tokens":8192,"stream":true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := userRequest()
			req.Thinking = tt.thinking
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "never sent back"}, llm.TextBlock("Hi"),
			}}, llm.UserText("Go on"))
			got, err := marshalRequest(req, DefaultModel, MaxTokens)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tt.want) || strings.Contains(string(got), "never sent back") {
				t.Errorf("marshalRequest() = %s, want %s and no reasoning", got, tt.want)
			}
		})
	}
}

// A server that sends no ids gets the same made-up ids every time, so a
// resumed run that rebuilds the request sends the same bytes.
func TestMadeUpIDsAreStable(t *testing.T) {
	t.Parallel()
	body := `data: {"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n"
	var ids []string
	for range 2 {
		srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Reply{Body: body}))
		got, err := newClient(srv).Stream(context.Background(), userRequest(), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ToolUses()[0].ID)
	}
	if ids[0] != ids[1] || !strings.HasPrefix(ids[0], "call_") {
		t.Fatalf("made-up ids = %q, want the same call_ id twice", ids)
	}
}
