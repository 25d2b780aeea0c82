package trace

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
)

// KindRestore is a point in time where a person put the run's workspace back to a
// checkpoint (backend/checkpoint): a marker, not an operation of the run.
const KindRestore SpanKind = "restore"

// restorePart is added to a restore's number (1, 2, ... in the run) to make the part of its
// span id: above the parts of resumes, so the two never meet.
const restorePart = 1 << 33

// Restore attributes: the step restored to, before or after it, how many paths changed,
// whether .git was restored, and the checkpoint that undoes it.
const (
	attrRestoreSeq     = "corral.restore.seq"
	attrRestorePhase   = "corral.restore.phase"
	attrRestoreChanged = "corral.restore.changed"
	attrRestoreGit     = "corral.restore.git"
	attrRestoreUndo    = "corral.restore.undo_checkpoint"
)

// RestoreSource is an optional capability of a [Source]: the times a run's workspace was
// restored to a checkpoint, which the trace shows as markers. Without it none are shown.
type RestoreSource interface {
	Restores(ctx context.Context, runID string) ([]journal.Restore, error)
}

// withRestores adds a zero-length span under the root for each restore of the run.
func withRestores(t Trace, runID string, restores []journal.Restore) Trace {
	if len(restores) == 0 || len(t.Spans) == 0 {
		return t
	}
	root := t.Spans[0].ID
	for i, r := range restores {
		name := fmt.Sprintf("restore to %s step %d", r.Phase, r.Seq)
		attrs := map[string]any{
			attrSpanKind:       string(KindRestore),
			attrRestoreSeq:     int64(r.Seq),
			attrRestorePhase:   r.Phase,
			attrRestoreChanged: int64(r.Changed),
			attrRestoreGit:     r.Git,
			attrRestoreUndo:    r.Undo,
		}
		if len(r.Warnings) > 0 {
			attrs["corral.restore.warnings"] = append([]string(nil), r.Warnings...)
		}
		t.Spans = append(t.Spans, Span{
			ID: SpanID(runID, r.Seq, restorePart+i+1), ParentID: root, Kind: KindRestore, Name: name,
			Status: StatusOK, Start: r.At, End: r.At, Attributes: attrs,
		})
	}
	return t
}
