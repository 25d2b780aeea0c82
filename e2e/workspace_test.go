//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWorkspacePanel opens a finished demo run's session in the browser UI: the file tree
// lists what the agent wrote, the viewer shows a file, and a file written afterwards appears
// in the tree live.
func TestWorkspacePanel(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--approve", "all", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	var viewer string
	var marks []string
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="file-row"][data-path="wordcount.sh"]`),
		// The run on screen created the demo's files: each is marked as new.
		chromedp.WaitVisible(`[data-testid="file-row"][data-path="wordcount.sh"] [data-testid="run-marker"]`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="run-marker"]')].map((m) => m.closest('[data-testid="file-row"]').dataset.path + ' ' + m.dataset.mark).sort()`, &marks),
		chromedp.Click(`[data-testid="file-row"][data-path="wordcount.sh"]`),
		chromedp.WaitVisible(`[data-testid="file-viewer"]`),
		chromedp.Text(`[data-testid="file-viewer"]`, &viewer),
	)
	if err != nil {
		t.Fatalf("workspace panel: %v", err)
	}
	if got, want := strings.Join(marks, ", "), "sample.txt created, test_wordcount.sh created, wordcount.sh created"; got != want {
		t.Errorf("run markers = %s, want %s", got, want)
	}
	if !strings.Contains(viewer, "most frequent words") {
		t.Errorf("file viewer = %q, want wordcount.sh's text", viewer)
	}
	if err := os.WriteFile(filepath.Join(ws, "later.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var shot []byte
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`[data-testid="file-row"][data-path="later.txt"]`),
		chromedp.FullScreenshot(&shot, 100),
	); err != nil {
		t.Fatalf("a file written in the workspace never appeared in the tree: %v", err)
	}
	path := artifact(t, "workspace-panel.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)
}
