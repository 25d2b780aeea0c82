package llmtest_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/llm/openai"
)

func TestChunks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want []string
	}{
		{"", 3, nil},
		{"abcdef", 0, []string{"abcdef"}},
		{"abcdef", 4, []string{"abcd", "ef"}},
		{"héllo", 2, []string{"h", "é", "ll", "o"}},
		{"🌍x", 2, []string{"🌍", "x"}},
	}
	for _, tt := range tests {
		if got := llmtest.Chunks(tt.s, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Chunks(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

// A whole demo session through each real adapter and a fake server backed
// by the demo model gives the same turns as the demo model called directly,
// which checks the encoders, the request decoders and the adapters together.
func TestModelBehindFakeServers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		model func(t *testing.T) llm.Model
		// usage maps the demo's usage to what the wire format can carry.
		usage func(llm.Usage) llm.Usage
	}{
		{"anthropic", func(t *testing.T) llm.Model {
			srv := llmtest.NewAnthropicServer(t, llmtest.AnthropicModel(demo.New(demo.Options{}), 7))
			return anthropic.New(anthropic.Options{BaseURL: srv.BaseURL, APIKey: "sk-test", RetryBaseDelay: time.Millisecond})
		}, func(u llm.Usage) llm.Usage { return u }},
		{"openai", func(t *testing.T) llm.Model {
			srv := llmtest.NewOpenAIServer(t, llmtest.OpenAIModel(demo.New(demo.Options{}), 7))
			return openai.New(openai.Options{BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond})
		}, func(u llm.Usage) llm.Usage {
			// Chat completions report no cache writes.
			u.InputTokens += u.CacheWriteTokens
			u.CacheWriteTokens = 0
			return u
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			remote := tt.model(t)
			req := llm.Request{
				Model:     "corral-demo",
				System:    "You are Corral.",
				MaxTokens: 4096,
				Tools:     []llm.ToolSpec{{Name: "write", InputSchema: json.RawMessage(`{"type":"object"}`)}, {Name: "exec", InputSchema: json.RawMessage(`{"type":"object"}`)}},
				Messages:  []llm.Message{llm.UserText("Build something small")},
			}
			for turn := 0; ; turn++ {
				got, err := remote.Stream(context.Background(), req, nil)
				if err != nil {
					t.Fatalf("turn %d: Stream() error = %v", turn, err)
				}
				want := demo.Respond(req)
				want.Usage = tt.usage(want.Usage)
				// The provider's raw stop value is the adapter's to add.
				if got.RawStopReason == "" {
					t.Fatalf("turn %d: no raw stop reason", turn)
				}
				got.RawStopReason = ""
				if !reflect.DeepEqual(got, want) {
					gj, _ := json.Marshal(got)
					wj, _ := json.Marshal(want)
					t.Fatalf("turn %d: got\n%s\nwant\n%s", turn, gj, wj)
				}
				req.Messages = append(req.Messages, got.Message())
				if got.StopReason == llm.StopEndTurn {
					if turn != 6 {
						t.Fatalf("session ended after %d turns, want 7", turn+1)
					}
					return
				}
				var results []llm.Block
				for _, u := range got.ToolUses() {
					out := "done"
					if u.Name == "exec" {
						out = "PASS\n      3 the"
					}
					results = append(results, llm.ToolResultBlock(u.ID, out, false))
				}
				req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: results})
			}
		})
	}
}

// A whole demo session against servers that break every stream once after
// some output (an error event, a reset, a missing final event) completes
// with the same turns, each recording its one failed attempt.
func TestSessionBehindFaultyServers(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name  string
		fault func(errorEvent string) llmtest.Fault
	}{
		{"error event", func(e string) llmtest.Fault {
			return llmtest.Fault{Kind: llmtest.FaultError, Events: 6, ErrorEvent: e}
		}},
		{"reset", func(string) llmtest.Fault { return llmtest.Fault{Kind: llmtest.FaultDrop, Events: 7} }},
		{"no final event", func(string) llmtest.Fault { return llmtest.Fault{Kind: llmtest.FaultTruncate, Events: 9} }},
	}
	providers := []struct {
		name  string
		model func(t *testing.T, f llmtest.Fault) llm.Model
		error string
	}{
		{"anthropic", func(t *testing.T, f llmtest.Fault) llm.Model {
			srv := llmtest.NewAnthropicServer(t, llmtest.Faulty(llmtest.AnthropicModel(demo.New(demo.Options{}), 7), llmtest.EveryOther(f)))
			return anthropic.New(anthropic.Options{BaseURL: srv.BaseURL, APIKey: "sk-test", RetryBaseDelay: time.Millisecond})
		}, llmtest.AnthropicStreamError("overloaded_error", "Overloaded")},
		{"openai", func(t *testing.T, f llmtest.Fault) llm.Model {
			srv := llmtest.NewOpenAIServer(t, llmtest.Faulty(llmtest.OpenAIModel(demo.New(demo.Options{}), 7), llmtest.EveryOther(f)))
			return openai.New(openai.Options{BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond})
		}, llmtest.OpenAIStreamError("server_error", "Provider disconnected")},
	}
	for _, p := range providers {
		for _, f := range faults {
			t.Run(p.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				remote := p.model(t, f.fault(p.error))
				req := llm.Request{Model: "corral-demo", MaxTokens: 4096,
					Tools:    []llm.ToolSpec{{Name: "write", InputSchema: json.RawMessage(`{"type":"object"}`)}, {Name: "exec", InputSchema: json.RawMessage(`{"type":"object"}`)}},
					Messages: []llm.Message{llm.UserText("Build something small")}}
				for turn := 0; turn < 20; turn++ {
					rec := &llmtest.Recorder{}
					got, err := remote.Stream(context.Background(), req, rec.On)
					if err != nil {
						t.Fatalf("turn %d: Stream() error = %v", turn, err)
					}
					if len(got.Attempts) != 1 || !got.Attempts[0].Discarded {
						t.Fatalf("turn %d: Attempts = %+v, want one discarded attempt", turn, got.Attempts)
					}
					if want := demo.Respond(req); !reflect.DeepEqual(got.Content, want.Content) || got.StopReason != want.StopReason {
						t.Fatalf("turn %d: content %+v, want %+v", turn, got.Content, want.Content)
					}
					if rec.Text() != got.Text() {
						t.Fatalf("turn %d: text shown %q, want %q", turn, rec.Text(), got.Text())
					}
					req.Messages = append(req.Messages, got.Message())
					if got.StopReason == llm.StopEndTurn {
						return
					}
					var results []llm.Block
					for _, u := range got.ToolUses() {
						results = append(results, llm.ToolResultBlock(u.ID, "done", false))
					}
					req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: results})
				}
				t.Fatal("session did not end within 20 turns")
			})
		}
	}
}
