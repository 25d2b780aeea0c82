//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// noCredentials is the environment of a first run: no provider keys, whatever the machine
// running the tests has, and no Docker engine (so nothing depends on one being up).
var noCredentials = []string{
	"DOCKER_HOST=unix:///nonexistent.sock",
	"ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=",
	"OPENAI_API_KEY=", "OPENAI_BASE_URL=",
}

// TestDemoInBrowser is the first-run tour, driven through the page as a person would, with no
// CLI shortcut: a fresh data directory, no credentials, the demo model. Type a prompt and
// start a run in the local sandbox; watch the trace graph grow; approve the script's diff;
// see the file in the tree and its text in the viewer; deny a command with a message and read
// the model's answer to it; approve the rest and see the run done. A screenshot is saved at
// each stage. The whole tour must take less than a minute (issue 7's first-run promise).
func TestDemoInBrowser(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	lines := startCorral(t, append([]string{"CORRAL_PROVIDER=demo"}, noCredentials...),
		"serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	do := stages(t, ctx, "demo-stuck.png")
	shot := func(name string) {
		t.Helper()
		var png []byte
		do("screenshot "+name, chromedp.CaptureScreenshot(&png))
		path := artifact(t, "demo-"+name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		assertPicture(t, path, 8)
	}
	const dialog = `[data-testid="approval-dialog"][open]`
	// approvalFor waits for the dialog to show the action whose title contains what.
	approvalFor := func(what string) string {
		t.Helper()
		var text string
		do("approval for "+what,
			chromedp.WaitVisible(fmt.Sprintf(`//dialog[@data-testid="approval-dialog"][@open]//*[@data-testid="approval-title"][contains(., %q)]`, what), chromedp.BySearch),
			chromedp.Text(dialog, &text),
		)
		return text
	}
	approve := func(what string) {
		t.Helper()
		approvalFor(what)
		do("approve "+what, chromedp.Click(dialog+` [data-testid="approve"]`))
	}

	// First run: the page offers the demo model, and the prompt box is where to start.
	start := time.Now()
	do("open the page", chromedp.Navigate(url), chromedp.WaitVisible(`[data-testid="demo-hint"]`))
	shot("1-first-run")
	var hint string
	do("demo hint", chromedp.Text(`[data-testid="demo-hint"]`, &hint))
	if !strings.Contains(hint, "demo model") || !strings.Contains(hint, "Try the demo") {
		t.Errorf("first-run hint = %q, want it to offer the demo model with a button", hint)
	}

	// Start a run: a prompt, the local sandbox and a workspace of our own, then Send.
	do("start a run",
		chromedp.Click(`[data-testid="run-options-toggle"]`, chromedp.NodeVisible),
		chromedp.SetValue(`[data-testid="opt-sandbox"]`, "local"),
		chromedp.SendKeys(`[data-testid="opt-workspace"]`, ws),
		chromedp.SendKeys(`[data-testid="prompt-input"]`, "Show me what you can do"),
		chromedp.Click(`[data-testid="prompt-send"]`),
		chromedp.WaitVisible(`[data-testid="run-status"]`),
		// Record every node count the graph shows, once per frame, from the moment it exists.
		chromedp.Evaluate(`window.__nodes = []; (function sample() {
			const g = document.querySelector('[data-testid="trace-graph"]');
			if (g && window.__nodes[window.__nodes.length - 1] !== +g.dataset.nodes) window.__nodes.push(+g.dataset.nodes);
			requestAnimationFrame(sample);
		})()`, nil),
		chromedp.Click(`[data-testid="tab-trace"]`),
		chromedp.WaitVisible(`[data-testid="trace-node"]`),
	)

	// The first action asks: a write of wordcount.sh, shown as a diff.
	text := approvalFor("Create wordcount.sh")
	var added int
	do("diff lines", chromedp.Evaluate(`document.querySelectorAll('[data-testid="approval-dialog"] [data-testid="diff"] .add').length`, &added))
	if added < 5 || !strings.Contains(text, "most frequent words") {
		t.Errorf("write approval shows %d added lines, text %q; want the diff of the new script", added, clipText(text))
	}
	shot("2-approve-write")
	do("approve the write", chromedp.Click(dialog+` [data-testid="approve"]`))

	// The file appears in the tree. The next action (a command) asks at once; put the dialog
	// aside (it keeps waiting, the inbox reopens it) to look at the file first.
	approvalFor("sample.txt")
	do("close the dialog", chromedp.Click(dialog+` [aria-label="Close"]`), chromedp.WaitNotPresent(dialog))
	var viewer string
	do("open wordcount.sh",
		chromedp.WaitVisible(`[data-testid="file-row"][data-path="wordcount.sh"]`),
		chromedp.Click(`[data-testid="file-row"][data-path="wordcount.sh"]`),
		chromedp.WaitVisible(`//*[@data-testid="file-viewer"][contains(., "#!/bin/sh")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="file-viewer"]`, &viewer),
	)
	if !strings.Contains(viewer, "most frequent words") {
		t.Errorf("file viewer = %q, want wordcount.sh's text", clipText(viewer))
	}
	shot("3-file-viewer")

	// Deny the command with a message typed in the dialog; the model answers it in the console.
	const message = "not on my machine, please"
	text = func() string {
		do("reopen from the inbox", chromedp.Click(`[data-testid="approval-inbox"]`, chromedp.NodeVisible))
		return approvalFor("sample.txt")
	}()
	if !strings.Contains(text, "printf") {
		t.Errorf("command approval = %q, want the command", clipText(text))
	}
	do("deny with a message",
		chromedp.Click(dialog+` [data-testid="deny-message"]`),
		chromedp.SendKeys(`[data-testid="deny-message-text"]`, message),
	)
	shot("4-deny-with-message")
	do("send the denial", chromedp.Click(`[data-testid="deny-message-submit"]`))

	// The model's next move (an edit of the script) asks; its reaction is in the console.
	approvalFor("Edit wordcount.sh")
	do("close the dialog", chromedp.Click(dialog+` [aria-label="Close"]`), chromedp.WaitNotPresent(dialog))
	reaction := fmt.Sprintf(`//*[@data-testid="assistant-text"][contains(., %q)]`, message)
	do("the model's reaction",
		chromedp.Click(`[data-testid="tab-console"]`),
		chromedp.WaitVisible(reaction, chromedp.BySearch),
		chromedp.ScrollIntoView(reaction, chromedp.BySearch),
	)
	shot("5-reaction")

	// Approve the rest (the edit, the second run, the test file and the test run) until done.
	do("reopen from the inbox", chromedp.Click(`[data-testid="approval-inbox"]`, chromedp.NodeVisible))
	approve("Edit wordcount.sh")
	approve("sample.txt")
	approve("Create test_wordcount.sh")
	approve("Run sh test_wordcount.sh")
	do("the run finishes", chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`))
	elapsed := time.Since(start)
	do("the final answer", chromedp.WaitVisible(`//*[@data-testid="assistant-text"][contains(., "All checks pass")]`, chromedp.BySearch))
	shot("6-done-console")

	var nodes []int
	do("trace", chromedp.Click(`[data-testid="tab-trace"]`), chromedp.WaitVisible(`[data-testid="trace-node"]`),
		chromedp.Evaluate(`window.__nodes`, &nodes))
	shot("7-done-trace")
	var status string
	var graphNodes int
	do("final state",
		chromedp.AttributeValue(`[data-testid="run-status"]`, "data-status", &status, nil),
		// Approvals are badges on their calls (issue 15), so the graph stands for every step
		// (data-steps) with fewer nodes than steps.
		chromedp.Evaluate(`+document.querySelector('[data-testid="trace-graph"]').dataset.steps`, &graphNodes),
	)
	if len(nodes) < 3 || !growing(nodes) {
		t.Errorf("trace graph node counts seen = %v, want a count that grows step by step", nodes)
	}
	var runs []struct {
		Steps int `json:"steps"`
	}
	out, err := corralOut(t, "runs", "--json", "--data-dir", dd)
	if err != nil || json.Unmarshal(out, &runs) != nil || len(runs) != 1 {
		t.Fatalf("corral runs --json = %s, %v; want one run", out, err)
	}
	if graphNodes != runs[0].Steps {
		t.Errorf("trace graph of the finished run stands for %d steps, want every step (%d)", graphNodes, runs[0].Steps)
	}
	for _, f := range []string{"wordcount.sh", "test_wordcount.sh"} {
		if _, err := os.Stat(filepath.Join(ws, f)); err != nil {
			t.Errorf("the demo's %s is not in the workspace: %v", f, err)
		}
	}
	t.Logf("first-run demo tour: %v from opening the page to the run done (%d steps; graph counts seen %v)", elapsed.Round(100*time.Millisecond), runs[0].Steps, nodes)
	if elapsed > time.Minute {
		t.Errorf("the demo tour took %v, want under a minute", elapsed)
	}
}

// stages returns a function that runs chromedp actions, bounded: a stage that hangs fails the
// test with a screenshot of the page named stuck (the browser's own context must not get a
// derived deadline: see newBrowser).
func stages(t *testing.T, ctx context.Context, stuck string) func(what string, actions ...chromedp.Action) {
	return func(what string, actions ...chromedp.Action) {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- chromedp.Run(ctx, actions...) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(30 * time.Second):
			var png []byte
			if chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)) == nil {
				_ = os.WriteFile(artifact(t, stuck), png, 0o644)
			}
			t.Fatalf("%s: nothing after 30 s (screenshot: %s)", what, stuck)
		}
	}
}

