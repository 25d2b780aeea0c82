package tool_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// checker is what write and edit offer for a call a crash cut off.
type checker interface {
	Check(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (tool.Check, error)
}

// Check tells from the workspace whether a cut-off write or edit took effect.
func TestCheckCutOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tool   checker
		file   string // content of f.txt before the check; "" means no file
		input  string
		want   tool.Verdict
		reason string
	}{
		{"write done", &tool.Write{}, "hello\n", `{"path":"f.txt","content":"hello\n"}`, tool.VerdictDone, "already holds the intended content"},
		{"write not begun", &tool.Write{}, "", `{"path":"f.txt","content":"hello\n"}`, tool.VerdictRerun, "does not exist"},
		{"write half done", &tool.Write{}, "hel", `{"path":"f.txt","content":"hello\n"}`, tool.VerdictRerun, "does not hold the intended content"},
		{"edit done", &tool.Edit{}, "beta\n", `{"path":"f.txt","old_string":"alpha","new_string":"beta"}`, tool.VerdictDone, "shows the replacement and not the original"},
		{"edit not done", &tool.Edit{}, "alpha\n", `{"path":"f.txt","old_string":"alpha","new_string":"beta"}`, tool.VerdictRerun, "still shows the original"},
		{"edit shows neither", &tool.Edit{}, "gamma\n", `{"path":"f.txt","old_string":"alpha","new_string":"beta"}`, tool.VerdictAsk, "neither"},
		{"edit whose replacement holds the original", &tool.Edit{}, "alpha beta\n", `{"path":"f.txt","old_string":"alpha","new_string":"alpha beta"}`, tool.VerdictAsk, "cannot show"},
		{"edit of a missing file", &tool.Edit{}, "", `{"path":"f.txt","old_string":"alpha","new_string":"beta"}`, tool.VerdictRerun, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.file != "" {
				b.file(t, "f.txt", tt.file)
			}
			got, err := tt.tool.Check(context.Background(), b.sb, json.RawMessage(tt.input))
			if err != nil || got.Verdict != tt.want || !strings.Contains(got.Reason, tt.reason) {
				t.Fatalf("Check(%s) = %s (%q), %v; want %s with %q", tt.input, got.Verdict, got.Reason, err, tt.want, tt.reason)
			}
			if tt.want == tool.VerdictDone && (got.Result.IsError || got.Result.Meta.Resolved == "" || got.Result.Content == "") {
				t.Errorf("Check(%s) result = %+v; want a result that says it was resolved", tt.input, got.Result)
			}
			if after := b.read(t, "f.txt"); tt.file != "" && after != tt.file {
				t.Errorf("Check changed f.txt to %q", after)
			}
		})
	}
}
