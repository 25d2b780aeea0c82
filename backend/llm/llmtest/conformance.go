package llmtest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
)

// Harness adapts one provider to the conformance suite.
type Harness struct {
	// KeyEnv is the variable an authentication error must name, e.g.
	// ANTHROPIC_API_KEY.
	KeyEnv string
	// NewServer starts a fake API for the provider (NewAnthropicServer or
	// NewOpenAIServer).
	NewServer func(t testing.TB, script Script) *Server
	// NewModel returns the adapter pointed at baseURL, with maxRetries
	// retries (negative: none) and a backoff of about a millisecond.
	NewModel func(baseURL string, maxRetries int) llm.Model
	// Body encodes a response in the provider's stream format.
	Body func(resp llm.Response, chunk int) string
	// Error is an HTTP error reply of the provider's shape for status.
	Error func(status int, message string) Reply
	// StreamError is an error event the provider sends mid-stream for an
	// overloaded or failing server.
	StreamError func(message string) string
	// DecodeRequest turns a recorded request body back into a Request.
	DecodeRequest func(body []byte) (llm.Request, error)
	// StopReasons maps each stop value the provider documents to the
	// normalised StopReason the adapter must report for it.
	StopReasons map[string]llm.StopReason
	// SignsThinking says the provider signs thinking blocks (Anthropic);
	// without it thinking arrives with no Signature and redacted thinking
	// does not exist.
	SignsThinking bool
}

// Recorder collects streaming events; it is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []llm.Event
}

// On is the onEvent callback.
func (r *Recorder) On(e llm.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events so far.
func (r *Recorder) Events() []llm.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]llm.Event(nil), r.events...)
}

// Text returns the concatenated TextDelta texts as a consumer shows them:
// a Retry with Discard drops the text streamed before it.
func (r *Recorder) Text() string {
	var b strings.Builder
	for _, e := range r.Events() {
		switch d := e.(type) {
		case llm.TextDelta:
			b.WriteString(d.Text)
		case llm.Retry:
			if d.Discard {
				b.Reset()
			}
		}
	}
	return b.String()
}

// Thinking returns the concatenated ThinkingDelta texts, dropped on a
// discarding Retry like Text.
func (r *Recorder) Thinking() string {
	var b strings.Builder
	for _, e := range r.Events() {
		switch d := e.(type) {
		case llm.ThinkingDelta:
			b.WriteString(d.Thinking)
		case llm.Retry:
			if d.Discard {
				b.Reset()
			}
		}
	}
	return b.String()
}

// Retries returns the Retry events.
func (r *Recorder) Retries() []llm.Retry {
	var out []llm.Retry
	for _, e := range r.Events() {
		if d, ok := e.(llm.Retry); ok {
			out = append(out, d)
		}
	}
	return out
}

// ToolInputs returns, per tool call in start order, "id name input" with
// the input assembled from ToolInputDelta events, dropped on a discarding
// Retry like Text.
func (r *Recorder) ToolInputs() []string {
	var order []int
	starts := map[int]llm.ToolUseStart{}
	inputs := map[int]*strings.Builder{}
	for _, e := range r.Events() {
		switch d := e.(type) {
		case llm.Retry:
			if d.Discard {
				order, starts, inputs = nil, map[int]llm.ToolUseStart{}, map[int]*strings.Builder{}
			}
		case llm.ToolUseStart:
			order = append(order, d.Index)
			starts[d.Index] = d
			inputs[d.Index] = &strings.Builder{}
		case llm.ToolInputDelta:
			if b, ok := inputs[d.Index]; ok {
				b.WriteString(d.PartialJSON)
			}
		}
	}
	var out []string
	for _, i := range order {
		out = append(out, starts[i].ID+" "+starts[i].Name+" "+inputs[i].String())
	}
	return out
}

// Fixtures shared by the suite.
var (
	textResponse = llm.Response{
		ID:         "msg_text",
		Model:      "fake-model",
		Content:    []llm.Block{llm.TextBlock("Hello, wörld! 你好 🌍 — “quoted” <tags> & \\ backslash\nnew line")},
		StopReason: llm.StopEndTurn,
		Usage:      llm.Usage{InputTokens: 25, OutputTokens: 15, CacheReadTokens: 100},
	}
	toolResponse = llm.Response{
		ID:    "msg_tools",
		Model: "fake-model",
		Content: []llm.Block{
			llm.TextBlock("I'll read both files."),
			llm.NewToolUse("toolu_01", "read", `{"path":"a.txt"}`),
			llm.NewToolUse("toolu_02", "write", `{"path":"dir/b.txt","content":"héllo\n\"x\" 🌍"}`),
		},
		StopReason: llm.StopToolUse,
		Usage:      llm.Usage{InputTokens: 472, OutputTokens: 89},
	}
)

func fastCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testRequest() llm.Request {
	return llm.Request{
		Model:  "fake-model",
		System: "You are a careful coding agent.",
		Messages: []llm.Message{
			llm.UserText("Fix the bug in a.txt"),
			{Role: llm.RoleAssistant, Content: []llm.Block{
				llm.TextBlock("Reading it."),
				llm.NewToolUse("toolu_01", "read", `{"path":"a.txt"}`),
			}},
			{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock("toolu_01", "1\tbug", false)}},
		},
		Tools: []llm.ToolSpec{
			{Name: "read", Description: "Read a file.", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
			{Name: "write", Description: "Write a file.", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}`)},
		},
		MaxTokens: 1024,
	}
}

// Conformance runs the behaviour every llm.Model adapter must share against
// the fake server of h, one subtest per area.
func Conformance(t *testing.T, h Harness) {
	t.Run("Streaming", func(t *testing.T) { testStreaming(t, h) })
	t.Run("HTTPErrors", func(t *testing.T) { testHTTPErrors(t, h) })
	t.Run("StreamFaults", func(t *testing.T) { testStreamFaults(t, h) })
	t.Run("StopReasons", func(t *testing.T) { testStopReasons(t, h) })
	t.Run("Thinking", func(t *testing.T) { testThinking(t, h) })
	t.Run("Requests", func(t *testing.T) { testRequests(t, h) })
}

// stream starts a server answering from script and streams testRequest
// through the adapter with maxRetries.
func (h Harness) stream(t *testing.T, script Script, maxRetries int) (*Server, llm.Response, *Recorder, error) {
	t.Helper()
	srv := h.NewServer(t, script)
	rec := &Recorder{}
	resp, err := h.NewModel(srv.BaseURL, maxRetries).Stream(fastCtx(t), testRequest(), rec.On)
	return srv, resp, rec, err
}

// ok is a reply streaming resp in deltas of 5 bytes.
func (h Harness) ok(resp llm.Response) Reply { return Reply{Body: h.Body(resp, 5)} }

// wantResponse compares a response with the fixture it was encoded from,
// leaving out what the fixture cannot know: the failed attempts and the
// provider's raw stop value (the StopReasons area checks those).
func wantResponse(t *testing.T, got, want llm.Response) {
	t.Helper()
	got.Attempts, got.RawStopReason = nil, ""
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("Stream() = %s\nwant %s", gj, wj)
	}
}

func wantRequests(t *testing.T, srv *Server, n int) {
	t.Helper()
	if got := len(srv.Requests()); got != n {
		t.Fatalf("server got %d requests, want %d", got, n)
	}
}

func isRetry(e llm.Event) bool {
	_, ok := e.(llm.Retry)
	return ok
}
