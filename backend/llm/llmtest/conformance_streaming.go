package llmtest

import (
	"reflect"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

// testStreaming: text and tool calls arrive whole whatever the deltas and
// reads, with events that spell the same turn; bad tool input is kept.
func testStreaming(t *testing.T, h Harness) {
	t.Run("plain text", func(t *testing.T) {
		t.Parallel()
		srv, resp, rec, err := h.stream(t, Replies(h.ok(textResponse)), 0)
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
		_, resp, rec, err := h.stream(t, Replies(h.ok(toolResponse)), 0)
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

	t.Run("invalid tool input is kept and marked", func(t *testing.T) {
		t.Parallel()
		for _, raw := range []string{`{"path": "a.txt", "content": "unterminated`, `[1, 2]`, `{"a":1} trailing`} {
			bad := llm.Response{ID: "msg_bad", Model: "fake-model", StopReason: llm.StopToolUse, Content: []llm.Block{
				{Type: llm.BlockToolUse, ID: "toolu_bad", Name: "write", RawInput: raw, InputError: "x"},
			}}
			_, resp, _, err := h.stream(t, Replies(h.ok(bad)), 0)
			if err != nil {
				t.Fatalf("input %q: Stream() error = %v", raw, err)
			}
			uses := resp.ToolUses()
			if len(uses) != 1 || uses[0].InputError == "" || uses[0].RawInput != raw || uses[0].Input != nil || uses[0].ID != "toolu_bad" || uses[0].Truncated {
				t.Fatalf("input %q: tool uses = %+v, want one marked block keeping the raw input", raw, uses)
			}
		}
	})
}
