package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// One driver per run: a process that drives a run holds its lease, taken in the same
// transaction that marks the run running ([Journal.ClaimRun]) and refreshed by a heartbeat
// while it drives. Every other process (a window's auto-resume, `corral resume`, `corral
// resolve`) may take the run only when nobody holds it, when its holder is provably dead (the
// same machine has no such process: the pid is gone, or was reused by a process that started
// later, or the machine rebooted), or, where that cannot be checked (another machine sharing
// the data directory), when the holder's heartbeat is older than the lease's time to live.

// Lease timing defaults.
const (
	// DefaultHeartbeat is how often a held lease is refreshed.
	DefaultHeartbeat = 10 * time.Second
	// DefaultLeaseTTL is how old a heartbeat must be before a holder whose liveness cannot be
	// checked is taken to be gone.
	DefaultLeaseTTL = 45 * time.Second
)

// ErrLeased is matched by [*LeasedError]: another live process drives the run.
var ErrLeased = errors.New("journal: run is driven by another process")

// ErrRunChanged means a run's status changed between reading it and claiming it: another
// process drove it meanwhile. Read it again.
var ErrRunChanged = errors.New("journal: the run changed meanwhile")

// Owner identifies the process (and the open journal in it) that drives a run.
type Owner struct {
	// ID is random for each open [Journal]: two journals opened by one process are two owners.
	ID string
	// PID is the owner's process id.
	PID int
	// Start tells the process apart from a later one with the same pid: the machine's boot
	// id and the process's start time ("" where the platform does not say).
	Start string
	// Host is the machine's host name.
	Host string
}

// LeasedError reports a run that another live process drives.
type LeasedError struct {
	RunID string
	Owner Owner
	// Heartbeat is when the owner last said it was driving the run.
	Heartbeat time.Time
}

func (e *LeasedError) Error() string {
	where := fmt.Sprintf("process %d", e.Owner.PID)
	if h, _ := os.Hostname(); e.Owner.Host != "" && e.Owner.Host != h {
		where += " on " + e.Owner.Host
	}
	return fmt.Sprintf("journal: run %s is being driven by another Corral (%s, last heard from %s ago); wait for it to finish or stop that process",
		e.RunID, where, time.Since(e.Heartbeat).Round(time.Second))
}

// Is reports whether target is [ErrLeased].
func (e *LeasedError) Is(target error) bool { return target == ErrLeased }

// Owner returns the identity this journal claims runs under.
func (j *Journal) Owner() Owner { return j.owner }

// Lease is a held claim on driving one run. Release it when the drive ends.
type Lease struct {
	j     *Journal
	runID string
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// ClaimRun marks a run running under this journal's owner and returns the lease, in one
// transaction with the resume when resume is not nil (a crash leaves both or neither). The
// run must still be in the status from, as the caller read it (else [ErrRunChanged]). It
// fails with a [*LeasedError] when another live process drives the run. While the lease is
// held a heartbeat refreshes it; onLost (which may be nil) is called, once, if another
// process took the run meanwhile (its holder had been silent past the lease's time to live),
// so the caller can stop driving. While another run of the same session is in progress it
// fails with a [*SessionInUseError]: one run at a time per session.
func (j *Journal) ClaimRun(ctx context.Context, runID string, from RunStatus, resume *Resume, onLost func()) (*Lease, Resume, error) {
	var out Resume
	if resume != nil {
		if err := resume.check(); err != nil {
			return nil, out, fmt.Errorf("claim run %s: resume: %w", runID, err)
		}
		out = *resume
		out.RunID = runID
	}
	now := j.stamp()
	if resume != nil && out.At.IsZero() {
		out.At = fromStamp(now)
	}
	err := j.tx(ctx, func(tx *sql.Tx) error {
		held, beat, err := readOwner(ctx, tx, runID)
		if err != nil {
			return err
		}
		if !j.takeable(held, beat, now) {
			return &LeasedError{RunID: runID, Owner: held, Heartbeat: fromStamp(beat)}
		}
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, runID).Scan(&status); err != nil {
			return err
		}
		if RunStatus(status) != from {
			return fmt.Errorf("%w: it is %s now, not %s", ErrRunChanged, status, from)
		}
		var session, parent string
		if err := tx.QueryRowContext(ctx, `SELECT session_id, parent_run_id FROM runs WHERE id = ?`, runID).Scan(&session, &parent); err != nil {
			return err
		}
		// A subagent's run goes on while its parent holds the session.
		if parent == "" {
			if err := j.checkSessionFree(ctx, tx, session, runID); err != nil {
				return err
			}
		}
		o := j.owner
		// Compare and swap on the holder read above: a process that claimed it in between
		// changed owner or heartbeat, and this update then touches nothing.
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = '', updated_at = ?,
			owner = ?, owner_pid = ?, owner_start = ?, owner_host = ?, heartbeat = ?
			WHERE id = ? AND owner = ? AND heartbeat = ?`,
			string(RunRunning), now, o.ID, o.PID, o.Start, o.Host, now, runID, held.ID, beat)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &LeasedError{RunID: runID, Owner: held, Heartbeat: fromStamp(beat)}
		}
		if resume == nil {
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) + 1 FROM resumes WHERE run_id = ?`, runID).Scan(&out.N); err != nil {
			return err
		}
		return insertResume(ctx, tx, runID, out.N, out)
	})
	if err != nil {
		return nil, Resume{}, fmt.Errorf("claim run %s: %w", runID, err)
	}
	out.At = out.At.UTC()
	l := &Lease{j: j, runID: runID, stop: make(chan struct{}), done: make(chan struct{})}
	go l.beat(onLost)
	return l, out, nil
}

