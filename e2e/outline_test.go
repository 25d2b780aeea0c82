//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTraceOutline opens a run long enough to be opened as an outline (its steps without
// their content: Traces.Outline) and checks that the page never reads the whole trace, that
// the graph stands for every step and labels the nodes on screen (their content loaded a
// page at a time: Traces.Steps), that the inspector shows a step's whole output, and that the
// timeline and the console show content too.
func TestTraceOutline(t *testing.T) {
	const n = 2500
	dd := t.TempDir()
	seedRun(t, dd, "ses_outline", "run_outline", "a long run", n, time.Now())
	ctx := newBrowser(t)
	do := stages(t, ctx, "outline-stuck.png")
	do("open the run's trace", viewport(1440, 900), chromedp.Navigate(serve(t, dd)),
		chromedp.WaitVisible(`[data-testid="run-item"][data-run-id="run_outline"][aria-current="true"]`),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(fmt.Sprintf(`[data-testid="trace-graph"][data-painted="%d"]`, n)))

	var calls []string
	do("which calls", chromedp.Evaluate(`performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/api/call/Traces.'))`, &calls))
	joined := strings.Join(calls, " ")
	if !strings.Contains(joined, "Traces.Outline") || !strings.Contains(joined, "Traces.Steps") || strings.Contains(joined, "Traces.Trace") {
		t.Errorf("trace calls = %v, want Traces.Outline and Traces.Steps, never Traces.Trace", calls)
	}

	// The nodes on screen have their labels: a command's node names its command.
	var labels []string
	do("labels", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="trace-node"][data-kind="tool"]')].map((g) => g.textContent)`, &labels))
	if len(labels) == 0 {
		t.Fatal("no command nodes on screen")
	}
	for _, l := range labels {
		if !strings.Contains(l, "go test") || strings.Contains(l, "…\n") {
			t.Errorf("command node on screen = %q, want its command", l)
		}
	}

	// Jump far down: the inspector shows the step's whole output, loaded on demand.
	var out string
	do("jump to step 2001", chromedp.SendKeys(`[data-testid="jump-to-step"]`, "2001\n"),
		chromedp.WaitVisible(`[data-testid="step-inspector"]`))
	do("inspect step 2001",
		chromedp.Poll(`document.querySelector('[data-testid="step-inspector"]').textContent.includes('TestLoop2000')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll(`[...document.querySelectorAll('[data-testid="step-inspector"] pre.code')].some((p) => p.textContent.includes('Exit code: 0'))`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="step-inspector"] pre.code')].find((p) => p.textContent.includes('Exit code: 0')).textContent`, &out))
	if c := strings.Count(out, "ok  \tgithub.com/corral-dev/corral/backend/x"); c != 10 {
		t.Errorf("inspector output of step 2001 has %d test lines, want all 10:\n%s", c, out)
	}
	var shown string
	do("the graph labels the step", chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="2001"]`),
		chromedp.Evaluate(`document.querySelector('[data-testid="trace-node"][data-seq="2001"]').textContent`, &shown))
	if !strings.Contains(shown, "go test ./... -run") || !strings.Contains(shown, "exit 0") {
		t.Errorf("node 2001 = %q, want its command", shown)
	}

	// The timeline's rows on screen and the console's last steps have their content too.
	var row, console string
	do("timeline", chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible),
		chromedp.Poll(`[...document.querySelectorAll('[data-testid="timeline-row"]')].some((r) => r.textContent.includes('go test'))`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`[data-testid="timeline-row"]`, &row))
	do("console", chromedp.Click(`[data-testid="tab-console"]`, chromedp.NodeVisible),
		chromedp.Poll(fmt.Sprintf(`document.querySelector('[data-testid="run-console"]').textContent.includes('All %d loops pass.')`, n), nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(`[data-testid="run-console"]`, &console))
	if !strings.Contains(console, "TestLoop2498") {
		t.Errorf("console does not show the last command (TestLoop2498): %.300q", console)
	}
}
