package journal_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// bundle is what most tests need: an open journal with one session and run.
type bundle struct {
	ctx   context.Context
	path  string
	j     *journal.Journal
	runID string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	j := openT(t, path)
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Title: "test"}); err != nil {
		t.Fatalf("CreateSession() = %v", err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1", Agent: "coder"}); err != nil {
		t.Fatalf("CreateRun() = %v", err)
	}
	return &bundle{ctx: ctx, path: path, j: j, runID: "r1"}
}

func openT(t testing.TB, path string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// rawDB opens path with the driver directly, bypassing the journal, with
// the given DSN query (may be empty).
func rawDB(t *testing.T, path, query string) *sql.DB {
	t.Helper()
	dsn := path
	if query != "" {
		dsn += "?" + query
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("sql.Open(%q) = %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigrates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")

	// Fresh, then reopened twice: the schema is applied once and data stays.
	for i := range 3 {
		j, err := journal.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open #%d = %v", i+1, err)
		}
		if i == 0 {
			if _, err := j.CreateSession(ctx, journal.Session{ID: "s1"}); err != nil {
				t.Fatalf("CreateSession() = %v", err)
			}
		}
		sessions, err := j.Sessions(ctx)
		if err != nil || len(sessions) != 1 {
			t.Fatalf("Open #%d: Sessions() = %v, %v, want 1 session", i+1, sessions, err)
		}
		if err := j.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	}

	db := rawDB(t, path, "")
	var version, appID int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if version != journal.SchemaVersion() {
		t.Errorf("user_version = %d, want %d", version, journal.SchemaVersion())
	}
	if appID != 0x4352524c {
		t.Errorf("application_id = %#x, want %#x", appID, 0x4352524c)
	}
	for _, table := range []string{"sessions", "runs", "steps", "resumes"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count = %d, %v, want 1", table, n, err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	j := openT(t, path)
	j.Close()

	newer := journal.SchemaVersion() + 1
	if _, err := rawDB(t, path, "").Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	_, err := journal.Open(ctx, path)
	if !errors.Is(err, journal.ErrSchemaTooNew) {
		t.Fatalf("Open(%q) = %v, want %v", path, err, journal.ErrSchemaTooNew)
	}
	for _, want := range []string{path, fmt.Sprint(newer), "newer Corral"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) error %q does not mention %q", path, err, want)
		}
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 8192)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"random bytes", func(t *testing.T, path string) {
			if err := os.WriteFile(path, garbage, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"text file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 100), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"other application's sqlite database", func(t *testing.T, path string) {
			if _, err := rawDB(t, path, "").Exec("CREATE TABLE notes (body TEXT)"); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged journal", func(t *testing.T, path string) {
			j, err := journal.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			j.Close()
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(garbage[:4096], 0); err != nil { // the header page
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "corral.db")
			tt.write(t, path)
			j, err := journal.Open(t.Context(), path)
			if err == nil {
				j.Close()
			}
			if !errors.Is(err, journal.ErrCorrupt) {
				t.Fatalf("Open(%q) = %v, want %v", path, err, journal.ErrCorrupt)
			}
			for _, want := range []string{path, "not a Corral database or corrupt"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q) error %q does not mention %q", path, err, want)
				}
			}
		})
	}
}

// holdLock opens a second connection to path and holds an exclusive write
// lock until the test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	conn, err := rawDB(t, path, "").Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatalf("BEGIN EXCLUSIVE = %v", err)
	}
	t.Cleanup(func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
	})
}

