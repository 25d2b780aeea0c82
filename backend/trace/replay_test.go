package trace_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/trace"
)

// TestReplayerRerunsARun records a run, then runs the same prompt again in
// another journal with the Replayer as its model, fed from the exported
// file: no model is called, the tools run again, and the new run records the
// same model responses and the same steps.
func TestReplayerRerunsARun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openJournal(t)
	orig := recordRun(t, src, helloScript, "say hi in a file")
	b, err := trace.LoadRun(ctx, src, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	file, _, err := trace.Read(bytes.NewReader(exportFile(t, b, trace.FormatJSON)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := trace.ReplayerFor(file, "")
	if err != nil {
		t.Fatalf("ReplayerFor() = %v", err)
	}
	if rep.Turns() != 3 {
		t.Errorf("Turns() = %d, want 3", rep.Turns())
	}

	dst := openJournal(t)
	r := newRunner(dst, rep)
	ws := t.TempDir()
	run, err := r.Start(ctx, agent.StartRequest{Prompt: "say hi in a file", Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Drive(ctx, run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(replay) = %s, %v; want completed", got.Status, err)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "hello.txt")); err != nil || len(data) == 0 {
		t.Errorf("the replayed run's write tool did not run: %v", err)
	}
	origSteps, _ := src.Steps(ctx, orig.ID)
	newSteps, _ := dst.Steps(ctx, run.ID)
	if len(newSteps) != len(origSteps) {
		t.Fatalf("replay has %d steps, want %d", len(newSteps), len(origSteps))
	}
	for i, st := range newSteps {
		o := origSteps[i]
		if st.Kind != o.Kind || st.Name != o.Name {
			t.Errorf("step %d = %s %s, want %s %s", st.Seq, st.Kind, st.Name, o.Kind, o.Name)
		}
		if st.Kind == record.KindLLM && !bytes.Equal(st.Output, o.Output) {
			t.Errorf("step %d model response = %s, want the recorded %s", st.Seq, st.Output, o.Output)
		}
	}
}

func TestReplayerTurns(t *testing.T) {
	t.Parallel()
	steps := testSteps()
	rep, err := trace.NewReplayer(steps)
	if err != nil {
		t.Fatal(err)
	}
	prompt := llm.UserText("fix it")
	history := []llm.Message{llm.UserText("earlier"), {Role: llm.RoleAssistant, Content: []llm.Block{llm.TextBlock("ok")}}}
	first := append(append([]llm.Message(nil), history...), prompt)
	second := append(append([]llm.Message(nil), first...),
		llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.TextBlock("Running.")}},
		llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock("toolu_1", "x", false)}})
	tests := []struct {
		name    string
		msgs    []llm.Message
		wantID  string
		wantErr error
	}{
		{"first turn after history", first, "msg_1", nil},
		{"second turn", second, "msg_2", nil},
		{"past the record", append(append([]llm.Message(nil), second...),
			llm.Message{Role: llm.RoleAssistant, Content: []llm.Block{llm.TextBlock("Tests fail.")}},
			llm.Message{Role: llm.RoleUser, Content: []llm.Block{llm.ToolResultBlock("t", "x", false)}}), "", trace.ErrReplayExhausted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var deltas []string
			resp, err := rep.Stream(context.Background(), llm.Request{Messages: tc.msgs}, func(e llm.Event) {
				if d, ok := e.(llm.TextDelta); ok {
					deltas = append(deltas, d.Text)
				}
			})
			if !errors.Is(err, tc.wantErr) || resp.ID != tc.wantID {
				t.Fatalf("Stream() = %q, %v; want %q, %v", resp.ID, err, tc.wantID, tc.wantErr)
			}
			if tc.wantErr == nil && (len(deltas) != 1 || deltas[0] != resp.Text()) {
				t.Errorf("deltas = %q, want the response text %q", deltas, resp.Text())
			}
		})
	}
	if _, err := trace.NewReplayer(steps[:1]); err == nil {
		t.Errorf("NewReplayer(no model calls) = nil, want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rep.Stream(ctx, llm.Request{Messages: first}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Stream(cancelled) = %v, want context.Canceled", err)
	}
}
