package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// RunStatus is the state of a run.
type RunStatus string

// Run states.
const (
	RunPending          RunStatus = "pending"
	RunRunning          RunStatus = "running"
	RunAwaitingApproval RunStatus = "awaiting_approval"
	RunInterrupted      RunStatus = "interrupted"
	RunCompleted        RunStatus = "completed"
	RunFailed           RunStatus = "failed"
	RunCancelled        RunStatus = "cancelled"
	// RunPaused: a fault a retry or a person can clear (the provider kept
	// failing, a bad key, a full disk) stopped it at a step left started; it
	// resumes from there.
	RunPaused RunStatus = "paused"
	// RunRefused: the model (or the provider's filter) refused to answer; final.
	RunRefused RunStatus = "refused"
	// RunCutOff: the final answer was cut off by the output limit; final.
	RunCutOff RunStatus = "cut_off"
)

// Valid reports whether s is one of the run states.
func (s RunStatus) Valid() bool {
	switch s {
	case RunPending, RunRunning, RunAwaitingApproval, RunInterrupted, RunCompleted, RunFailed, RunCancelled,
		RunPaused, RunRefused, RunCutOff:
		return true
	}
	return false
}

// Run is one prompt given to an agent in a session, with a summary of its
// steps.
type Run struct {
	ID        string
	SessionID string
	Agent     string
	Prompt    string
	Status    RunStatus
	Workspace string
	Sandbox   string
	// Error is the failure text of a failed or interrupted run.
	Error string
	// ParentRunID and ParentSeq name the run and task step that started this run as a
	// subagent; empty for a run a person started.
	ParentRunID string
	ParentSeq   int
	// FromQueue, set on a run being created, names the queued prompt (QueuedPrompt) it
	// takes off the queue in the same transaction; it is not stored.
	FromQueue string
	CreatedAt time.Time
	UpdatedAt time.Time

	// Steps, Usage and CostUSD summarize the run's steps; they are computed
	// when the run is read and ignored by CreateRun.
	Steps   int
	Usage   Usage
	CostUSD float64
	// Elsewhere is set when the run is read and another live process drives it
	// (its Driver); a run this journal drives, or nobody does, has it unset.
	Elsewhere bool
	Driver    Owner
}

// RunFilter selects runs for [Journal.Runs]. The zero value selects all.
type RunFilter struct {
	SessionID string
	// Limit, when positive, keeps only the Limit most recent runs of the selection (still
	// listed oldest first): a page that costs the same in a journal of any size.
	Limit int
}

const runSelect = `SELECT r.id, r.session_id, r.agent, r.prompt, r.status, r.workspace, r.sandbox, r.error,
	r.created_at, r.updated_at, r.step_count,
	r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens, r.cost_usd,
	r.owner, r.owner_pid, r.owner_start, r.owner_host, r.heartbeat, r.parent_run_id, r.parent_seq
	FROM runs r`

// runOrder is oldest first. The totals are the run's own columns, kept by triggers on steps
// (migration 0007), so listing runs reads no step.
const runOrder = ` ORDER BY r.created_at, r.id`

// scanRun reads a run of runSelect, and says whether another live process drives it.
func (j *Journal) scanRun(r scanner) (Run, error) {
	var (
		run                    Run
		status                 string
		created, updated, beat int64
	)
	err := r.Scan(&run.ID, &run.SessionID, &run.Agent, &run.Prompt, &status, &run.Workspace, &run.Sandbox, &run.Error,
		&created, &updated, &run.Steps,
		&run.Usage.InputTokens, &run.Usage.OutputTokens, &run.Usage.CacheReadTokens, &run.Usage.CacheWriteTokens,
		&run.CostUSD, &run.Driver.ID, &run.Driver.PID, &run.Driver.Start, &run.Driver.Host, &beat,
		&run.ParentRunID, &run.ParentSeq)
	if err != nil {
		return Run{}, err
	}
	run.Status = RunStatus(status)
	run.CreatedAt, run.UpdatedAt = fromStamp(created), fromStamp(updated)
	if run.Driver.ID == j.owner.ID || j.takeable(run.Driver, beat, j.stamp()) {
		run.Driver = Owner{}
	} else {
		run.Elsewhere = true
	}
	return run, nil
}

// CreateRun stores a new run with the caller's id in an existing session
// and marks the session active. An empty status means pending. It returns
// the run as stored.
func (j *Journal) CreateRun(ctx context.Context, r Run) (Run, error) {
	return j.createRun(ctx, r, nil)
}

// CreateRunWithStep stores a new run together with its first step, completed, in one
// transaction: a crash leaves both or neither. It is for what a run needs from its first
// instant, such as its resolved configuration.
//
// It is how a run is started (agent.Runner.Start): a run in progress (pending, running,
// awaiting approval) is refused with a [*SessionInUseError] while another run of the
// session is in progress.
func (j *Journal) CreateRunWithStep(ctx context.Context, r Run, spec StepSpec, result StepResult) (Run, error) {
	return j.createRun(ctx, r, &firstStep{spec, result})
}

type firstStep struct {
	spec   StepSpec
	result StepResult
}

