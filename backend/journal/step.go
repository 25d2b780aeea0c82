package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// StepStatus is the state of a recorded step.
type StepStatus string

// Step states. A step is started before its function runs and completed or
// failed after; one found started was interrupted.
const (
	StepStarted   StepStatus = "started"
	StepCompleted StepStatus = "completed"
	StepFailed    StepStatus = "failed"
)

// Usage counts the tokens a step used.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:      u.InputTokens + v.InputTokens,
		OutputTokens:     u.OutputTokens + v.OutputTokens,
		CacheReadTokens:  u.CacheReadTokens + v.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
	}
}

// StepSpec is what the code asks for at a sequence number. Name and Kind
// must match the history on replay. Idempotent declares that running the
// function twice is harmless, so a step cut off by a crash may simply run
// again.
type StepSpec struct {
	Name       string
	Kind       string
	Idempotent bool
	Input      []byte
}

// StepResult is what a step's function returns on success.
type StepResult struct {
	Output  []byte
	Usage   Usage
	CostUSD float64
}

// Step is a recorded step.
type Step struct {
	RunID      string
	Seq        int
	Name       string
	Kind       string
	Status     StepStatus
	Idempotent bool
	// Attempt counts how many times the function was started: 1, then one
	// more for each rerun after an interruption.
	Attempt int
	Input   []byte
	Output  []byte
	// Error is the failure text of a failed step.
	Error      string
	Usage      Usage
	CostUSD    float64
	StartedAt  time.Time
	FinishedAt time.Time // zero while started
	// Resolution says how a person resolved the step after an interruption,
	// or is empty.
	Resolution Action
	// RerunPending is set by a rerun resolution until the step runs again.
	RerunPending bool
	// Replayed is true when Step or Record returned this step from the
	// history without running anything. It is not stored.
	Replayed bool
}

// Ref returns the step's kind and name.
func (s Step) Ref() StepRef { return StepRef{Kind: s.Kind, Name: s.Name} }

// Action is a way to resolve an interrupted step.
type Action string

// Resolution actions.
const (
	// ActionRerun lets the next Step call run the function again.
	ActionRerun Action = "rerun"
	// ActionSkip marks the step completed with Resolution.Output, as if the
	// function had returned it.
	ActionSkip Action = "skip"
	// ActionFail marks the step failed with Resolution.Message.
	ActionFail Action = "fail"
)

// Valid reports whether a is one of the resolution actions: rerun, skip or fail.
func (a Action) Valid() bool {
	switch a {
	case ActionRerun, ActionSkip, ActionFail:
		return true
	}
	return false
}

// ParseAction returns the resolution action s names, or an error wrapping
// [ErrUnknownAction] that lists the valid ones. Every place that takes an
// action from a person (the CLI, the window) parses it here.
func ParseAction(s string) (Action, error) {
	if a := Action(s); a.Valid() {
		return a, nil
	}
	return "", fmt.Errorf("%w %q: want rerun, skip or fail", ErrUnknownAction, s)
}

// Resolution is a person's decision about an interrupted step.
type Resolution struct {
	Action  Action
	Output  []byte // for ActionSkip
	Message string // for ActionFail
}

const stepColumns = `run_id, seq, name, kind, status, idempotent, attempt, resolution, rerun_pending,
	input, output, error, started_at, finished_at,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd`

const (
	sqlGetStep    = `SELECT ` + stepColumns + ` FROM steps WHERE run_id = ? AND seq = ?`
	sqlInsertStep = `INSERT INTO steps (run_id, seq, name, kind, status, idempotent, input, started_at)
		VALUES (?, ?, ?, ?, 'started', ?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING`
	// sqlRerunStep claims a new attempt; comparing the attempt makes a second
	// process that read the same started row fail to claim it too.
	sqlRerunStep = `UPDATE steps SET attempt = attempt + 1, rerun_pending = 0, started_at = ?
		WHERE run_id = ? AND seq = ? AND status = 'started' AND attempt = ?`
	sqlCompleteStep = `UPDATE steps SET status = 'completed', output = ?, finished_at = ?,
		input_tokens = ?, output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, cost_usd = ?
		WHERE run_id = ? AND seq = ? AND status = 'started' AND attempt = ?`
	sqlFailStep = `UPDATE steps SET status = 'failed', error = ?, finished_at = ?
		WHERE run_id = ? AND seq = ? AND status = 'started' AND attempt = ?`
)

