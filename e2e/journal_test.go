//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunFromTerminalAppears: with the browser UI open on a data directory, a `corral run`
// started in a terminal on the same directory shows up in the sidebar and reaches "done" there,
// with no reload: the window follows commits made by other processes.
func TestRunFromTerminalAppears(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.WaitReady(`[data-testid="import-trace"]`)); err != nil {
		t.Fatalf("open the UI: %v", err)
	}

	run := exec.Command(corralBin(t), "run", "--approve", "all", "--data-dir", dd, "--workspace", ws, "from a terminal")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	var title string
	err := chromedp.Run(ctx,
		chromedp.WaitVisible(`[data-testid="run-item"][data-status="completed"]`),
		chromedp.Text(`[data-testid="session-title"]`, &title),
	)
	if err != nil {
		t.Fatalf("the terminal's run never appeared, done, in the open UI: %v", err)
	}
	if !strings.Contains(title, "from a terminal") {
		t.Errorf("session title = %q, want the terminal run's prompt", title)
	}
}
