package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// TestFileDiff: several writes of one file in a run are one net diff from before the run,
// with the steps that made it; with now, the diff goes to the file as the workspace holds
// it (changed since the run); a file the run made is created, one it left alone unchanged.
func TestFileDiff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dd := t.TempDir()
	j := openJournal(t, dd)
	store, err := checkpoint.Open(dd, j, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	put := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("a.txt", "one\ntwo\n")
	put("c.txt", "keep\n")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	run, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1", Agent: "coder", Prompt: "p", Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	// Steps 2, 3 and 4 write a.txt twice and make b.txt, each between its checkpoints.
	for _, w := range []struct {
		seq           int
		name, content string
		created       bool
	}{{2, "a.txt", "one\n2\n", false}, {3, "a.txt", "ONE\n2\n", false}, {4, "b.txt", "new\n", true}} {
		if _, err := store.Take(ctx, checkpoint.Point{RunID: run.ID, Seq: w.seq, Phase: journal.PhaseBefore, Workspace: ws}); err != nil {
			t.Fatal(err)
		}
		put(w.name, w.content)
		in := fmt.Sprintf(`{"path":%q,"content":%q}`, w.name, w.content)
		out := fmt.Sprintf(`{"content":"wrote","meta":{"path":%q,"bytes":%d,"created":%v}}`, w.name, len(w.content), w.created)
		if _, err := j.Step(ctx, run.ID, w.seq, journal.StepSpec{Name: "write", Kind: "tool", Input: []byte(in)}, func(context.Context) (journal.StepResult, error) {
			return journal.StepResult{Output: []byte(out)}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Take(ctx, checkpoint.Point{RunID: run.ID, Seq: w.seq, Phase: journal.PhaseAfter, Workspace: ws}); err != nil {
			t.Fatal(err)
		}
	}
	put("a.txt", "ONE\n2\nthree\n") // after the run

	w := &Workspace{journal: j, checkpoints: store}
	tests := []struct {
		name      string
		path      string
		now       bool
		op        string
		steps     []int
		has, lack []string
	}{
		{"Two writes are one diff", "a.txt", false, "modified", []int{2, 3}, []string{"-one", "-two", "+ONE", "+2"}, []string{"three", "+one"}},
		{"Now includes what came after", "a.txt", true, "modified", []int{2, 3}, []string{"-one", "+ONE", "+three"}, nil},
		{"A new file", "b.txt", false, "created", []int{4}, []string{"--- /dev/null", "+new"}, nil},
		{"A file left alone", "c.txt", true, "unchanged", []int{}, nil, []string{"keep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.FileDiff(run.ID, tt.path, tt.now)
			if err != nil {
				t.Fatalf("FileDiff(%s, now=%v) = %v", tt.path, tt.now, err)
			}
			if got.Op != tt.op || !slices.Equal(got.Steps, tt.steps) {
				t.Errorf("FileDiff(%s, now=%v) = op %q, steps %v; want %q, %v", tt.path, tt.now, got.Op, got.Steps, tt.op, tt.steps)
			}
			for _, s := range tt.has {
				if !strings.Contains(got.Diff, s) {
					t.Errorf("FileDiff(%s, now=%v).Diff lacks %q:\n%s", tt.path, tt.now, s, got.Diff)
				}
			}
			for _, s := range tt.lack {
				if strings.Contains(got.Diff, s) {
					t.Errorf("FileDiff(%s, now=%v).Diff has %q:\n%s", tt.path, tt.now, s, got.Diff)
				}
			}
		})
	}

	none, err := (&Workspace{journal: j}).FileDiff(run.ID, "a.txt", false)
	if err != nil || none.Diff != "" || !strings.Contains(none.Note, "no checkpoints") || !slices.Equal(none.Steps, []int{2, 3}) {
		t.Errorf("FileDiff without checkpoints = %+v, %v; want no diff, a note and the steps", none, err)
	}
}
