package agent

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/llm/openai"
)

// With thinking on, a multi-tool run against Anthropic's documented thinking stream
// completes, every request asks for thinking, and each continuation carries the earlier
// thinking blocks with their signatures byte for byte.
func TestThinkingRunSendsBlocksBack(t *testing.T) {
	t.Parallel()
	second := llm.Response{ID: "msg_02", Model: "claude-sonnet-4-5", StopReason: llm.StopToolUse, Usage: llm.Usage{InputTokens: 500, OutputTokens: 60},
		Content: []llm.Block{
			{Type: llm.BlockThinking, Thinking: "Now list the files.", Signature: "c2lnbmF0dXJlIHR3bw=="},
			llm.NewToolUse("toolu_02", "glob", `{"pattern":"*"}`),
		}}
	srv := llmtest.NewAnthropicServer(t, llmtest.Replies(
		llmtest.Replay("anthropic/thinking_tool_use.sse"),
		llmtest.Reply{Body: llmtest.AnthropicBody(second, 16)},
		llmtest.Replay("anthropic/text.sse"),
	))
	r, _ := setup(t, anthropicModel(srv))
	run := start(t, r, StartRequest{Prompt: "What is the weather in Paris?", Thinking: "2048"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed", got.Status, err)
	}
	type block struct {
		Type      string `json:"type"`
		Thinking  string `json:"thinking"`
		Signature string `json:"signature"`
	}
	type body struct {
		Thinking *struct {
			Type         string `json:"type"`
			BudgetTokens int    `json:"budget_tokens"`
		} `json:"thinking"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	documented := block{Type: "thinking", Thinking: "The user wants the weather in Paris. I'll call get_weather with \"Paris, France\" — in °C.",
		Signature: "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV+Y4bTvZBl4e8XxpvHT9hXT8R1w=="}
	want := [][]block{nil, {documented}, {documented, {Type: "thinking", Thinking: "Now list the files.", Signature: "c2lnbmF0dXJlIHR3bw=="}}}
	bodies := srv.Bodies()
	if len(bodies) != len(want) {
		t.Fatalf("%d requests, want %d", len(bodies), len(want))
	}
	for i, raw := range bodies {
		var b body
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if b.Thinking == nil || b.Thinking.Type != "enabled" || b.Thinking.BudgetTokens != 2048 {
			t.Errorf("request %d thinking = %+v, want enabled with a budget of 2048", i, b.Thinking)
		}
		var sent []block
		for _, m := range b.Messages {
			var blocks []block
			if m.Role != "assistant" || json.Unmarshal(m.Content, &blocks) != nil {
				continue
			}
			for _, bl := range blocks {
				if bl.Type == "thinking" || bl.Type == "redacted_thinking" {
					sent = append(sent, bl)
				}
			}
		}
		if len(sent) != len(want[i]) {
			t.Fatalf("request %d sent thinking blocks %+v, want %+v", i, sent, want[i])
		}
		for k := range sent {
			if sent[k] != want[i][k] {
				t.Errorf("request %d thinking block %d = %+v, want %+v byte for byte", i, k, sent[k], want[i][k])
			}
		}
	}
}

// ParseThinking reads the setting of Settings → Agents and --thinking.
func TestParseThinking(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    *llm.Thinking
		wantErr bool
	}{
		{"", nil, false},
		{"off", nil, false},
		{"high", &llm.Thinking{Effort: "high"}, false},
		{" Medium ", &llm.Thinking{Effort: "medium"}, false},
		{"4096", &llm.Thinking{BudgetTokens: 4096}, false},
		{"512", nil, true},
		{"lots", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseThinking(tt.in)
			if (err != nil) != tt.wantErr || (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("ParseThinking(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// An agent's thinking effort and output-limit field reach an OpenAI-compatible server as
// that API documents them (reasoning_effort, max_completion_tokens).
func TestAgentModelSettingsReachTheRequest(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewOpenAIServer(t, llmtest.Replies(llmtest.Replay("openai/text.sse")))
	r, _ := setup(t, openai.New(openai.Options{BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond}))
	def := r.agents[DefaultAgentID]
	def.Thinking, def.MaxTokensField = "high", "max_completion_tokens"
	if err := def.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	r.agents[DefaultAgentID] = def
	run := start(t, r, StartRequest{Prompt: "Hi"})
	if got, err := r.Drive(context.Background(), run.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed", got.Status, err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(srv.Bodies()[0]), &body); err != nil {
		t.Fatal(err)
	}
	if body["reasoning_effort"] != "high" || body["max_completion_tokens"] != float64(8192) || body["max_tokens"] != nil {
		t.Errorf("request = reasoning_effort %v, max_completion_tokens %v, max_tokens %v; want high, 8192, absent",
			body["reasoning_effort"], body["max_completion_tokens"], body["max_tokens"])
	}
	bad := def
	bad.MaxTokensField = "max_output"
	if err := bad.Validate(); !errors.Is(err, ErrBadDefinition) {
		t.Errorf("Validate(max_tokens_field %q) = %v, want %v", bad.MaxTokensField, err, ErrBadDefinition)
	}
}
