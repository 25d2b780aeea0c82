package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// Session is a conversation: a titled sequence of runs in one workspace.
type Session struct {
	ID        string
	Title     string
	Workspace string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const sessionColumns = `id, title, workspace, created_at, updated_at`

func scanSession(r scanner) (Session, error) {
	var s Session
	var created, updated int64
	if err := r.Scan(&s.ID, &s.Title, &s.Workspace, &created, &updated); err != nil {
		return Session{}, err
	}
	s.CreatedAt, s.UpdatedAt = fromStamp(created), fromStamp(updated)
	return s, nil
}

// CreateSession stores a new session with the caller's id and returns it
// with its times set. An id in use is ErrExists.
func (j *Journal) CreateSession(ctx context.Context, s Session) (Session, error) {
	if s.ID == "" {
		return Session{}, errors.New("create session: empty id")
	}
	now := j.stamp()
	_, err := j.exec(ctx, j.db, `INSERT INTO sessions (id, title, workspace, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.Title, s.Workspace, now, now)
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

// Sessions lists all sessions, most recently active first (a new run or a
// rename makes a session active).
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

// RenameSession sets a session's title.
func (j *Journal) RenameSession(ctx context.Context, id, title string) error {
	res, err := j.exec(ctx, j.db, `UPDATE sessions SET title = ?, updated_at = ? WHERE id = ?`, title, j.stamp(), id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("rename session %s: %w", id, err)
	}
	return nil
}

// DeleteSession deletes a session with its runs and their steps.
func (j *Journal) DeleteSession(ctx context.Context, id string) error {
	res, err := j.exec(ctx, j.db, `DELETE FROM sessions WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	return nil
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
