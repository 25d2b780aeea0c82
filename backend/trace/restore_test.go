package trace_test

import (
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// TestRestoresAreMarkers: a restore recorded in the journal is a zero-length span of the
// run's trace as the window reads it (exports do not carry restores: they are this machine's
// workspace history, not the run's).
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
