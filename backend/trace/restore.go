package trace

import (
	"context"
	"errors"
	"fmt"
	"maps"

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
	attrRestoreSeq      = "corral.restore.seq"
	attrRestorePhase    = "corral.restore.phase"
	attrRestoreChanged  = "corral.restore.changed"
	attrRestoreGit      = "corral.restore.git"
	attrRestoreUndo     = "corral.restore.undo_checkpoint"
	attrRestoreWarnings = "corral.restore.warnings"
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
			attrs[attrRestoreWarnings] = append([]string(nil), r.Warnings...)
		}
		t.Spans = append(t.Spans, Span{
			ID: SpanID(runID, r.Seq, restorePart+i+1), ParentID: root, Kind: KindRestore, Name: name,
			Status: StatusOK, Start: r.At, End: r.At, Attributes: attrs,
		})
	}
	return t
}

// exportedRestores are a run's restores as an export carries them: when, to which step,
// what changed, warnings redacted; not the checkpoints (they live in this machine's store).
func exportedRestores(rs []journal.Restore, r *redactor) []journal.Restore {
	if len(rs) == 0 {
		return nil
	}
	out := make([]journal.Restore, len(rs))
	for i, x := range rs {
		x.ID, x.Target, x.Undo = "", "", ""
		if len(x.Warnings) > 0 {
			w := make([]string, len(x.Warnings))
			for k, s := range x.Warnings {
				w[k] = r.text(s)
			}
			x.Warnings = w
		}
		out[i] = x
	}
	return out
}

// maxRestores bounds the restores a bundle may carry per run.
const maxRestores = 10000

// validateRestores checks a run's restores: to a step of the run (or 0), a phase Corral
// writes, a time, warnings of bounded length.
func validateRestores(path string, h History) error {
	if len(h.Restores) > maxRestores {
		return invalid(path+".restores", "%d restores, over the limit of %d", len(h.Restores), maxRestores)
	}
	last := 0
	if n := len(h.Steps); n > 0 {
		last = h.Steps[n-1].Seq
	}
	for k, r := range h.Restores {
		rp := fmt.Sprintf("%s.restores[%d]", path, k)
		if err := checkTime(rp+".at", r.At, false); err != nil {
			return err
		}
		switch r.Phase {
		case journal.PhaseBefore, journal.PhaseAfter, journal.PhaseRestore:
		default:
			return invalid(rp+".phase", "%s is not before, after or restore", describe(r.Phase))
		}
		if r.Seq < 0 || r.Seq > last {
			return invalid(rp+".seq", "%d is not a step from 0 to %d", r.Seq, last)
		}
		if r.Changed < 0 {
			return invalid(rp+".changed", "%d is negative", r.Changed)
		}
		if len(r.Warnings) > 100 {
			return invalid(rp+".warnings", "%d warnings, over the limit of 100", len(r.Warnings))
		}
		for j, w := range r.Warnings {
			if err := checkLen(fmt.Sprintf("%s.warnings[%d]", rp, j), w, maxNameBytes); err != nil {
				return err
			}
		}
	}
	return nil
}

// RestoreSink is an optional capability of a [Sink]: it records an imported run's
// restores (*journal.Journal has it). Without it they are not imported.
type RestoreSink interface {
	AddRestore(ctx context.Context, r journal.Restore) (journal.Restore, error)
}

// ForkSource is an optional capability of a [Source]: where a session was forked from
// (*journal.Journal has it). The trace's root then says so (corral.fork.*), and the window
// links to the origin.
type ForkSource interface {
	ForkOf(ctx context.Context, sessionID string) (journal.Fork, error)
}

// Fork lineage attributes of a run's root span.
const (
	attrForkSession = "corral.fork.from_session"
	attrForkRun     = "corral.fork.from_run"
	attrForkSeq     = "corral.fork.at_seq"
)

// withFork marks the root of a forked session's run with where the session came from.
func withFork(ctx context.Context, src Source, run journal.Run, t Trace) (Trace, error) {
	fs, ok := src.(ForkSource)
	if !ok || len(t.Spans) == 0 {
		return t, nil
	}
	f, err := fs.ForkOf(ctx, run.SessionID)
	switch {
	case errors.Is(err, journal.ErrNotFound):
		return t, nil
	case err != nil:
		return t, fmt.Errorf("trace: load run %s: %w", run.ID, err)
	}
	root := &t.Spans[0]
	attrs := make(map[string]any, len(root.Attributes)+3)
	maps.Copy(attrs, root.Attributes)
	attrs[attrForkSession], attrs[attrForkRun], attrs[attrForkSeq] = f.FromSession, f.FromRun, int64(f.AtSeq)
	root.Attributes = attrs
	return t, nil
}
