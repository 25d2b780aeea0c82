package trace_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// TestRoundTrip records real runs with the agent in a temp journal, exports
// them, imports the file into a fresh journal in another temp dir, and
// compares the traces: equal but for the remapped run and session ids (and
// the times, which the journal's existing methods stamp anew).
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	src := openJournal(t)
	runs := map[string]journal.Run{
		"completed with tool errors": recordRun(t, src, helloScript, "say hi in a file"),
		"paused model call":          recordRun(t, src, failScript, "look around"),
		"resumed after a cancel":     recordResumedRun(t, src, helloScript, "say hi in a file"),
	}
	for name, run := range runs {
		for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP} {
			t.Run(name+"/"+string(format), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				b, err := trace.LoadRun(ctx, src, run.ID)
				if err != nil {
					t.Fatalf("LoadRun() = %v", err)
				}
				var file bytes.Buffer
				if err := trace.Export(&file, b, format, trace.Options{}); err != nil {
					t.Fatalf("Export(%s) = %v", format, err)
				}
				dst := openJournal(t)
				imp, err := trace.Import(ctx, bytes.NewReader(file.Bytes()), journalSink{dst})
				if err != nil {
					t.Fatalf("Import(%s) = %v", format, err)
				}
				if imp.Format != format || len(imp.Runs) != 1 || !trace.IsImported(imp.Runs[0].ID) || !trace.IsImported(imp.Session.ID) {
					t.Fatalf("Import(%s) = %+v, want one imported run", format, imp)
				}
				want, err := trace.Load(ctx, src, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				got, err := trace.Load(ctx, dst, imp.Runs[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(b.Runs[0].Resumes); n != countKind(want, trace.KindResume) || (name == "resumed after a cancel") != (n == 1) {
					t.Errorf("run %q has %d resumes, %d resume spans", name, n, countKind(want, trace.KindResume))
				}
				if diff := cmp.Diff(normalize(want, true), normalize(got, true)); diff != "" {
					t.Errorf("imported trace differs (-original +imported):\n%s", diff)
				}
				if got.ID != want.ID || got.Spans[1].ID != want.Spans[1].ID {
					t.Errorf("imported trace id %s span %s, want the original's %s %s", got.ID, got.Spans[1].ID, want.ID, want.Spans[1].ID)
				}
				sess, err := dst.Session(ctx, imp.Session.ID)
				if err != nil || sess.Title != trace.ImportedTitle+"say hi in a file" && sess.Title != trace.ImportedTitle+"look around" {
					t.Errorf("imported session = %+v, %v; want the original title marked imported", sess, err)
				}
				// Importing the same file again finds it there instead of duplicating it.
				if _, err := trace.Import(ctx, bytes.NewReader(file.Bytes()), journalSink{dst}); err == nil {
					t.Errorf("second Import(%s) = nil, want an error (the run exists)", format)
				}
			})
		}
	}
}

// TestRoundTripExact imports into a sink that keeps everything, so the
// traces must be equal with their times, statuses and attempts.
func TestRoundTripExact(t *testing.T) {
	t.Parallel()
	src := openJournal(t)
	run := recordRun(t, src, helloScript, "say hi in a file")
	ctx := context.Background()
	b, err := trace.LoadRun(ctx, src, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Add what an agent run rarely shows: a step cut off by a crash, and one
	// resolved after an interruption with a second attempt.
	h := &b.Runs[0]
	h.Steps[2].Attempt, h.Steps[2].Resolution = 2, journal.ActionRerun
	last := h.Steps[len(h.Steps)-1]
	cut := journal.Step{RunID: run.ID, Seq: last.Seq + 1, Name: "exec", Kind: "tool", Status: journal.StepStarted,
		Attempt: 1, Input: []byte(`{"command":"sleep 1"}`), StartedAt: last.FinishedAt}
	h.Steps = append(h.Steps, cut)
	h.Run.Status = journal.RunInterrupted
	// And resumes: after a crash, and after the cut-off step's predecessor.
	h.Resumes = []journal.Resume{
		{RunID: run.ID, N: 1, At: h.Steps[2].StartedAt, AfterSeq: 2, Reason: "interrupted"},
		{RunID: run.ID, N: 2, At: last.FinishedAt, AfterSeq: last.Seq, Reason: "cancelled"},
	}

	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			var file bytes.Buffer
			if err := trace.Export(&file, b, format, trace.Options{}); err != nil {
				t.Fatalf("Export() = %v", err)
			}
			sink := &memSink{}
			if _, err := trace.Import(ctx, &file, sink); err != nil {
				t.Fatalf("Import() = %v", err)
			}
			want, err := h.Trace()
			if err != nil {
				t.Fatal(err)
			}
			got, err := sink.runs[0].Trace()
			if err != nil {
				t.Fatal(err)
			}
			if countKind(got, trace.KindResume) != 2 {
				t.Errorf("imported trace has %d resume spans, want 2", countKind(got, trace.KindResume))
			}
			if diff := cmp.Diff(normalize(want, false), normalize(got, false)); diff != "" {
				t.Errorf("imported trace differs (-original +imported):\n%s", diff)
			}
			for i, st := range sink.runs[0].Steps {
				o := h.Steps[i]
				if !st.StartedAt.Equal(o.StartedAt) || !st.FinishedAt.Equal(o.FinishedAt) || st.Status != o.Status ||
					st.Attempt != o.Attempt || st.Resolution != o.Resolution || !bytes.Equal(st.Input, o.Input) || !bytes.Equal(st.Output, o.Output) {
					t.Errorf("imported step %d = %+v, want %+v", st.Seq, st, o)
				}
			}
		})
	}
}

// TestExportStable checks that the same run exports to the same bytes.
func TestExportStable(t *testing.T) {
	t.Parallel()
	src := openJournal(t)
	run := recordRun(t, src, helloScript, "say hi in a file")
	b, err := trace.LoadRun(context.Background(), src, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
		var one, two bytes.Buffer
		opts := trace.Options{Now: func() time.Time { return b.Session.CreatedAt }}
		if err := trace.Export(&one, b, format, opts); err != nil {
			t.Fatal(err)
		}
		if err := trace.Export(&two, b, format, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Errorf("Export(%s) twice gave different bytes", format)
		}
	}
}

// countKind counts a trace's spans of a kind.
func countKind(tr trace.Trace, kind trace.SpanKind) int {
	n := 0
	for _, s := range tr.Spans {
		if s.Kind == kind {
			n++
		}
	}
	return n
}
