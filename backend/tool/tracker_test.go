package tool_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/tool"
)

// fakeTracker answers what it was given and counts the questions.
type fakeTracker struct {
	changes []tool.FileChange
	err     error
	asked   int
}

func (f *fakeTracker) Changed(context.Context) ([]tool.FileChange, error) {
	f.asked++
	return f.changes, f.err
}

// TestExecAsksTracker checks that exec reports a tracker's changes, less what its own walk
// would skip (version-control folders, ignored paths), and says when the tracker failed.
func TestExecAsksTracker(t *testing.T) {
	t.Parallel()
	all := []tool.FileChange{
		{Path: ".git/HEAD", Op: tool.OpModified, Bytes: 20},
		{Path: "a.txt", Op: tool.OpModified, Bytes: 4},
		{Path: "build/out.o", Op: tool.OpCreated, Bytes: 9},
		{Path: "src/.hg/x", Op: tool.OpCreated, Bytes: 1},
		{Path: "src/main.go", Op: tool.OpCreated, Bytes: 12},
		{Path: "src/gen.tmp", Op: tool.OpCreated, Bytes: 3},
		{Path: "z.txt", Op: tool.OpDeleted},
	}
	tests := []struct {
		name      string
		tracker   *fakeTracker
		want      []tool.FileChange
		untracked string
	}{
		{name: "Filtered", tracker: &fakeTracker{changes: all}, want: []tool.FileChange{
			{Path: "a.txt", Op: tool.OpModified, Bytes: 4},
			{Path: "src/main.go", Op: tool.OpCreated, Bytes: 12},
			{Path: "z.txt", Op: tool.OpDeleted},
		}},
		{name: "Nothing", tracker: &fakeTracker{}},
		{name: "Failed", tracker: &fakeTracker{err: errors.New("disk gone")}, untracked: "disk gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.file(t, ".gitignore", "build/\n")
			b.file(t, "src/.ignore", "*.tmp\n")
			b.file(t, "a.txt", "one\n")
			ctx := tool.WithTracker(t.Context(), tt.tracker)
			res, err := (&tool.Exec{}).Run(ctx, b.sb, []byte(`{"command":"true"}`))
			if err != nil {
				t.Fatalf("Run() = %v", err)
			}
			if tt.tracker.asked != 1 {
				t.Errorf("the tracker was asked %d times, want 1", tt.tracker.asked)
			}
			if tt.untracked != "" {
				if res.Meta.ChangesTracked || !strings.Contains(res.Meta.Untracked, tt.untracked) {
					t.Errorf("Meta = tracked %v, untracked %q; want untracked with %q", res.Meta.ChangesTracked, res.Meta.Untracked, tt.untracked)
				}
				return
			}
			if d := cmp.Diff(tt.want, res.Meta.Changed); d != "" || !res.Meta.ChangesTracked {
				t.Errorf("Meta.Changed (-want +got):\n%s (tracked %v)", d, res.Meta.ChangesTracked)
			}
		})
	}
}
