package journal

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		want     []int
		wantErrs string
	}{
		{"ordered by number", fstest.MapFS{
			"migrations/0002_b.sql": file("B"),
			"migrations/0001_a.sql": file("A"),
		}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{
			"migrations/0001_a.sql": file("A"),
			"migrations/0003_c.sql": file("C"),
		}, nil, "want version 2"},
		{"bad name", fstest.MapFS{
			"migrations/1_a.sql": file("A"),
		}, nil, "name must look like"},
		{"none", fstest.MapFS{}, nil, "no migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ms, err := loadMigrations(tt.fsys)
			if tt.wantErrs != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrs) {
					t.Fatalf("loadMigrations() = %v, want error containing %q", err, tt.wantErrs)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadMigrations() = %v", err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if len(got) != len(tt.want) || got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1] {
				t.Errorf("loadMigrations() versions = %v, want %v", got, tt.want)
			}
		})
	}

	if len(migrations) == 0 || migrations[0].name != "0001_init.sql" {
		t.Errorf("embedded migrations = %v, want 0001_init.sql first", migrations)
	}
}

// TestMigrationIsOneTransaction applies a second migration that fails half
// way: nothing of it remains, and the version stays at 1.
func TestMigrationIsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j, err := Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	bad := append(migrations[:len(migrations):len(migrations)], migration{
		version: len(migrations) + 1, name: "9999_bad.sql",
		sql: "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);",
	})
	if err := j.migrate(ctx, bad); err == nil || !strings.Contains(err.Error(), "9999_bad.sql") {
		t.Fatalf("migrate(bad) = %v, want an error naming 9999_bad.sql", err)
	}
	var version, tables int
	j.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	j.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'half'").Scan(&tables)
	if version != len(migrations) || tables != 0 {
		t.Errorf("after failed migration: user_version %d, table half %d times, want %d and 0", version, tables, len(migrations))
	}

	good := append(migrations[:len(migrations):len(migrations)], migration{
		version: len(migrations) + 1, name: "9999_good.sql", sql: "CREATE TABLE whole (x INTEGER);",
	})
	if err := j.migrate(ctx, good); err != nil {
		t.Fatalf("migrate(good) = %v", err)
	}
	j.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	if version != len(good) {
		t.Errorf("after migration: user_version = %d, want %d", version, len(good))
	}
}

// TestPragmas checks every connection of both pools, and that checkPragmas
// notices a connection opened without them.
func TestPragmas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	j, err := OpenWith(ctx, path, Options{BusyTimeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	pools := []struct {
		name  string
		db    *sql.DB
		conns int
		sync  int
	}{
		{"durable", j.db, readConns + 1, syncFull},
		{"lazy", j.lazy, 1, syncNormal},
	}
	for _, p := range pools {
		// Hold every connection at once so each is a distinct one.
		var conns []*sql.Conn
		for range p.conns {
			c, err := p.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			var mode string
			var sync, fk, busy int
			c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
			c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
			c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
			c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
			if mode != "wal" || sync != p.sync || fk != 1 || busy != 1500 {
				t.Errorf("%s conn %d: journal_mode %s, synchronous %d, foreign_keys %d, busy_timeout %d; want wal, %d, 1, 1500",
					p.name, i, mode, sync, fk, busy, p.sync)
			}
			c.Close()
		}
	}

	plain, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	err = checkPragmas(ctx, plain, pragmas{busyTimeout: time.Second, synchronous: syncFull})
	for _, want := range []string{"pragmas not applied", "journal_mode is delete, want wal", "foreign_keys is 0, want 1", "busy_timeout is 0, want 1000"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkPragmas(plain) = %v, want an error containing %q", err, want)
		}
	}
}

// TestOpenConcurrently opens one new file from several journals at once, as
// two processes starting together would: each migration applies once.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			j, err := Open(ctx, path)
			if err == nil {
				err = j.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d = %v", i, err)
		}
	}
}