type scanner interface{ Scan(dest ...any) error }

func scanStep(r scanner) (Step, error) {
	var (
		s          Step
		status     string
		resolution string
		started    int64
		finished   sql.NullInt64
	)
	err := r.Scan(&s.RunID, &s.Seq, &s.Name, &s.Kind, &status, &s.Idempotent, &s.Attempt, &resolution, &s.RerunPending,
		&s.Input, &s.Output, &s.Error, &started, &finished,
		&s.Usage.InputTokens, &s.Usage.OutputTokens, &s.Usage.CacheReadTokens, &s.Usage.CacheWriteTokens, &s.CostUSD)
	if err != nil {
		return Step{}, err
	}
	s.Status = StepStatus(status)
	s.Resolution = Action(resolution)
	s.StartedAt = fromStamp(started)
	s.FinishedAt = fromStamp(finished.Int64)
	return s, nil
}

// lookup returns the step at (runID, seq); ok is false when there is none.
func (j *Journal) lookup(ctx context.Context, runID string, seq int) (s Step, ok bool, err error) {
	s, err = scanStep(j.getStep.QueryRowContext(ctx, runID, seq))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Step{}, false, nil
	case err != nil:
		return Step{}, false, classify(err)
	}
	return s, true, nil
}

// GetStep returns the step at (runID, seq), or ErrNotFound.
func (j *Journal) GetStep(ctx context.Context, runID string, seq int) (Step, error) {
	s, ok, err := j.lookup(ctx, runID, seq)
	switch {
	case err != nil:
		return Step{}, fmt.Errorf("get step %s/%d: %w", runID, seq, err)
	case !ok:
		return Step{}, fmt.Errorf("get step %s/%d: %w", runID, seq, ErrNotFound)
	}
	return s, nil
}

// Steps returns the history of a run ordered by seq.
func (j *Journal) Steps(ctx context.Context, runID string) ([]Step, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+stepColumns+` FROM steps WHERE run_id = ? ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("steps of %s: %w", runID, classify(err))
	}
	defer rows.Close()
	var steps []Step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, fmt.Errorf("steps of %s: %w", runID, classify(err))
		}
		steps = append(steps, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("steps of %s: %w", runID, classify(err))
	}
	return steps, nil
}

// LastSeq returns the highest seq recorded for a run, or 0 when it has no
// steps. Sequence numbers start at 1.
func (j *Journal) LastSeq(ctx context.Context, runID string) (int, error) {
	var seq int
	err := j.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM steps WHERE run_id = ?`, runID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last seq of %s: %w", runID, classify(err))
	}
	return seq, nil
}

