//go:build unix

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// benchFiles is the workspace size issue 21 sets the per-step budget at.
const benchFiles = 10000

// stepModel is the model of BenchmarkStepOverhead: call n answers with the tool call of
// step n (op), and with "done" after steps calls. Unlike scriptModel it costs the same at
// every call (no scan of the conversation), so what grows with a run is Corral's.
type stepModel struct {
	steps int
	op    func(n int) (string, string) // tool name and input of step n (1-based)
	calls atomic.Int64
}

func (m *stepModel) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	n := int(m.calls.Add(1))
	resp := llm.Response{StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}, Model: req.Model}
	if n > m.steps {
		if onEvent != nil {
			onEvent(llm.TextDelta{Text: "done"})
		}
		resp.Content = append(resp.Content, llm.TextBlock("done"))
		return resp, nil
	}
	name, input := m.op(n)
	resp.Content = append(resp.Content, llm.NewToolUse(fmt.Sprintf("toolu_%d", n), name, input))
	resp.StopReason = llm.StopToolUse
	return resp, nil
}

// stepOps are the side effects a step makes in the 10,000-file tree, each as the tool call
// the model asks for and as what a program does without Corral (the baseline). Step n
// touches file n, so every step changes exactly one file.
var stepOps = []struct {
	name   string
	call   func(n int) (string, string)
	direct func(ws string, n int) error
	// sandboxed, when set, is the operation through the run's sandbox (the local one,
	// confined as a run's commands are), a second baseline: confinement is the sandbox's
	// cost, not the step's bookkeeping.
	sandboxed func(ws string, n int) error
}{
	{
		name: "write",
		call: func(n int) (string, string) {
			return "write", stepJSON(map[string]string{"path": benchFile(n), "content": benchContent(n)})
		},
		direct: func(ws string, n int) error {
			return os.WriteFile(filepath.Join(ws, benchFile(n)), []byte(benchContent(n)), 0o644)
		},
	},
	{
		name: "edit",
		call: func(n int) (string, string) {
			return "edit", stepJSON(map[string]string{"path": benchFile(n), "old_string": fmt.Sprintf("var X%d ", n), "new_string": fmt.Sprintf("var Y%d ", n)})
		},
		direct: func(ws string, n int) error {
			p := filepath.Join(ws, benchFile(n))
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, bytes.Replace(data, fmt.Appendf(nil, "var X%d ", n), fmt.Appendf(nil, "var Y%d ", n), 1), 0o644)
		},
	},
	{
		name: "exec",
		call: func(n int) (string, string) {
			return "exec", stepJSON(map[string]string{"command": benchCommand(n)})
		},
		direct: func(ws string, n int) error {
			cmd := exec.Command("sh", "-c", benchCommand(n))
			cmd.Dir = ws
			return cmd.Run()
		},
		sandboxed: func(ws string, n int) error {
			sb, err := local.New(ws, local.Options{})
			if err != nil {
				return err
			}
			res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: benchCommand(n)})
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("exit %d: %s", res.ExitCode, res.Stderr)
			}
			return err
		},
	},
}

func benchFile(n int) string {
	n %= benchFiles
	return fmt.Sprintf("pkg%03d/file%05d.go", n/100, n)
}

func benchContent(n int) string {
	return fmt.Sprintf("package pkg\n\n// Step %d rewrote this file.\n", n)
}

func benchCommand(n int) string { return fmt.Sprintf("echo step %d >> %s", n, benchFile(n)) }

func stepJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// benchTree writes n files of about 200 bytes, 100 to a folder, dated an hour ago (as a
// checked-out project is), as backend/checkpoint's benchmarks do.
func benchTree(b *testing.B, root string, n int) {
	b.Helper()
	old := time.Now().Add(-time.Hour)
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("pkg%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		name := filepath.Join(root, benchFile(i))
		if err := os.WriteFile(name, fmt.Appendf(nil, "package pkg\n\n// File %d is one of a generated tree.\nvar X%d = %q\n", i, i, name), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Chtimes(name, old, old); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is this process's user and system CPU time so far (all goroutines; not a
// command's child process). On a shared machine it says more than the wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStepOverhead is the time Corral adds to one agent step (issue 21: under 5 ms at
// 10,000 files): a real Runner with the checkpoint store (and its watcher), the journal,
// the approval gate (approve all), exec's change tracking and a bus subscriber that
// encodes every event as the window's forwarder does, driving b.N tool steps of one run
// against an in-process model in a 10,000-file workspace; each step writes, edits, or runs
// a command that changes one file. In the same run and the same tree, the baseline does
// what the step does without Corral: the same model call and the same file operation (the
// same command through sh). Reported per step: cpu-ms (this process's CPU, every goroutine;
// a command's own process is not counted in either) and wall ms, for Corral and the
// baseline, and added-cpu-ms, their difference. For exec, a second baseline runs the
// command through the local sandbox without Corral (sandbox-cpu-ms: confining a command in
// its namespaces is the sandbox's cost, most of it the kernel's), and
// added-over-sandbox-cpu-ms is what the step costs beyond it. The run's start and its final model turn
// are counted, spread over its b.N steps: use -benchtime=200x or so.
func BenchmarkStepOverhead(b *testing.B) {
	for _, op := range stepOps {
		b.Run(op.name, func(b *testing.B) {
			ws := b.TempDir()
			benchTree(b, ws, benchFiles)
			base := benchBaseline(b, ws, op.direct, op.call)
			var confined benchCost
			if op.sandboxed != nil {
				confined = benchBaseline(b, ws, op.sandboxed, op.call)
			}
			m := &stepModel{steps: b.N, op: op.call}
			r, dir := setupB(b, m)
			store, err := checkpoint.Open(dir, r.config.Journal, checkpoint.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			r.config.Checkpoints = store
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			forwardEvents(ctx, r)
			// The session and the workspace's first checkpoint (which starts its watcher) are
			// made by a first run, as they are once per workspace.
			warm := &stepModel{steps: 1, op: func(int) (string, string) {
				return "write", stepJSON(map[string]string{"path": "warm.txt", "content": "warm"})
			}}
			r.config.Models = fixedModels{warm}
			run, err := r.Start(ctx, StartRequest{Prompt: "warm", Workspace: ws})
			if err != nil {
				b.Fatal(err)
			}
			if got, err := r.Drive(ctx, run.ID); err != nil || got.Status != journal.RunCompleted {
				b.Fatalf("Drive(warm) = %s, %v", got.Status, err)
			}
			r.config.Models = fixedModels{m}

			b.ResetTimer()
			cpu0, wall0 := cpuTime(), time.Now()
			run, err = r.Start(ctx, StartRequest{Prompt: "step", SessionID: run.SessionID, MaxSteps: 2*b.N + 10})
			if err != nil {
				b.Fatal(err)
			}
			var got journal.Run
			// Labelled, so a -cpuprofile can be narrowed to the steps: -tagfocus=phase=steps.
			pprof.Do(ctx, pprof.Labels("phase", "steps"), func(ctx context.Context) { got, err = r.Drive(ctx, run.ID) })
			cpu, wall := cpuTime()-cpu0, time.Since(wall0)
			b.StopTimer()
			if err != nil || got.Status != journal.RunCompleted {
				b.Fatalf("Drive() = %s (%s), %v", got.Status, got.Error, err)
			}
			perStep := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
			b.ReportMetric(perStep(cpu), "cpu-ms/step")
			b.ReportMetric(perStep(wall), "ms/step")
			b.ReportMetric(perStep(base.cpu), "base-cpu-ms/step")
			b.ReportMetric(perStep(base.wall), "base-ms/step")
			b.ReportMetric(perStep(cpu-base.cpu), "added-cpu-ms/step")
			b.ReportMetric(perStep(wall-base.wall), "added-ms/step")
			if op.sandboxed != nil {
				b.ReportMetric(perStep(confined.cpu), "sandbox-cpu-ms/step")
				b.ReportMetric(perStep(cpu-confined.cpu), "added-over-sandbox-cpu-ms/step")
			}
		})
	}
}

type benchCost struct{ cpu, wall time.Duration }

// benchBaseline does b.N steps without Corral: the model call (with a request as long as
// a short run's) and the file operation, each step touching the file Corral's step will.
func benchBaseline(b *testing.B, ws string, direct func(string, int) error, call func(int) (string, string)) benchCost {
	b.Helper()
	m := &stepModel{steps: b.N, op: call}
	req := llm.Request{Model: "script-1", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Block{llm.TextBlock("step")}}}}
	cpu0, wall0 := cpuTime(), time.Now()
	for n := 1; n <= b.N; n++ {
		if _, err := m.Stream(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
		if err := direct(ws, n); err != nil {
			b.Fatal(err)
		}
	}
	cost := benchCost{cpuTime() - cpu0, time.Since(wall0)}
	// Put the tree back as it was (edits need their old text), dated an hour ago.
	benchTree(b, ws, benchFiles)
	return cost
}

// forwardEvents subscribes to the runner's bus and JSON-encodes every event, as the
// window's forwarder (app/events.go) does, until ctx ends.
func forwardEvents(ctx context.Context, r *Runner) {
	sub := r.config.Bus.Subscribe(ctx, 0)
	go func() {
		for ev := range sub.C() {
			_, _ = json.Marshal(ev)
		}
	}()
}
