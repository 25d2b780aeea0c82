package trace_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// TestRestoresAreMarkers: a restore recorded in the journal is a zero-length span of the
// run's trace as the window reads it.
func TestRestoresAreMarkers(t *testing.T) {
	t.Parallel()
	j, err := journal.Open(t.Context(), filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	run := recordRun(t, j, helloScript, "say hi")
	if _, err := j.AddRestore(t.Context(), journal.Restore{RunID: run.ID, Seq: 4, Phase: journal.PhaseBefore, Target: "ckp_t", Undo: "ckp_u", Changed: 2,
		Warnings: []string{"HEAD or refs moved"}}); err != nil {
		t.Fatal(err)
	}
	tr, err := trace.Load(t.Context(), j, run.ID)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	var restores []trace.Span
	for _, s := range tr.Spans {
		if s.Kind == trace.KindRestore {
			restores = append(restores, s)
		}
	}
	if len(restores) != 1 {
		t.Fatalf("Load() has %d restore spans, want 1", len(restores))
	}
	r := restores[0]
	if r.Name != "restore to before step 4" || r.ParentID != tr.Spans[0].ID || !r.Start.Equal(r.End) ||
		r.Attributes["corral.restore.undo_checkpoint"] != "ckp_u" || r.Attributes["corral.restore.changed"] != int64(2) {
		t.Errorf("restore span = %+v, want a point named after step 4 under the root, undone by ckp_u, 2 changed", r)
	}
}

// TestRestoresTravel: an export carries a run's restores (JSON bundle, OTLP, HTML) without
// the checkpoints they name, and an import records them, so the imported trace shows them.
func TestRestoresTravel(t *testing.T) {
	t.Parallel()
	src := openJournal(t)
	run := recordRun(t, src, helloScript, "say hi")
	if _, err := src.AddRestore(t.Context(), journal.Restore{RunID: run.ID, Seq: 4, Phase: journal.PhaseAfter, Target: "ckp_t", Undo: "ckp_u", Changed: 3,
		Git: true, Warnings: []string{"HEAD or refs moved"}}); err != nil {
		t.Fatal(err)
	}
	b, err := trace.LoadRun(t.Context(), src, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			var file bytes.Buffer
			if err := trace.Export(&file, b, format, trace.Options{}); err != nil {
				t.Fatalf("Export(%s) = %v", format, err)
			}
			if strings.Contains(file.String(), "ckp_u") || strings.Contains(file.String(), "ckp_t") {
				t.Errorf("Export(%s) names this machine's checkpoints", format)
			}
			if format == trace.FormatHTML {
				if !strings.Contains(file.String(), "restore to after step 4") {
					t.Errorf("Export(html) lacks the restore")
				}
				return
			}
			dst := openJournal(t)
			imp, err := trace.Import(t.Context(), bytes.NewReader(file.Bytes()), journalSink{dst})
			if err != nil {
				t.Fatalf("Import(%s) = %v", format, err)
			}
			got, err := trace.Load(t.Context(), dst, imp.Runs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var restores []trace.Span
			for _, s := range got.Spans {
				if s.Kind == trace.KindRestore {
					restores = append(restores, s)
				}
			}
			if len(restores) != 1 {
				t.Fatalf("imported trace has %d restore spans, want 1", len(restores))
			}
			a := restores[0].Attributes
			if restores[0].Name != "restore to after step 4" || a["corral.restore.changed"] != int64(3) || a["corral.restore.git"] != true ||
				fmt.Sprint(a["corral.restore.warnings"]) != "[HEAD or refs moved]" {
				t.Errorf("imported restore span = %+v, want after step 4, 3 changed, .git, the warning", restores[0])
			}
			if n := countKind(got, trace.KindTool) + countKind(got, trace.KindModel); n != countKind(mustLoad(t, src, run.ID), trace.KindTool)+countKind(mustLoad(t, src, run.ID), trace.KindModel) {
				t.Errorf("imported trace has %d steps, want as many as the original", n)
			}
		})
	}
}

func mustLoad(t *testing.T, src trace.Source, runID string) trace.Trace {
	t.Helper()
	tr, err := trace.Load(t.Context(), src, runID)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestForkLineage: the root of a forked session's run says which session, run and step it
// was forked from; a run of a session never forked says nothing.
func TestForkLineage(t *testing.T) {
	t.Parallel()
	j := openJournal(t)
	origin := recordRun(t, j, helloScript, "say hi")
	fork := recordRun(t, j, helloScript, "say hi again")
	if _, err := j.AddFork(t.Context(), journal.Fork{SessionID: fork.SessionID, FromSession: origin.SessionID, FromRun: origin.ID, AtSeq: 3}); err != nil {
		t.Fatal(err)
	}
	got := mustLoad(t, j, fork.ID).Spans[0].Attributes
	if got["corral.fork.from_session"] != origin.SessionID || got["corral.fork.from_run"] != origin.ID || got["corral.fork.at_seq"] != int64(3) {
		t.Errorf("forked run's root attributes = %v, want forked from %s / %s at step 3", got, origin.SessionID, origin.ID)
	}
	if a := mustLoad(t, j, origin.ID).Spans[0].Attributes; a["corral.fork.from_session"] != nil {
		t.Errorf("the origin's root says it was forked: %v", a)
	}
}
