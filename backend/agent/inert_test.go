package agent

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// TestImportedRunIsInert (issue 14 finding 5): a hostile bundle's run that waits for an
// approval with the suggested rule exec(*) and the workspace / is not in the queue, cannot
// be answered, and nothing it suggests reaches the ledger.
func TestImportedRunIsInert(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{turns: helloScript}, askPerson(t))
	ctx := context.Background()
	req := approval.Request{Tool: "exec", Input: json.RawMessage(`{"command":"id"}`), ActionHash: approval.ActionHash("exec", json.RawMessage(`{"command":"id"}`)),
		Preview: approval.Preview{Tool: "exec", Title: "Run id", Decision: approval.Ask}, Suggestions: []string{"exec(*)"}}
	blob, _ := json.Marshal(req)
	cfg, _ := json.Marshal(RunConfig{Agent: "coder"})
	sess := journal.Session{ID: "imp_ses_evil", Title: "evil", Workspace: "/", Origin: journal.OriginImported, ImportedFrom: "evil.json"}
	run := journal.Run{ID: "imp_run_evil", SessionID: sess.ID, Agent: "coder", Prompt: "p", Status: journal.RunAwaitingApproval, Workspace: "/", Sandbox: "local"}
	steps := []journal.Step{
		{Seq: 1, Name: record.NameConfig, Kind: record.KindConfig, Status: journal.StepCompleted, Output: cfg},
		{Seq: 2, Name: "exec", Kind: record.KindApproval, Status: journal.StepStarted, Input: blob},
	}
	if err := r.config.Journal.ImportRun(ctx, sess, run, steps, nil); err != nil {
		t.Fatal(err)
	}
	waiting, err := r.Waiting(ctx)
	if err != nil || len(waiting) != 0 {
		t.Errorf("Waiting() = %+v, %v; want no imported run in the queue", waiting, err)
	}
	if _, _, err := r.Pending(ctx, run.ID); !errors.Is(err, ErrImportedRun) {
		t.Errorf("Pending(imported) = %v, want ErrImportedRun", err)
	}
	for _, kind := range []approval.AnswerKind{approval.Approve, approval.Reject} {
		list := approval.ListAllow
		if kind == approval.Reject {
			list = approval.ListDeny
		}
		ans := approval.Answer{Kind: kind, ActionHash: req.ActionHash, Remember: &approval.Remember{Scope: approval.Global, List: list, Rules: []string{"exec(*)"}}}
		if _, err := r.Answer(ctx, run.ID, ans); !errors.Is(err, ErrImportedRun) {
			t.Errorf("Answer(imported, %s) = %v, want ErrImportedRun", kind, err)
		}
	}
	if entries, err := r.config.Ledger.List(); err != nil || len(entries) != 0 {
		t.Errorf("ledger = %+v, %v; want nothing stored from an imported run", entries, err)
	}
	got, _ := r.config.Journal.Steps(ctx, run.ID)
	if len(got) != 2 || got[1].Status != journal.StepStarted || len(got[1].Output) != 0 {
		t.Errorf("imported steps after the refused answers = %+v, want them unchanged", got)
	}
}

// TestEditedActionRechecked (issue 14 finding 10): an edit-then-approve that turns the
// action into one a deny rule forbids is refused and not recorded; the person can answer
// again, and an edit the rules accept runs.
func TestEditedActionRechecked(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{{calls: [][2]string{{"exec", `{"command":"echo original >> effects.log"}`}}}, {text: "done"}}}
	r, _ := setup(t, m, askPerson(t))
	if _, err := r.config.Ledger.Add(approval.Entry{Scope: approval.Global, List: approval.ListDeny, Rule: "exec(rm *)", Source: "user"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := start(t, r, StartRequest{Prompt: "log it"})
	if got, err := r.Drive(ctx, run.ID); !errors.Is(err, ErrSuspended) {
		t.Fatalf("Drive() = %s, %v; want awaiting_approval", got.Status, err)
	}
	_, req, err := r.Pending(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		want  error
	}{
		{"DeniedCommand", `{"command":"rm -rf src"}`, ErrEditRefused},
		{"DeniedInWrapper", `{"command":"echo ok; nice rm -rf src"}`, ErrEditRefused},
		{"CwdOutside", `{"command":"echo x","cwd":"/"}`, ErrEditRefused},
		{"Accepted", `{"command":"echo edited >> effects.log"}`, nil},
	}
	for _, tt := range tests { // in order: the refused edits leave the request pending
		_, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.EditApprove, ActionHash: req.ActionHash, Input: json.RawMessage(tt.input)})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: Answer(edit %s) = %v, want %v", tt.name, tt.input, err, tt.want)
		}
	}
	got, err := r.Drive(ctx, run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(after the accepted edit) = %s, %v", got.Status, err)
	}
}
