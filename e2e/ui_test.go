//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/corral-dev/corral/backend/journal"
)

// seedTurns writes a finished run of at least n steps into the journal of dataDir, in its own
// session: the configuration, then turns of one model call asking for one or two commands,
// each command behind an approval that a rule allowed; every fifth command fails with a
// Python traceback. The last model call ends the run. It returns the number of steps.
func seedTurns(tb testing.TB, dataDir, sessionID, runID, prompt string, n int, updated time.Time) int {
	tb.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(dataDir, "corral.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer j.Close()
	ws := tb.TempDir()
	start := updated.Add(-time.Duration(n) * time.Second)
	seq := 0
	var steps []journal.Step
	add := func(kind, name, input, output string) {
		seq++
		st := journal.Step{RunID: runID, Seq: seq, Name: name, Kind: kind, Status: journal.StepCompleted, Attempt: 1,
			Output: []byte(output), StartedAt: start.Add(time.Duration(seq) * time.Second),
			FinishedAt: start.Add(time.Duration(seq)*time.Second + 700*time.Millisecond)}
		if input != "" {
			st.Input = []byte(input)
		}
		steps = append(steps, st)
	}
	add("config", "run.config", "", `{"agent":"coder","provider":"anthropic","model":"claude-sonnet-4","system":"You are Corral's coding agent.","tools":["exec","read","write","edit","glob","grep"],"max_steps":500,"max_tokens":8192,"sandbox":"local"}`)
	failed := 0
	for turn := 1; seq < n; turn++ {
		calls := 1 + turn%2
		cmds := make([]string, calls)
		content := fmt.Sprintf(`{"type":"text","text":"Turn %d: I will run **%s** and look at the output."}`, turn, "`pytest -x`")
		for k := range cmds {
			cmds[k] = fmt.Sprintf("python3 -m pytest tests/test_mod%d.py -k case%d", turn, k)
			content += fmt.Sprintf(`,{"type":"tool_use","id":"toolu_%d_%d","name":"exec","input":{"command":%q}}`, turn, k, cmds[k])
		}
		add("llm", "model", fmt.Sprintf(`{"model":"claude-sonnet-4","messages":%d,"tools":6,"max_tokens":8192}`, 2*turn-1),
			fmt.Sprintf(`{"content":[%s],"stop_reason":"tool_use","usage":{"input_tokens":%d,"output_tokens":90},"model":"claude-sonnet-4-20250514","id":"msg_%d"}`, content, 2000+turn*40, turn))
		for _, cmd := range cmds {
			add("approval", "exec", fmt.Sprintf(`{"tool":"exec","input":{"command":%q}}`, cmd), `{"outcome":{"run":true},"by":"rule","rule":"exec(python3 -m pytest *)"}`)
			failed++
			if failed%5 == 0 {
				add("tool", "exec", fmt.Sprintf(`{"command":%q}`, cmd), fmt.Sprintf(`{"content":%q,"is_error":true,"meta":{"exit_code":1,"duration_ms":640}}`,
					"Exit code: 1\n--- stdout ---\nTraceback (most recent call last):\n  File \"tests/test_mod.py\", line 12, in test_case\n    assert total(3) == 6\nAssertionError: assert 5 == 6\n"))
			} else {
				add("tool", "exec", fmt.Sprintf(`{"command":%q}`, cmd), `{"content":"Exit code: 0\n--- stdout ---\n3 passed in 0.12s\n","meta":{"exit_code":0,"duration_ms":420}}`)
			}
		}
	}
	add("llm", "model", `{"model":"claude-sonnet-4","messages":999,"tools":6,"max_tokens":8192}`,
		`{"content":[{"type":"text","text":"All tests pass now. The fix is in **`+"`total()`"+`**."}],"stop_reason":"end_turn","usage":{"input_tokens":9000,"output_tokens":20},"model":"claude-sonnet-4-20250514","id":"msg_last"}`)
	s := journal.Session{ID: sessionID, Title: prompt, Workspace: ws, CreatedAt: start, UpdatedAt: updated}
	r := journal.Run{ID: runID, SessionID: sessionID, Agent: "coder", Prompt: prompt, Status: journal.RunCompleted,
		Workspace: ws, Sandbox: "local", CreatedAt: start, UpdatedAt: updated}
	if err := j.ImportRun(ctx, s, r, steps, nil); err != nil {
		tb.Fatalf("seed %d-step run: %v", n, err)
	}
	return seq
}

// shoot writes a screenshot of the page to the artifacts and checks it is a picture.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := artifact(t, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)
}

