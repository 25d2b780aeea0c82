package journal

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrCorrupt means the file is not a SQLite database, is damaged, or is a
	// SQLite database that Corral did not create.
	ErrCorrupt = errors.New("journal: not a Corral database or corrupt")
	// ErrSchemaTooNew means the database was written by a newer Corral whose
	// schema this binary does not know.
	ErrSchemaTooNew = errors.New("journal: database schema is newer than this program")
	// ErrSchemaOld means a journal opened read-only has an older schema than
	// this program: it must be opened writable once to be migrated.
	ErrSchemaOld = errors.New("journal: database schema is older than this program; open it writable once to migrate it")
	// ErrReadOnly means a write to a journal opened read-only.
	ErrReadOnly = errors.New("journal: opened read-only")
	// ErrLocked means another connection held the database's write lock for
	// longer than the busy timeout.
	ErrLocked = errors.New("journal: database is locked")
	// ErrDiskFull means SQLite could not grow the database (SQLITE_FULL). The
	// write that hit it was rolled back; earlier records are intact.
	ErrDiskFull = errors.New("journal: disk full")
	// ErrNotFound means the session, run or step does not exist.
	ErrNotFound = errors.New("journal: not found")
	// ErrBusy is matched by [*SessionBusyError]: a session with a live run.
	ErrBusy = errors.New("journal: session has a live run")
	// ErrExists means a session or run with that id already exists.
	ErrExists = errors.New("journal: already exists")
	// ErrInterrupted is matched by [*InterruptedError].
	ErrInterrupted = errors.New("journal: step interrupted")
	// ErrStepFailed is matched by [*StepFailedError].
	ErrStepFailed = errors.New("journal: step failed")
	// ErrNondeterminism is matched by [*NondeterminismError].
	ErrNondeterminism = errors.New("journal: nondeterminism")
	// ErrStepUnfinished is matched by an error a step's function returns to
	// leave the step started instead of failed: the fault can be cleared (a
	// retry later, a person fixing a key) and the step run again.
	ErrStepUnfinished = errors.New("journal: step left unfinished")
	// ErrStepInFlight means Step was called for a (run, seq) that is already
	// running in this process.
	ErrStepInFlight = errors.New("journal: step is already running")
	// ErrNotInterrupted means Resolve was called for a step that is not in the
	// started state.
	ErrNotInterrupted = errors.New("journal: step is not interrupted")
	// ErrUnknownAction means an action to resolve a step is not rerun, skip
	// or fail ([ParseAction]).
	ErrUnknownAction = errors.New("journal: unknown action")
)

// StepRef names a step the way history and code are compared on replay.
type StepRef struct {
	Kind string
	Name string
}

// String returns the kind and quoted name, for example `tool "exec"`.
func (r StepRef) String() string { return fmt.Sprintf("%s %q", r.Kind, r.Name) }

// NondeterminismKind says how the code and the history disagree, in temporal's
// words: a missing step, an extra step or a different step.
type NondeterminismKind string

// The ways code and history disagree.
const (
	// DifferentStep: the history has another step (name or kind) at the seq
	// the code asked for.
	DifferentStep NondeterminismKind = "different"
	// MissingStep: the history has a step the code did not ask for; the code
	// finished before it reached it.
	MissingStep NondeterminismKind = "missing"
	// ExtraStep: the code asked for a step the history does not have, where
	// the history ended differently (a replay-only [Cursor] is at its end).
	ExtraStep NondeterminismKind = "extra"
)

// NondeterminismError reports that the code and the history of a run
// disagree at a sequence number: the run's code is not deterministic between
// steps, or it changed since the run was recorded. It is built by one
// function, so every caller reports the same way.
type NondeterminismError struct {
	// Kind says which of missing, extra or different it is.
	Kind  NondeterminismKind
	RunID string
	Seq   int
	// Want is the step recorded in the history (zero for an extra step).
	Want StepRef
	// Got is the step the code asked for on replay (zero for a missing step).
	Got StepRef
}

// nondeterminism builds every [*NondeterminismError].
func nondeterminism(kind NondeterminismKind, runID string, seq int, want, got StepRef) *NondeterminismError {
	return &NondeterminismError{Kind: kind, RunID: runID, Seq: seq, Want: want, Got: got}
}

func (e *NondeterminismError) Error() string {
	at := fmt.Sprintf("journal: nondeterminism in run %s at seq %d", e.RunID, e.Seq)
	switch e.Kind {
	case MissingStep:
		return fmt.Sprintf("%s: missing step: history has %s, code asked for no more steps", at, e.Want)
	case ExtraStep:
		return fmt.Sprintf("%s: extra step: history ended at seq %d, code asked for %s", at, e.Seq-1, e.Got)
	}
	return fmt.Sprintf("%s: history has %s, code asked for %s", at, e.Want, e.Got)
}

// Is reports whether target is [ErrNondeterminism].
func (e *NondeterminismError) Is(target error) bool { return target == ErrNondeterminism }

// InterruptedError reports a non-idempotent step found started: its side
// effect may or may not have happened, so it is not run again until resolved
// with [Journal.Resolve].
type InterruptedError struct {
	RunID string
	Seq   int
	Name  string
	Kind  string
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("journal: step interrupted: run %s seq %d %s %q was started but never finished; resolve it (rerun, skip or fail)",
		e.RunID, e.Seq, e.Kind, e.Name)
}

// Is reports whether target is [ErrInterrupted].
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// StepFailedError reports a step that failed, now or in the recorded history.
type StepFailedError struct {
	RunID   string
	Seq     int
	Name    string
	Kind    string
	Message string // the recorded error text
	// Err is the function's error when the step failed in this call; nil when
	// the failure was replayed from the history.
	Err error
}

func (e *StepFailedError) Error() string {
	return fmt.Sprintf("journal: step failed: run %s seq %d %s %q: %s", e.RunID, e.Seq, e.Kind, e.Name, e.Message)
}

// Is reports whether target is [ErrStepFailed].
func (e *StepFailedError) Is(target error) bool { return target == ErrStepFailed }

// Unwrap returns the function's error, if the step failed in this call.
func (e *StepFailedError) Unwrap() error { return e.Err }

// sqliteCode returns the primary and extended SQLite result codes of err, or
// zeros when err did not come from SQLite.
func sqliteCode(err error) (primary, extended int) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0, 0
	}
	return se.Code() & 0xff, se.Code()
}

// classify puts the matching sentinel in front of a SQLite error, so that
// callers can use errors.Is while the SQLite text stays in the message.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch primary, _ := sqliteCode(err); primary {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %w", ErrLocked, err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	if strings.Contains(err.Error(), "attempt to write a readonly database") {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return err
}

func isConstraint(err error, extended int) bool {
	_, ext := sqliteCode(err)
	return ext == extended
}
