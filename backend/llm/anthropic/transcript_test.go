package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// The documented streams (llmtest/testdata/README.md names the pages) and
// the turns they decode to: every stop reason and the thinking blocks.
func TestDocumentedTranscripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want llm.Response
	}{
		{"anthropic/thinking.sse", llm.Response{ID: "msg_01...", Model: "claude-sonnet-4-5",
			Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21", Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."},
				llm.TextBlock("The greatest common divisor of 1071 and 462 is **21**."),
			},
			StopReason: llm.StopEndTurn, RawStopReason: "end_turn"}},
		{"anthropic/thinking_tool_use.sse", llm.Response{ID: "msg_01ThinkTool", Model: "claude-sonnet-4-5",
			Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "The user wants the weather in Paris. I'll call get_weather with \"Paris, France\" — in °C.", Signature: "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV+Y4bTvZBl4e8XxpvHT9hXT8R1w=="},
				llm.TextBlock("I'll check the weather for you."),
				llm.NewToolUse("toolu_01CswdEQBMshySk6Y9DFKrfq", "get_weather", `{"location": "Paris, France"}`),
			},
			StopReason: llm.StopToolUse, RawStopReason: "tool_use", Usage: llm.Usage{InputTokens: 423, OutputTokens: 127}}},
		{"anthropic/redacted_thinking.sse", llm.Response{ID: "msg_01Redacted", Model: "claude-sonnet-4-5",
			Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "Let me analyze this step by step...", Signature: "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL...."},
				{Type: llm.BlockRedactedThinking, Data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj..."},
				llm.TextBlock("Based on my analysis..."),
			},
			StopReason: llm.StopEndTurn, RawStopReason: "end_turn", Usage: llm.Usage{InputTokens: 80, OutputTokens: 210}}},
		{"anthropic/refusal.sse", llm.Response{ID: "msg_01Refusal", Model: "claude-sonnet-4-5",
			Content:    []llm.Block{llm.TextBlock("Here is a general overview of")},
			StopReason: llm.StopRefusal, RawStopReason: "refusal", Usage: llm.Usage{InputTokens: 20, OutputTokens: 8}}},
		{"anthropic/pause_turn.sse", llm.Response{ID: "msg_01Pause", Model: "claude-sonnet-4-5",
			Content:    []llm.Block{llm.TextBlock("I'll keep researching this.")},
			StopReason: llm.StopPauseTurn, RawStopReason: "pause_turn", Usage: llm.Usage{InputTokens: 20, OutputTokens: 9}}},
		{"anthropic/max_tokens_tool_use.sse", llm.Response{ID: "msg_01MaxTokens", Model: "claude-sonnet-4-5",
			Content: []llm.Block{{Type: llm.BlockToolUse, ID: "toolu_01MaxTok", Name: "write", Truncated: true,
				RawInput: `{"path": "big.txt", "content": "line 1\nline 2\nli`, InputError: llm.TruncatedInput}},
			StopReason: llm.StopMaxTokens, RawStopReason: "max_tokens", Usage: llm.Usage{InputTokens: 20, OutputTokens: 1024}}},
		{"anthropic/stop_sequence.sse", llm.Response{ID: "msg_01StopSeq", Model: "claude-sonnet-4-5",
			Content:    []llm.Block{llm.TextBlock("Step 1: read the file.")},
			StopReason: llm.StopSequence, RawStopReason: "stop_sequence", Usage: llm.Usage{InputTokens: 20, OutputTokens: 7}}},
		{"anthropic/context_window_exceeded.sse", llm.Response{ID: "msg_01Context", Model: "claude-sonnet-4-5",
			Content:    []llm.Block{llm.TextBlock("The summary so far:")},
			StopReason: llm.StopContextWindow, RawStopReason: "model_context_window_exceeded", Usage: llm.Usage{InputTokens: 20, OutputTokens: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Replay(tt.file)))
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

// The documented error event, arriving after any number of events of the
// documented streams, is retried from the start; what was shown is
// discarded exactly when something was shown.
func TestDocumentedErrorEventAnywhere(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"anthropic/text.sse", "anthropic/tool_use.sse", "anthropic/thinking_tool_use.sse"} {
		body := llmtest.Transcript(file)
		events := llmtest.Events(body)
		srvOK := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Replay(file)))
		want, err := newClient(srvOK).Stream(context.Background(), userRequest(), nil)
		if err != nil {
			t.Fatalf("%s: Stream() error = %v", file, err)
		}
		for n := 0; n < len(events); n++ {
			broken := llmtest.Fault{Kind: llmtest.FaultError, Events: n, ErrorEvent: llmtest.Transcript("anthropic/error.sse")}.Reply(body)
			srv := llmtest.NewAnthropicServer(t, llmtest.Replies(broken, llmtest.Replay(file)))
			rec := &llmtest.Recorder{}
			got, err := newClient(srv).Stream(context.Background(), userRequest(), rec.On)
			if err != nil {
				t.Fatalf("%s, error after %d events: Stream() error = %v", file, n, err)
			}
			if len(got.Attempts) != 1 || got.Attempts[0].Kind != llm.KindOverloaded || !strings.Contains(got.Attempts[0].Error, "Overloaded") {
				t.Fatalf("%s, error after %d events: Attempts = %+v, want the overloaded attempt", file, n, got.Attempts)
			}
			got.Attempts = nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, error after %d events: Stream() = %+v, want %+v", file, n, got, want)
			}
			retries := rec.Retries()
			shown := false
			for _, e := range rec.Events() {
				if _, ok := e.(llm.Retry); ok {
					break
				}
				switch e.(type) {
				case llm.TextDelta, llm.ThinkingDelta, llm.ToolUseStart, llm.ToolInputDelta:
					shown = true
				}
			}
			if len(retries) != 1 || retries[0].Discard != shown || !errors.Is(retries[0].Err, llm.ErrOverloaded) {
				t.Fatalf("%s, error after %d events: Retry events = %+v, want one overloaded retry with Discard %v", file, n, retries, shown)
			}
			if rec.Text() != want.Text() {
				t.Errorf("%s, error after %d events: text shown = %q, want %q", file, n, rec.Text(), want.Text())
			}
		}
	}
}

