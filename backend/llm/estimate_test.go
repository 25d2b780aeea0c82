package llm_test

import (
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

func TestEstimateTextTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want int64
	}{
		{"empty", "", 0},
		{"ascii rounds up", "abcde", 2},
		{"four bytes a token", strings.Repeat("x", 400), 100},
		{"cjk a token a character", "日本語のテキスト", 8},
		{"mixed", "go 日本", 1 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := llm.EstimateTextTokens(tc.in); got != tc.want {
				t.Errorf("EstimateTextTokens(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestEstimateRequestTokens(t *testing.T) {
	t.Parallel()
	first := llm.Request{System: strings.Repeat("s", 400), Messages: []llm.Message{llm.UserText(strings.Repeat("u", 400))},
		Tools: []llm.ToolSpec{{Name: "exec", Description: strings.Repeat("d", 40), InputSchema: []byte(`{"type":"object"}`)}}}
	resp := llm.Response{Content: []llm.Block{llm.TextBlock(strings.Repeat("a", 80))}, Usage: llm.Usage{InputTokens: 150, CacheReadTokens: 50, OutputTokens: 20}}
	base := llm.NewBaseline(first, resp)
	next := first
	next.Messages = append(append([]llm.Message(nil), first.Messages...), resp.Message(), llm.UserText(strings.Repeat("r", 40)))
	// The merged-into case: tool results added to the last user turn after it was counted.
	merged := first
	merged.Messages = []llm.Message{{Role: llm.RoleUser, Content: append(append([]llm.Block(nil), first.Messages[0].Content...), llm.TextBlock(strings.Repeat("m", 400)))}}
	escalated := resp
	escalated.Attempts = []llm.Attempt{{Kind: llm.ErrorKind(llm.StopMaxTokens)}}
	for _, tc := range []struct {
		name string
		req  llm.Request
		base llm.Baseline
		want int64
	}{
		// 8 + system 100 + tool (12 + 1 + 10 + 5) + message (4 + 3 + 100)
		{"whole request without a baseline", first, llm.Baseline{}, 8 + 100 + 28 + 107},
		{"counted input plus what was added", next, base, 200 + (4 + 3 + 20) + (4 + 3 + 10)},
		{"a message grown since it was counted", merged, base, 200 + 100},
		{"a baseline longer than the request is ignored", llm.Request{Messages: first.Messages}, llm.Baseline{Messages: 5, InputTokens: 900}, 8 + 107},
		{"input summed over escalated attempts counts once", next, llm.NewBaseline(first, llm.Response{Usage: llm.Usage{InputTokens: 400}, Attempts: escalated.Attempts}), 200 + 27 + 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := llm.EstimateRequestTokens(tc.req, tc.base); got != tc.want {
				t.Errorf("EstimateRequestTokens = %d, want %d", got, tc.want)
			}
		})
	}
}
