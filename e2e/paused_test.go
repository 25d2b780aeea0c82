//go:build e2e

package e2e

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestPausedRunResumesInBrowser: a run whose provider rejects the key pauses (corral run exits
// 4); the browser shows it paused with the provider's message and what to do, and once the
// provider answers again its Resume button carries the run to completed.
// Screenshot: paused-run.png.
func TestPausedRunResumesInBrowser(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(int, llmtest.Request) llmtest.Reply {
		if down.Load() {
			return llmtest.AnthropicError(http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		}
		return llmtest.Replay("anthropic/text.sse")
	}))
	t.Cleanup(srv.Close)
	dd, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "CORRAL_MODEL=", "DOCKER_HOST=unix:///nonexistent.sock"}
	run := exec.Command(corralBin(t), "run", "--provider", "anthropic", "--base-url", srv.URL, "--data-dir", dd, "--workspace", ws, "Say hello")
	run.Env = append(os.Environ(), env...)
	out, err := run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 4 {
		t.Fatalf("corral run against a provider rejecting the key = %v, want exit 4 (paused)\n%s", err, out)
	}
	lines := startCorral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })

	ctx := newBrowser(t)
	var message string
	var shot []byte
	err = chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="paused"]`),
		chromedp.Text(`.run-error`, &message, chromedp.NodeVisible),
		chromedp.CaptureScreenshot(&shot),
	)
	if err != nil {
		t.Fatalf("paused run in the browser: %v", err)
	}
	if !strings.Contains(message, "invalid x-api-key") || !strings.Contains(message, "check the API key") {
		t.Errorf("paused run's message = %q, want the provider's message and what to do", message)
	}
	if err := os.WriteFile(artifact(t, "paused-run.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="resume-run"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
	)
	if err != nil {
		t.Fatalf("resume the paused run from the browser: %v", err)
	}
}