// Every error type of the errors page
// (https://docs.claude.com/en/api/errors), as an HTTP status and as an
// event in the stream, is classified for the agent: retried or handed to a
// person with what to do.
func TestDocumentedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		typ       string
		message   string
		kind      llm.ErrorKind
		retryable bool
	}{
		{400, "invalid_request_error", "messages: roles must alternate", llm.KindBadRequest, false},
		{400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum", llm.KindContextTooLong, false},
		{400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API.", llm.KindQuota, false},
		{401, "authentication_error", "invalid x-api-key", llm.KindAuth, false},
		{402, "billing_error", "There is an issue with your billing.", llm.KindQuota, false},
		{403, "permission_error", "Your API key does not have permission to use the specified resource.", llm.KindAuth, false},
		{404, "not_found_error", "The requested resource could not be found.", llm.KindNotFound, false},
		{413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", llm.KindContextTooLong, false},
		{429, "rate_limit_error", "Your account has hit a rate limit.", llm.KindRateLimited, true},
		{500, "api_error", "An unexpected error has occurred internal to Anthropic's systems.", llm.KindServer, true},
		{504, "timeout_error", "Request timed out.", llm.KindServer, true},
		{529, "overloaded_error", "Anthropic's API is temporarily overloaded.", llm.KindOverloaded, true},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			replies := []llmtest.Reply{
				llmtest.AnthropicError(tt.status, tt.typ, tt.message),
				{Body: llmtest.AnthropicStreamError(tt.typ, tt.message)},
			}
			for i, r := range replies {
				srv := llmtest.NewAnthropicServer(t, llmtest.Replies(r))
				_, err := New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, MaxRetries: -1}).Stream(context.Background(), userRequest(), nil)
				var ae *llm.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("reply %d: Stream() error = %v, want an *llm.APIError", i, err)
				}
				if ae.Kind() != tt.kind || llm.Retryable(err) != tt.retryable || ae.Action() == "" || ae.Message != tt.message {
					t.Errorf("reply %d: error %v: Kind() = %q, Retryable = %v, Action() = %q; want %q, %v", i, err, ae.Kind(), llm.Retryable(err), ae.Action(), tt.kind, tt.retryable)
				}
			}
		})
	}
}

