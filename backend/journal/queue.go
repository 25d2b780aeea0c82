package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// QueuedPrompt is a prompt sent to a session while a run of it was in progress, waiting
// for that run to end. It is kept here so it outlives the process that queued it; its run
// is recorded when the session is free, taking it off the queue in the same transaction
// (Run.FromQueue).
type QueuedPrompt struct {
	ID        string
	SessionID string
	// Request is the start request as the caller encoded it; the journal does not read it.
	Request   []byte
	CreatedAt time.Time
}

// Enqueue stores a queued prompt; a missing session is ErrNotFound, a taken id ErrExists.
func (j *Journal) Enqueue(ctx context.Context, q QueuedPrompt) (QueuedPrompt, error) {
	if q.ID == "" {
		return q, errors.New("enqueue: empty id")
	}
	now := j.stamp()
	_, err := j.exec(ctx, j.db, `INSERT INTO queued_prompts (id, session_id, request, created_at) VALUES (?, ?, ?, ?)`,
		q.ID, q.SessionID, string(q.Request), now)
	switch {
	case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
		return q, fmt.Errorf("enqueue %s: %w", q.ID, ErrExists)
	case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
		return q, fmt.Errorf("enqueue %s: session %s: %w", q.ID, q.SessionID, ErrNotFound)
	case err != nil:
		return q, fmt.Errorf("enqueue %s: %w", q.ID, err)
	}
	q.CreatedAt = fromStamp(now)
	return q, nil
}

// QueuedPrompts lists the queued prompts, oldest first.
func (j *Journal) QueuedPrompts(ctx context.Context) ([]QueuedPrompt, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT id, session_id, request, created_at FROM queued_prompts ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("queued prompts: %w", classify(err))
	}
	defer rows.Close()
	var out []QueuedPrompt
	for rows.Next() {
		var q QueuedPrompt
		var req string
		var at int64
		if err := rows.Scan(&q.ID, &q.SessionID, &req, &at); err != nil {
			return nil, fmt.Errorf("queued prompts: %w", classify(err))
		}
		q.Request, q.CreatedAt = []byte(req), fromStamp(at)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queued prompts: %w", classify(err))
	}
	return out, nil
}

// Dequeue removes a queued prompt (a person dropped it); it reports whether there was one.
func (j *Journal) Dequeue(ctx context.Context, id string) (bool, error) {
	res, err := j.exec(ctx, j.db, `DELETE FROM queued_prompts WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("dequeue %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// takeQueued deletes the queued prompt a run being created takes off the queue; it must
// still be there (another process may have started it).
func takeQueued(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM queued_prompts WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("queued prompt %s: %w (another process started it, or it was dropped)", id, ErrNotFound)
	}
	return nil
}
