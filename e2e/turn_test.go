//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestTurnApprovalDialog: one model turn asks for four edits (two of the same file); the
// browser's approval dialog lists all four, the second edit of notes.md previewed against
// the first's result; the person approves three and denies one with a message, in one
// dialog, and the run goes on without asking again: its next model request carries the
// three applied and the denial with the message.
func TestTurnApprovalDialog(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	for name, text := range map[string]string{"notes.md": "# Notes\n\nalpha\n", "app.py": "x = 1\n", "config.txt": "debug = true\n"} {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(id, path, old, new string) llm.Block {
		return llm.NewToolUse(id, "edit", fmt.Sprintf(`{"path":%q,"old_string":%q,"new_string":%q}`, path, old, new))
	}
	srv, h := scriptedModel(t, []llm.Response{
		{Content: []llm.Block{llm.TextBlock("Four changes."),
			edit("toolu_1", "notes.md", "alpha", "beta"),
			edit("toolu_2", "notes.md", "beta", "gamma"),
			edit("toolu_3", "app.py", "x = 1", "x = 2"),
			edit("toolu_4", "config.txt", "debug = true", "debug = false")}},
		{Content: []llm.Block{llm.TextBlock("Done.")}},
	})
	env := []string{"ANTHROPIC_API_KEY=test-key", "ANTHROPIC_BASE_URL=" + srv.URL, "DOCKER_HOST=unix:///nonexistent.sock"}
	run := exec.Command(corralBin(t), "run", "--json", "--env", "local", "--provider", "anthropic", "--base-url", srv.URL,
		"--data-dir", dd, "--workspace", ws, "Tidy up")
	run.Env = append(os.Environ(), env...)
	out, _ := run.Output()
	if code := run.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("corral run without a terminal = exit %d, want 3 (waiting for approval)\n%s", code, out)
	}

	lines := startCorral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	do := stages(t, ctx, "turn-stuck.png")
	var calls int
	var first, second string
	call := func(i int) string { return fmt.Sprintf(`[data-testid="turn-call"][data-index="%d"]`, i) }
	do("the turn's dialog", viewport(1440, 900), chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="approval-dialog"] [data-testid="turn-review"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="turn-call"]').length`, &calls),
		chromedp.Text(call(0), &first), chromedp.Text(call(1), &second))
	shoot(t, ctx, "turn-dialog.png")
	do("at 1024x700", viewport(1024, 700), chromedp.WaitVisible(`[data-testid="turn-approve-all"]`))
	shoot(t, ctx, "turn-dialog-1024.png")
	do("back to 1440x900", viewport(1440, 900))
	if calls != 4 {
		t.Fatalf("the dialog lists %d calls, want the turn's four edits", calls)
	}
	if !strings.Contains(first, "alpha") || !strings.Contains(second, "beta") || !strings.Contains(second, "gamma") || strings.Contains(second, "alpha") {
		t.Errorf("the second edit of notes.md shows %q; want it against the first's result (beta -> gamma)", clipText(second))
	}

	do("decide on each", chromedp.Click(call(0)+` [data-testid="turn-approve"]`),
		chromedp.Click(call(1)+` [data-testid="turn-approve"]`),
		chromedp.Click(call(2)+` [data-testid="turn-deny"]`),
		chromedp.SendKeys(call(2)+` [data-testid="turn-deny-message"]`, "keep x at 1, the tests pin it"),
		chromedp.Click(call(3)+` [data-testid="turn-approve"]`),
		chromedp.WaitVisible(`//button[@data-testid="turn-submit"][contains(., "3 approved, 1 denied")]`, chromedp.BySearch))
	shoot(t, ctx, "turn-dialog-decided.png")
	do("send, and the run completes without asking again", chromedp.Click(`[data-testid="turn-submit"]`),
		chromedp.WaitNotVisible(`[data-testid="approval-dialog"]`),
		chromedp.WaitVisible(`[data-testid="run-item"][data-status="completed"]`))

	var open int
	do("no dialog after", chromedp.Evaluate(`document.querySelectorAll('dialog[data-testid="approval-dialog"][open]').length`, &open))
	if open != 0 {
		t.Errorf("the approval dialog opened again after the turn was answered")
	}
	for name, want := range map[string]string{"notes.md": "# Notes\n\ngamma\n", "app.py": "x = 1\n", "config.txt": "debug = false\n"} {
		if got, _ := os.ReadFile(filepath.Join(ws, name)); string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	reqs := h.Requests()
	if len(reqs) != 2 {
		t.Fatalf("model requests = %d, want 2 (the turn, then its results)", len(reqs))
	}
	next, err := llmtest.DecodeAnthropicRequest(reqs[1].Body)
	if err != nil {
		t.Fatal(err)
	}
	results := next.Messages[len(next.Messages)-1].Content
	if len(results) != 4 {
		t.Fatalf("the next request's last message has %d blocks, want the four tool results: %+v", len(results), results)
	}
	for i, r := range results {
		denied := i == 2
		if r.Type != llm.BlockToolResult || r.IsError != denied {
			t.Errorf("result %d = %+v, want a tool result with IsError=%v", i, r, denied)
		}
	}
	if !strings.Contains(results[2].Content, "keep x at 1, the tests pin it") {
		t.Errorf("the denied edit's result = %q, want the person's message", results[2].Content)
	}
	if !strings.Contains(results[1].Content, "Edited notes.md") || !strings.Contains(results[3].Content, "Edited config.txt") {
		t.Errorf("the applied edits' results = %q, %q; want them applied", results[1].Content, results[3].Content)
	}
}
