package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

// Text returns the concatenated TextDelta texts.
func (r *Recorder) Text() string {
	var b strings.Builder
	for _, e := range r.Events() {
		if d, ok := e.(llm.TextDelta); ok {
			b.WriteString(d.Text)
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
// the input assembled from ToolInputDelta events.
func (r *Recorder) ToolInputs() []string {
	var order []int
	starts := map[int]llm.ToolUseStart{}
	inputs := map[int]*strings.Builder{}
	for _, e := range r.Events() {
		switch d := e.(type) {
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
// the fake server of h.
func Conformance(t *testing.T, h Harness) {
	stream := func(t *testing.T, script Script, maxRetries int) (*Server, llm.Response, *Recorder, error) {
		t.Helper()
		srv := h.NewServer(t, script)
		rec := &Recorder{}
		resp, err := h.NewModel(srv.BaseURL, maxRetries).Stream(fastCtx(t), testRequest(), rec.On)
		return srv, resp, rec, err
	}
	ok := func(resp llm.Response) Reply { return Reply{Body: h.Body(resp, 5)} }
	wantResponse := func(t *testing.T, got, want llm.Response) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("Stream() = %s\nwant %s", gj, wj)
		}
	}
	wantRequests := func(t *testing.T, srv *Server, n int) {
		t.Helper()
		if got := len(srv.Requests()); got != n {
			t.Fatalf("server got %d requests, want %d", got, n)
		}
	}

	t.Run("plain text", func(t *testing.T) {
		t.Parallel()
		srv, resp, rec, err := stream(t, Replies(ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		if got := rec.Text(); got != textResponse.Text() {
			t.Errorf("TextDelta events = %q, want %q", got, textResponse.Text())
		}
		wantRequests(t, srv, 1)
	})

	t.Run("tool calls in one turn", func(t *testing.T) {
		t.Parallel()
		_, resp, rec, err := stream(t, Replies(ok(toolResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, toolResponse)
		want := []string{`toolu_01 read {"path":"a.txt"}`, `toolu_02 write {"path":"dir/b.txt","content":"héllo\n\"x\" 🌍"}`}
		if got := rec.ToolInputs(); !reflect.DeepEqual(got, want) {
			t.Errorf("tool events = %q, want %q", got, want)
		}
	})

	t.Run("split writes", func(t *testing.T) {
		t.Parallel()
		for _, deltaSize := range []int{1, 3, 0} {
			for _, writeSize := range []int{1, 2, 7, 0} {
				body := h.Body(toolResponse, deltaSize)
				srv := h.NewServer(t, Replies(Reply{Body: body, ChunkSize: writeSize}))
				rec := &Recorder{}
				resp, err := h.NewModel(srv.BaseURL, 0).Stream(fastCtx(t), testRequest(), rec.On)
				if err != nil {
					t.Fatalf("deltas of %d, writes of %d: Stream() error = %v", deltaSize, writeSize, err)
				}
				wantResponse(t, resp, toolResponse)
				if got := rec.Text(); got != toolResponse.Text() {
					t.Fatalf("deltas of %d, writes of %d: text events = %q", deltaSize, writeSize, got)
				}
			}
		}
	})

	t.Run("rate limit then success honours retry-after", func(t *testing.T) {
		t.Parallel()
		limited := h.Error(http.StatusTooManyRequests, "slow down")
		limited.Header = http.Header{"Retry-After-Ms": {"3"}}
		srv, resp, rec, err := stream(t, Replies(limited, ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 2)
		bodies := srv.Bodies()
		if bodies[0] != bodies[1] {
			t.Errorf("retried body differs:\n%s\n%s", bodies[0], bodies[1])
		}
		retries := rec.Retries()
		if len(retries) != 1 || retries[0].Attempt != 2 || retries[0].Wait != 3*time.Millisecond || !errors.Is(retries[0].Err, llm.ErrRateLimited) {
			t.Fatalf("Retry events = %+v, want one for attempt 2 waiting 3ms after a rate limit", retries)
		}
		if len(rec.Events()) == 0 || !isRetry(rec.Events()[0]) {
			t.Errorf("first event = %#v, want the Retry", rec.Events()[0])
		}
	})

	t.Run("server errors retried", func(t *testing.T) {
		t.Parallel()
		srv, resp, rec, err := stream(t, Replies(h.Error(500, "boom"), h.Error(529, "Overloaded"), h.Error(503, "unavailable"), ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 4)
		if n := len(rec.Retries()); n != 3 {
			t.Errorf("%d Retry events, want 3", n)
		}
	})

	t.Run("overloaded gives up after max attempts", func(t *testing.T) {
		t.Parallel()
		e := h.Error(529, "Overloaded")
		srv, _, rec, err := stream(t, Replies(e, e, e, e, ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrOverloaded) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
			t.Fatalf("Stream() error = %v, want overloaded after 4 attempts", err)
		}
		var ae *llm.APIError
		if !errors.As(err, &ae) || ae.Status != 529 {
			t.Errorf("error = %#v, want an *llm.APIError with status 529", err)
		}
		wantRequests(t, srv, 4)
		if n := len(rec.Retries()); n != 3 {
			t.Errorf("%d Retry events, want 3", n)
		}
	})

	t.Run("retries disabled", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := stream(t, Replies(h.Error(429, "slow down"), ok(textResponse)), -1)
		if !errors.Is(err, llm.ErrRateLimited) {
			t.Fatalf("Stream() error = %v, want rate limited", err)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("authentication error", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := stream(t, Replies(h.Error(401, "invalid api key"), ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrAuth) {
			t.Fatalf("Stream() error = %v, want llm.ErrAuth", err)
		}
		if want := "authentication failed (401): check " + h.KeyEnv; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("bad request", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := stream(t, Replies(h.Error(400, "max_tokens: too large"), ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "bad request (400)") || !strings.Contains(err.Error(), "max_tokens: too large") {
			t.Fatalf("Stream() error = %v, want a bad request naming the cause", err)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("stream error after output is not retried", func(t *testing.T) {
		t.Parallel()
		// The first five events hold some text deltas in both formats.
		events := strings.SplitAfter(h.Body(textResponse, 4), "\n\n")
		body := strings.Join(events[:5], "") + h.StreamError("Overloaded")
		srv, _, rec, err := stream(t, Replies(Reply{Body: body}, ok(textResponse)), 0)
		var ae *llm.APIError
		if !errors.As(err, &ae) || !ae.Retryable() {
			t.Fatalf("Stream() error = %v, want a retryable *llm.APIError", err)
		}
		if !llm.Retryable(err) {
			t.Errorf("llm.Retryable(%v) = false, want true", err)
		}
		if rec.Text() == "" {
			t.Errorf("no text events before the error")
		}
		wantRequests(t, srv, 1)
	})

	t.Run("stream error before output is retried", func(t *testing.T) {
		t.Parallel()
		srv, resp, rec, err := stream(t, Replies(Reply{Body: h.StreamError("Overloaded")}, ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 2)
		if n := len(rec.Retries()); n != 1 {
			t.Errorf("%d Retry events, want 1", n)
		}
	})

	t.Run("truncated after output", func(t *testing.T) {
		t.Parallel()
		full := h.Body(toolResponse, 4)
		for _, cut := range []int{len(full) - 2, len(full) - 30, len(full) / 2} {
			srv, _, _, err := stream(t, Replies(Reply{Body: full[:cut]}, ok(textResponse)), 0)
			if !errors.Is(err, llm.ErrIncompleteStream) || !errors.Is(err, llm.ErrMalformedStream) {
				t.Fatalf("cut at %d: Stream() error = %v, want an incomplete stream", cut, err)
			}
			wantRequests(t, srv, 1)
		}
	})

	t.Run("empty body is retried", func(t *testing.T) {
		t.Parallel()
		srv, resp, _, err := stream(t, Replies(Reply{}, ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 2)
	})

	t.Run("connection reset before output is retried", func(t *testing.T) {
		t.Parallel()
		srv, resp, _, err := stream(t, Replies(Reply{Abort: true}, ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 2)
	})

	t.Run("connection reset after output", func(t *testing.T) {
		t.Parallel()
		full := h.Body(textResponse, 4)
		srv, _, _, err := stream(t, Replies(Reply{Body: full[:len(full)/2], Abort: true}, ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrIncompleteStream) {
			t.Fatalf("Stream() error = %v, want an incomplete stream", err)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("garbage data", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := stream(t, Replies(Reply{Body: "data: {this is not json\n\n"}, ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrMalformedStream) || errors.Is(err, llm.ErrIncompleteStream) {
			t.Fatalf("Stream() error = %v, want a malformed stream", err)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("invalid tool input is kept and marked", func(t *testing.T) {
		t.Parallel()
		for _, raw := range []string{`{"path": "a.txt", "content": "unterminated`, `[1, 2]`, `{"a":1} trailing`} {
			bad := llm.Response{ID: "msg_bad", Model: "fake-model", StopReason: llm.StopToolUse, Content: []llm.Block{
				{Type: llm.BlockToolUse, ID: "toolu_bad", Name: "write", RawInput: raw, InputError: "x"},
			}}
			_, resp, _, err := stream(t, Replies(ok(bad)), 0)
			if err != nil {
				t.Fatalf("input %q: Stream() error = %v", raw, err)
			}
			uses := resp.ToolUses()
			if len(uses) != 1 || uses[0].InputError == "" || uses[0].RawInput != raw || uses[0].Input != nil || uses[0].ID != "toolu_bad" {
				t.Fatalf("input %q: tool uses = %+v, want one marked block keeping the raw input", raw, uses)
			}
		}
	})

	t.Run("request round trip and determinism", func(t *testing.T) {
		t.Parallel()
		srv := h.NewServer(t, Replies(ok(textResponse), ok(textResponse)))
		m := h.NewModel(srv.BaseURL, 0)
		for range 2 {
			if _, err := m.Stream(fastCtx(t), testRequest(), nil); err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
		}
		bodies := srv.Bodies()
		if bodies[0] != bodies[1] {
			t.Fatalf("same request, different bodies:\n%s\n%s", bodies[0], bodies[1])
		}
		got, err := h.DecodeRequest([]byte(bodies[0]))
		if err != nil {
			t.Fatalf("DecodeRequest() error = %v", err)
		}
		want := testRequest()
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Fatalf("decoded request = %s\nwant %s", gj, wj)
		}
	})

	t.Run("cancel mid-stream", func(t *testing.T) {
		t.Parallel()
		full := h.Body(textResponse, 4)
		srv := h.NewServer(t, Replies(Reply{Body: full[:len(full)/2], Hang: true}))
		ctx, cancel := context.WithCancel(fastCtx(t))
		defer cancel()
		var once sync.Once
		_, err := h.NewModel(srv.BaseURL, 0).Stream(ctx, testRequest(), func(e llm.Event) {
			if _, ok := e.(llm.TextDelta); ok {
				once.Do(cancel)
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream() error = %v, want context.Canceled", err)
		}
	})

	t.Run("cancel while waiting to retry", func(t *testing.T) {
		t.Parallel()
		limited := h.Error(429, "slow down")
		limited.Header = http.Header{"Retry-After": {"30"}}
		srv := h.NewServer(t, Replies(limited, ok(textResponse)))
		ctx, cancel := context.WithCancel(fastCtx(t))
		defer cancel()
		var wait time.Duration
		start := time.Now()
		_, err := h.NewModel(srv.BaseURL, 0).Stream(ctx, testRequest(), func(e llm.Event) {
			if r, ok := e.(llm.Retry); ok {
				wait = r.Wait
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, llm.ErrRateLimited) {
			t.Fatalf("Stream() error = %v, want context.Canceled wrapping the rate limit", err)
		}
		if wait != 30*time.Second {
			t.Errorf("Retry.Wait = %v, want the 30s retry-after", wait)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Stream took %v after cancel", d)
		}
	})
}

func isRetry(e llm.Event) bool {
	_, ok := e.(llm.Retry)
	return ok
}
