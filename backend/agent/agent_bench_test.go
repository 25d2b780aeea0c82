package agent

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
)

// BenchmarkResume10k measures resuming a run with 10,000 recorded steps to its next new step:
// Drive loads the history, replays 5,000 model turns and 5,000 tool calls from it, rebuilding
// the conversation, and makes the one model call that was cut off.
func BenchmarkResume10k(b *testing.B) {
	const turns = 5000 // one model step and one tool step each: 10,000 steps after the config
	ctx, cancel := context.WithCancel(context.Background())
	tick := turn{calls: [][2]string{{"glob", `{"pattern":"*.none"}`}}}
	script := make([]turn, turns+1)
	for i := range turns {
		script[i] = tick
	}
	script[turns] = turn{text: "done"}
	m := &scriptModel{turns: script, onCall: func(n int, _ llm.Request) {
		if n == turns+1 {
			cancel() // cut the run off at its last model call, leaving it to resume
		}
	}}
	r, dir := setupB(b, m)
	run, err := r.Start(context.Background(), StartRequest{Prompt: "tick", Workspace: b.TempDir(), MaxSteps: turns + 10})
	if err != nil {
		b.Fatal(err)
	}
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled || got.Steps != 2*turns+2 {
		b.Fatalf("setup run = %s with %d steps, want cancelled with %d", got.Status, got.Steps, 2*turns+2)
	}
	r.config.Journal.Close()
	src := filepath.Join(dir, "corral.db")

	for b.Loop() {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "corral.db")
		copyFile(b, src, db)
		j, err := journal.Open(context.Background(), db)
		if err != nil {
			b.Fatal(err)
		}
		r := newRunner(j, &scriptModel{turns: script}, dir)
		b.StartTimer()
		got, err := r.Drive(context.Background(), run.ID)
		b.StopTimer()
		if err != nil || got.Status != journal.RunCompleted {
			b.Fatalf("Drive(resume) = %s, %v", got.Status, err)
		}
		j.Close()
		b.StartTimer()
	}
}

func setupB(b *testing.B, model llm.Model) (*Runner, string) {
	b.Helper()
	dir := b.TempDir()
	j, err := journal.Open(context.Background(), filepath.Join(dir, "corral.db"))
	if err != nil {
		b.Fatal(err)
	}
	return newRunner(j, model, dir), dir
}

func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if err != nil {
			continue
		}
		out, err := os.Create(dst + suffix)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		in.Close()
		out.Close()
	}
}
