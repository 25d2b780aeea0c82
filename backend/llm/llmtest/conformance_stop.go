package llmtest

import (
	"sort"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

// testStopReasons: every documented stop value is normalised and kept raw,
// and a tool call cut by the output limit is marked truncated rather than
// reported as a model mistake.
func testStopReasons(t *testing.T, h Harness) {
	if len(h.StopReasons) == 0 {
		t.Fatal("Harness.StopReasons is empty")
	}
	raws := make([]string, 0, len(h.StopReasons))
	for raw := range h.StopReasons {
		raws = append(raws, raw)
	}
	sort.Strings(raws)
	for _, raw := range raws {
		want := h.StopReasons[raw]
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			sent := textResponse
			sent.StopReason, sent.RawStopReason = want, raw
			_, resp, _, err := h.stream(t, Replies(h.ok(sent)), 0)
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			if resp.StopReason != want || resp.RawStopReason != raw {
				t.Errorf("stop %q: StopReason, RawStopReason = %q, %q; want %q, %q", raw, resp.StopReason, resp.RawStopReason, want, raw)
			}
			if resp.Text() != textResponse.Text() {
				t.Errorf("stop %q: Text() = %q, want %q", raw, resp.Text(), textResponse.Text())
			}
		})
	}

	t.Run("tool call cut by the output limit", func(t *testing.T) {
		t.Parallel()
		cut := `{"path":"dir/b.txt","content":"hél`
		sent := llm.Response{ID: "msg_cut", Model: "fake-model", StopReason: llm.StopMaxTokens, Content: []llm.Block{
			llm.TextBlock("Writing it."),
			llm.NewToolUse("toolu_01", "read", `{"path":"a.txt"}`),
			{Type: llm.BlockToolUse, ID: "toolu_02", Name: "write", RawInput: cut, InputError: "x"},
		}}
		_, resp, _, err := h.stream(t, Replies(h.ok(sent)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		uses := resp.ToolUses()
		if resp.StopReason != llm.StopMaxTokens || len(uses) != 2 {
			t.Fatalf("Stream() = %+v, want two tool calls stopped by max_tokens", resp)
		}
		if uses[0].Truncated || uses[0].InputError != "" {
			t.Errorf("first call = %+v, want it whole", uses[0])
		}
		if last := uses[1]; !last.Truncated || last.InputError != llm.TruncatedInput || last.RawInput != cut || last.Input != nil {
			t.Errorf("last call = %+v, want it marked truncated with its raw input", last)
		}
	})
}
