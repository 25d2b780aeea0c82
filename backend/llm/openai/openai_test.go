package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

func harness() llmtest.Harness {
	return llmtest.Harness{
		KeyEnv:    "OPENAI_API_KEY",
		NewServer: llmtest.NewOpenAIServer,
		NewModel: func(baseURL string, maxRetries int) llm.Model {
			return New(Options{APIKey: "sk-test", BaseURL: baseURL, MaxRetries: maxRetries, RetryBaseDelay: time.Millisecond})
		},
		Body: llmtest.OpenAIBody,
		Error: func(status int, message string) llmtest.Reply {
			code := map[int]string{400: "invalid_value", 401: "invalid_api_key", 429: "rate_limit_exceeded"}[status]
			return llmtest.OpenAIError(status, code, message)
		},
		StreamError: func(message string) string {
			return llmtest.OpenAIStreamError("server_error", message)
		},
		DecodeRequest: llmtest.DecodeOpenAIRequest,
		StopReasons: map[string]llm.StopReason{
			"stop": llm.StopEndTurn, "tool_calls": llm.StopToolUse, "function_call": llm.StopToolUse,
			"length": llm.StopMaxTokens, "content_filter": llm.StopRefusal,
		},
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	llmtest.Conformance(t, harness())
}

func newClient(srv *llmtest.Server) *Client {
	return New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond})
}

func userRequest() llm.Request {
	return llm.Request{Messages: []llm.Message{llm.UserText("Hello")}}
}

// recorded holds streams in the API's format, as OpenAI, OpenRouter (a
// comment line) and Ollama (a whole tool call in one chunk, finish_reason
// "stop") send them, and the responses they decode to.
var recorded = []struct {
	file string
	want llm.Response
}{
	{
		file: "text.sse",
		want: llm.Response{
			ID: "chatcmpl-123", Model: "gpt-4o-mini",
			Content:    []llm.Block{llm.TextBlock("Hello, wörld 🌍!")},
			StopReason: llm.StopEndTurn, RawStopReason: "stop",
			Usage: llm.Usage{InputTokens: 9, OutputTokens: 4},
		},
	},
	{
		file: "parallel_tools.sse",
		want: llm.Response{
			ID: "chatcmpl-9xTools", Model: "gpt-4o-2024-08-06",
			Content: []llm.Block{
				{Type: llm.BlockToolUse, ID: "call_qOfTGgDrItLORNfC6VwUbyLL", Name: "read", Input: json.RawMessage(`{"path":"h\u00e9llo-🌍.txt"}`)},
				{Type: llm.BlockToolUse, ID: "call_Zx81kLpQ0aVbn2MmW9yTc4Ds", Name: "glob", Input: json.RawMessage(`{"pattern":"**/*.go"}`)},
			},
			StopReason: llm.StopToolUse, RawStopReason: "tool_calls",
			Usage: llm.Usage{InputTokens: 176, OutputTokens: 40, CacheReadTokens: 1024},
		},
	},
	{
		file: "ollama_tool.sse",
		want: llm.Response{
			ID: "chatcmpl-604", Model: "qwen2.5-coder:7b",
			Content: []llm.Block{
				{Type: llm.BlockToolUse, ID: "call_x1", Name: "exec", Input: json.RawMessage(`{"command":"ls -la"}`)},
			},
			StopReason: llm.StopToolUse, RawStopReason: "stop",
			Usage: llm.Usage{InputTokens: 300, OutputTokens: 20},
		},
	},
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordedStreamsEverySplit(t *testing.T) {
	t.Parallel()
	for _, tt := range recorded {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body := readFile(t, tt.file)
			var wantEvents []llm.Event
			for split := 0; split <= len(body); split++ {
				var events []llm.Event
				r := io.MultiReader(bytes.NewReader(body[:split]), bytes.NewReader(body[split:]))
				got, err := decodeStream(r, func(e llm.Event) { events = append(events, e) })
				if err != nil {
					t.Fatalf("split at %d: decodeStream() error = %v", split, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split at %d: decodeStream() = %+v, want %+v", split, got, tt.want)
				}
				if split == 0 {
					wantEvents = events
				} else if !reflect.DeepEqual(events, wantEvents) {
					t.Fatalf("split at %d: events = %+v, want %+v", split, events, wantEvents)
				}
			}
		})
	}
}