// Step runs fn as step seq of a run, at most once per recorded attempt.
//
// If the history has a completed step at seq, Step returns it with Replayed
// set and does not call fn. A failed step is returned with a
// [*StepFailedError]. A step with a different name or kind is a
// [*NondeterminismError]. An absent step is recorded as started, a
// committed and fsynced INSERT, before fn runs; then fn's result is recorded
// as completed, or its error as failed, in one UPDATE (see the package doc for
// when that one reaches the disk). A failure is returned as a
// [*StepFailedError] wrapping fn's error.
//
// A step found started was interrupted: Step runs fn again (Attempt+1) if the
// step was recorded idempotent or a rerun was resolved, and otherwise returns
// an [*InterruptedError] without calling fn.
//
// If fn fails because ctx ended, or with an error matching [ErrStepUnfinished]
// (a fault someone can clear, such as a provider that is down), the step is
// left started, as if the process had stopped, and Step returns the error; an
// idempotent step then runs again on the next call. If the result cannot be recorded
// ([ErrDiskFull], [ErrLocked]) the step also stays started. A result is
// recorded even if ctx ends after fn returned it. Inputs are stored but not
// compared on replay.
func (j *Journal) Step(ctx context.Context, runID string, seq int, spec StepSpec, fn func(ctx context.Context) (StepResult, error)) (Step, error) {
	if seq < 1 {
		return Step{}, fmt.Errorf("step %s/%d: seq must be at least 1", runID, seq)
	}
	key := stepKey{runID, seq}
	j.mu.Lock()
	_, busy := j.inflight[key]
	if !busy {
		j.inflight[key] = struct{}{}
	}
	j.mu.Unlock()
	if busy {
		return Step{}, fmt.Errorf("step %s/%d: %w", runID, seq, ErrStepInFlight)
	}
	defer func() {
		j.mu.Lock()
		delete(j.inflight, key)
		j.mu.Unlock()
	}()

	s, err := j.begin(ctx, runID, seq, spec)
	if err != nil || s.Status != StepStarted {
		return s, err
	}

	res, fnErr := fn(ctx)
	if fnErr != nil && (errors.Is(fnErr, ErrStepUnfinished) || ctx.Err() != nil && errors.Is(fnErr, ctx.Err())) {
		return s, fmt.Errorf("step %s/%d %q: %w", runID, seq, spec.Name, fnErr)
	}
	// The side effect happened: record it even if ctx ends now.
	return j.finish(context.WithoutCancel(ctx), s, res, fnErr)
}

// begin returns the recorded step when it needs no running (Status is not
// started) or an error, and otherwise the started record fn is about to run
// under, already committed.
func (j *Journal) begin(ctx context.Context, runID string, seq int, spec StepSpec) (Step, error) {
	s, ok, err := j.lookup(ctx, runID, seq)
	if err != nil {
		return Step{}, fmt.Errorf("step %s/%d: %w", runID, seq, err)
	}
	if !ok {
		s, inserted, err := j.insertStarted(ctx, runID, seq, spec)
		if err != nil {
			return Step{}, fmt.Errorf("step %s/%d %q: %w", runID, seq, spec.Name, err)
		}
		if inserted {
			return s, nil
		}
		// Another process recorded it between our read and our write; rows
		// are never deleted singly, so it is there to read.
		if s, _, err = j.lookup(ctx, runID, seq); err != nil {
			return Step{}, fmt.Errorf("step %s/%d: %w", runID, seq, err)
		}
		return j.replay(ctx, s, spec)
	}
	return j.replay(ctx, s, spec)
}

// differs returns a [DifferentStep] error when the code's spec names another
// step than the one recorded, and nil when they agree. It is the one
// comparison of code and history: Step, Begin, Record and [Cursor] use it.
func differs(s Step, spec StepSpec) error {
	if got := (StepRef{Kind: spec.Kind, Name: spec.Name}); got != s.Ref() {
		return nondeterminism(DifferentStep, s.RunID, s.Seq, s.Ref(), got)
	}
	return nil
}

