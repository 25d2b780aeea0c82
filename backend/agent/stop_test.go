package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/llm/openai"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
)

// anthropicModel is the Anthropic adapter against srv, retrying without waiting.
func anthropicModel(srv *llmtest.Server) llm.Model {
	return anthropic.New(anthropic.Options{APIKey: "sk-test", BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond})
}

// requestBodies decodes the requests srv received.
func requestBodies(t *testing.T, srv *llmtest.Server) []llm.Request {
	t.Helper()
	var out []llm.Request
	for _, r := range srv.Requests() {
		req, err := llmtest.DecodeAnthropicRequest(r.Body)
		if err != nil {
			t.Fatalf("decode request: %v", err)
		}
		out = append(out, req)
	}
	return out
}

// A model call that fails for good, by retries used up or a fault only a person can clear,
// pauses the run with the provider's message and what to do; once the provider answers
// again, Drive goes on from that step without repeating any completed step.
func TestModelFaultPausesRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    llmtest.Reply
		wantText []string
	}{
		{"overloaded until retries are used up", llmtest.AnthropicError(529, "overloaded_error", "Overloaded"), []string{"Overloaded", "wait and resume"}},
		{"invalid key", llmtest.AnthropicError(http.StatusUnauthorized, "authentication_error", "invalid x-api-key"), []string{"invalid x-api-key", "check the API key"}},
		{"stream error every time", llmtest.Fault{Kind: llmtest.FaultError, Events: 4, ErrorEvent: llmtest.Transcript("anthropic/error.sse")}.Reply(llmtest.Transcript("anthropic/text.sse")), []string{"Overloaded", "wait and resume"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var down atomic.Bool
			down.Store(true)
			working := llmtest.AnthropicModel(demo.New(demo.Options{}), 7)
			srv := llmtest.NewAnthropicServer(t, func(n int, req llmtest.Request) llmtest.Reply {
				if down.Load() {
					return tt.fault
				}
				return working(n, req)
			})
			r, _ := setup(t, anthropicModel(srv))
			run := start(t, r, StartRequest{Prompt: "Build something small"})

			got, err := r.Drive(context.Background(), run.ID)
			if !errors.Is(err, ErrPaused) || got.Status != journal.RunPaused {
				t.Fatalf("Drive() with the provider down = %s, %v; want %s, %v", got.Status, err, journal.RunPaused, ErrPaused)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(got.Error, w) {
					t.Errorf("paused run's error = %q, want it to contain %q", got.Error, w)
				}
			}
			steps, err := r.config.Journal.Steps(context.Background(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(steps); n != 2 || steps[1].Kind != record.KindLLM || steps[1].Status != journal.StepStarted {
				t.Fatalf("steps of the paused run = %+v; want config, then the model step left started", steps)
			}

			if _, err := r.Resolve(context.Background(), run.ID, journal.ActionSkip, ""); !errors.Is(err, ErrNothingToResolve) {
				t.Errorf("Resolve(skip) on the paused run = %v, want %v: the model step runs again by itself", err, ErrNothingToResolve)
			}
			down.Store(false)
			got, err = r.Drive(context.Background(), run.ID)
			if err != nil || got.Status != journal.RunCompleted {
				t.Fatalf("Drive() once the provider answers = %s, %v; want completed", got.Status, err)
			}
			if reason := resumes(t, r, run.ID); reason != ResumePaused+"@1" {
				t.Errorf("resumes = %q, want %q", reason, ResumePaused+"@1")
			}
			steps, err = r.config.Journal.Steps(context.Background(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				want := 1
				if s.Seq == 2 {
					want = 2 // the paused model step, run once more
				}
				if s.Attempt != want || s.Status != journal.StepCompleted {
					t.Errorf("step %d (%s %s) = %s attempt %d, want completed attempt %d", s.Seq, s.Kind, s.Name, s.Status, s.Attempt, want)
				}
			}
		})
	}
}

// A tool call cut by the output limit is never run: the same step asks again with twice the
// limit, the step's record keeps the cut attempt and the limit used, and the file is written
// without the model being asked to resend.
func TestCutToolCallAsksWithLargerLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a line of a file longer than the output limit\n", 2000)
	whole := llm.Response{ID: "msg_02", Model: "claude-sonnet-4-5", StopReason: llm.StopToolUse, Usage: llm.Usage{InputTokens: 20, OutputTokens: 12000},
		Content: []llm.Block{llm.NewToolUse("toolu_01MaxTok", "write", mustJSON(t, map[string]any{"path": "big.txt", "content": big}))}}
	done := llm.Response{ID: "msg_03", Model: "claude-sonnet-4-5", StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 20, OutputTokens: 5},
		Content: []llm.Block{llm.TextBlock("Wrote big.txt.")}}
	srv := llmtest.NewAnthropicServer(t, llmtest.Replies(
		llmtest.Replay("anthropic/max_tokens_tool_use.sse"),
		llmtest.Reply{Body: llmtest.AnthropicBody(whole, 4096)},
		llmtest.Reply{Body: llmtest.AnthropicBody(done, 0)},
	))
	r, _ := setup(t, anthropicModel(srv))
	run := start(t, r, StartRequest{Prompt: "Write big.txt"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed", got.Status, err)
	}
	data, err := os.ReadFile(filepath.Join(run.Workspace, "big.txt"))
	if err != nil || string(data) != big {
		t.Fatalf("big.txt = %d bytes, %v; want the %d bytes of the whole call", len(data), err, len(big))
	}
	reqs := requestBodies(t, srv)
	var limits []int
	for _, q := range reqs {
		limits = append(limits, q.MaxTokens)
	}
	if want := []int{8192, 16384, 8192}; !equalInts(limits, want) {
		t.Errorf("max_tokens of the requests = %v, want %v", limits, want)
	}
	for _, q := range reqs {
		for _, m := range q.Messages {
			for _, b := range m.Content {
				if b.Type == llm.BlockToolResult && strings.Contains(b.Content, "valid JSON") {
					t.Errorf("the model was told its cut call was invalid: %q", b.Content)
				}
			}
		}
	}
	steps, err := r.config.Journal.Steps(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := record.DecodeModelOutput(steps[1].Output)
	if err != nil {
		t.Fatal(err)
	}
	if resp.MaxTokens != 16384 || len(resp.Attempts) != 1 || resp.Attempts[0].Kind != llm.ErrorKind(llm.StopMaxTokens) {
		t.Errorf("model step record: max_tokens %d, attempts %+v; want 16384 and the one cut attempt", resp.MaxTokens, resp.Attempts)
	}
	if resp.Usage.OutputTokens != 1024+12000 {
		t.Errorf("model step output tokens = %d, want both attempts' %d", resp.Usage.OutputTokens, 1024+12000)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// How a run ends by the last turn's stop reason: a refusal is refused with the provider's
// text, an answer cut by the limit is continued and then ends cut off, a paused turn goes on.
func TestStopReasonOutcomes(t *testing.T) {
	t.Parallel()
	cut := llm.Response{ID: "msg_cut", Model: "claude-sonnet-4-5", StopReason: llm.StopMaxTokens, Usage: llm.Usage{InputTokens: 20, OutputTokens: 8192},
		Content: []llm.Block{llm.TextBlock("part ")}}
	tests := []struct {
		name       string
		replies    []llmtest.Reply
		want       journal.RunStatus
		wantError  string
		wantReqs   int
		wantLastAs llm.Role // the role of the last message of the last request
	}{
		{"refusal", []llmtest.Reply{llmtest.Replay("anthropic/refusal.sse")}, journal.RunRefused, "Here is a general overview of", 1, llm.RoleUser},
		{"answer cut off", []llmtest.Reply{
			{Body: llmtest.AnthropicBody(cut, 0)}, {Body: llmtest.AnthropicBody(cut, 0)}, {Body: llmtest.AnthropicBody(cut, 0)},
		}, journal.RunCutOff, "cut off by the output limit (8192 tokens)", 3, llm.RoleUser},
		{"pause_turn continues", []llmtest.Reply{llmtest.Replay("anthropic/pause_turn.sse"), llmtest.Replay("anthropic/text.sse")}, journal.RunCompleted, "", 2, llm.RoleAssistant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewAnthropicServer(t, llmtest.Replies(tt.replies...))
			r, _ := setup(t, anthropicModel(srv))
			run := start(t, r, StartRequest{Prompt: "Tell me"})
			got, err := r.Drive(context.Background(), run.ID)
			if err != nil || got.Status != tt.want || !strings.Contains(got.Error, tt.wantError) {
				t.Fatalf("Drive() = %s (%q), %v; want %s with %q", got.Status, got.Error, err, tt.want, tt.wantError)
			}
			reqs := requestBodies(t, srv)
			if len(reqs) != tt.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tt.wantReqs)
			}
			last := reqs[len(reqs)-1].Messages
			if role := last[len(last)-1].Role; role != tt.wantLastAs {
				t.Errorf("last request ends with a %s turn, want %s", role, tt.wantLastAs)
			}
			if _, err := r.Drive(context.Background(), run.ID); tt.want != journal.RunCompleted && err == nil {
				t.Errorf("Drive() of a %s run = nil, want an error: it is final", tt.want)
			}
		})
	}
}

// A follow-up in a session does not resend a refused turn (Anthropic: reset the context by
// removing the turn that was refused).
func TestFollowUpDropsRefusedTurn(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewAnthropicServer(t, llmtest.Replies(llmtest.Replay("anthropic/refusal.sse"), llmtest.Replay("anthropic/text.sse")))
	r, _ := setup(t, anthropicModel(srv))
	first := start(t, r, StartRequest{Prompt: "Something refused"})
	if got, err := r.Drive(context.Background(), first.ID); err != nil || got.Status != journal.RunRefused {
		t.Fatalf("Drive(first) = %s, %v; want refused", got.Status, err)
	}
	next := start(t, r, StartRequest{SessionID: first.SessionID, Prompt: "Something else"})
	if got, err := r.Drive(context.Background(), next.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(follow-up) = %s, %v; want completed", got.Status, err)
	}
	reqs := requestBodies(t, srv)
	msgs := reqs[len(reqs)-1].Messages
	if len(msgs) != 1 || msgs[0].Role != llm.RoleUser || len(msgs[0].Content) != 1 || msgs[0].Content[0].Text != "Something else" {
		t.Errorf("follow-up request messages = %+v; want only the new prompt", msgs)
	}
}

// Against a provider that breaks every stream once after some output, a 20-step run
// completes with 20 model steps, each recording its one failed, discarded attempt.
func TestTwentyStepsThroughStreamFaults(t *testing.T) {
	t.Parallel()
	const steps = 20
	var turns []turn
	for i := 1; i < steps; i++ {
		turns = append(turns, turn{text: fmt.Sprintf("Looking, step %d.", i), calls: [][2]string{{"glob", `{"pattern":"*"}`}}})
	}
	turns = append(turns, turn{text: "Done after twenty steps."})
	fault := llmtest.Fault{Kind: llmtest.FaultError, Events: 5, ErrorEvent: llmtest.Transcript("anthropic/error.sse")}
	srv := llmtest.NewAnthropicServer(t, llmtest.Faulty(llmtest.AnthropicModel(&scriptModel{turns: turns}, 5), llmtest.EveryOther(fault)))
	r, _ := setup(t, anthropicModel(srv))
	run := start(t, r, StartRequest{Prompt: "Look around twenty times"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s (%s), %v; want completed", got.Status, got.Error, err)
	}
	history, err := r.config.Journal.Steps(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	models := 0
	for _, s := range history {
		if s.Kind != record.KindLLM {
			continue
		}
		models++
		resp, err := record.DecodeModelOutput(s.Output)
		if err != nil {
			t.Fatalf("step %d: %v", s.Seq, err)
		}
		if len(resp.Attempts) != 1 || resp.Attempts[0].Kind != llm.KindOverloaded || !resp.Attempts[0].Discarded || resp.Attempts[0].Error == "" {
			t.Errorf("step %d attempts = %+v, want its one overloaded attempt, discarded, with its error", s.Seq, resp.Attempts)
		}
	}
	if models != steps || len(srv.Requests()) != 2*steps {
		t.Errorf("%d model steps and %d requests, want %d and %d", models, len(srv.Requests()), steps, 2*steps)
	}
}

// The same outcomes through the OpenAI-compatible adapter and its documented streams: a
// refusal delta and content_filter are refused, finish_reason length is continued and then
// ends cut off.
func TestStopReasonOutcomesOpenAI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   []llmtest.Reply
		want      journal.RunStatus
		wantError string
		wantReqs  int
	}{
		{"refusal", []llmtest.Reply{llmtest.Replay("openai/refusal.sse")}, journal.RunRefused, "I'm sorry, I cannot assist with that request.", 1},
		{"content filter", []llmtest.Reply{llmtest.Replay("openai/content_filter.sse")}, journal.RunRefused, "declined", 1},
		{"length", []llmtest.Reply{llmtest.Replay("openai/length.sse"), llmtest.Replay("openai/length.sse"), llmtest.Replay("openai/length.sse")}, journal.RunCutOff, "cut off by the output limit", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.NewOpenAIServer(t, llmtest.Replies(tt.replies...))
			r, _ := setup(t, openai.New(openai.Options{BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond}))
			run := start(t, r, StartRequest{Prompt: "Tell me"})
			got, err := r.Drive(context.Background(), run.ID)
			if err != nil || got.Status != tt.want || !strings.Contains(got.Error, tt.wantError) {
				t.Fatalf("Drive() = %s (%q), %v; want %s with %q", got.Status, got.Error, err, tt.want, tt.wantError)
			}
			if n := len(srv.Requests()); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
		})
	}
}