// readOwner returns who holds a run and when it last said so.
func readOwner(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, runID string) (Owner, int64, error) {
	var o Owner
	var beat int64
	err := q.QueryRowContext(ctx, `SELECT owner, owner_pid, owner_start, owner_host, heartbeat FROM runs WHERE id = ?`, runID).
		Scan(&o.ID, &o.PID, &o.Start, &o.Host, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return o, 0, fmt.Errorf("run %s: %w", runID, ErrNotFound)
	}
	return o, beat, err
}

// takeable reports whether this journal may take a run held by o (heartbeat at beat).
func (j *Journal) takeable(o Owner, beat, now int64) bool {
	switch {
	case o.ID == "" || o.ID == j.owner.ID:
		return true
	case o.Host == j.owner.Host:
		alive, known := processAlive(o)
		if known {
			return !alive
		}
	}
	return now-beat > int64(j.leaseTTL)
}

// checkNotLeased fails with a [*LeasedError] when another live process drives the run.
func (j *Journal) checkNotLeased(ctx context.Context, tx *sql.Tx, runID string) error {
	held, beat, err := readOwner(ctx, tx, runID)
	if err != nil {
		return err
	}
	if !j.takeable(held, beat, j.stamp()) {
		return &LeasedError{RunID: runID, Owner: held, Heartbeat: fromStamp(beat)}
	}
	return nil
}

// DrivenElsewhere reports whether another live process holds the run's lease now, with
// that process; a run nobody drives, or that this journal drives, is not.
func (j *Journal) DrivenElsewhere(ctx context.Context, runID string) (Owner, bool, error) {
	held, beat, err := readOwner(ctx, j.db, runID)
	if err != nil {
		return Owner{}, false, fmt.Errorf("owner of %s: %w", runID, classify(err))
	}
	if held.ID == j.owner.ID || j.takeable(held, beat, j.stamp()) {
		return Owner{}, false, nil
	}
	return held, true, nil
}

// beat refreshes the lease until Release, and reports a lost one.
func (l *Lease) beat(onLost func()) {
	defer close(l.done)
	t := time.NewTicker(l.j.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		res, err := l.j.exec(context.Background(), l.j.db, `UPDATE runs SET heartbeat = ? WHERE id = ? AND owner = ?`,
			l.j.stamp(), l.runID, l.j.owner.ID)
		if err != nil {
			continue // a locked or full database: try again at the next beat
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if onLost != nil {
				onLost()
			}
			return
		}
		if l.j.onBeat != nil {
			l.j.onBeat()
		}
	}
}

// Release stops the heartbeat and waits for it. The run's next status ([Journal.SetRunStatus]
// with anything but running) gives the run up; Release alone leaves the claim to expire,
// which is what a process that dies does. It is safe to call more than once.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}