// TestOriginMigration: sessions a version 1 journal holds get their origin from the id
// prefix the importer gave them, once, when the file is migrated.
func TestOriginMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j, err := Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// Rebuild the file as version 1 wrote it.
	for _, q := range []string{"DROP TABLE queued_prompts", "DROP TABLE forks", "DROP TABLE restores", "DROP TABLE checkpoints", "DROP TABLE resumes", "DROP TABLE steps", "DROP TABLE runs", "DROP TABLE sessions", "PRAGMA user_version = 0"} {
		if _, err := j.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.migrate(ctx, migrations[:1]); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ses_1", "imp_ses_2", "ximp_3"} {
		if _, err := j.db.ExecContext(ctx, `INSERT INTO sessions (id, created_at, updated_at) VALUES (?, 1, 1)`, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.migrate(ctx, migrations); err != nil {
		t.Fatalf("migrate() = %v", err)
	}
	want := map[string]Origin{"ses_1": OriginLocal, "imp_ses_2": OriginImported, "ximp_3": OriginLocal}
	for id, origin := range want {
		s, err := j.Session(ctx, id)
		if err != nil || s.Origin != origin {
			t.Errorf("Session(%q) after migration = origin %q, %v, want %q", id, s.Origin, err, origin)
		}
	}
}

// TestRunTotalsMigration: runs a journal held before 0007_run_totals get their step count,
// tokens and cost summed from their steps when the file is migrated, and the triggers keep
// them from then on.
func TestRunTotalsMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := journalBefore(t, "0007_run_totals.sql")
	for _, q := range []string{
		`INSERT INTO sessions (id, created_at, updated_at) VALUES ('s', 1, 1)`,
		`INSERT INTO runs (id, session_id, status, created_at, updated_at) VALUES ('r', 's', 'completed', 1, 1), ('empty', 's', 'completed', 2, 2)`,
		`INSERT INTO steps (run_id, seq, name, kind, status, started_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
			VALUES ('r', 1, 'model', 'llm', 'completed', 1, 100, 10, 50, 5, 0.5), ('r', 2, 'exec', 'tool', 'completed', 1, 0, 0, 0, 0, 0),
			('r', 3, 'model', 'llm', 'completed', 1, 200, 20, 0, 0, 0.25)`,
	} {
		if _, err := j.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.migrate(ctx, migrations); err != nil {
		t.Fatalf("migrate() = %v", err)
	}
	want := Usage{InputTokens: 300, OutputTokens: 30, CacheReadTokens: 50, CacheWriteTokens: 5}
	if r, err := j.Run(ctx, "r"); err != nil || r.Steps != 3 || r.Usage != want || r.CostUSD != 0.75 {
		t.Errorf("Run(r) after migration = %d steps, %+v, $%v, %v; want 3, %+v, $0.75", r.Steps, r.Usage, r.CostUSD, err, want)
	}
	if r, err := j.Run(ctx, "empty"); err != nil || r.Steps != 0 || r.Usage != (Usage{}) || r.CostUSD != 0 {
		t.Errorf("Run(empty) after migration = %d steps, %+v, $%v, %v; want nothing", r.Steps, r.Usage, r.CostUSD, err)
	}
	if _, err := j.db.ExecContext(ctx, `DELETE FROM steps WHERE run_id = 'r' AND seq = 3`); err != nil {
		t.Fatal(err)
	}
	want = Usage{InputTokens: 100, OutputTokens: 10, CacheReadTokens: 50, CacheWriteTokens: 5}
	if r, err := j.Run(ctx, "r"); err != nil || r.Steps != 2 || r.Usage != want || r.CostUSD != 0.5 {
		t.Errorf("Run(r) after a step's deletion = %d steps, %+v, $%v, %v; want 2, %+v, $0.5", r.Steps, r.Usage, r.CostUSD, err, want)
	}
}

// journalBefore opens a journal whose file is as the version before the migration named
// name wrote it: the migrations up to that one, and not it.
func journalBefore(t *testing.T, name string) *Journal {
	t.Helper()
	ctx := t.Context()
	before := -1
	for i, m := range migrations {
		if m.name == name {
			before = i
		}
	}
	if before < 0 {
		t.Fatalf("no %s among the migrations", name)
	}
	j, err := Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	for _, q := range []string{"DROP TABLE queued_prompts", "DROP TABLE forks", "DROP TABLE restores", "DROP TABLE checkpoints", "DROP TABLE resumes", "DROP TABLE steps", "DROP TABLE runs", "DROP TABLE sessions", "PRAGMA user_version = 0"} {
		if _, err := j.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.migrate(ctx, migrations[:before]); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestRunTimeIndexMigration: a journal of the version before 0008_run_time_index, holding
// runs with steps, migrates to one whose page of recent runs (RunFilter.Limit) is read from
// the new index, with the runs and their totals as they were.
func TestRunTimeIndexMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := journalBefore(t, "0008_run_time_index.sql")
	for i := range 30 {
		sid, rid := fmt.Sprintf("s%02d", i), fmt.Sprintf("r%02d", i)
		if _, err := j.db.ExecContext(ctx, `INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)`, sid, i, i); err != nil {
			t.Fatal(err)
		}
		// Created in an order unlike the ids', so the page follows time, not id.
		created := (i * 7) % 30
		if _, err := j.db.ExecContext(ctx, `INSERT INTO runs (id, session_id, status, created_at, updated_at) VALUES (?, ?, 'completed', ?, ?)`, rid, sid, created, created); err != nil {
			t.Fatal(err)
		}
		for seq := 1; seq <= 3; seq++ {
			if _, err := j.db.ExecContext(ctx, `INSERT INTO steps (run_id, seq, name, kind, status, started_at, input_tokens, cost_usd)
				VALUES (?, ?, 'model', 'llm', 'completed', 1, 10, 0.5)`, rid, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := j.migrate(ctx, migrations); err != nil {
		t.Fatalf("migrate() = %v", err)
	}
	var plan strings.Builder
	rows, err := j.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM runs ORDER BY created_at DESC, id DESC LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "; ")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "runs_by_time") || strings.Contains(plan.String(), "TEMP B-TREE") {
		t.Errorf("plan of the newest runs after migration = %q, want the index runs_by_time and no sort", plan.String())
	}
	runs, err := j.Runs(ctx, RunFilter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
		if r.Steps != 3 || r.Usage.InputTokens != 30 || r.CostUSD != 1.5 {
			t.Errorf("run %s after migration = %d steps, %d input tokens, $%v; want 3, 30, $1.5", r.ID, r.Steps, r.Usage.InputTokens, r.CostUSD)
		}
	}
	// created 27, 28, 29: i*7 % 30 is 27 at i=21, 28 at i=4, 29 at i=17.
	if want := []string{"r21", "r04", "r17"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Runs(Limit 3) after migration = %v, want %v (the newest, oldest first)", got, want)
	}
}