// A sandbox that cannot open (Docker down, say) pauses the run before any command starts;
// once it opens again, the run resumes without asking anyone about a cut-off command.
func TestSandboxFaultPausesRun(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{{calls: [][2]string{{"exec", `{"command":"echo hi > out.txt"}`}}}, {text: "done"}}}
	r, _ := setup(t, m)
	open := r.config.Sandboxes
	var down atomic.Bool
	down.Store(true)
	r.config.Sandboxes = func(ctx context.Context, run journal.Run, cfg RunConfig) (sandbox.Sandbox, error) {
		if down.Load() {
			return nil, errors.New("cannot connect to the Docker daemon")
		}
		return open(ctx, run, cfg)
	}
	run := start(t, r, StartRequest{Prompt: "write out.txt"})
	got, err := r.Drive(context.Background(), run.ID)
	if !errors.Is(err, ErrPaused) || got.Status != journal.RunPaused || !strings.Contains(got.Error, "Docker daemon") {
		t.Fatalf("Drive() with the sandbox down = %s (%q), %v; want paused naming the cause", got.Status, got.Error, err)
	}
	down.Store(false)
	got, err = r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() with the sandbox back = %s (%q), %v; want completed", got.Status, got.Error, err)
	}
	if b, err := os.ReadFile(filepath.Join(run.Workspace, "out.txt")); err != nil || string(b) != "hi\n" {
		t.Errorf("out.txt = %q, %v; want the command run once", b, err)
	}
}
