package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
		KeyEnv:    "ANTHROPIC_API_KEY",
		NewServer: llmtest.NewAnthropicServer,
		NewModel: func(baseURL string, maxRetries int) llm.Model {
			return New(Options{APIKey: "sk-test", BaseURL: baseURL, MaxRetries: maxRetries, RetryBaseDelay: time.Millisecond})
		},
		Body: llmtest.AnthropicBody,
		Error: func(status int, message string) llmtest.Reply {
			typ := map[int]string{400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}[status]
			if typ == "" {
				typ = "api_error"
			}
			return llmtest.AnthropicError(status, typ, message)
		},
		StreamError: func(message string) string {
			return llmtest.AnthropicStreamError("overloaded_error", message)
		},
		DecodeRequest: llmtest.DecodeAnthropicRequest,
		StopReasons: map[string]llm.StopReason{
			"end_turn": llm.StopEndTurn, "tool_use": llm.StopToolUse, "max_tokens": llm.StopMaxTokens,
			"stop_sequence": llm.StopSequence, "refusal": llm.StopRefusal, "pause_turn": llm.StopPauseTurn,
			"model_context_window_exceeded": llm.StopContextWindow,
		},
		SignsThinking: true,
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

// recorded holds streams in the API's own format (text.sse and tool_use.sse
// are the examples from Anthropic's streaming documentation, byte for byte)
// and the responses they decode to.
var recorded = []struct {
	file string
	want llm.Response
}{
	{
		file: "text.sse",
		want: llm.Response{
			ID: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", Model: "claude-opus-4-1-20250805",
			Content:    []llm.Block{llm.TextBlock("Hello!")},
			StopReason: llm.StopEndTurn, RawStopReason: "end_turn",
			Usage: llm.Usage{InputTokens: 25, OutputTokens: 15},
		},
	},
	{
		file: "text_crlf.sse",
		want: llm.Response{
			ID: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", Model: "claude-opus-4-1-20250805",
			Content:    []llm.Block{llm.TextBlock("Hello!")},
			StopReason: llm.StopEndTurn, RawStopReason: "end_turn",
			Usage: llm.Usage{InputTokens: 25, OutputTokens: 15},
		},
	},
	{
		file: "tool_use.sse",
		want: llm.Response{
			ID: "msg_014p7gG3wDgGV9EUtLvnow3U", Model: "claude-opus-4-1-20250805",
			Content: []llm.Block{
				llm.TextBlock("Okay, let's check the weather for San Francisco, CA:"),
				{Type: llm.BlockToolUse, ID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", Name: "get_weather", Input: json.RawMessage(`{"location":"San Francisco, CA","unit":"fahrenheit"}`)},
			},
			StopReason: llm.StopToolUse, RawStopReason: "tool_use",
			Usage: llm.Usage{InputTokens: 472, OutputTokens: 89},
		},
	},
	{
		file: "parallel_tools.sse",
		want: llm.Response{
			ID: "msg_01Parallel", Model: "claude-sonnet-4-5",
			Content: []llm.Block{
				{Type: llm.BlockThinking, Thinking: "Two files to read.", Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
				llm.TextBlock("Je vais lire — 日本語 🎉 \"quoted\"\n"),
				{Type: llm.BlockToolUse, ID: "toolu_01A", Name: "read", Input: json.RawMessage(`{"path":"h\u00e9llo-🌍.txt"}`)},
				{Type: llm.BlockToolUse, ID: "toolu_01B", Name: "glob", Input: json.RawMessage(`{"pattern":"**/*.go"}`)},
				{Type: llm.BlockToolUse, ID: "toolu_01C", Name: "list", Input: json.RawMessage(`{}`)},
			},
			StopReason: llm.StopToolUse, RawStopReason: "tool_use",
			Usage: llm.Usage{InputTokens: 12, OutputTokens: 120, CacheReadTokens: 4096, CacheWriteTokens: 2048},
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
			// One flush per byte, so reads end inside runes, lines and events.
			srv := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Reply{Body: body, ChunkSize: 1}))
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

func TestEvents(t *testing.T) {
	t.Parallel()
	var got []llm.Event
	if _, err := decodeStream(bytes.NewReader(readFile(t, "tool_use.sse")), func(e llm.Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	want := []llm.Event{llm.UsageUpdate{Usage: llm.Usage{InputTokens: 472, OutputTokens: 2}}}
	for _, s := range []string{"Okay", ",", " let", "'s", " check", " the", " weather", " for", " San", " Francisco", ",", " CA", ":"} {
		want = append(want, llm.TextDelta{Index: 0, Text: s})
	}
	want = append(want, llm.ToolUseStart{Index: 1, ID: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", Name: "get_weather"})
	for _, s := range []string{`{"location":`, ` "San`, ` Francisc`, `o,`, ` CA"`, `, `, `"unit": "fah`, `renheit"}`} {
		want = append(want, llm.ToolInputDelta{Index: 1, PartialJSON: s})
	}
	want = append(want, llm.UsageUpdate{Usage: llm.Usage{InputTokens: 472, OutputTokens: 89}})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %+v\nwant %+v", got, want)
	}
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Reply{Body: string(readFile(t, "text.sse"))}))
	req := llm.Request{
		Model:     "claude-test",
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
		},
	}
	if _, err := newClient(srv).Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	want := `{"model":"claude-test","max_tokens":2048,` +
		`"system":[{"type":"text","text":"You are Corral.","cache_control":{"type":"ephemeral"}}],` +
		`"messages":[` +
		`{"role":"user","content":[{"type":"text","text":"List files & <run> tests"}]},` +
		`{"role":"assistant","content":[{"type":"text","text":"Running."},{"type":"tool_use","id":"toolu_1","name":"exec","input":{"command":"ls"}},{"type":"tool_use","id":"toolu_2","name":"exec","input":{}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a.go\nb.go"},{"type":"tool_result","tool_use_id":"toolu_2","content":"tool input is not valid JSON","is_error":true},{"type":"text","text":"also check README","cache_control":{"type":"ephemeral"}}]}],` +
		`"tools":[{"name":"read","description":"Read a file.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}},` +
		`{"name":"exec","description":"Run a command.","input_schema":{"type":"object","properties":{"command":{"type":"string"}}},"cache_control":{"type":"ephemeral"}}],` +
		`"stream":true}`
	got := srv.Requests()[0]
	if string(got.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
	for k, v := range map[string]string{"X-Api-Key": "sk-test", "Anthropic-Version": "2023-06-01", "Content-Type": "application/json"} {
		if g := got.Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if got.Path != "/v1/messages" {
		t.Errorf("path = %q, want /v1/messages", got.Path)
	}
}

func TestRequestBodyDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{
			name: "no system, no tools",
			req:  userRequest(),
			want: `{"model":"claude-sonnet-4-5","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"Hello","cache_control":{"type":"ephemeral"}}]}],"stream":true}`,
		},
		{
			name: "empty assistant turn keeps a placeholder",
			req: llm.Request{Messages: []llm.Message{
				llm.UserText("Hi"), {Role: llm.RoleAssistant, Content: []llm.Block{}}, llm.UserText("Go on"),
			}},
			want: `{"model":"claude-sonnet-4-5","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":[{"type":"text","text":"(empty)"}]},{"role":"user","content":[{"type":"text","text":"Go on","cache_control":{"type":"ephemeral"}}]}],"stream":true}`,
		},
		{
			name: "tool without schema",
			req:  llm.Request{Messages: []llm.Message{llm.UserText("Hi")}, Tools: []llm.ToolSpec{{Name: "noop"}}},
			want: `{"model":"claude-sonnet-4-5","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}],"tools":[{"name":"noop","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],"stream":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := marshalRequest(tt.req, DefaultModel)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("marshalRequest() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMalformedStreams(t *testing.T) {
	t.Parallel()
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\",\"usage\":{\"input_tokens\":1}}}\n\n"
	text := "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	tests := []struct {
		name string
		body string
		want error
	}{
		{"delta before message_start", text, llm.ErrMalformedStream},
		{"second message_start", start + start, llm.ErrMalformedStream},
		{"delta for a block never started", start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", llm.ErrMalformedStream},
		{"thinking delta for a text block", start + text + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"x\"}}\n\n", llm.ErrMalformedStream},
		{"signature delta for a text block", start + text + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"x\"}}\n\n", llm.ErrMalformedStream},
		{"input delta for a text block", start + text + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n", llm.ErrMalformedStream},
		{"block started twice", start + text + text, llm.ErrMalformedStream},
		{"not json", "event: message_start\ndata: <html>\n\n", llm.ErrMalformedStream},
		{"message_stop before message_start", "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", llm.ErrMalformedStream},
		{"unknown event before message_start is ignored", "event: future\ndata: {\"type\":\"future\"}\n\n" + start, llm.ErrIncompleteStream},
		{"no message_stop", start + text, llm.ErrIncompleteStream},
		{"mid-stream overload", start + text + llmtest.AnthropicStreamError("overloaded_error", "Overloaded"), llm.ErrOverloaded},
		{"mid-stream invalid request", start + llmtest.AnthropicStreamError("invalid_request_error", "bad"), llm.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeStream(strings.NewReader(tt.body), func(llm.Event) {})
			if !errors.Is(err, tt.want) {
				t.Fatalf("decodeStream() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply llmtest.Reply
		want  string
	}{
		{"401", llmtest.AnthropicError(401, "authentication_error", "invalid x-api-key"), "anthropic: authentication failed (401): check ANTHROPIC_API_KEY (authentication_error: invalid x-api-key)"},
		{"400", llmtest.AnthropicError(400, "invalid_request_error", "max_tokens: Field required"), "anthropic: bad request (400): invalid_request_error: max_tokens: Field required"},
		{"404", llmtest.AnthropicError(404, "not_found_error", "model: claude-nope"), "anthropic: not found (404): check the model name and ANTHROPIC_BASE_URL (not_found_error: model: claude-nope)"},
		{"html from a proxy", llmtest.Reply{Status: 502, Body: "<html>\n<h1>Bad Gateway</h1></html>"}, "anthropic: server error (502): <html> <h1>Bad Gateway</h1></html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewAnthropicServer(t, llmtest.Replies(tt.reply))
			c := New(Options{APIKey: "sk-test", BaseURL: srv.BaseURL, MaxRetries: -1})
			_, err := c.Stream(context.Background(), userRequest(), nil)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Stream() error = %v, want %q", err, tt.want)
			}
			var ae *llm.APIError
			if !errors.As(err, &ae) || ae.RequestID == "" && tt.reply.Header != nil {
				t.Errorf("error = %#v, want an *llm.APIError with the request id", err)
			}
		})
	}
}

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ANTHROPIC_API_KEY": "sk-1", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/v1/", "ANTHROPIC_MODEL": "claude-x"}
	c := New(OptionsFromEnv(func(k string) string { return env[k] }))
	if c.key != "sk-1" || c.url != "http://127.0.0.1:9/v1/messages" || c.Model() != "claude-x" {
		t.Fatalf("New(OptionsFromEnv()) = key %q url %q model %q", c.key, c.url, c.Model())
	}
	d := New(Options{})
	if d.url != "https://api.anthropic.com/v1/messages" || d.Model() != DefaultModel {
		t.Fatalf("New(Options{}) = url %q model %q", d.url, d.Model())
	}
}

func TestFromEnvWithoutKey(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "")
	if _, err := FromEnv(); !errors.Is(err, llm.ErrNoCredentials) {
		t.Fatalf("FromEnv() error = %v, want llm.ErrNoCredentials", err)
	}
}

var _ http.Handler = (*llmtest.Handler)(nil)
