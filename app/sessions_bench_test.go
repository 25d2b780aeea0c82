package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// BenchmarkSessionViews lists the sidebar's sessions (SessionViews: what Runs.Sessions and
// `corral sessions --json` read) from journals of 1,000 and 10,000 sessions of one finished
// three-step run each (issue 21: 10,000 under 200 ms). The smaller one is the baseline of the
// same run; ns/session shows whether the cost stays flat per session.
func BenchmarkSessionViews(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			j := openJournal(b, "")
			ctx := context.Background()
			start := time.Now().Add(-time.Duration(n) * time.Second)
			for i := range n {
				at := start.Add(time.Duration(i) * time.Second)
				sid, rid := fmt.Sprintf("ses_%05d", i), fmt.Sprintf("run_%05d", i)
				steps := make([]journal.Step, 3)
				for k := range steps {
					steps[k] = journal.Step{RunID: rid, Seq: k + 1, Name: "model", Kind: "llm", Status: journal.StepCompleted, Attempt: 1,
						Output: []byte(`{}`), StartedAt: at, FinishedAt: at, Usage: journal.Usage{InputTokens: 100, OutputTokens: 10}, CostUSD: 0.001}
				}
				s := journal.Session{ID: sid, Title: fmt.Sprintf("session %d", i), CreatedAt: at, UpdatedAt: at}
				r := journal.Run{ID: rid, SessionID: sid, Agent: "coder", Prompt: "fix it", Status: journal.RunCompleted, CreatedAt: at, UpdatedAt: at}
				if err := j.ImportRun(ctx, s, r, steps, nil); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				views, err := SessionViews(ctx, j)
				if err != nil {
					b.Fatal(err)
				}
				if len(views) != n || len(views[0].Runs) != 1 || views[0].Runs[0].Steps != 3 {
					b.Fatalf("SessionViews() = %d sessions, want %d of one 3-step run", len(views), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/session")
		})
	}
}
