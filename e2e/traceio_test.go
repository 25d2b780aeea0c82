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

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
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

// TestTraceDropImport drops an OTLP export (written by `corral export`) on the window the
// way a file manager does, through Chromium's own drag and drop: the overlay shows while the
// file is over the window, and the drop imports the run as a read-only session whose trace
// graph opens.
func TestTraceDropImport(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--approve", "all", "--json", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	out, err := run.Output()
	if err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	runID := firstRunID(string(out))
	file := filepath.Join(t.TempDir(), "shared.otlp.json")
	if out, err := exec.Command(corralBin(t), "export", runID, "--data-dir", dd, "--format", "otlp", "-o", file).CombinedOutput(); err != nil {
		t.Fatalf("corral export --format otlp: %v\n%s", err, out)
	}

	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	data := &input.DragData{Files: []string{file}, DragOperationsMask: 1, Items: []*input.DragDataItem{}}
	drag := func(typ input.DispatchDragEventType) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			return input.DispatchDragEvent(typ, 400, 300, data).Do(ctx)
		})
	}
	var overlay int
	var toast, badge, promptContext string
	var nodes int
	steps := []struct {
		what string
		do   []chromedp.Action
	}{
		{"open the window", []chromedp.Action{chromedp.Navigate(url), chromedp.WaitReady(`[data-testid="import-trace"]`)}},
		{"drag the file over the window", []chromedp.Action{drag(input.DragEnter), drag(input.DragOver),
			chromedp.Evaluate(`document.querySelectorAll('[data-testid="drop-overlay"]').length`, &overlay)}},
		{"drop it", []chromedp.Action{drag(input.Drop), chromedp.WaitVisible(`[data-testid="import-result"]`)}},
		{"read the result", []chromedp.Action{chromedp.Text(`[data-testid="import-result"]`, &toast),
			chromedp.WaitVisible(`[data-testid="imported-badge"]`), chromedp.Text(`[data-testid="imported-badge"]`, &badge),
			chromedp.Text(`[data-testid="prompt-context"]`, &promptContext)}},
		{"open the imported run's trace graph", []chromedp.Action{chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
			chromedp.ActionFunc(func(ctx context.Context) error {
				for range 100 {
					if err := chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-node"]').length`, &nodes).Do(ctx); err != nil || nodes > 0 {
						return err
					}
					time.Sleep(100 * time.Millisecond)
				}
				var text string
				var shot []byte
				_ = chromedp.FullScreenshot(&shot, 100).Do(ctx)
				_ = os.WriteFile(artifact(t, "drop-import-nograph.png"), shot, 0o644)
				_ = chromedp.Evaluate(`document.querySelector('[data-testid="tab-trace"]').outerHTML + document.body.innerText.slice(0, 300)`, &text).Do(ctx)
				return fmt.Errorf("no trace nodes after 10 s; the page says:\n%s", text)
			})}},
	}
	for _, st := range steps {
		if err := chromedp.Run(ctx, st.do...); err != nil {
			var shot []byte
			_ = chromedp.Run(ctx, chromedp.FullScreenshot(&shot, 100))
			_ = os.WriteFile(artifact(t, "drop-import-failed.png"), shot, 0o644)
			t.Fatalf("%s: %v (screenshot drop-import-failed.png)", st.what, err)
		}
	}
	var shot []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&shot, 100)); err != nil {
		t.Fatal(err)
	}
	path := artifact(t, "drop-import-trace.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)
	if overlay != 1 {
		t.Errorf("drop overlay shown %d times while a file is dragged over the window, want 1", overlay)
	}
	if strings.Contains(strings.ToLower(toast), "error") || !strings.Contains(strings.ToLower(badge), "imported") {
		t.Errorf("import toast %q, badge %q; want a success and the imported badge", toast, badge)
	}
	if !strings.Contains(promptContext, "read-only") {
		t.Errorf("prompt box says %q with the imported session selected, want it to say a prompt starts a new session (read-only)", promptContext)
	}
	if nodes < 5 {
		t.Errorf("the imported run's graph has %d nodes, want the demo run's steps", nodes)
	}
}

// firstRunID returns the run id of the first JSON event line of `corral run --json`.
func firstRunID(out string) string {
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			RunID string `json:"run_id"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.RunID != "" {
			return ev.RunID
		}
	}
	return ""
}