// growing reports whether counts only go up.
func growing(counts []int) bool {
	for i := 1; i < len(counts); i++ {
		if counts[i] < counts[i-1] {
			return false
		}
	}
	return true
}

// corralOut runs the binary to completion and returns its standard output.
func corralOut(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(corralBin(t), args...)
	cmd.Env = append(os.Environ(), noCredentials...)
	return cmd.Output()
}

// TestTryTheDemo takes the one-click path of a first run: "Try the demo" starts the demo
// model in a new session, and the keyboard alone (A in the dialog) approves each action
// until the run is done.
func TestTryTheDemo(t *testing.T) {
	dd := t.TempDir()
	lines := startCorral(t, noCredentials, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	do := stages(t, ctx, "try-demo-stuck.png")
	do("try the demo", chromedp.Navigate(url), chromedp.Click(`[data-testid="try-demo"]`, chromedp.NodeVisible))
	// Approve whatever asks, with the A key, until the run is done: six actions.
	for i := 0; ; i++ {
		var status string
		do(fmt.Sprintf("after %d approvals", i),
			chromedp.WaitVisible(`//*[@data-testid="run-status"][@data-status="completed"] | //dialog[@data-testid="approval-dialog"][@open]//*[@data-testid="approve"][not(@disabled)]`, chromedp.BySearch),
			chromedp.AttributeValue(`[data-testid="run-status"]`, "data-status", &status, nil),
		)
		if status == "completed" {
			if i != 6 {
				t.Errorf("the demo asked %d approvals, want 6 (two writes, an edit, three commands)", i)
			}
			break
		}
		if i > 6 {
			t.Fatalf("more than 6 approvals asked")
		}
		var title string
		do(fmt.Sprintf("approval %d", i+1), chromedp.Text(`[data-testid="approval-dialog"][open] [data-testid="approval-title"]`, &title))
		do("approve "+title+" with the A key",
			chromedp.KeyEvent("a"),
			chromedp.WaitNotPresent(fmt.Sprintf(`//dialog[@open]//*[@data-testid="approval-title"][.=%q]`, title), chromedp.BySearch),
		)
	}
	var prompt string
	if err := chromedp.Run(ctx, chromedp.Text(`[data-testid="run-area"] h1`, &prompt)); err != nil {
		t.Fatal(err)
	}
	if prompt == "" {
		t.Errorf("the demo run has no prompt in the header")
	}
}
