package trace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// Source is where runs are read from; *journal.Journal satisfies it.
type Source interface {
	Run(ctx context.Context, id string) (journal.Run, error)
	Steps(ctx context.Context, runID string) ([]journal.Step, error)
	Runs(ctx context.Context, f journal.RunFilter) ([]journal.Run, error)
}

// SessionSource is an optional capability of a [Source]: it gives the
// session's title and times to an export. Without it the session is
// described by the run alone.
type SessionSource interface {
	Session(ctx context.Context, id string) (journal.Session, error)
}

// ResumeSource is an optional capability of a [Source]: it gives the times a
// run was resumed after it had stopped part way, which the trace shows where
// they happened. Without it runs are traced without their resumes.
type ResumeSource interface {
	Resumes(ctx context.Context, runID string) ([]journal.Resume, error)
}

// History is a run with its steps in seq order and its resumes in the order
// they happened.
type History struct {
	Run     journal.Run
	Steps   []journal.Step
	Resumes []journal.Resume
	// Restores are the times the run's workspace was restored to a checkpoint; exports
	// carry them without the checkpoints' ids (those name this machine's store).
	Restores []journal.Restore
}

// Trace builds the history's trace.
func (h History) Trace() (Trace, error) {
	t, err := Build(h.Run, h.Steps, h.Resumes...)
	if err != nil {
		return t, err
	}
	return withRestores(t, h.Run.ID, h.Restores), nil
}

// Content says whether a bundle carries the runs' content.
type Content string

// The content levels of a bundle.
const (
	// ContentFull carries prompts, messages and tool inputs and outputs
	// (with secrets redacted).
	ContentFull Content = "full"
	// ContentOmitted carries structure, timings, tokens and costs only: every
	// free-text string is replaced by [Omitted] (see [Options.NoContent]).
	ContentOmitted Content = "omitted"
)

// Bundle is what an export writes and an import reads: a session and some
// of its runs, each with its full history. Its JSON form is documented in
// docs/trace-bundle.md.
type Bundle struct {
	Version    int
	ExportedAt time.Time
	Content    Content
	Session    journal.Session
	Runs       []History
}

// Traces builds the trace of each run of the bundle.
func (b Bundle) Traces() ([]Trace, error) {
	out := make([]Trace, 0, len(b.Runs))
	for _, h := range b.Runs {
		t, err := h.Trace()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Load reads a run and builds its trace, for the UI, with its subagents' runs grafted in
// (see [Graft]).
func Load(ctx context.Context, src Source, runID string) (Trace, error) {
	run, err := src.Run(ctx, runID)
	if err != nil {
		return Trace{}, fmt.Errorf("trace: load run %s: %w", runID, err)
	}
	h, err := history(ctx, src, run)
	if err != nil {
		return Trace{}, err
	}
	kids, err := children(ctx, src, run.ID)
	if err != nil {
		return Trace{}, err
	}
	traces := make([]Trace, 0, 1+len(kids))
	for _, h := range append([]History{h}, kids...) {
		t, err := h.Trace()
		if err != nil {
			return Trace{}, err
		}
		traces = append(traces, t)
	}
	return withFork(ctx, src, run, Nest(traces)[0])
}

// LoadRun reads one run, with its session and its subagents' runs, as a bundle to export.
func LoadRun(ctx context.Context, src Source, runID string) (Bundle, error) {
	run, err := src.Run(ctx, runID)
	if err != nil {
		return Bundle{}, fmt.Errorf("trace: load run %s: %w", runID, err)
	}
	sess, err := session(ctx, src, run)
	if err != nil {
		return Bundle{}, err
	}
	h, err := history(ctx, src, run)
	if err != nil {
		return Bundle{}, err
	}
	kids, err := children(ctx, src, run.ID)
	if err != nil {
		return Bundle{}, err
	}
	return Bundle{Version: Version, Content: ContentFull, Session: sess, Runs: append([]History{h}, kids...)}, nil
}

// LoadSession reads every run of a session, oldest first, as a bundle to
// export.
func LoadSession(ctx context.Context, src Source, sessionID string) (Bundle, error) {
	runs, err := src.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return Bundle{}, fmt.Errorf("trace: load session %s: %w", sessionID, err)
	}
	if len(runs) == 0 {
		return Bundle{}, fmt.Errorf("trace: load session %s: it has no runs: %w", sessionID, journal.ErrNotFound)
	}
	sess, err := session(ctx, src, runs[0])
	if err != nil {
		return Bundle{}, err
	}
	b := Bundle{Version: Version, Content: ContentFull, Session: sess}
	for _, run := range runs {
		h, err := history(ctx, src, run)
		if err != nil {
			return Bundle{}, err
		}
		b.Runs = append(b.Runs, h)
	}
	return b, nil
}

func history(ctx context.Context, src Source, run journal.Run) (History, error) {
	steps, err := src.Steps(ctx, run.ID)
	if err != nil {
		return History{}, fmt.Errorf("trace: load run %s: %w", run.ID, err)
	}
	h, err := stepless(ctx, src, run)
	h.Steps = steps
	return h, err
}

// stepless is a run's history without its steps: its resumes and restores.
func stepless(ctx context.Context, src Source, run journal.Run) (History, error) {
	var err error
	h := History{Run: run}
	if rs, ok := src.(ResumeSource); ok {
		if h.Resumes, err = rs.Resumes(ctx, run.ID); err != nil {
			return History{}, fmt.Errorf("trace: load run %s: %w", run.ID, err)
		}
	}
	if rs, ok := src.(RestoreSource); ok {
		if h.Restores, err = rs.Restores(ctx, run.ID); err != nil {
			return History{}, fmt.Errorf("trace: load run %s: %w", run.ID, err)
		}
	}
	return h, nil
}

func session(ctx context.Context, src Source, run journal.Run) (journal.Session, error) {
	ss, ok := src.(SessionSource)
	if !ok {
		return journal.Session{ID: run.SessionID, Workspace: run.Workspace, CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt}, nil
	}
	s, err := ss.Session(ctx, run.SessionID)
	if err != nil && !errors.Is(err, journal.ErrNotFound) {
		return s, fmt.Errorf("trace: load session %s: %w", run.SessionID, err)
	}
	if err != nil {
		return journal.Session{ID: run.SessionID, Workspace: run.Workspace, CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt}, nil
	}
	return s, nil
}
