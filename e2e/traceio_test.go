//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestTraceExportImportInUI exports a run from the run header as a download, then imports
// that file into another Corral through the sidebar's import input: the imported session is
// listed, marked imported and read-only.
func TestTraceExportImportInUI(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--approve", "all", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	serve := func(dir string) string {
		lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
		return waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	}

	// Export from the first Corral: a real download.
	downloads := t.TempDir()
	ctx := newBrowser(t)
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	err := chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(downloads).WithEventsEnabled(true),
		chromedp.Navigate(serve(dd)),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="export-run"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="export-json"]`, chromedp.NodeVisible),
	)
	if err != nil {
		t.Fatalf("export from the UI: %v", err)
	}
	var guid string
	select {
	case guid = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no download completed after Export JSON")
	}
	bundle := filepath.Join(downloads, guid)
	b, err := os.ReadFile(bundle)
	if err != nil || !strings.Contains(string(b), `"corral.trace"`) {
		t.Fatalf("downloaded file = %d bytes, %v; want a Corral bundle", len(b), err)
	}

	// Import into a second, empty Corral through the file input.
	ctx2 := newBrowser(t)
	var toast, badge string
	err = chromedp.Run(ctx2,
		chromedp.Navigate(serve(t.TempDir())),
		chromedp.WaitReady(`[data-testid="import-trace"]`),
		chromedp.SetUploadFiles(`[data-testid="import-trace"]`, []string{bundle}),
		chromedp.WaitVisible(`[data-testid="import-result"]`),
		chromedp.Text(`[data-testid="import-result"]`, &toast),
		chromedp.WaitVisible(`[data-testid="imported-badge"]`),
		chromedp.Text(`[data-testid="imported-badge"]`, &badge),
	)
	if err != nil {
		t.Fatalf("import in the UI: %v", err)
	}
	if strings.Contains(strings.ToLower(toast), "error") || !strings.Contains(strings.ToLower(badge), "imported") {
		t.Errorf("import toast %q, badge %q; want a success and the imported badge", toast, badge)
	}
	var resumeButtons int
	if err := chromedp.Run(ctx2, chromedp.Evaluate(`document.querySelectorAll('[data-testid="resume-run"],[data-testid="cancel-run"]').length`, &resumeButtons)); err != nil {
		t.Fatal(err)
	}
	if resumeButtons != 0 {
		t.Errorf("an imported run offers %d resume/cancel buttons, want none (read-only)", resumeButtons)
	}
}
