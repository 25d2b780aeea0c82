package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

func TestTracesExportImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func() *journal.Journal {
		j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
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