// replay decides what a recorded step means for the caller.
func (j *Journal) replay(ctx context.Context, s Step, spec StepSpec) (Step, error) {
	if err := differs(s, spec); err != nil {
		return Step{}, err
	}
	switch s.Status {
	case StepCompleted:
		s.Replayed = true
		return s, nil
	case StepFailed:
		s.Replayed = true
		return s, &StepFailedError{RunID: s.RunID, Seq: s.Seq, Name: s.Name, Kind: s.Kind, Message: s.Error}
	}
	if !s.Idempotent && !s.RerunPending {
		return s, &InterruptedError{RunID: s.RunID, Seq: s.Seq, Name: s.Name, Kind: s.Kind}
	}
	now := j.stamp()
	res, err := j.execStmt(ctx, j.rerunStep, now, s.RunID, s.Seq, s.Attempt)
	if err != nil {
		return Step{}, fmt.Errorf("step %s/%d %q: rerun: %w", s.RunID, s.Seq, s.Name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Step{}, fmt.Errorf("step %s/%d %q: rerun: %w", s.RunID, s.Seq, s.Name, ErrStepInFlight)
	}
	s.Attempt++
	s.RerunPending = false
	s.StartedAt = fromStamp(now)
	return s, nil
}

// insertStarted records an absent step as started. inserted is false when a
// row already existed.
func (j *Journal) insertStarted(ctx context.Context, runID string, seq int, spec StepSpec) (Step, bool, error) {
	now := j.stamp()
	res, err := j.execStmt(ctx, j.insertStep, runID, seq, spec.Name, spec.Kind, spec.Idempotent, nilIfEmpty(spec.Input), now)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return Step{}, false, fmt.Errorf("run %s: %w", runID, ErrNotFound)
		}
		return Step{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Step{}, false, nil
	}
	return Step{
		RunID: runID, Seq: seq, Name: spec.Name, Kind: spec.Kind, Status: StepStarted,
		Idempotent: spec.Idempotent, Attempt: 1, Input: spec.Input, StartedAt: fromStamp(now),
	}, true, nil
}

// finish records the outcome of a started step in one UPDATE, guarded by the
// attempt so a stale runner cannot overwrite a newer attempt.
func (j *Journal) finish(ctx context.Context, s Step, res StepResult, fnErr error) (Step, error) {
	now := j.stamp()
	var err error
	var sres sql.Result
	if fnErr != nil {
		s.Status, s.Error = StepFailed, fnErr.Error()
		sres, err = j.execStmt(ctx, j.failStep, s.Error, now, s.RunID, s.Seq, s.Attempt)
	} else {
		s.Status, s.Output, s.Usage, s.CostUSD = StepCompleted, res.Output, res.Usage, res.CostUSD
		sres, err = j.execStmt(ctx, j.completeStep, nilIfEmpty(res.Output), now, res.Usage.InputTokens, res.Usage.OutputTokens,
			res.Usage.CacheReadTokens, res.Usage.CacheWriteTokens, res.CostUSD,
			s.RunID, s.Seq, s.Attempt)
	}
	if err != nil {
		return Step{}, fmt.Errorf("step %s/%d %q: record %s: %w", s.RunID, s.Seq, s.Name, s.Status, err)
	}
	if n, _ := sres.RowsAffected(); n != 1 {
		return Step{}, fmt.Errorf("step %s/%d %q: record %s: the step was resolved or rerun meanwhile", s.RunID, s.Seq, s.Name, s.Status)
	}
	s.FinishedAt = fromStamp(now)
	if fnErr != nil {
		return s, &StepFailedError{RunID: s.RunID, Seq: s.Seq, Name: s.Name, Kind: s.Kind, Message: s.Error, Err: fnErr}
	}
	return s, nil
}

// Record records a step that completed without a function run by Step, such
// as a decision that arrived from outside, durably. An absent step is
// inserted completed; a started one (same name and kind) is completed; an
// already completed one is returned with Replayed set and left unchanged.
func (j *Journal) Record(ctx context.Context, runID string, seq int, spec StepSpec, result StepResult) (Step, error) {
	return j.record(ctx, j.db, runID, seq, spec, result)
}

// RecordLazy is Record committed without its own fsync, as a step's completion is: it is
// visible at once and survives a crash of the process, and the next durable commit (the
// started record of the step that acts on it) carries it to disk. For a record that is
// harmless to make again when a power loss drops it, such as a gate's decision before its
// tool step begins.
func (j *Journal) RecordLazy(ctx context.Context, runID string, seq int, spec StepSpec, result StepResult) (Step, error) {
	return j.record(ctx, j.lazy, runID, seq, spec, result)
}

