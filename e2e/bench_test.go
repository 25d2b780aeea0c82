//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/journal"
)

// The browser benchmarks measure what a person waits for, in Chromium against `corral serve`
// (`make bench` runs them with the built binary): opening a 10,000-step run's trace graph,
// panning it, and a file written in the workspace reaching the tree. The times are taken in
// the page (performance.now) and reported as custom metrics; ns/op also counts the harness.

// benchSteps is the size of the big run.
const benchSteps = 10_000

// seedRun writes a finished run of n steps into the journal of dataDir, in its own session
// (updated at updated): the configuration, then model calls each asking for one command and
// the command's result, the last model call ending the turn. Sizes are those of a real run
// (about 1.5 KB a step).
func seedRun(tb testing.TB, dataDir, sessionID, runID, prompt string, n int, updated time.Time) {
	tb.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(dataDir, "corral.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer j.Close()
	ws := tb.TempDir()
	start := updated.Add(-time.Duration(n) * 100 * time.Millisecond)
	at := func(seq int) time.Time { return start.Add(time.Duration(seq) * 100 * time.Millisecond) }
	step := func(seq int, kind, name, input, output string) journal.Step {
		st := journal.Step{RunID: runID, Seq: seq, Name: name, Kind: kind, Status: journal.StepCompleted, Attempt: 1,
			Output: []byte(output), StartedAt: at(seq), FinishedAt: at(seq).Add(80 * time.Millisecond)}
		if input != "" {
			st.Input = []byte(input)
		}
		return st
	}
	steps := []journal.Step{step(1, "config", "run.config", "",
		`{"agent":"coder","provider":"anthropic","model":"claude-sonnet-4","system":"You are Corral's coding agent.","tools":["exec","read","write","edit","glob","grep"],"max_steps":20000,"max_tokens":8192,"sandbox":"local"}`)}
	text := strings.Repeat("I will look at the failing test and fix the off-by-one in the loop. ", 4)
	body := strings.Repeat("ok  \tgithub.com/corral-dev/corral/backend/x\t0.012s\n", 10)
	for seq := 2; seq <= n; seq += 2 {
		in := fmt.Sprintf(`{"model":"claude-sonnet-4","messages":%d,"tools":6,"max_tokens":8192}`, seq-1)
		cmd := fmt.Sprintf("go test ./... -run TestLoop%d", seq)
		if seq == n { // the last model call ends the turn
			steps = append(steps, step(seq, "llm", "model", in, fmt.Sprintf(`{"content":[{"type":"text","text":"All %d loops pass."}],"stop_reason":"end_turn","usage":{"input_tokens":900,"output_tokens":12},"model":"claude-sonnet-4-20250514","id":"msg_%d"}`, n, seq)))
			break
		}
		llm := step(seq, "llm", "model", in, fmt.Sprintf(`{"content":[{"type":"text","text":%q},{"type":"tool_use","id":"toolu_%d","name":"exec","input":{"command":%q}}],"stop_reason":"tool_use","usage":{"input_tokens":%d,"output_tokens":80,"cache_read_tokens":4000},"model":"claude-sonnet-4-20250514","id":"msg_%d"}`,
			text, seq, cmd, 1000+seq, seq))
		llm.Usage = journal.Usage{InputTokens: int64(1000 + seq), OutputTokens: 80, CacheReadTokens: 4000}
		llm.CostUSD = 0.0042
		steps = append(steps, llm)
		steps = append(steps, step(seq+1, "tool", "exec", fmt.Sprintf(`{"command":%q}`, cmd),
			fmt.Sprintf(`{"content":%q,"meta":{"exit_code":0,"duration_ms":5}}`, "Exit code: 0\n--- stdout ---\n"+body)))
	}
	s := journal.Session{ID: sessionID, Title: prompt, Workspace: ws, CreatedAt: start, UpdatedAt: updated}
	r := journal.Run{ID: runID, SessionID: sessionID, Agent: "coder", Prompt: prompt, Status: journal.RunCompleted,
		Workspace: ws, Sandbox: "local", CreatedAt: start, UpdatedAt: updated}
	if err := j.ImportRun(ctx, s, r, steps, nil); err != nil {
		tb.Fatalf("seed %d-step run: %v", n, err)
	}
}

// evalAsync evaluates a script that returns a promise, and waits for its value.
func evalAsync(js string, out any) chromedp.Action {
	return chromedp.Evaluate(js, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

// openRunJS clicks a run in the sidebar and resolves with the ms from the click to the trace
// graph's paint of all its nodes (TraceGraph's corral:trace-painted event). A run opened as an
// outline (2,000 steps and more) is painted once every step is laid out and the nodes on
// screen have their labels (the content of those steps loaded): when it can be used.
const openRunJS = `new Promise((resolve) => {
	const t0 = performance.now();
	addEventListener('corral:trace-painted', function on(e) {
		if (e.detail.nodes !== %d) return;
		removeEventListener('corral:trace-painted', on);
		resolve(performance.now() - t0);
	});
	document.querySelector('[data-testid="run-item"][data-run-id="%s"]').click();
})`

// panJS pans the graph with one wheel event per animation frame for n frames (with Ctrl: zooms
// at the centre) and resolves with the frame intervals (ms), the work each event took in script,
// style and layout (ms), and whether the view moved.
const panJS = `new Promise((resolve) => {
	const svg = document.querySelector('[data-testid="trace-graph"]');
	const r = svg.getBoundingClientRect();
	const g = svg.querySelector('g');
	const from = g.getAttribute('transform');
	const frames = [], work = [];
	let last = 0, i = 0;
	function frame(now) {
		if (last) frames.push(now - last);
		last = now;
		if (i++ === %d) return resolve({ frames, work, moved: g.getAttribute('transform') !== from });
		const a = performance.now();
		svg.dispatchEvent(new WheelEvent('wheel', { deltaY: %d, ctrlKey: %t, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));
		Promise.resolve().then(() => {
			svg.getBoundingClientRect(); // after the UI's update: force style and layout
			document.body.offsetHeight;
			work.push(performance.now() - a);
		});
		requestAnimationFrame(frame);
	}
	requestAnimationFrame(frame);
})`

type panStats struct {
	Frames []float64 `json:"frames"`
	Work   []float64 `json:"work"`
	Moved  bool      `json:"moved"`
}

// BenchmarkTraceRender10k opens a finished 10,000-step run's trace graph in Chromium and
// pans it. Cold: a fresh page, so the run's steps are fetched, parsed, laid out and painted.
// Warm: the run's steps are already in the page (switching back to it). Pan: a wheel event
// per frame over the graph at 100% (nodes drawn as elements) and fitted (batched paths).
func BenchmarkTraceRender10k(b *testing.B) {
	dd := b.TempDir()
	seedRun(b, dd, "ses_bench_big", "run_bench_big", "a long run", benchSteps, time.Now().Add(-time.Hour))
	seedRun(b, dd, "ses_bench_small", "run_bench_small", "a short run", 3, time.Now())
	url := serve(b, dd)
	base := strings.SplitN(url, "?", 2)[0]
	ctx := newBrowserFor(b, 20*time.Minute)
	run := func(tb testing.TB, what string, actions ...chromedp.Action) {
		tb.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
	}
	// A fresh page on the short run (the latest, selected at start), on the trace tab.
	freshPage := func(tb testing.TB, url string) {
		tb.Helper()
		run(tb, "open the page", chromedp.Navigate(url),
			chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_bench_small"][aria-current="true"]`),
			chromedp.Click(`[data-testid="tab-trace"]`),
			chromedp.WaitVisible(`[data-testid="trace-graph"][data-painted="3"]`))
	}
	open := func(tb testing.TB, id string, nodes int) float64 {
		tb.Helper()
		var ms float64
		run(tb, "open "+id, evalAsync(fmt.Sprintf(openRunJS, nodes, id), &ms))
		return ms
	}
	freshPage(b, url) // trades the token for the cookie

	b.Run("Open/cold", func(b *testing.B) {
		var times []float64
		for b.Loop() {
			b.StopTimer()
			freshPage(b, base)
			b.StartTimer()
			times = append(times, open(b, "run_bench_big", benchSteps))
		}
		report(b, times, "ms/open")
	})
	b.Run("Open/warm", func(b *testing.B) {
		freshPage(b, base)
		open(b, "run_bench_big", benchSteps)
		var times []float64
		for b.Loop() {
			b.StopTimer()
			open(b, "run_bench_small", 3)
			b.StartTimer()
			times = append(times, open(b, "run_bench_big", benchSteps))
		}
		report(b, times, "ms/open")
	})
	for _, zoom := range []string{"100%", "fit"} {
		b.Run("Pan/"+zoom, func(b *testing.B) {
			freshPage(b, base)
			open(b, "run_bench_big", benchSteps)
			if zoom == "fit" {
				run(b, "fit", chromedp.Click(`[aria-label="Fit to view"]`), chromedp.WaitVisible(`[data-testid="trace-graph"].lod`))
			}
			var all panStats
			for b.Loop() {
				var s panStats
				run(b, "pan", evalAsync(fmt.Sprintf(panJS, 60, 40, false), &s))
				if !s.Moved {
					b.Fatal("the wheel events did not pan the graph")
				}
				all.Frames = append(all.Frames, s.Frames...)
				all.Work = append(all.Work, s.Work...)
			}
			var shown int
			run(b, "nodes on screen", chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-node"]').length`, &shown))
			report(b, all.Frames, "ms/frame")
			b.ReportMetric(quantile(all.Work, 0.5), "ms-work/frame")
			b.ReportMetric(quantile(all.Work, 1), "max-ms-work/frame")
			b.ReportMetric(float64(shown), "nodes-in-dom")
		})
	}
}

// BenchmarkTraceOpen100k opens a finished 100,000-step run's trace graph in a fresh page in
// Chromium (issue 21: under 1 s), beside a 10,000-step one opened the same way in the same
// run. Metric: ms from the click on the run to the paint of all its nodes.
func BenchmarkTraceOpen100k(b *testing.B) {
	dd := b.TempDir()
	sizes := []struct {
		id    string
		steps int
	}{{"run_bench_10k", benchSteps}, {"run_bench_100k", 10 * benchSteps}}
	for i, s := range sizes {
		seedRun(b, dd, "ses_"+s.id, s.id, s.id, s.steps, time.Now().Add(-time.Duration(len(sizes)-i)*time.Hour))
	}
	seedRun(b, dd, "ses_bench_small", "run_bench_small", "a short run", 3, time.Now())
	url := serve(b, dd)
	base := strings.SplitN(url, "?", 2)[0]
	ctx := newBrowserFor(b, 30*time.Minute)
	page := func(tb testing.TB, url string) {
		tb.Helper()
		if err := chromedp.Run(ctx, chromedp.Navigate(url),
			chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_bench_small"][aria-current="true"]`),
			chromedp.Click(`[data-testid="tab-trace"]`),
			chromedp.WaitVisible(`[data-testid="trace-graph"][data-painted="3"]`)); err != nil {
			tb.Fatalf("open the page: %v", err)
		}
	}
	page(b, url) // trades the token for the cookie
	for _, s := range sizes {
		b.Run(fmt.Sprint(s.steps), func(b *testing.B) {
			var times []float64
			for b.Loop() {
				b.StopTimer()
				page(b, base)
				b.StartTimer()
				var ms float64
				if err := chromedp.Run(ctx, evalAsync(fmt.Sprintf(openRunJS, s.steps, s.id), &ms)); err != nil {
					b.Fatalf("open %s: %v", s.id, err)
				}
				times = append(times, ms)
			}
			report(b, times, "ms/open")
		})
	}
}

// BenchmarkTraceZoom10k zooms the 10,000-step graph out from 100% to nearly all of it and back
// in, one Ctrl+wheel event per frame (60 frames each way), through the switch from nodes drawn
// as elements to batched paths.
func BenchmarkTraceZoom10k(b *testing.B) {
	dd := b.TempDir()
	seedRun(b, dd, "ses_bench_big", "run_bench_big", "a long run", benchSteps, time.Now())
	ctx := newBrowserFor(b, 10*time.Minute)
	err := chromedp.Run(ctx,
		chromedp.Navigate(serve(b, dd)),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_bench_big"][aria-current="true"]`),
		chromedp.Click(`[data-testid="tab-trace"]`),
		chromedp.WaitVisible(fmt.Sprintf(`[data-testid="trace-graph"][data-painted="%d"]`, benchSteps)),
	)
	if err != nil {
		b.Fatalf("open the run: %v", err)
	}
	var all panStats
	out := true
	for b.Loop() {
		var s panStats
		delta := 20
		if !out {
			delta = -20
		}
		if err := chromedp.Run(ctx, evalAsync(fmt.Sprintf(panJS, 60, delta, true), &s)); err != nil {
			b.Fatal(err)
		}
		if !s.Moved {
			b.Fatal("the Ctrl+wheel events did not zoom the graph")
		}
		all.Frames = append(all.Frames, s.Frames...)
		all.Work = append(all.Work, s.Work...)
		out = !out
	}
	report(b, all.Frames, "ms/frame")
	b.ReportMetric(quantile(all.Work, 0.5), "ms-work/frame")
	b.ReportMetric(quantile(all.Work, 1), "max-ms-work/frame")
}

// BenchmarkWorkspaceFileToTree writes a file into a session's workspace and waits for its row
// in the browser's file tree: the watcher's quiet period, the event batching to the page and
// the tree's render. The time a row appears is taken in the page by a MutationObserver.
func BenchmarkWorkspaceFileToTree(b *testing.B) {
	dd := b.TempDir()
	seedRun(b, dd, "ses_bench_ws", "run_bench_ws", "a workspace", 3, time.Now())
	var ws string
	{
		j, err := journal.Open(context.Background(), filepath.Join(dd, "corral.db"))
		if err != nil {
			b.Fatal(err)
		}
		s, err := j.Session(context.Background(), "ses_bench_ws")
		j.Close()
		if err != nil {
			b.Fatal(err)
		}
		ws = s.Workspace
	}
	ctx := newBrowserFor(b, 10*time.Minute)
	err := chromedp.Run(ctx,
		chromedp.Navigate(serve(b, dd)),
		chromedp.WaitVisible(`[data-testid="file-tree"]`),
		chromedp.Evaluate(`window.__seen = new Map(); window.__want = new Map();
			new MutationObserver(() => {
				const now = performance.timeOrigin + performance.now();
				for (const el of document.querySelectorAll('[data-testid="file-row"]')) {
					const p = el.dataset.path;
					if (__seen.has(p)) continue;
					__seen.set(p, now);
					if (__want.has(p)) __want.get(p)(now);
				}
			}).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-path'] });`, nil),
	)
	if err != nil {
		b.Fatalf("open the workspace: %v", err)
	}
	var times []float64
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("bench%04d.txt", i)
		i++
		var seen float64
		wait := evalAsync(fmt.Sprintf(`new Promise((resolve) => __seen.has(%[1]q) ? resolve(__seen.get(%[1]q)) : __want.set(%[1]q, resolve))`, name), &seen)
		t0 := time.Now()
		if err := os.WriteFile(filepath.Join(ws, name), []byte("x\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := chromedp.Run(ctx, wait); err != nil {
			b.Fatalf("%s never appeared in the tree: %v", name, err)
		}
		times = append(times, seen-float64(t0.UnixNano())/1e6)
	}
	report(b, times, "ms/file")
}

// report adds the median and the maximum of times as metrics named unit and max-unit.
func report(b *testing.B, times []float64, unit string) {
	b.Helper()
	if len(times) == 0 {
		return
	}
	b.ReportMetric(quantile(times, 0.5), unit)
	b.ReportMetric(quantile(times, 0.95), "p95-"+unit)
	b.ReportMetric(quantile(times, 1), "max-"+unit)
	if len(times) <= 10 {
		raw, _ := json.Marshal(times)
		b.Logf("%s: %s", unit, raw)
	}
}

// quantile returns the q-quantile (0..1) of xs, nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(len(s)-1, i))]
}
