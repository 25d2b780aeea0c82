//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestApprovalDialog starts the demo agent headless so it stops at its first approval (a
// file write), then opens the browser UI on the same data directory: the dialog shows the
// diff; approving it from the page lets the run go on to its next approval.
func TestApprovalDialog(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--json", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	out, _ := run.Output()
	if code := run.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("corral run without a terminal = exit %d, want 3 (waiting for approval)\n%s", code, out)
	}
	runID := ""
	for _, line := range strings.Split(string(out), "\n") {
		var ev struct {
			Type  string `json:"type"`
			RunID string `json:"run_id"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.RunID != "" {
			runID = ev.RunID
			break
		}
	}

	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock", "CORRAL_PROVIDER=demo"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	var dialog string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="approval-dialog"]`),
		chromedp.Text(`[data-testid="approval-dialog"]`, &dialog),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("approval dialog: %v", err)
	}
	if !strings.Contains(dialog, "wordcount.sh") {
		t.Errorf("dialog = %q, want the file the demo writes", clipText(dialog))
	}
	path := artifact(t, "approval-dialog.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)

	// The diff side by side: the layout toggle, then the new file's lines on the right.
	var split []byte
	var rightCells int
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="approval-dialog"] [data-testid="diff-mode"]`),
		chromedp.WaitVisible(`[data-testid="approval-dialog"] [data-testid="diff"][data-mode="split"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="approval-dialog"] [data-testid="diff"] .half.right.add').length`, &rightCells),
		chromedp.FullScreenshot(&split, 100),
	)
	if err != nil {
		t.Fatalf("side-by-side diff: %v", err)
	}
	if rightCells < 5 {
		t.Errorf("side-by-side diff of the new wordcount.sh has %d added cells, want its lines", rightCells)
	}
	if err := os.WriteFile(artifact(t, "approval-dialog-split.png"), split, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="approve"]`)); err != nil {
		t.Fatalf("click approve: %v", err)
	}
	// The run goes on: the next action (running the script on a sample) asks in its turn,
	// and by then the approved write has happened.
	next := `//*[@data-testid="approval-dialog"][contains(., "sample.txt")]`
	if err := chromedp.Run(ctx, chromedp.WaitVisible(next, chromedp.BySearch)); err != nil {
		t.Fatalf("run %s: no dialog for the next action after approving: %v", runID, err)
	}
	if _, err := os.Stat(ws + "/wordcount.sh"); err != nil {
		t.Errorf("approved write did not happen: %v", err)
	}

	// After Back (from the message view) the dialog's keys work at once, without a Tab first.
	backBtn := `//dialog[@data-testid="approval-dialog"]//button[normalize-space()="Back"]`
	err = chromedp.Run(ctx,
		chromedp.KeyEvent("m"), chromedp.WaitVisible(`#approval-message`),
		chromedp.Click(backBtn, chromedp.BySearch), chromedp.WaitNotPresent(`#approval-message`),
		chromedp.KeyEvent("m"), chromedp.WaitVisible(`#approval-message`))
	if err != nil {
		t.Fatalf("the m key after Back: %v", err)
	}
}

func clipText(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
