package llm_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

// longRequest is a 1,000-turn conversation: each turn a tool call and a 2 KiB result.
func longRequest() llm.Request {
	req := llm.Request{System: strings.Repeat("system ", 300)}
	for i := range 1000 {
		req.Messages = append(req.Messages,
			llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.NewToolUse(fmt.Sprintf("t%d", i), "exec", `{"command":"make test"}`)}},
			llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock(fmt.Sprintf("t%d", i), strings.Repeat("ok line\n", 256), false)}})
	}
	return req
}

// BenchmarkEstimateRequestTokens measures the estimate Corral makes before every model call
// at 1,000 turns: with a baseline (the usual case: only the last turn is estimated), without
// one (a run's first call estimates everything), and, as the baseline to compare with,
// json.Marshal of the same request (which every call pays anyway on the wire).
func BenchmarkEstimateRequestTokens(b *testing.B) {
	req := longRequest()
	base := llm.Baseline{Messages: len(req.Messages) - 1, InputTokens: 600_000, LastBytes: llm.MessageBytes(req.Messages[len(req.Messages)-2])}
	b.Run("with-baseline", func(b *testing.B) {
		for b.Loop() {
			llm.EstimateRequestTokens(req, base)
		}
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			llm.EstimateRequestTokens(req, llm.Baseline{})
		}
	})
	b.Run("baseline-json-marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