func TestLocked(t *testing.T) {
	t.Parallel()
	opts := journal.Options{BusyTimeout: 20 * time.Millisecond}
	spec := journal.StepSpec{Name: "exec", Kind: "tool"}
	noop := func(context.Context) (journal.StepResult, error) { return journal.StepResult{}, nil }

	tests := []struct {
		name string
		op   func(ctx context.Context, j *journal.Journal) error
	}{
		{"CreateSession", func(ctx context.Context, j *journal.Journal) error {
			_, err := j.CreateSession(ctx, journal.Session{ID: "s2"})
			return err
		}},
		{"CreateRun", func(ctx context.Context, j *journal.Journal) error {
			_, err := j.CreateRun(ctx, journal.Run{ID: "r2", SessionID: "s1"})
			return err
		}},
		{"SetRunStatus", func(ctx context.Context, j *journal.Journal) error {
			return j.SetRunStatus(ctx, "r1", journal.RunCompleted, "")
		}},
		{"Step", func(ctx context.Context, j *journal.Journal) error {
			_, err := j.Step(ctx, "r1", 1, spec, noop)
			return err
		}},
		{"Record", func(ctx context.Context, j *journal.Journal) error {
			_, err := j.Record(ctx, "r1", 1, spec, journal.StepResult{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.j.Close()
			j, err := journal.OpenWith(b.ctx, b.path, opts)
			if err != nil {
				t.Fatalf("OpenWith() = %v", err)
			}
			defer j.Close()
			holdLock(t, b.path)

			err = tt.op(b.ctx, j)
			if !errors.Is(err, journal.ErrLocked) {
				t.Fatalf("%s() = %v, want %v", tt.name, err, journal.ErrLocked)
			}
			if !strings.Contains(err.Error(), "journal: database is locked") {
				t.Errorf("%s() error %q does not say the database is locked", tt.name, err)
			}
			// Reads still work: WAL lets readers past a writer.
			if _, err := j.Run(b.ctx, "r1"); err != nil {
				t.Errorf("Run() while locked = %v, want nil", err)
			}
		})
	}

	t.Run("Open of a new file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "corral.db")
		holdLock(t, path)
		j, err := journal.OpenWith(t.Context(), path, opts)
		if err == nil {
			j.Close()
		}
		if !errors.Is(err, journal.ErrLocked) {
			t.Fatalf("OpenWith(%q) = %v, want %v", path, err, journal.ErrLocked)
		}
	})
}

func TestDiskFull(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	j, err := journal.OpenWithMaxPageCount(ctx, path, 64)
	if err != nil {
		t.Fatalf("OpenWithMaxPageCount() = %v", err)
	}
	defer j.Close()
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}

	output := func(seq int) []byte { return bytes.Repeat([]byte{byte('a' + seq%26)}, 16<<10) }
	var (
		seq     int
		lastErr error
	)
	for seq = 1; seq <= 100; seq++ {
		_, lastErr = j.Step(ctx, "r1", seq, journal.StepSpec{Name: "read", Kind: "tool"},
			func(context.Context) (journal.StepResult, error) {
				return journal.StepResult{Output: output(seq)}, nil
			})
		if lastErr != nil {
			break
		}
	}
	if !errors.Is(lastErr, journal.ErrDiskFull) {
		t.Fatalf("Step(%d) = %v, want %v", seq, lastErr, journal.ErrDiskFull)
	}
	if seq < 2 {
		t.Fatalf("disk full at the first step; the test needs earlier steps to check")
	}
	j.Close()

	// The earlier steps are intact, and the one that hit the full disk is
	// either absent or started, never completed without its output.
	j = openT(t, path)
	steps, err := j.Steps(ctx, "r1")
	if err != nil {
		t.Fatalf("Steps() = %v", err)
	}
	if len(steps) < seq-1 {
		t.Fatalf("Steps() returned %d steps, want at least %d", len(steps), seq-1)
	}
	for _, s := range steps[:seq-1] {
		if s.Status != journal.StepCompleted || !bytes.Equal(s.Output, output(s.Seq)) {
			t.Errorf("step %d after disk full: status %s, %d output bytes, want completed with %d bytes",
				s.Seq, s.Status, len(s.Output), len(output(s.Seq)))
		}
	}
	if len(steps) == seq {
		if s := steps[seq-1]; s.Status != journal.StepStarted || s.Output != nil {
			t.Errorf("step %d that hit disk full: status %s, %d output bytes, want started with none", s.Seq, s.Status, len(s.Output))
		}
	}
}