// viewport sets the page's size in CSS pixels.
func viewport(w, h int64) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetDeviceMetricsOverride(w, h, 1, false).Do(ctx)
	})
}

// TestTraceGraph200 opens a 200-step run (50 turns, every command behind an approval) in the
// trace graph: each turn is a box, approvals are badges on their commands (no approval nodes),
// fitted to the view every few turns keep a label of at least 10 px, hovering a step shows
// what it was, and a turn collapses to its model call. Screenshots at 1440x900 and 1024x700.
func TestTraceGraph200(t *testing.T) {
	dd := t.TempDir()
	steps := seedTurns(t, dd, "ses_graph", "run_graph", "Fix the failing tests", 200, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "graph200-stuck.png")
	do("open the run's trace", viewport(1440, 900), chromedp.Navigate(serve(t, dd)),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_graph"]`),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-graph"][data-painted]:not([data-painted="0"])`))

	var nodes, represented, turns, gates, approvals int
	do("count at 100%", chromedp.Focus(`[data-testid="trace-graph"]`), chromedp.KeyEvent("0"),
		chromedp.WaitVisible(`[data-testid="trace-turn"]`),
		chromedp.Evaluate(`+document.querySelector('[data-testid="trace-graph"]').dataset.nodes`, &nodes),
		chromedp.Evaluate(`+document.querySelector('[data-testid="trace-graph"]').dataset.steps`, &represented),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-turn"]').length`, &turns),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-gate"]').length`, &gates),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-node"][data-kind="approval"]').length`, &approvals))
	if steps < 200 {
		t.Fatalf("seeded %d steps, want at least 200", steps)
	}
	// Every approval was folded into its command: the graph has fewer nodes than steps.
	if nodes >= steps || nodes < steps/2 {
		t.Errorf("graph nodes = %d for %d steps, want the approvals folded into their commands", nodes, steps)
	}
	if represented != steps {
		t.Errorf("graph stands for %d steps (nodes, badges, folded), want all %d", represented, steps)
	}
	if turns == 0 || gates == 0 || approvals != 0 {
		t.Errorf("at 100%%: turns = %d, gate badges = %d, approval nodes = %d; want turns, badges, no approval nodes", turns, gates, approvals)
	}

	// Hover a command: the tooltip names the step, its status and its approval.
	var tip string
	do("hover", chromedp.Evaluate(`(() => {
		const n = document.querySelector('[data-testid="trace-node"][data-kind="tool"]');
		const r = n.getBoundingClientRect();
		n.dispatchEvent(new PointerEvent('pointermove', { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, pointerId: 1 }));
	})()`, nil), chromedp.WaitVisible(`[data-testid="trace-tip"]`),
		chromedp.Text(`[data-testid="trace-tip"]`, &tip))
	if !strings.Contains(tip, "exec call") || !strings.Contains(tip, "Approval #") {
		t.Errorf("hover tooltip = %q, want the exec call and its approval", tip)
	}
	shoot(t, ctx, "graph200-100pct-1440.png")

	// Fit: nodes become bars, but turns keep readable labels.
	var labels int
	var minHeight float64
	do("fit", chromedp.Click(`[aria-label="Fit to view"]`), chromedp.WaitVisible(`[data-testid="trace-graph"].lod`),
		chromedp.WaitVisible(`[data-testid="trace-turn-label"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-turn-label"]').length`, &labels),
		chromedp.Evaluate(`Math.min(...[...document.querySelectorAll('[data-testid="trace-turn-label"]')].map((e) => e.getBoundingClientRect().height))`, &minHeight))
	if labels < 10 {
		t.Errorf("turn labels at fit = %d, want at least 10 of the ~50 turns labelled", labels)
	}
	if minHeight < 10 {
		t.Errorf("smallest turn label at fit is %.1f px tall, want >= 10 (readable)", minHeight)
	}
	shoot(t, ctx, "graph200-fit-1440.png")
	do("fit at 1024x700", viewport(1024, 700), chromedp.Click(`[aria-label="Fit to view"]`), chromedp.WaitVisible(`[data-testid="trace-turn-label"]`))
	shoot(t, ctx, "graph200-fit-1024.png")

	// Collapse every turn, then one expands again.
	var collapsed, folded int
	do("collapse", chromedp.Click(`[data-testid="collapse-turns"]`), chromedp.Focus(`[data-testid="trace-graph"]`), chromedp.KeyEvent("0"),
		chromedp.WaitVisible(`[data-testid="trace-folded"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-turn"][data-collapsed="true"]').length`, &collapsed),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-folded"]').length`, &folded))
	if collapsed == 0 || folded == 0 {
		t.Errorf("after Collapse: collapsed turns = %d, +N badges = %d; want both", collapsed, folded)
	}
	shoot(t, ctx, "graph200-collapsed-1024.png")
	var after int
	do("expand one", chromedp.Evaluate(`(() => {
		const g = document.querySelector('[data-testid="trace-turn-toggle"]');
		const r = g.getBoundingClientRect();
		const o = { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, pointerId: 1, button: 0 };
		g.dispatchEvent(new PointerEvent('pointerdown', o));
		g.dispatchEvent(new PointerEvent('pointerup', o));
	})()`, nil), chromedp.Poll(fmt.Sprintf(`document.querySelectorAll('[data-testid="trace-turn"][data-collapsed="true"]').length < %d`, collapsed), nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-turn"][data-collapsed="true"]').length`, &after))
	if after >= collapsed {
		t.Errorf("collapsed turns after expanding one = %d, want fewer than %d", after, collapsed)
	}
}

// TestResizableLayout checks the layout at 1024x700: with the inspector open the graph keeps a
// useful width; at 1440x900 the sidebar's splitter answers the arrow keys and the width is
// remembered after a reload; the workspace collapses and the graph gets its room. Screenshots
// at both sizes.
func TestResizableLayout(t *testing.T) {
	dd := t.TempDir()
	seedTurns(t, dd, "ses_layout", "run_layout", "Fix the failing tests", 60, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "layout-stuck.png")
	width := func(sel string) float64 {
		t.Helper()
		var w float64
		do("measure "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().width`, sel), &w))
		return w
	}
	do("open a step at 1024x700", viewport(1024, 700), chromedp.Navigate(serve(t, dd)),
		chromedp.Evaluate(`localStorage.removeItem('corral.layout.v1')`, nil),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_layout"]`),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-node"]`),
		chromedp.Click(`[data-testid="trace-node"][data-kind="tool"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="step-inspector"]`))
	if g := width(`[data-testid="trace-graph"]`); g < 350 {
		t.Errorf("graph width at 1024x700 with the inspector open = %.0f px, want >= 350 (it was 120 before panels gave way)", g)
	}
	shoot(t, ctx, "layout-1024-inspector.png")

	// At 1440 the panels have their chosen widths: the sidebar's splitter widens it by keys.
	do("go to 1440x900", viewport(1440, 900), chromedp.Poll(`innerWidth === 1440 && document.querySelector('[data-testid="sidebar"]').getBoundingClientRect().width >= 230`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	side := width(`[data-testid="sidebar"]`)
	do("widen the sidebar by keys", chromedp.Focus(`[data-testid="splitter-sidebar"]`),
		chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	if got := width(`[data-testid="sidebar"]`); got != side+32 {
		t.Errorf("sidebar after two ArrowRight = %.0f px, want %.0f", got, side+32)
	}
	do("reload", chromedp.Reload(), chromedp.WaitVisible(`[data-testid="sidebar"]`))
	if got := width(`[data-testid="sidebar"]`); got != side+32 {
		t.Errorf("sidebar after reload = %.0f px, want the widened %.0f remembered", got, side+32)
	}
	do("open the trace again", chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-graph"]`))
	before := width(`[data-testid="trace-graph"]`)
	do("collapse the workspace", chromedp.Focus(`[data-testid="splitter-workspace"]`), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitNotVisible(`[data-testid="workspace-panel"]`))
	// The graph takes the room on its next layout (its size follows a ResizeObserver): wait
	// for it, bounded, then check.
	_ = chromedp.Run(ctx, chromedp.Poll(fmt.Sprintf(`document.querySelector('[data-testid="trace-graph"]').getBoundingClientRect().width >= %f`, before+200),
		nil, chromedp.WithPollingTimeout(5*time.Second)))
	if after := width(`[data-testid="trace-graph"]`); after < before+200 {
		t.Errorf("graph after collapsing the workspace = %.0f px, want about %.0f + 300", after, before)
	}
	shoot(t, ctx, "layout-1440-collapsed.png")
}

// TestDeepLink opens a link naming a session, run, tab and step in a fresh page: that run is
// selected (not the latest session's), the trace tab is open and the step is selected in the
// graph and the inspector. Choosing the timeline changes the address; back returns to the step.
func TestDeepLink(t *testing.T) {
	dd := t.TempDir()
	seedTurns(t, dd, "ses_old", "run_old", "An older session", 40, time.Now().Add(-time.Hour))
	seedTurns(t, dd, "ses_new", "run_new", "The latest session", 10, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "deeplink-stuck.png")
	url := serve(t, dd)
	base := strings.SplitN(url, "?", 2)[0]
	const link = "#/s/ses_old/r/run_old/trace/22"
	var hash, inspector string
	do("open the link", viewport(1440, 900), chromedp.Navigate(url), // trades the token for the cookie
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_new"][aria-current="true"]`),
		chromedp.Navigate(base+link),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_old"][aria-current="true"]`),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="22"].sel`),
		chromedp.WaitVisible(`[data-testid="step-inspector"]`),
		chromedp.Text(`[data-testid="step-inspector"]`, &inspector),
		chromedp.Evaluate(`location.hash`, &hash))
	if hash != link {
		t.Errorf("location.hash after opening %s = %q, want it kept", link, hash)
	}
	if !strings.Contains(inspector, "#22") {
		t.Errorf("inspector = %.80q…, want step #22", inspector)
	}
	shoot(t, ctx, "deeplink-1440.png")

	do("go to the timeline", chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible),
		chromedp.Poll(`location.hash === "#/s/ses_old/r/run_old/timeline/22"`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	do("back", chromedp.NavigateBack(),
		chromedp.Poll(`location.hash === "`+link+`"`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="22"].sel`))
	do("the other session, then back", chromedp.Click(`[data-testid="run-item"][data-run-id="run_new"]`, chromedp.NodeVisible),
		chromedp.Poll(`location.hash.startsWith("#/s/ses_new/r/run_new")`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.NavigateBack(),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_old"][aria-current="true"]`),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="22"].sel`))
}

// TestHistoryKeys walks the view history with Alt+Left and Alt+Right (the window has no
// browser buttons; the page handles the keys, so one press is one step in a browser too):
// trace, then timeline, then console; Alt+Left twice goes back to the trace with its step
// selected, Alt+Right once to the timeline. In the prompt box the keys move the caret and
// the view stays.
func TestHistoryKeys(t *testing.T) {
	dd := t.TempDir()
	seedTurns(t, dd, "ses_keys", "run_keys", "Walk the history", 30, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "historykeys-stuck.png")
	url := serve(t, dd)
	base := strings.SplitN(url, "?", 2)[0]
	const trace = "#/s/ses_keys/r/run_keys/trace/10"
	hashIs := func(h string) chromedp.Action {
		return chromedp.Poll(`location.hash === "`+h+`"`, nil, chromedp.WithPollingTimeout(5*time.Second))
	}
	alt := chromedp.KeyModifiers(input.ModifierAlt)
	do("open the trace at step 10", viewport(1440, 900), chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_keys"]`),
		chromedp.Navigate(base+trace),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="10"].sel`))
	do("timeline, then console",
		chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible), hashIs("#/s/ses_keys/r/run_keys/timeline/10"),
		chromedp.Click(`[data-testid="tab-console"]`, chromedp.NodeVisible), hashIs("#/s/ses_keys/r/run_keys/console"))
	do("Alt+Left: one step back, to the timeline",
		chromedp.KeyEvent(kb.ArrowLeft, alt), hashIs("#/s/ses_keys/r/run_keys/timeline/10"),
		chromedp.WaitVisible(`[data-testid="tab-timeline"][aria-selected="true"]`))
	do("Alt+Left again: the trace with step 10 selected",
		chromedp.KeyEvent(kb.ArrowLeft, alt), hashIs(trace),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="10"].sel`))
	do("Alt+Right: forward to the timeline",
		chromedp.KeyEvent(kb.ArrowRight, alt), hashIs("#/s/ses_keys/r/run_keys/timeline/10"))
	var hash string
	do("Alt+Left in the prompt box moves the caret, not the view",
		chromedp.Click(`[data-testid="prompt-input"]`, chromedp.NodeVisible),
		chromedp.SendKeys(`[data-testid="prompt-input"]`, "two words"),
		chromedp.KeyEvent(kb.ArrowLeft, alt),
		chromedp.Evaluate(`location.hash`, &hash))
	if hash != "#/s/ses_keys/r/run_keys/timeline/10" {
		t.Errorf("after Alt+Left in the prompt box, location.hash = %q, want the timeline kept", hash)
	}
}

// TestViewScreenshots writes a screenshot of each main view of a real-looking session (a
// 50-turn run with approvals, a failing test and Markdown) at 1440x900 and 1024x700:
// the console, the trace graph with a step open, the timeline, Settings and Health. Each is
// checked to be a picture; people look at them (the artifacts) for the layout.
func TestViewScreenshots(t *testing.T) {
	dd := t.TempDir()
	seedTurns(t, dd, "ses_shots", "run_shots", "Fix the failing tests in tests/test_mod.py", 200, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "views-stuck.png")
	url := serve(t, dd)
	base := strings.SplitN(url, "?", 2)[0]
	do("open", chromedp.Navigate(url), chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_shots"]`))
	for _, size := range []struct {
		name string
		w, h int64
	}{{"1440", 1440, 900}, {"1024", 1024, 700}} {
		do("console "+size.name, viewport(size.w, size.h), chromedp.Navigate(base+"#/s/ses_shots/r/run_shots/console"),
			chromedp.WaitVisible(`[data-testid="tool-error-tail"]`),
			chromedp.Evaluate(`document.querySelector('[data-testid="tool-error-tail"]').scrollIntoView({block: 'center'})`, nil))
		shoot(t, ctx, "view-console-"+size.name+".png")
		do("trace "+size.name, chromedp.Navigate(base+"#/s/ses_shots/r/run_shots/trace/14"),
			chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="14"].sel`), chromedp.WaitVisible(`[data-testid="step-inspector"]`))
		shoot(t, ctx, "view-trace-"+size.name+".png")
		do("timeline "+size.name, chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(`[data-testid="step-inspector"]`))
		shoot(t, ctx, "view-timeline-"+size.name+".png")
		do("settings "+size.name, chromedp.Click(`[data-testid="open-settings"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(`[data-testid="settings-view"]`), chromedp.Click(`[data-testid="settings-nav-providers"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(`[data-testid="url-input-anthropic"]`))
		shoot(t, ctx, "view-settings-"+size.name+".png")
		do("rules "+size.name, chromedp.Click(`[data-testid="settings-nav-rules"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(`select[data-testid="rule-add-scope"]`))
		shoot(t, ctx, "view-rules-"+size.name+".png")
		do("health "+size.name, chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`[data-testid="settings-view"]`),
			chromedp.Click(`[data-testid="open-health"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(`[data-testid="health-checked"]`))
		var checked string
		do("health text", chromedp.Text(`[data-testid="health-checked"]`, &checked))
		if !strings.Contains(checked, "ago") && !strings.Contains(checked, "now") {
			t.Errorf("health 'checked' = %q, want a relative time", checked)
		}
		shoot(t, ctx, "view-health-"+size.name+".png")
		do("close health", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`[data-testid="health-panel"]`))
	}
	// In the browser, "Open the folder" shows the workspace's path to copy.
	var path string
	do("open the folder", chromedp.Click(`[data-testid="reveal-workspace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="workspace-path"] input`),
		chromedp.Value(`[data-testid="workspace-path"] input`, &path))
	if !strings.HasPrefix(path, "/") {
		t.Errorf("workspace path shown = %q, want the folder's absolute path", path)
	}
}