// Thinking on, a tool-use turn and its continuation: the second request
// carries the thinking block with its signature exactly as streamed.
func TestThinkingContinuation(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Replay("anthropic/thinking_tool_use.sse"), llmtest.Replay("anthropic/text.sse")))
	c := newClient(srv)
	req := llm.Request{MaxTokens: 16000, Thinking: &llm.Thinking{BudgetTokens: 10000}, Messages: []llm.Message{llm.UserText("What's the weather in Paris?")},
		Tools: []llm.ToolSpec{{Name: "get_weather", InputSchema: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)}}}
	first, err := c.Stream(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Messages = append(req.Messages, first.Message(), llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock("toolu_01CswdEQBMshySk6Y9DFKrfq", "14°C, cloudy", false)}})
	if _, err := c.Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	bodies := srv.Bodies()
	if !strings.Contains(bodies[0], `"max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":10000}`) {
		t.Errorf("first request = %s, want thinking enabled with the budget", bodies[0])
	}
	wantBlock := `{"type":"thinking","thinking":"The user wants the weather in Paris. I'll call get_weather with \"Paris, France\" — in °C.","signature":"EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV+Y4bTvZBl4e8XxpvHT9hXT8R1w=="}`
	wantTurn := `{"role":"assistant","content":[` + wantBlock + `,{"type":"text","text":"I'll check the weather for you."},{"type":"tool_use","id":"toolu_01CswdEQBMshySk6Y9DFKrfq","name":"get_weather","input":{"location":"Paris, France"}}]}`
	if !strings.Contains(bodies[1], wantTurn) {
		t.Errorf("second request = %s\nwant the assistant turn %s", bodies[1], wantTurn)
	}
	// The signature's bytes are those of the stream.
	if sig := `"signature":"EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV+Y4bTvZBl4e8XxpvHT9hXT8R1w=="`; !strings.Contains(llmtest.Transcript("anthropic/thinking_tool_use.sse"), sig) {
		t.Fatalf("transcript lacks %s", sig)
	}
}

func TestThinkingRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		thinking *llm.Thinking
		max      int
		want     string
	}{
		{"off", nil, 2048, `{"model":"claude-sonnet-4-5","max_tokens":2048,"messages"`},
		{"budget", &llm.Thinking{BudgetTokens: 4000}, 8000, `{"model":"claude-sonnet-4-5","max_tokens":8000,"thinking":{"type":"enabled","budget_tokens":4000},"messages"`},
		{"budget above max_tokens raises max_tokens", &llm.Thinking{BudgetTokens: 10000}, 4096, `{"model":"claude-sonnet-4-5","max_tokens":18192,"thinking":{"type":"enabled","budget_tokens":10000},"messages"`},
		{"effort", &llm.Thinking{Effort: "low"}, 2048, `{"model":"claude-sonnet-4-5","max_tokens":2048,"output_config":{"effort":"low"},"messages"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := userRequest()
			req.Thinking, req.MaxTokens = tt.thinking, tt.max
			got, err := marshalRequest(req, DefaultModel)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(got), tt.want) {
				t.Errorf("marshalRequest() = %s, want it to start %s", got, tt.want)
			}
		})
	}
}

// Thinking blocks from another provider have no signature and are left out;
// signed and redacted ones go back in order.
func TestThinkingBlocksSentBack(t *testing.T) {
	t.Parallel()
	req := llm.Request{Messages: []llm.Message{
		llm.UserText("Hi"),
		{Role: llm.RoleAssistant, Content: []llm.Block{
			{Type: llm.BlockThinking, Thinking: "unsigned reasoning from an OpenAI-compatible server"},
			{Type: llm.BlockThinking, Thinking: "", Signature: "sig-only"},
			{Type: llm.BlockRedactedThinking, Data: "opaque"},
			llm.TextBlock("Hello"),
		}},
		llm.UserText("Go on"),
	}}
	got, err := marshalRequest(req, DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"role":"assistant","content":[{"type":"thinking","thinking":"","signature":"sig-only"},{"type":"redacted_thinking","data":"opaque"},{"type":"text","text":"Hello"}]}`
	if !strings.Contains(string(got), want) {
		t.Errorf("marshalRequest() = %s\nwant the assistant turn %s", got, want)
	}
}
