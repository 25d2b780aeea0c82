//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// Sizes of the big journal (issue 21): bigSessions sessions of one run each, bigRunSteps
// steps a run, so a million steps in all.
const (
	bigSessions = 10_000
	bigRunSteps = 100
)

// seedBigJournal writes bigSessions finished sessions of one bigRunSteps-step run each into
// the journal of dataDir: small records (what is measured is finding and summing rows, not
// reading large ones). It returns the id of a run in the middle.
func seedBigJournal(tb testing.TB, dataDir string) string {
	tb.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(dataDir, "corral.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer j.Close()
	start := time.Now().Add(-24 * time.Hour)
	for i := range bigSessions {
		at := start.Add(time.Duration(i) * time.Second)
		sid, rid := fmt.Sprintf("ses_big_%05d", i), fmt.Sprintf("run_big_%05d", i)
		steps := make([]journal.Step, bigRunSteps)
		for k := range steps {
			seq := k + 1
			st := journal.Step{RunID: rid, Seq: seq, Name: "exec", Kind: "tool", Status: journal.StepCompleted, Attempt: 1,
				Input: []byte(`{"command":"true"}`), Output: []byte(`{"content":"ok"}`), StartedAt: at, FinishedAt: at.Add(time.Millisecond)}
			if seq == 1 {
				st.Name, st.Kind, st.Input, st.Output = "run.config", "config", nil, []byte(`{"agent":"coder","model":"m"}`)
			} else if seq%2 == 0 {
				st.Name, st.Kind = "model", "llm"
				st.Usage = journal.Usage{InputTokens: 1000, OutputTokens: 80}
				st.CostUSD = 0.004
			}
			steps[k] = st
		}
		s := journal.Session{ID: sid, Title: fmt.Sprintf("session %d", i), CreatedAt: at, UpdatedAt: at}
		r := journal.Run{ID: rid, SessionID: sid, Agent: "coder", Prompt: "fix the loop", Status: journal.RunCompleted, CreatedAt: at, UpdatedAt: at}
		if err := j.ImportRun(ctx, s, r, steps, nil); err != nil {
			tb.Fatalf("seed run %d: %v", i, err)
		}
	}
	return fmt.Sprintf("run_big_%05d", bigSessions/2)
}

// BenchmarkCLIBigJournal runs the read-only commands on a journal of 10,000 sessions and
// 1,000,000 steps (issue 21: under 100 ms for runs and show, 200 ms for sessions), beside
// `corral version` in the same run (the process's own start) and `runs --all` (every run,
// the listing before `runs` was a page). Metrics: wall ms per command
// and CPU ms (user + system, which a loaded machine inflates less), medians of b.N.
func BenchmarkCLIBigJournal(b *testing.B) {
	bin := corralBin(b)
	data := b.TempDir()
	t0 := time.Now()
	run := seedBigJournal(b, data)
	b.Logf("seeded %d sessions, %d steps in %v", bigSessions, bigSessions*bigRunSteps, time.Since(t0).Round(time.Millisecond))
	session := "ses_big_" + run[len("run_big_"):]
	cases := []struct {
		name string
		args []string
	}{
		{"version", []string{"version"}},
		{"sessions", []string{"sessions", "--data-dir", data}},
		{"sessions-json", []string{"sessions", "--json", "--data-dir", data}},
		{"runs", []string{"runs", "--data-dir", data}}, // the page of the 50 most recent
		{"runs-all", []string{"runs", "--all", "--data-dir", data}},
		{"runs-session", []string{"runs", "--session", session, "--data-dir", data}},
		{"show", []string{"show", run, "--data-dir", data}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var walls, cpu []float64
			for b.Loop() {
				begun := time.Now()
				cmd := exec.Command(bin, c.args...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("corral %v: %v\n%s", c.args, err, out)
				}
				walls = append(walls, float64(time.Since(begun).Microseconds())/1000)
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					cpu = append(cpu, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e6)
				}
				if len(out) == 0 {
					b.Fatalf("corral %v printed nothing", c.args)
				}
			}
			b.ReportMetric(quantile(walls, 0.5), "ms/command")
			b.ReportMetric(quantile(cpu, 0.5), "ms-cpu/command")
		})
	}
}
