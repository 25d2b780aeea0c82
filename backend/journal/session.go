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

// Origin says where a session's runs were recorded.
type Origin string

// Session origins.
const (
	// OriginLocal: the runs ran here (the zero value means local too).
	OriginLocal Origin = "local"
	// OriginImported: the runs were loaded from an exported trace; they are read-only.
	OriginImported Origin = "imported"
)

// Session is a conversation: a titled sequence of runs in one workspace.
type Session struct {
	ID        string
	Title     string
	Workspace string
	// Origin is OriginLocal or OriginImported; empty means local. ImportedFrom is the file
	// name an imported session was loaded from and ImportedAt when (zero when unknown).
	Origin       Origin
	ImportedFrom string
	ImportedAt   time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Imported reports whether the session was loaded from an exported trace.
func (s Session) Imported() bool { return s.Origin == OriginImported }

const sessionColumns = `id, title, workspace, origin, imported_from, imported_at, created_at, updated_at`

func scanSession(r scanner) (Session, error) {
	var s Session
	var created, updated int64
	var imported sql.NullInt64
	var origin string
	if err := r.Scan(&s.ID, &s.Title, &s.Workspace, &origin, &s.ImportedFrom, &imported, &created, &updated); err != nil {
		return Session{}, err
	}
	s.Origin = Origin(origin)
	if imported.Valid {
		s.ImportedAt = fromStamp(imported.Int64)
	}
	s.CreatedAt, s.UpdatedAt = fromStamp(created), fromStamp(updated)
	return s, nil
}

// originValue is what a session's origin is stored as.
func originValue(o Origin) (string, error) {
	switch o {
	case "", OriginLocal:
		return string(OriginLocal), nil
	case OriginImported:
		return string(o), nil
	}
	return "", fmt.Errorf("unknown origin %q", o)
}

// CreateSession stores a new session with the caller's id and returns it
// with its times set. An id in use is ErrExists.
func (j *Journal) CreateSession(ctx context.Context, s Session) (Session, error) {
	if s.ID == "" {
		return Session{}, errors.New("create session: empty id")
	}
	origin, err := originValue(s.Origin)
	if err != nil {
		return Session{}, fmt.Errorf("create session %s: %w", s.ID, err)
	}
	s.Origin = Origin(origin)
	now := j.stamp()
	_, err = j.exec(ctx, j.db, `INSERT INTO sessions (id, title, workspace, origin, imported_from, imported_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.Title, s.Workspace, origin, s.ImportedFrom, stampOrNull(s.ImportedAt), now, now)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			err = ErrExists
		}
		return Session{}, fmt.Errorf("create session %s: %w", s.ID, err)
	}
	s.CreatedAt, s.UpdatedAt = fromStamp(now), fromStamp(now)
	return s, nil
}

// Session returns the session with the given id, or ErrNotFound.
func (j *Journal) Session(ctx context.Context, id string) (Session, error) {
	s, err := scanSession(j.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	case err != nil:
		return Session{}, fmt.Errorf("session %s: %w", id, classify(err))
	}
	return s, nil
}

// Sessions lists all sessions, most recently active first (a new run makes a
// session active; a rename does not).
func (j *Journal) Sessions(ctx context.Context) ([]Session, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions ORDER BY updated_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", classify(err))
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions: %w", classify(err))
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions: %w", classify(err))
	}
	return out, nil
}

// RenameSession sets a session's title. It does not make the session active: a rename
// leaves the list's order as it was.
func (j *Journal) RenameSession(ctx context.Context, id, title string) error {
	res, err := j.exec(ctx, j.db, `UPDATE sessions SET title = ? WHERE id = ?`, title, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("rename session %s: %w", id, err)
	}
	return nil
}

// SessionBusyError refuses to delete a session while one of its runs is pending or running:
// deleting it would pull the journal (and maybe the workspace) from under a live process.
// Cancel the run first.
type SessionBusyError struct {
	SessionID string
	// Runs are the live runs, with their status.
	Runs []Run
}

func (e *SessionBusyError) Error() string {
	ids := make([]string, len(e.Runs))
	for i, r := range e.Runs {
		ids[i] = fmt.Sprintf("%s (%s)", r.ID, r.Status)
	}
	return fmt.Sprintf("session %s has a live run: %s; cancel it first", e.SessionID, strings.Join(ids, ", "))
}

// Is reports whether target is [ErrBusy].
func (e *SessionBusyError) Is(target error) bool { return target == ErrBusy }

// DeleteSession deletes a session with its runs and their steps, in one transaction, and
// returns the ids of the runs it deleted. A session with a pending or running run is not
// deleted: [*SessionBusyError] (matching [ErrBusy]) names the runs. Runs that wait for a
// person (awaiting approval, interrupted) hold no process and are deleted with the session.
func (j *Journal) DeleteSession(ctx context.Context, id string) ([]string, error) {
	var deleted []string
	err := j.tx(ctx, func(tx *sql.Tx) error {
		deleted = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, status FROM runs WHERE session_id = ? ORDER BY created_at, id`, id)
		if err != nil {
			return err
		}
		var live []Run
		for rows.Next() {
			var r Run
			var status string
			if err := rows.Scan(&r.ID, &status); err != nil {
				rows.Close()
				return err
			}
			r.SessionID, r.Status = id, RunStatus(status)
			if r.Status == RunPending || r.Status == RunRunning {
				live = append(live, r)
			}
			deleted = append(deleted, r.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(live) > 0 {
			return &SessionBusyError{SessionID: id, Runs: live}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		var busy *SessionBusyError
		if errors.As(err, &busy) {
			return nil, err
		}
		return nil, fmt.Errorf("delete session %s: %w", id, classify(err))
	}
	return deleted, nil
}

// stampOrNull stores a zero time as NULL.
func stampOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// mustAffect turns "no row matched" into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