func TestRecordedStreamsOverHTTP(t *testing.T) {
	t.Parallel()
	for _, tt := range recorded {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body := string(readFile(t, tt.file))
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Reply{Body: body, ChunkSize: 1}))
			got, err := newClient(srv).Stream(context.Background(), userRequest(), nil)
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Stream() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInterleavedToolCallEvents(t *testing.T) {
	t.Parallel()
	var got []llm.Event
	if _, err := decodeStream(bytes.NewReader(readFile(t, "parallel_tools.sse")), func(e llm.Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	want := []llm.Event{
		llm.ToolUseStart{Index: 1, ID: "call_qOfTGgDrItLORNfC6VwUbyLL", Name: "read"},
		llm.ToolUseStart{Index: 2, ID: "call_Zx81kLpQ0aVbn2MmW9yTc4Ds", Name: "glob"},
		llm.ToolInputDelta{Index: 1, PartialJSON: `{"pa`},
		llm.ToolInputDelta{Index: 2, PartialJSON: `{"pattern":`},
		llm.ToolInputDelta{Index: 1, PartialJSON: `th": "h\u00e9llo-🌍.txt"}`},
		llm.ToolInputDelta{Index: 2, PartialJSON: ` "**/*.go"}`},
		llm.UsageUpdate{Usage: llm.Usage{InputTokens: 176, OutputTokens: 40, CacheReadTokens: 1024}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %+v\nwant %+v", got, want)
	}
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Reply{Body: string(readFile(t, "text.sse"))}))
	req := llm.Request{
		Model:     "gpt-test",
		System:    "You are Corral.",
		MaxTokens: 2048,
		Tools: []llm.ToolSpec{
			{Name: "read", Description: "Read a file.", InputSchema: json.RawMessage(`{"type": "object", "properties": {"path": {"type": "string"}}}`)},
			{Name: "exec", Description: "Run a command.", InputSchema: json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}}}`)},
		},
		Messages: []llm.Message{
			llm.UserText("List files & <run> tests"),
			{Role: llm.RoleAssistant, Content: []llm.Block{
				llm.TextBlock(""),
				llm.TextBlock("Running."),
				llm.NewToolUse("toolu_1", "exec", `{"command": "ls"}`),
				llm.NewToolUse("toolu_2", "exec", `{"command": `),
			}},
			{Role: llm.RoleUser, Content: []llm.Block{
				llm.TextBlock("also check README"),
				llm.ToolResultBlock("toolu_1", "a.go\nb.go", false),
				llm.ToolResultBlock("toolu_2", "tool input is not valid JSON", true),
			}},
			{Role: llm.RoleAssistant, Content: []llm.Block{llm.NewToolUse("toolu_3", "read", `{"path":"README"}`)}},
			{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock("toolu_3", "# Corral", false)}},
		},
	}
	if _, err := newClient(srv).Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"model":"gpt-test","messages":[` +
		`{"role":"system","content":"You are Corral."},` +
		`{"role":"user","content":"List files & <run> tests"},` +
		`{"role":"assistant","content":"Running.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"exec","arguments":"{\"command\":\"ls\"}"}},{"id":"toolu_2","type":"function","function":{"name":"exec","arguments":"{\"command\": "}}]},` +
		`{"role":"tool","content":"a.go\nb.go","tool_call_id":"toolu_1"},` +
		`{"role":"tool","content":"tool input is not valid JSON","tool_call_id":"toolu_2"},` +
		`{"role":"user","content":"also check README"},` +
		`{"role":"assistant","tool_calls":[{"id":"toolu_3","type":"function","function":{"name":"read","arguments":"{\"path\":\"README\"}"}}]},` +
		`{"role":"tool","content":"# Corral","tool_call_id":"toolu_3"}],` +
		`"tools":[{"type":"function","function":{"name":"read","description":"Read a file.","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}},` +
		`{"type":"function","function":{"name":"exec","description":"Run a command.","parameters":{"type":"object","properties":{"command":{"type":"string"}}}}}],` +
		`"max_tokens":2048,"stream":true,"stream_options":{"include_usage":true}}`
	got := srv.Requests()[0]
	if string(got.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
	if g := got.Header.Get("Authorization"); g != "Bearer sk-test" {
		t.Errorf("Authorization = %q, want the bearer key", g)
	}
	if got.Path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", got.Path)
	}
}

func TestLocalServerWithoutKey(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Reply{Body: string(readFile(t, "ollama_tool.sse"))}))
	c := New(Options{BaseURL: srv.BaseURL, Model: "qwen2.5-coder:7b"})
	if _, err := c.Stream(context.Background(), userRequest(), nil); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()[0]
	if _, ok := got.Header["Authorization"]; ok {
		t.Errorf("Authorization sent without a key: %q", got.Header.Get("Authorization"))
	}
	want := `{"model":"qwen2.5-coder:7b","messages":[{"role":"user","content":"Hello"}],"max_tokens":8192,"stream":true,"stream_options":{"include_usage":true}}`
	if string(got.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
}

func TestMaxTokensField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		base   string // the configured base URL the field is chosen for
		model  string // the client's model
		req    llm.Request
		client string // Options.MaxTokensField
		want   string
	}{
		{"openai", DefaultBaseURL, "gpt-4.1", userRequest(), "", MaxCompletionTokens},
		{"ollama", "http://localhost:11434/v1", "llama3.2", userRequest(), "", MaxTokens},
		{"azure", "https://corral.openai.azure.com/openai/v1", "my-deployment", userRequest(), "", MaxCompletionTokens},
		{"reasoning model behind a gateway", "https://gateway.test/api/v1", "x", llm.Request{Model: "openai/o3-mini", Messages: userRequest().Messages}, "", MaxCompletionTokens},
		{"gpt-5 on a compatible server", "http://127.0.0.1:8000/v1", "gpt-5-mini", userRequest(), "", MaxCompletionTokens},
		{"o4 on a compatible server", "http://127.0.0.1:8000/v1", "o4-mini", userRequest(), "", MaxCompletionTokens},
		{"gpt-4o on a gateway", "https://gateway.test/api/v1", "openai/gpt-4o", userRequest(), "", MaxTokens},
		{"a name that only looks like one", "http://127.0.0.1:8000/v1", "o1x-coder", userRequest(), "", MaxTokens},
		{"client override", "http://localhost:8000/v1", "gpt-5", userRequest(), MaxTokens, MaxTokens},
		{"request override", DefaultBaseURL, "gpt-4.1", llm.Request{MaxTokensField: MaxTokens, Messages: userRequest().Messages}, "", MaxTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Reply{Body: string(readFile(t, "text.sse"))}))
			c := New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, Model: tt.model, MaxTokensField: tt.client})
			c.base = tt.base // choose as for the configured host; send to the fake server
			if _, err := c.Stream(context.Background(), tt.req, nil); err != nil {
				t.Fatal(err)
			}
			body := srv.Bodies()[0]
			other := map[string]string{MaxTokens: MaxCompletionTokens, MaxCompletionTokens: MaxTokens}[tt.want]
			if !strings.Contains(body, `"`+tt.want+`":8192`) || strings.Contains(body, `"`+other+`"`) {
				t.Errorf("body %s: want %s and not %s", body, tt.want, other)
			}
		})
	}
}

