package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
)

// keptByHash is a KeptAnswers approver for tests: the answers a person gave in one dialog,
// by action hash; anything else waits.
type keptByHash map[string]approval.Answer

func (keptByHash) Kept() {}

func (k keptByHash) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	a, ok := k[req.ActionHash]
	if !ok {
		return approval.Answer{}, ErrNoAnswer
	}
	delete(k, req.ActionHash)
	return a, nil
}

// fourEdits is one model turn with four file calls (two edits of a.txt) and a command
// between them, then a closing turn.
var fourEdits = []turn{
	{text: "Four changes.", calls: [][2]string{
		{"edit", `{"path":"a.txt","old_string":"one","new_string":"two"}`},
		{"edit", `{"path":"a.txt","old_string":"two","new_string":"three"}`},
		{"exec", `{"command":"true"}`},
		{"write", `{"path":"b.txt","content":"bee\n"}`},
		{"edit", `{"path":"c.txt","old_string":"sea","new_string":"see"}`},
	}},
	{text: "done"},
}

// TestTurn: Turn lists the waiting call with the turn's later writes and edits (not the
// command), the second edit of a.txt previewed against the first's result; kept answers
// answer the later calls as the gate reaches them, and a kept answer for another hash
// leaves its call asking again.
func TestTurn(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: fourEdits}
	r, _ := setup(t, m, askPerson(t))
	ctx := context.Background()
	ws := t.TempDir()
	for name, text := range map[string]string{"a.txt": "one\n", "c.txt": "sea\n"} {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := start(t, r, StartRequest{Prompt: "change them", Workspace: ws})
	if got, err := r.Drive(ctx, run.ID); !errors.Is(err, ErrSuspended) {
		t.Fatalf("Drive() = %s, %v; want it waiting", got.Status, err)
	}
	tr, err := r.Turn(ctx, run.ID)
	if err != nil {
		t.Fatalf("Turn() = %v", err)
	}
	var got []string
	for _, c := range tr.Calls {
		got = append(got, c.Request.Preview.Title)
	}
	want := []string{"Edit a.txt (+1 -1)", "Edit a.txt (+1 -1)", "Create b.txt (+1 -0)", "Edit c.txt (+1 -1)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Turn() titles = %q, want %q", got, want)
	}
	if tr.Calls[0].Seq == 0 || tr.Calls[1].Seq != 0 || tr.Calls[0].Index != 0 || tr.Calls[3].Index != 4 || tr.Calls[3].ToolUseID != "toolu_a4" {
		t.Errorf("Turn() calls = %+v; want the waiting one with its seq, the later ones by their index in the turn", tr.Calls)
	}
	second := tr.Calls[1].Request.Preview.File
	if second == nil || second.Problem != "" || !strings.Contains(fmtHunks(second), "-two") || !strings.Contains(fmtHunks(second), "+three") {
		t.Errorf("second edit of a.txt previewed as %+v; want it against the first's result (two -> three)", second)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "a.txt")); string(b) != "one\n" {
		t.Errorf("a.txt = %q after Turn, want it untouched", b)
	}

	// The person answers in one dialog: the first now, the second and third kept; the
	// fourth's kept answer names another action, so it asks again.
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: tr.Calls[0].Request.ActionHash, By: "test"}); err != nil {
		t.Fatalf("Answer(first) = %v", err)
	}
	kept := keptByHash{
		tr.Calls[1].Request.ActionHash: {Kind: approval.Approve, ActionHash: tr.Calls[1].Request.ActionHash, By: "test"},
		tr.Calls[2].Request.ActionHash: {Kind: approval.Reject, ActionHash: tr.Calls[2].Request.ActionHash, Message: "no b.txt please", By: "test"},
		"another-action":               {Kind: approval.Approve, ActionHash: "another-action", By: "test"},
	}
	// The command between them is approved as any other waiting call.
	dr, err := r.Drive(ctx, run.ID, WithApprover(kept))
	if !errors.Is(err, ErrSuspended) {
		t.Fatalf("Drive(kept answers) = %s, %v; want it waiting for the command", dr.Status, err)
	}
	_, req, err := r.Pending(ctx, run.ID)
	if err != nil || req.Tool != "exec" {
		t.Fatalf("Pending() = %s, %v; want the command between the edits", req.Tool, err)
	}
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if dr, err = r.Drive(ctx, run.ID, WithApprover(kept)); !errors.Is(err, ErrSuspended) {
		t.Fatalf("Drive() = %s, %v; want it waiting for the call whose kept answer names another action", dr.Status, err)
	}
	if _, req, err = r.Pending(ctx, run.ID); err != nil || req.ActionHash != tr.Calls[3].Request.ActionHash {
		t.Fatalf("Pending() = %s, %v; want the edit of c.txt", req.Preview.Title, err)
	}
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if dr, err = r.Drive(ctx, run.ID, WithApprover(kept)); err != nil || dr.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want it completed", dr.Status, err)
	}
	for name, want := range map[string]string{"a.txt": "three\n", "c.txt": "see\n"} {
		if b, _ := os.ReadFile(filepath.Join(ws, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "b.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("b.txt exists (%v), want the denied write not done", err)
	}
	reqs := m.calls()
	last := reqs[len(reqs)-1].Messages
	results := last[len(last)-1].Content
	if len(results) != 5 || !results[3].IsError || !strings.Contains(results[3].Content, "no b.txt please") || results[1].IsError {
		t.Errorf("the model's next request has results %+v; want five, the write denied with the message", results)
	}
}

// fmtHunks renders a file preview's diff lines as "-old"/"+new" lines.
func fmtHunks(f *approval.FilePreview) string {
	var b strings.Builder
	for _, h := range f.Diff.Hunks {
		for _, l := range h.Lines {
			b.WriteString(string(l.Op) + l.Text + "\n")
		}
	}
	return b.String()
}

// TestKeptAnswerRefusedAsks: a kept answer Answer refuses (here, for another action than
// the one it is handed for) is no failure of the run: the call waits for a person.
func TestKeptAnswerRefusedAsks(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{{calls: [][2]string{{"write", `{"path":"a.txt","content":"a\n"}`}}}, {text: "done"}}}
	r, _ := setup(t, m, askPerson(t))
	ctx := context.Background()
	run := start(t, r, StartRequest{Prompt: "write it"})
	stale := answerAs(func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Approve, ActionHash: "not-" + req.ActionHash, By: "test"}
	})
	got, err := r.Drive(ctx, run.ID, WithApprover(stale))
	if !errors.Is(err, ErrSuspended) || got.Status != journal.RunAwaitingApproval {
		t.Fatalf("Drive(stale kept answer) = %s, %v; want the run waiting for a person", got.Status, err)
	}
	if _, req, err := r.Pending(ctx, run.ID); err != nil || req.Tool != "write" {
		t.Errorf("Pending() = %s, %v; want the write waiting", req.Tool, err)
	}
}

// answerAs is a KeptAnswers approver answering every request with fn's answer as it is.
type answerAs func(req approval.Request) approval.Answer

func (answerAs) Kept() {}

func (f answerAs) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	return f(req), nil
}
