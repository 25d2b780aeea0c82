package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// One run at a time per session: a session's runs share its workspace (and its session
// container), so while one of them is in progress (pending, running, or waiting for an
// approval) no other run of the session is created or claimed. The check is made in the
// transaction that creates or claims the run, so two processes on one data directory cannot
// both pass it.

// ErrSessionInUse is matched by [*SessionInUseError]: another run of the session is in
// progress.
var ErrSessionInUse = errors.New("journal: session has a run in progress")

// SessionInUseError names the run in progress that keeps a session from starting or
// claiming another.
type SessionInUseError struct {
	SessionID string
	// Run is the run in progress: its id, status and, when another live process drives it,
	// Elsewhere and Driver.
	Run Run
}

func (e *SessionInUseError) Error() string {
	where := ""
	if e.Run.Elsewhere {
		where = fmt.Sprintf(" in process %d", e.Run.Driver.PID)
	}
	return fmt.Sprintf("journal: session %s has a run in progress: %s is %s%s; one run at a time per session",
		e.SessionID, e.Run.ID, e.Run.Status, where)
}

// Is reports whether target is [ErrSessionInUse].
func (e *SessionInUseError) Is(target error) bool { return target == ErrSessionInUse }

// inProgress reports whether a run in status s holds its session.
func (s RunStatus) inProgress() bool {
	return s == RunPending || s == RunRunning || s == RunAwaitingApproval
}

// checkSessionFree fails with a [*SessionInUseError] when a run of the session other than
// except is in progress.
func (j *Journal) checkSessionFree(ctx context.Context, tx *sql.Tx, sessionID, except string) error {
	var id, status string
	err := tx.QueryRowContext(ctx, `SELECT id, status FROM runs WHERE session_id = ? AND id != ? AND parent_run_id = ''
		AND status IN (?, ?, ?) ORDER BY created_at, id LIMIT 1`,
		sessionID, except, string(RunPending), string(RunRunning), string(RunAwaitingApproval)).Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	busy := &SessionInUseError{SessionID: sessionID, Run: Run{ID: id, SessionID: sessionID, Status: RunStatus(status)}}
	held, beat, err := readOwner(ctx, tx, id)
	if err != nil {
		return err
	}
	if held.ID != "" && held.ID != j.owner.ID && !j.takeable(held, beat, j.stamp()) {
		busy.Run.Elsewhere, busy.Run.Driver = true, held
	}
	return busy
}

// SessionInUse returns the session's run in progress, if any: the run a new one would wait
// for.
func (j *Journal) SessionInUse(ctx context.Context, sessionID string) (Run, bool, error) {
	runs, err := j.queryRuns(ctx, "runs of "+sessionID, runSelect+` WHERE r.session_id = ? AND r.parent_run_id = '' AND r.status IN (?, ?, ?)`+runOrder,
		sessionID, string(RunPending), string(RunRunning), string(RunAwaitingApproval))
	if err != nil || len(runs) == 0 {
		return Run{}, false, err
	}
	return runs[0], true, nil
}