func (j *Journal) createRun(ctx context.Context, r Run, first *firstStep) (Run, error) {
	if r.ID == "" {
		return Run{}, errors.New("create run: empty id")
	}
	if r.Status == "" {
		r.Status = RunPending
	}
	if !r.Status.Valid() {
		return Run{}, fmt.Errorf("create run %s: unknown status %q", r.ID, r.Status)
	}
	now := j.stamp()
	err := j.tx(ctx, func(tx *sql.Tx) error {
		if first != nil && r.Status.inProgress() && r.ParentRunID == "" {
			if err := j.checkSessionFree(ctx, tx, r.SessionID, r.ID); err != nil {
				return err
			}
		}
		if r.FromQueue != "" {
			if err := takeQueued(ctx, tx, r.FromQueue); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, session_id, agent, prompt, status, workspace, sandbox, error,
			created_at, updated_at, parent_run_id, parent_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.SessionID, r.Agent, r.Prompt, string(r.Status), r.Workspace, r.Sandbox, r.Error, now, now, r.ParentRunID, r.ParentSeq)
		switch {
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
			return ErrExists
		case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
			return fmt.Errorf("session %s: %w", r.SessionID, ErrNotFound)
		case err != nil:
			return err
		}
		if first != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO steps (run_id, seq, name, kind, status, idempotent, input, output,
				started_at, finished_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
				VALUES (?, 1, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, first.spec.Name, first.spec.Kind, first.spec.Idempotent, nilIfEmpty(first.spec.Input), nilIfEmpty(first.result.Output),
				now, now, first.result.Usage.InputTokens, first.result.Usage.OutputTokens,
				first.result.Usage.CacheReadTokens, first.result.Usage.CacheWriteTokens, first.result.CostUSD); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET updated_at = ? WHERE id = ?`, now, r.SessionID)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("create run %s: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = fromStamp(now), fromStamp(now)
	r.Steps, r.Usage, r.CostUSD = 0, Usage{}, 0
	if first != nil {
		r.Steps, r.Usage, r.CostUSD = 1, first.result.Usage, first.result.CostUSD
	}
	return r, nil
}

// Run returns a run with its summary, or ErrNotFound.
func (j *Journal) Run(ctx context.Context, id string) (Run, error) {
	r, err := j.scanRun(j.db.QueryRowContext(ctx, runSelect+` WHERE r.id = ?`+runOrder, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Run{}, fmt.Errorf("run %s: %w", id, ErrNotFound)
	case err != nil:
		return Run{}, fmt.Errorf("run %s: %w", id, classify(err))
	}
	return r, nil
}

// Runs lists runs with their summaries, oldest first.
func (j *Journal) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	what, where, args := "runs", "", []any{}
	if f.SessionID != "" {
		what, where, args = "runs of "+f.SessionID, ` WHERE r.session_id = ?`, append(args, f.SessionID)
	}
	if f.Limit <= 0 {
		return j.queryRuns(ctx, what, runSelect+where+runOrder, args...)
	}
	// The newest Limit by index (runs_by_time, or runs_by_session within a session), then
	// put back in order.
	query := `SELECT * FROM (` + runSelect + where + ` ORDER BY r.created_at DESC, r.id DESC LIMIT ?) r` + runOrder
	return j.queryRuns(ctx, what, query, append(args, f.Limit)...)
}

// Children lists the runs parentID's task steps started, by step, oldest first.
func (j *Journal) Children(ctx context.Context, parentID string) ([]Run, error) {
	// parent_run_id != '' lets SQLite use the partial index runs_by_parent instead of reading
	// every run (`corral show` asks this of every run it shows).
	return j.queryRuns(ctx, "children of "+parentID, runSelect+` WHERE r.parent_run_id = ? AND r.parent_run_id != '' ORDER BY r.parent_seq, r.created_at, r.id`, parentID)
}

// RunsWithStatus lists the runs in any of the given states, oldest first;
// at startup it finds the runs a crash left running.
func (j *Journal) RunsWithStatus(ctx context.Context, statuses ...RunStatus) ([]Run, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = string(s)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
	return j.queryRuns(ctx, "runs with status", runSelect+` WHERE r.status IN (`+marks+`)`+runOrder, args...)
}

func (j *Journal) queryRuns(ctx context.Context, what, query string, args ...any) ([]Run, error) {
	rows, err := j.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err))
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := j.scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, classify(err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err))
	}
	return out, nil
}

// SetRunStatus sets a run's status and error text, durably: it is also the
// commit that makes the run's last step completion durable (see the package
// doc). A run is marked running only by [Journal.ClaimRun], which takes its
// lease; any other status gives the lease up.
func (j *Journal) SetRunStatus(ctx context.Context, runID string, status RunStatus, errText string) error {
	if !status.Valid() || status == RunRunning {
		return fmt.Errorf("set run %s status: %q is not a status to set (a run is marked running by ClaimRun)", runID, status)
	}
	res, err := j.exec(ctx, j.db, `UPDATE runs SET status = ?, error = ?, updated_at = ?,
		owner = '', owner_pid = 0, owner_start = '', owner_host = '', heartbeat = 0 WHERE id = ?`,
		string(status), errText, j.stamp(), runID)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("set run %s status %s: %w", runID, status, err)
	}
	return nil
}
