package llmtest

import (
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

// thinkingResponse reasons, answers and calls a tool.
var thinkingResponse = llm.Response{
	ID:    "msg_thinking",
	Model: "fake-model",
	Content: []llm.Block{
		{Type: llm.BlockThinking, Thinking: "The user wants a.txt fixed.\nRead it first — “carefully” 🌍.", Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+/=="},
		{Type: llm.BlockRedactedThinking, Data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj=="},
		llm.TextBlock("I'll read it."),
		llm.NewToolUse("toolu_01", "read", `{"path":"a.txt"}`),
	},
	StopReason: llm.StopToolUse,
	Usage:      llm.Usage{InputTokens: 40, OutputTokens: 120},
}

// forProvider drops what a provider that does not sign thinking cannot
// carry: signatures and redacted thinking.
func (h Harness) forProvider(blocks []llm.Block) []llm.Block {
	if h.SignsThinking {
		return blocks
	}
	out := []llm.Block{}
	for _, b := range blocks {
		switch b.Type {
		case llm.BlockRedactedThinking:
			continue
		case llm.BlockThinking:
			b.Signature = ""
		}
		out = append(out, b)
	}
	return out
}

// testThinking: reasoning is kept apart from the answer, in order, with
// its signature, streamed as ThinkingDelta events, and sent back in the
// assistant turn unchanged where the provider requires it.
func testThinking(t *testing.T, h Harness) {
	t.Run("streamed and kept in order", func(t *testing.T) {
		t.Parallel()
		sent := thinkingResponse
		sent.Content = h.forProvider(thinkingResponse.Content)
		_, resp, rec, err := h.stream(t, Replies(h.ok(sent)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, sent)
		if got, want := rec.Thinking(), sent.Thinking(); got != want {
			t.Errorf("ThinkingDelta events = %q, want %q", got, want)
		}
		if got := rec.Text(); got != sent.Text() {
			t.Errorf("TextDelta events = %q, want only the answer %q", got, sent.Text())
		}
	})

	t.Run("sent back in the assistant turn", func(t *testing.T) {
		t.Parallel()
		srv := h.NewServer(t, Replies(h.ok(textResponse)))
		req := testRequest()
		req.Messages[1].Content = thinkingResponse.Content
		if _, err := h.NewModel(srv.BaseURL, 0).Stream(fastCtx(t), req, nil); err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		got, err := h.DecodeRequest([]byte(srv.Bodies()[0]))
		if err != nil {
			t.Fatalf("DecodeRequest() error = %v", err)
		}
		want := thinkingResponse.Content
		if !h.SignsThinking {
			// Unsigned reasoning is never sent back.
			want = want[2:]
		}
		gj, _ := json.Marshal(got.Messages[1].Content)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("assistant turn sent = %s\nwant %s", gj, wj)
		}
	})
}
