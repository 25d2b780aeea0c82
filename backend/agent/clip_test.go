package agent

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/llm"
)

func TestClipResult(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("line ünïcödé of output\n", 2000) // 50 KB
	for _, tc := range []struct {
		name, tool, content string
		budget              int
		clipped             bool
		how                 string
	}{
		{"fits", "exec", "short", 2048, false, ""},
		{"no budget (window unknown)", "exec", long, 0, false, ""},
		{"read pages", "read", long, 4096, true, "read the file in pages (read with offset and limit)"},
		{"exec narrows", "exec", long, 4096, true, "redirected to a file that you read in pages"},
		{"grep narrows", "grep", long, 4096, true, "narrow the pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := clipResult(tc.tool, tc.content, tc.budget)
			if !tc.clipped {
				if got != tc.content {
					t.Fatalf("clipResult(%s, %d bytes, %d) changed a result that fits", tc.tool, len(tc.content), tc.budget)
				}
				return
			}
			if len(got) > tc.budget+400 || !strings.Contains(got, tc.how) || !strings.Contains(got, "Corral clipped this result") {
				t.Errorf("clipResult(%s, %d bytes, %d) = %d bytes, note %v; want about the budget with a note saying %q", tc.tool, len(tc.content), tc.budget, len(got), strings.Contains(got, "Corral clipped"), tc.how)
			}
			if !strings.HasPrefix(got, tc.content[:100]) || !strings.HasSuffix(got, tc.content[len(tc.content)-100:]) || !utf8.ValidString(got) {
				t.Errorf("clipResult(%s) does not keep the head and tail as valid UTF-8", tc.tool)
			}
		})
	}
}

func TestCutPoint(t *testing.T) {
	t.Parallel()
	// prompt, assistant calls, results, assistant calls, results, assistant answer
	msgs := Conversation("p", nil)
	msgs = appendAssistant(msgs, assistantCall("a"))
	msgs = appendUser(msgs, resultBlock("a"))
	msgs = appendAssistant(msgs, assistantCall("b"))
	msgs = appendUser(msgs, resultBlock("b"))
	for _, tc := range []struct {
		name string
		keep int
		want int
	}{
		{"keep everything that fits after the first turn", 1 << 20, 1},
		{"nothing fits: the last boundary", 1, 3},
	} {
		if got := cutPoint(msgs, tc.keep); got != tc.want {
			t.Errorf("%s: cutPoint(keep %d) = %d, want %d", tc.name, tc.keep, got, tc.want)
		}
	}
	if got := cutPoint(msgs[:1], 10); got != 0 {
		t.Errorf("cutPoint(one message) = %d, want 0 (nothing to compact)", got)
	}
}

func assistantCall(id string) llm.Message {
	return llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.NewToolUse("toolu_"+id, "exec", `{"command":"true"}`)}}
}

func resultBlock(id string) llm.Block { return llm.ToolResultBlock("toolu_"+id, "ok", false) }
