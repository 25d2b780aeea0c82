package journal_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
)

// benchOutput is a typical small tool result.
var benchOutput = bytes.Repeat([]byte(`{"stdout":"ok\n","exit":0}`), 8)

func benchJournal(b *testing.B, opts journal.Options) (*journal.Journal, string) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "corral.db")
	j, err := journal.OpenWith(ctx, path, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1"}); err != nil {
		b.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1"}); err != nil {
		b.Fatal(err)
	}
	return j, path
}

// BenchmarkStep measures one new durable step: the started INSERT (its own
// transaction, fsynced before fn runs) and the completed UPDATE (its own
// transaction). "default" lets the completion ride on the next step's
// fsync; "durable-finish" fsyncs it too.
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts journal.Options
	}{
		{"default", journal.Options{}},
		{"durable-finish", journal.Options{DurableFinish: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			j, _ := benchJournal(b, bc.opts)
			spec := journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"cmd":"go test ./..."}`)}
			fn := func(context.Context) (journal.StepResult, error) {
				return journal.StepResult{Output: benchOutput, Usage: journal.Usage{InputTokens: 10}}, nil
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := j.Step(ctx, "r1", i+1, spec, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlainInsertCommit is the baseline for BenchmarkStep: one INSERT
// of a row of the same size in its own transaction, with the journal's
// pragmas (WAL, synchronous=FULL) on the same file system.
func BenchmarkPlainInsertCommit(b *testing.B) {
	ctx := context.Background()
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "plain.db")+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (run_id TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT, kind TEXT,
		input BLOB, output BLOB, PRIMARY KEY (run_id, seq)) STRICT`); err != nil {
		b.Fatal(err)
	}
	// Prepared once, like the journal's step statements, so the baseline
	// is the cheapest insert+commit, not one that also parses SQL.
	insert, err := db.PrepareContext(ctx, `INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer insert.Close()
	b.ResetTimer()
	for i := range b.N {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.StmtContext(ctx, insert).ExecContext(ctx,
			"r1", i+1, "exec", "tool", []byte(`{"cmd":"go test ./..."}`), benchOutput); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResume10k measures resuming a run with 10,000 completed steps:
// loading its history, replaying the last recorded step and starting the
// next new one. "replay-all" replays every step through Step instead, as a
// run that re-executes its code from the top does.
func BenchmarkResume10k(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	j, path := benchJournal(b, journal.Options{})
	spec := journal.StepSpec{Name: "exec", Kind: "tool", Input: []byte(`{"cmd":"go test ./..."}`)}
	for i := 1; i <= n; i++ {
		if _, err := j.Record(ctx, "r1", i, spec, journal.StepResult{Output: benchOutput}); err != nil {
			b.Fatal(err)
		}
	}
	j.Close()
	noop := func(context.Context) (journal.StepResult, error) { return journal.StepResult{Output: benchOutput}, nil }

	b.Run("load+next", func(b *testing.B) {
		j := openT(b, path)
		// Each iteration adds a step; the benchmark function runs several
		// times on the same file.
		last, err := j.LastSeq(ctx, "r1")
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			steps, err := j.Steps(ctx, "r1")
			if err != nil || len(steps) != last+i {
				b.Fatalf("Steps() = %d steps, %v, want %d", len(steps), err, last+i)
			}
			if s, err := j.Step(ctx, "r1", last+i, spec, noop); err != nil || !s.Replayed {
				b.Fatalf("Step(%d) = %+v, %v, want replayed", last+i, s, err)
			}
			if s, err := j.Step(ctx, "r1", last+i+1, spec, noop); err != nil || s.Replayed {
				b.Fatalf("Step(%d) = %+v, %v, want new", last+i+1, s, err)
			}
		}
	})

	b.Run("replay-all", func(b *testing.B) {
		j := openT(b, path)
		b.ResetTimer()
		for range b.N {
			for seq := 1; seq <= n; seq++ {
				if _, err := j.Step(ctx, "r1", seq, spec, noop); err != nil {
					b.Fatal(fmt.Errorf("Step(%d) = %w", seq, err))
				}
			}
		}
	})
}
