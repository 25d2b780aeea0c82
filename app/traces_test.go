package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

func TestTracesExportImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func() *journal.Journal {
		return openJournal(t, "")
	}
	src, dst := open(), open()
	if _, err := src.CreateSession(ctx, journal.Session{ID: "ses_1", Title: "t", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cfg := `{"agent":"coder","provider":"demo","model":"corral-demo","system":"s","tools":[],"max_steps":5,"max_tokens":100,"sandbox":"local"}`
	if _, err := src.CreateRunWithStep(ctx, journal.Run{ID: "run_1", SessionID: "ses_1", Agent: "coder", Prompt: "hi", Status: journal.RunCompleted},
		journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}, journal.StepResult{Output: []byte(cfg)}); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Record(ctx, "run_1", 2, journal.StepSpec{Name: "model", Kind: "llm", Idempotent: true, Input: []byte(`{"model":"corral-demo","messages":1,"tools":0}`)},
		journal.StepResult{Output: []byte(`{"content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`)}); err != nil {
		t.Fatal(err)
	}

	exp := &Traces{journal: src}
	html, err := exp.Export("run_1", "html", false)
	if err != nil || html.Type != "text/html" || !strings.Contains(html.Content, "hello") {
		t.Fatalf("Export(html) = %s %d bytes, %v; want the report with the transcript", html.Type, len(html.Content), err)
	}
	bundle, err := exp.Export("run_1", "json", false)
	if err != nil || !strings.HasSuffix(bundle.Name, ".json") {
		t.Fatalf("Export(json) = %+v, %v", bundle.Name, err)
	}

	imp := &Traces{journal: dst}
	if _, err := imp.Import("junk.json", `{"format":"corral.trace","version":1,"runs":[{"run":7}]}`); err == nil {
		t.Error("Import(hostile file) = nil error, want a clear error")
	}
	if sessions, _ := dst.Sessions(ctx); len(sessions) != 0 {
		t.Fatalf("a failed import left %d sessions", len(sessions))
	}
	got, err := imp.Import("trace.json", bundle.Content)
	if err != nil || len(got.RunIDs) != 1 || !strings.HasPrefix(got.RunIDs[0], "imp_") {
		t.Fatalf("Import() = %+v, %v; want one imported run", got, err)
	}
	steps, err := dst.Steps(ctx, got.RunIDs[0])
	if err != nil || len(steps) != 2 || steps[1].Kind != "llm" {
		t.Errorf("imported steps = %d, %v; want the config and the model call", len(steps), err)
	}
}

// TestTracesTrace checks the model the window draws: the run span first, one span per step
// with the journal's facts in attributes, a tool call linked to the model call that asked
// for it, and the command it ran as a child span.
func TestTracesTrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "ses_1", Title: "t", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cfg := `{"agent":"coder","provider":"demo","model":"corral-demo","system":"s","tools":["exec"],"max_steps":5,"max_tokens":100,"sandbox":"local"}`
	if _, err := j.CreateRunWithStep(ctx, journal.Run{ID: "run_1", SessionID: "ses_1", Agent: "coder", Prompt: "hi", Status: journal.RunRunning},
		journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}, journal.StepResult{Output: []byte(cfg)}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		spec journal.StepSpec
		out  string
	}{
		{journal.StepSpec{Name: "model", Kind: "llm", Idempotent: true, Input: []byte(`{"model":"corral-demo","messages":1,"tools":1}`)},
			`{"content":[{"type":"tool_use","id":"toolu_1","name":"exec","input":{"command":"false"}}],"stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":1}}`},
		{journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"command":"false"}`)},
			`{"content":"Exit code: 1","is_error":false,"meta":{"exit_code":1,"duration_ms":4}}`},
	}
	for i, st := range steps {
		if _, err := j.Record(ctx, "run_1", i+2, st.spec, journal.StepResult{Output: []byte(st.out)}); err != nil {
			t.Fatal(err)
		}
	}

	tr, err := (&Traces{journal: j}).Trace("run_1")
	if err != nil {
		t.Fatalf("Trace() error = %v", err)
	}
	var kinds []string
	for _, s := range tr.Spans {
		kinds = append(kinds, string(s.Kind))
	}
	if got, want := strings.Join(kinds, ","), "run,config,llm,tool,command"; got != want {
		t.Fatalf("span kinds = %s, want %s", got, want)
	}
	model, call, cmd := tr.Spans[2], tr.Spans[3], tr.Spans[4]
	if call.RequestedBy != model.ID || call.Seq != 3 || cmd.ParentID != call.ID {
		t.Errorf("links: tool requested_by %q (model %q), seq %d; command parent %q (tool %q)", call.RequestedBy, model.ID, call.Seq, cmd.ParentID, call.ID)
	}
	if call.Attributes["corral.step.status"] != "completed" || cmd.Attributes["process.exit.code"] != int64(1) {
		t.Errorf("attributes: step status %v, exit code %v", call.Attributes["corral.step.status"], cmd.Attributes["process.exit.code"])
	}
	if tr.Run.Status != journal.RunRunning || !tr.Spans[0].End.IsZero() {
		t.Errorf("run %s ends %v; a running run's span has no end yet", tr.Run.Status, tr.Spans[0].End)
	}

	if _, err := (&Traces{journal: j}).Trace("run_missing"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Trace(missing run) error = %v, want journal.ErrNotFound", err)
	}
}