func TestStreamEdgeCases(t *testing.T) {
	t.Parallel()
	chunk := func(delta string, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `data: {"id":"c1","model":"m","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + f + `}]}` + "\n\n"
	}
	done := "data: [DONE]\n\n"
	tests := []struct {
		name     string
		body     string
		want     []llm.Block
		stop     llm.StopReason
		wantErr  error
		wantType string
	}{
		{
			name: "tool calls without index",
			body: chunk(`{"tool_calls":[{"id":"a","function":{"name":"read","arguments":"{\"path\":"}}]}`, "") +
				chunk(`{"tool_calls":[{"function":{"arguments":"\"x\"}"}}]}`, "") +
				chunk(`{"tool_calls":[{"id":"b","function":{"name":"glob","arguments":"{}"}}]}`, "tool_calls") + done,
			want: []llm.Block{llm.NewToolUse("a", "read", `{"path":"x"}`), llm.NewToolUse("b", "glob", `{}`)},
			stop: llm.StopToolUse,
		},
		{
			name: "missing ids and a name in pieces",
			body: chunk(`{"tool_calls":[{"index":0,"function":{"name":"gr","arguments":""}}]}`, "") +
				chunk(`{"tool_calls":[{"index":0,"function":{"name":"ep","arguments":"{\"pattern\":\"x\"}"}}]}`, "tool_calls") + done,
			want: []llm.Block{llm.NewToolUse("call_c1_0", "grep", `{"pattern":"x"}`)},
			stop: llm.StopToolUse,
		},
		{
			name: "invalid arguments kept",
			body: chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"write","arguments":"{\"path\": \"a.txt\", \"content\": \"x"}}]}`, "tool_calls") + done,
			want: []llm.Block{{Type: llm.BlockToolUse, ID: "a", Name: "write", RawInput: `{"path": "a.txt", "content": "x`, InputError: "tool input is not valid JSON: unexpected end of JSON input"}},
			stop: llm.StopToolUse,
		},
		{
			name: "length",
			body: chunk(`{"content":"abc"}`, "length") + done,
			want: []llm.Block{llm.TextBlock("abc")},
			stop: llm.StopMaxTokens,
		},
		{
			name: "choices null and reasoning kept apart",
			body: `data: {"id":"c1","model":"m","choices":null}` + "\n\n" + chunk(`{"reasoning_content":"hmm","content":"ok"}`, "") +
				chunk(`{"reasoning":", yes"}`, "") + chunk(`{"reasoning":"!","reasoning_content":"!"}`, "stop") + done,
			want: []llm.Block{{Type: llm.BlockThinking, Thinking: "hmm, yes!"}, llm.TextBlock("ok")},
			stop: llm.StopEndTurn,
		},
		{
			name: "ollama parallel calls all at index 0",
			body: chunk(`{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]}`, "") +
				chunk(`{"tool_calls":[{"index":0,"id":"call_b","type":"function","function":{"name":"read","arguments":"{\"path\":\"b\"}"}}]}`, "tool_calls") + done,
			want: []llm.Block{llm.NewToolUse("call_a", "read", `{"path":"a"}`), llm.NewToolUse("call_b", "read", `{"path":"b"}`)},
			stop: llm.StopToolUse,
		},
		{
			name: "several calls in one chunk at index 0",
			body: chunk(`{"tool_calls":[{"index":0,"id":"call_a","function":{"name":"read","arguments":"{}"}},{"index":0,"id":"call_b","function":{"name":"glob","arguments":"{}"}}]}`, "stop") + done,
			want: []llm.Block{llm.NewToolUse("call_a", "read", `{}`), llm.NewToolUse("call_b", "glob", `{}`)},
			stop: llm.StopToolUse,
		},
		{
			name: "missing ids and response id made from the call",
			body: `data: {"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"read","arguments":"{}"}},{"index":1,"function":{"name":"read","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}` + "\n\n" + done,
			want: []llm.Block{llm.NewToolUse("call_"+callHash("read", "{}")+"_0", "read", `{}`), llm.NewToolUse("call_"+callHash("read", "{}")+"_1", "read", `{}`)},
			stop: llm.StopToolUse,
		},
		{
			name: "tool call cut by length",
			body: chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"write","arguments":"{\"path\":\"a\",\"content\":\"ab"}}]}`, "length") + done,
			want: []llm.Block{{Type: llm.BlockToolUse, ID: "a", Name: "write", RawInput: `{"path":"a","content":"ab`, InputError: llm.TruncatedInput, Truncated: true}},
			stop: llm.StopMaxTokens,
		},
		{
			name: "refusal",
			body: chunk(`{"refusal":"I'm sorry, "}`, "") + chunk(`{"refusal":"I cannot help with that."}`, "stop") + done,
			want: []llm.Block{},
			stop: llm.StopRefusal,
		},
		{
			name:    "[DONE] without finish_reason",
			body:    chunk(`{"content":"a"}`, "") + done,
			wantErr: llm.ErrIncompleteStream,
		},
		{
			name:     "error chunk",
			body:     chunk(`{"content":"a"}`, "") + llmtest.OpenAIStreamError("server_error", "The server had an error"),
			wantType: "server_error",
		},
		{
			name:     "error as a bare string",
			body:     `data: {"error":"model 'nope' not found"}` + "\n\n",
			wantType: "",
		},
		{
			name:    "no [DONE]",
			body:    chunk(`{"content":"a"}`, "stop"),
			wantErr: llm.ErrIncompleteStream,
		},
		{
			name:    "garbage",
			body:    "data: <!DOCTYPE html>\n\n",
			wantErr: llm.ErrMalformedStream,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeStream(strings.NewReader(tt.body), func(llm.Event) {})
			var ae *llm.APIError
			switch {
			case tt.wantType != "" || (tt.want == nil && tt.wantErr == nil):
				if !errors.As(err, &ae) || ae.Type != tt.wantType || ae.Message == "" {
					t.Fatalf("decodeStream() error = %#v, want an *llm.APIError of type %q", err, tt.wantType)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("decodeStream() error = %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatalf("decodeStream() error = %v", err)
				}
				if !reflect.DeepEqual(got.Content, tt.want) || got.StopReason != tt.stop {
					t.Fatalf("decodeStream() = %+v %q, want %+v %q", got.Content, got.StopReason, tt.want, tt.stop)
				}
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     llmtest.Reply
		want      string
		retryable bool
	}{
		{"401", llmtest.OpenAIError(401, "invalid_api_key", "Incorrect API key provided: sk-test."), "openai: authentication failed (401): check OPENAI_API_KEY (invalid_request_error: Incorrect API key provided: sk-test.)", false},
		{"400", llmtest.OpenAIError(400, "invalid_value", "Invalid 'messages[1].role'"), "openai: bad request (400): invalid_request_error: Invalid 'messages[1].role'", false},
		{"quota is not retried", llmtest.Reply{Status: 429, Body: `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`}, "openai: quota exhausted (429): insufficient_quota: You exceeded your current quota", false},
		{"ollama 404", llmtest.Reply{Status: 404, Body: `{"error":{"message":"model \"nope\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`}, `openai: not found (404): check the model name and OPENAI_BASE_URL (api_error: model "nope" not found, try pulling it first)`, false},
		{"200 with a JSON error", llmtest.Reply{Header: map[string][]string{"Content-Type": {"application/json"}}, Body: `{"error":{"message":"boom","type":"server_error"}}`}, "openai: server error (in stream): server_error: boom", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(tt.reply))
			c := New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, MaxRetries: -1})
			_, err := c.Stream(context.Background(), userRequest(), nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Stream() error = %v, want %q", err, tt.want)
			}
			if got := llm.Retryable(err); got != tt.retryable {
				t.Errorf("llm.Retryable(%v) = %v, want %v", err, got, tt.retryable)
			}
		})
	}
}

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1/", "OPENAI_MODEL": "llama3.2"}
	c := New(OptionsFromEnv(func(k string) string { return env[k] }))
	if c.key != "" || c.url != "http://localhost:11434/v1/chat/completions" || c.Model() != "llama3.2" || TokenLimitField(c.base, c.model) != MaxTokens {
		t.Fatalf("New(OptionsFromEnv()) = %+v", c)
	}
}

func TestFromEnvWithoutKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	if _, err := FromEnv(); !errors.Is(err, llm.ErrNoCredentials) {
		t.Fatalf("FromEnv() error = %v, want llm.ErrNoCredentials", err)
	}
}

func callHash(name, args string) string {
	return callID("", 0, name, args)[5:17]
}