func (j *Journal) record(ctx context.Context, db *sql.DB, runID string, seq int, spec StepSpec, result StepResult) (Step, error) {
	if seq < 1 {
		return Step{}, fmt.Errorf("record step %s/%d: seq must be at least 1", runID, seq)
	}
	var out Step
	err := j.txOn(ctx, db, func(tx *sql.Tx) error {
		s, err := scanStep(tx.QueryRowContext(ctx, sqlGetStep, runID, seq))
		now := j.stamp()
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err := tx.ExecContext(ctx, `INSERT INTO steps (run_id, seq, name, kind, status, idempotent, input, output,
				started_at, finished_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
				VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				runID, seq, spec.Name, spec.Kind, spec.Idempotent, nilIfEmpty(spec.Input), nilIfEmpty(result.Output),
				now, now, result.Usage.InputTokens, result.Usage.OutputTokens,
				result.Usage.CacheReadTokens, result.Usage.CacheWriteTokens, result.CostUSD)
			if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
				return fmt.Errorf("run %s: %w", runID, ErrNotFound)
			}
			out = Step{RunID: runID, Seq: seq, Name: spec.Name, Kind: spec.Kind, Status: StepCompleted,
				Idempotent: spec.Idempotent, Attempt: 1, Input: spec.Input, Output: result.Output,
				Usage: result.Usage, CostUSD: result.CostUSD, StartedAt: fromStamp(now), FinishedAt: fromStamp(now)}
			return err
		case err != nil:
			return err
		}
		if err := differs(s, spec); err != nil {
			return err
		}
		switch s.Status {
		case StepCompleted:
			s.Replayed = true
			out = s
			return nil
		case StepFailed:
			out = s
			return &StepFailedError{RunID: runID, Seq: seq, Name: s.Name, Kind: s.Kind, Message: s.Error}
		}
		_, err = tx.ExecContext(ctx, `UPDATE steps SET status = 'completed', output = ?, finished_at = ?, rerun_pending = 0,
			input_tokens = ?, output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, cost_usd = ?
			WHERE run_id = ? AND seq = ?`,
			nilIfEmpty(result.Output), now, result.Usage.InputTokens, result.Usage.OutputTokens,
			result.Usage.CacheReadTokens, result.Usage.CacheWriteTokens, result.CostUSD, runID, seq)
		s.Status, s.Output, s.Usage, s.CostUSD, s.FinishedAt = StepCompleted, result.Output, result.Usage, result.CostUSD, fromStamp(now)
		s.RerunPending = false
		out = s
		return err
	})
	if err != nil {
		if out.Status == StepFailed {
			return out, err
		}
		return Step{}, fmt.Errorf("record step %s/%d %q: %w", runID, seq, spec.Name, err)
	}
	return out, nil
}

// Resolve applies a person's decision to a step found started (interrupted):
// rerun it on the next Step call, skip it as completed with the given output,
// or fail it with the given message. It returns the updated step.
func (j *Journal) Resolve(ctx context.Context, runID string, seq int, r Resolution) (Step, error) {
	var (
		query string
		args  []any
		now   = j.stamp()
	)
	switch r.Action {
	case ActionRerun:
		query, args = `UPDATE steps SET resolution = 'rerun', rerun_pending = 1`, nil
	case ActionSkip:
		query, args = `UPDATE steps SET resolution = 'skip', rerun_pending = 0, status = 'completed', output = ?, finished_at = ?`,
			[]any{nilIfEmpty(r.Output), now}
	case ActionFail:
		query, args = `UPDATE steps SET resolution = 'fail', rerun_pending = 0, status = 'failed', error = ?, finished_at = ?`,
			[]any{r.Message, now}
	default:
		_, err := ParseAction(string(r.Action))
		return Step{}, fmt.Errorf("resolve step %s/%d: %w", runID, seq, err)
	}
	j.mu.Lock()
	_, busy := j.inflight[stepKey{runID, seq}]
	j.mu.Unlock()
	if busy {
		return Step{}, fmt.Errorf("resolve step %s/%d: %w", runID, seq, ErrStepInFlight)
	}
	var out Step
	err := j.tx(ctx, func(tx *sql.Tx) error {
		// A step of a run another live process drives is not cut off: it is running there.
		if err := j.checkNotLeased(ctx, tx, runID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, query+` WHERE run_id = ? AND seq = ? AND status = 'started'`, append(args, runID, seq)...)
		if err != nil {
			return err
		}
		s, err := scanStep(tx.QueryRowContext(ctx, sqlGetStep, runID, seq))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: it is %s", ErrNotInterrupted, s.Status)
		}
		out = s
		return nil
	})
	if err != nil {
		return Step{}, fmt.Errorf("resolve step %s/%d (%s): %w", runID, seq, r.Action, err)
	}
	return out, nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Begin records step seq as started without running anything: a step whose completion
// comes from outside the process, such as a person's decision, which Record later
// completes. It is durable before Begin returns. An existing step with the same name and
// kind is returned as it is (Replayed set); another name or kind is a *NondeterminismError.
func (j *Journal) Begin(ctx context.Context, runID string, seq int, spec StepSpec) (Step, error) {
	return j.beginOn(ctx, j.db, runID, seq, spec)
}

// BeginLazy is Begin committed without its own fsync (see RecordLazy): the step is visible
// to every reader at once, and durable with the next durable commit.
func (j *Journal) BeginLazy(ctx context.Context, runID string, seq int, spec StepSpec) (Step, error) {
	return j.beginOn(ctx, j.lazy, runID, seq, spec)
}

func (j *Journal) beginOn(ctx context.Context, db *sql.DB, runID string, seq int, spec StepSpec) (Step, error) {
	if seq < 1 {
		return Step{}, fmt.Errorf("begin step %s/%d: seq must be at least 1", runID, seq)
	}
	var out Step
	err := j.txOn(ctx, db, func(tx *sql.Tx) error {
		s, err := scanStep(tx.QueryRowContext(ctx, sqlGetStep, runID, seq))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			now := j.stamp()
			_, err := tx.ExecContext(ctx, `INSERT INTO steps (run_id, seq, name, kind, status, idempotent, input, started_at)
				VALUES (?, ?, ?, ?, 'started', ?, ?, ?)`,
				runID, seq, spec.Name, spec.Kind, spec.Idempotent, nilIfEmpty(spec.Input), now)
			if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
				return fmt.Errorf("run %s: %w", runID, ErrNotFound)
			}
			out = Step{RunID: runID, Seq: seq, Name: spec.Name, Kind: spec.Kind, Status: StepStarted,
				Idempotent: spec.Idempotent, Attempt: 1, Input: spec.Input, StartedAt: fromStamp(now)}
			return err
		case err != nil:
			return err
		}
		if err := differs(s, spec); err != nil {
			return err
		}
		s.Replayed = true
		out = s
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("begin step %s/%d: %w", runID, seq, classify(err))
	}
	return out, nil
}

// KeepPartial records what a started step produced before it was cut off (the output a
// cancelled command printed so far), so that the person deciding about it sees it. The
// step stays started: it is still to be rerun, skipped or failed, and a rerun or a skip
// replaces the output. ErrNotInterrupted if the step is not started.
func (j *Journal) KeepPartial(ctx context.Context, runID string, seq int, output []byte) error {
	res, err := j.exec(ctx, j.db, `UPDATE steps SET output = ? WHERE run_id = ? AND seq = ? AND status = 'started'`,
		nilIfEmpty(output), runID, seq)
	if err != nil {
		return fmt.Errorf("keep partial output of step %s/%d: %w", runID, seq, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("keep partial output of step %s/%d: %w", runID, seq, ErrNotInterrupted)
	}
	return nil
}

// SessionSteps returns the steps of every run of a session whose kind is one of kinds,
// ordered as the session's runs are (created, then id) and by seq within a run, in one
// query: for readers of a whole session (a compaction's ledger) that need a few kinds and
// not every run's configuration.
func (j *Journal) SessionSteps(ctx context.Context, sessionID string, kinds ...string) ([]Step, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	q := `SELECT ` + prefixed("s.", stepColumns) + ` FROM steps s JOIN runs r ON r.id = s.run_id
		WHERE r.session_id = ? AND s.kind IN (?` + strings.Repeat(",?", len(kinds)-1) + `)
		ORDER BY r.created_at, r.id, s.seq`
	args := []any{sessionID}
	for _, k := range kinds {
		args = append(args, k)
	}
	rows, err := j.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("steps of session %s: %w", sessionID, classify(err))
	}
	defer rows.Close()
	var steps []Step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, fmt.Errorf("steps of session %s: %w", sessionID, classify(err))
		}
		steps = append(steps, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("steps of session %s: %w", sessionID, classify(err))
	}
	return steps, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// StepHead is a step without its input and output: what a view of a whole run draws.
type StepHead struct {
	Step // Input and Output are nil
	// Marked says the step's output contains the mark StepHeads was given for its kind.
	Marked bool
}

// StepHeads returns a run's steps in seq order without their input and output, at a
// fraction of the cost of [Journal.Steps] for a long run. A step is Marked when its output
// contains the mark given for its kind in marks (nil marks none); the search runs inside
// SQLite, so no output is copied out.
func (j *Journal) StepHeads(ctx context.Context, runID string, marks map[string][]byte) ([]StepHead, error) {
	marked, args := "0", []any{runID}
	if len(marks) > 0 {
		marked = "CASE kind"
		for _, kind := range slices.Sorted(maps.Keys(marks)) {
			marked += " WHEN ? THEN coalesce(instr(output, ?), 0) > 0"
			args = append(args, kind, marks[kind])
		}
		marked += " ELSE 0 END"
		args = append(args[1:], runID)
	}
	rows, err := j.db.QueryContext(ctx, `SELECT run_id, seq, name, kind, status, idempotent, attempt, resolution, rerun_pending,
		error, started_at, finished_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, `+marked+`
		FROM steps WHERE run_id = ? ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("step heads of %s: %w", runID, classify(err))
	}
	defer rows.Close()
	var out []StepHead
	for rows.Next() {
		var (
			h          StepHead
			status     string
			resolution string
			started    int64
			finished   sql.NullInt64
		)
		s := &h.Step
		if err := rows.Scan(&s.RunID, &s.Seq, &s.Name, &s.Kind, &status, &s.Idempotent, &s.Attempt, &resolution, &s.RerunPending,
			&s.Error, &started, &finished, &s.Usage.InputTokens, &s.Usage.OutputTokens, &s.Usage.CacheReadTokens, &s.Usage.CacheWriteTokens,
			&s.CostUSD, &h.Marked); err != nil {
			return nil, fmt.Errorf("step heads of %s: %w", runID, classify(err))
		}
		s.Status = StepStatus(status)
		s.Resolution = Action(resolution)
		s.StartedAt = fromStamp(started)
		s.FinishedAt = fromStamp(finished.Int64)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("step heads of %s: %w", runID, classify(err))
	}
	return out, nil
}

// StepRange returns the steps of a run with seq from..to (inclusive), in seq order.
func (j *Journal) StepRange(ctx context.Context, runID string, from, to int) ([]Step, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+stepColumns+` FROM steps WHERE run_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`, runID, from, to)
	if err != nil {
		return nil, fmt.Errorf("steps %d-%d of %s: %w", from, to, runID, classify(err))
	}
	defer rows.Close()
	var steps []Step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, fmt.Errorf("steps %d-%d of %s: %w", from, to, runID, classify(err))
		}
		steps = append(steps, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("steps %d-%d of %s: %w", from, to, runID, classify(err))
	}
	return steps, nil
}
