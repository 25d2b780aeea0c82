//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestCostCapDialog: a run started from the terminal with --max-cost stops at its cap (corral
// run exits 3); the browser opens the cap dialog with the cap and the spend, the run header
// shows the context gauge and the spend against the cap, and raising the cap by the amount
// typed carries the run to completed. Screenshots: cost-cap.png, cost-cap-raised.png.
func TestCostCapDialog(t *testing.T) {
	// claude-sonnet-4-5 at $3 / $15 per million: 100,000 in and 1,000 out cost $0.315 a call.
	var calls atomic.Int64
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(_ int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		calls.Add(1)
		turn := 0
		for _, m := range r.Messages {
			if m.Role == llm.RoleAssistant {
				turn++
			}
		}
		resp := llm.Response{ID: fmt.Sprintf("msg_%d", turn), Model: r.Model, Usage: llm.Usage{InputTokens: 100_000, OutputTokens: 1_000}}
		if turn < 4 {
			resp.Content = []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", turn), "exec", fmt.Sprintf(`{"command":"echo %d"}`, turn))}
			resp.StopReason = llm.StopToolUse
		} else {
			resp.Content = []llm.Block{llm.TextBlock("All logged.")}
			resp.StopReason = llm.StopEndTurn
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 4)}
	}))
	t.Cleanup(srv.Close)
	dd, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "CORRAL_MODEL=", "DOCKER_HOST=unix:///nonexistent.sock"}
	run := exec.Command(corralBin(t), "run", "--provider", "anthropic", "--base-url", srv.URL, "--model", "claude-sonnet-4-5",
		"--max-cost", "1.00", "--exec-security", "allow-always", "--data-dir", dd, "--workspace", ws, "Log four calls")
	run.Env = append(os.Environ(), env...)
	out, err := run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("corral run --max-cost 1.00 = %v, want exit 3 (waiting at the cap)\n%s", err, out)
	}
	if got := calls.Load(); got != 4 {
		t.Fatalf("model calls before the cap = %d, want 4", got)
	}

	lines := startCorral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	var title, capText, spent, amount string
	var shot []byte
	err = chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="approval-budget"]`),
		chromedp.Text(`#approval-title`, &title),
		chromedp.Text(`[data-testid="budget-cap"]`, &capText),
		chromedp.Text(`[data-testid="budget-spent"]`, &spent),
		chromedp.Value(`[data-testid="budget-raise-amount"]`, &amount),
		chromedp.CaptureScreenshot(&shot),
	)
	if err != nil {
		t.Fatalf("the cap dialog in the browser: %v", err)
	}
	if err := os.WriteFile(artifact(t, "cost-cap.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if title != "Spend cap reached" || !strings.Contains(capText, "cost cap: $1.00") || spent != "$1.26" || amount != "1.00" {
		t.Errorf("cap dialog: title %q, cap %q, spent %q, raise %q; want the $1.00 cost cap, $1.26 spent, a raise of 1.00 offered", title, capText, spent, amount)
	}

	var gauge, spend, decided string
	var done []byte
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`(() => { const i = document.querySelector('[data-testid="budget-raise-amount"]'); i.value = '0.75'; i.dispatchEvent(new Event('input', { bubbles: true })); })()`, nil),
		chromedp.Click(`[data-testid="budget-raise"]`, chromedp.NodeVisible),
		chromedp.WaitNotPresent(`[data-testid="approval-budget"]`),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
		chromedp.Text(`[data-testid="context-text"]`, &gauge, chromedp.NodeVisible),
		chromedp.Text(`[data-testid="run-spend"]`, &spend, chromedp.NodeVisible),
		chromedp.Text(`[data-testid="budget-decided"]`, &decided, chromedp.NodeVisible),
		chromedp.CaptureScreenshot(&done),
	)
	if err != nil {
		t.Fatalf("raise the cap from the browser: %v", err)
	}
	if err := os.WriteFile(artifact(t, "cost-cap-raised.png"), done, 0o644); err != nil {
		t.Fatal(err)
	}
	if decided != "Spend cap raised by $0.75 in the browser" {
		t.Errorf("the console says %q of the budget gate, want the raise and who gave it", decided)
	}
	if got := calls.Load(); got != 5 {
		t.Errorf("model calls in all = %d, want 5: the run went on once after the raise", got)
	}
	// The last request was counted by the provider: 100k of the 200k window.
	if !strings.Contains(gauge, "100k / 200k") || !strings.HasSuffix(spend, " / $1.75") {
		t.Errorf("run header: context %q, spend %q; want 100k / 200k and the spend against the raised $1.75 cap", gauge, spend)
	}
}
