//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// gatedModel is a fake Anthropic Messages API whose first turns wait for the test: a
// prompt naming "cmd" asks to run a command (which waits for approval), any other prompt
// answers in text; after a tool result the turn ends. Turns of prompts listed in gates wait
// until their gate is opened.
type gatedModel struct {
	mu    sync.Mutex
	gates map[string]chan struct{}
}

func (g *gatedModel) gate(prompt string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gates[prompt]
}

func (g *gatedModel) script(n int, req llmtest.Request) llmtest.Reply {
	r, err := llmtest.DecodeAnthropicRequest(req.Body)
	if err != nil || len(r.Messages) == 0 {
		return llmtest.AnthropicError(400, "invalid_request_error", fmt.Sprint("bad request: ", err))
	}
	last := r.Messages[len(r.Messages)-1]
	resp := llm.Response{ID: fmt.Sprintf("msg_%d", n), Model: "claude-test", StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}}
	prompt := ""
	for _, b := range last.Content {
		if b.Type == llm.BlockToolResult {
			resp.Content = []llm.Block{llm.TextBlock("The command ran.")}
			return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 16)}
		}
		prompt += b.Text
	}
	if gate := g.gate(prompt); gate != nil {
		select {
		case <-gate:
		case <-time.After(2 * time.Minute):
			return llmtest.AnthropicError(500, "api_error", "the test never opened the gate")
		}
	}
	if strings.Contains(prompt, "cmd") {
		in, _ := json.Marshal(map[string]string{"command": "echo " + strings.Fields(prompt)[0]})
		resp.Content = []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", n), "exec", string(in))}
		resp.StopReason = llm.StopToolUse
	} else {
		resp.Content = []llm.Block{llm.TextBlock("Answered: " + prompt)}
	}
	return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 16)}
}

// TestThreeSessionsInBrowser starts three sessions from the page of `corral serve`: all
// three run at once; a follow-up sent to a busy session is queued behind its run and says
// so in the sidebar; the two runs that want to run a command wait in one approval inbox
// ("1 of 2"), and approving both from the dialog lets every run finish, the queued one
// last in its session.
func TestThreeSessionsInBrowser(t *testing.T) {
	model := &gatedModel{gates: map[string]chan struct{}{
		"alpha cmd": make(chan struct{}), "beta cmd": make(chan struct{}), "gamma talk": make(chan struct{}),
	}}
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(model.script))
	t.Cleanup(srv.Close)
	dd := t.TempDir()
	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock", "CORRAL_PROVIDER=anthropic",
		"ANTHROPIC_API_KEY=test-key", "ANTHROPIC_BASE_URL=" + srv.URL, "OPENAI_API_KEY=", "OPENAI_BASE_URL="},
		"serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	do := stages(t, ctx, "parallel-stuck.png")
	shot := func(name string) {
		t.Helper()
		var png []byte
		do("screenshot "+name, chromedp.CaptureScreenshot(&png))
		path := artifact(t, "parallel-"+name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		assertPicture(t, path, 8)
	}
	count := func(selector string) int {
		t.Helper()
		var n int
		do("count "+selector, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, selector), &n))
		return n
	}
	waitCount := func(selector string, want int) {
		t.Helper()
		do(fmt.Sprintf("%d of %s", want, selector), chromedp.Poll(fmt.Sprintf(`document.querySelectorAll(%q).length === %d`, selector, want), nil,
			chromedp.WithPollingTimeout(60*time.Second)))
	}
	send := func(prompt string) {
		t.Helper()
		do("send "+prompt,
			chromedp.WaitVisible(`[data-testid="prompt-input"]`),
			chromedp.SendKeys(`[data-testid="prompt-input"]`, prompt),
			chromedp.Click(`[data-testid="prompt-send"]`),
			chromedp.WaitVisible(fmt.Sprintf(`//*[@data-testid="run-item"][contains(@title, %q)]`, prompt), chromedp.BySearch),
		)
	}

	do("open the page", chromedp.Navigate(url), chromedp.WaitVisible(`[data-testid="prompt-input"]`))
	send("alpha cmd")
	do("new session", chromedp.Click(`[data-testid="new-session"]`))
	send("beta cmd")
	do("new session", chromedp.Click(`[data-testid="new-session"]`))
	send("gamma talk")
	// Three sessions, three runs in progress at once: each waits for its model turn.
	waitCount(`[data-testid="run-item"][data-status="running"]`, 3)

	// A follow-up in gamma's busy session is queued behind its run, not started beside it.
	send("gamma again")
	waitCount(`[data-testid="run-item"][data-status="queued"]`, 1)
	var queue string
	do("queue reason", chromedp.Text(`[data-testid="run-item"][data-status="queued"] [data-testid="run-queue"]`, &queue))
	if !strings.Contains(queue, "queued behind") {
		t.Errorf("queued run says %q, want what it waits for", queue)
	}
	shot("1-three-running-one-queued")

	// alpha and beta ask to run a command: both wait in one inbox while gamma still runs.
	close(model.gate("alpha cmd"))
	close(model.gate("beta cmd"))
	const dialog = `[data-testid="approval-dialog"][open]`
	var position string
	do("two approvals queued",
		chromedp.WaitVisible(`//*[@data-testid="approval-position"][contains(., "of 2")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="approval-position"]`, &position),
	)
	if !strings.Contains(position, "of 2") {
		t.Errorf("approval position %q, want of 2", position)
	}
	// The inbox hears of an approval from its run's event; the sidebar's statuses come with
	// the session list's next refresh, a moment later: wait for them.
	waitCount(`[data-testid="run-item"][data-status="awaiting_approval"]`, 2)
	waitCount(`[data-testid="run-item"][data-status="running"]`, 1) // gamma's
	shot("2-two-approvals-queued")
	do("approve the first", chromedp.Click(dialog+` [data-testid="approve"]`), chromedp.WaitNotPresent(`[data-testid="approval-position"]`))
	do("approve the second", chromedp.WaitVisible(dialog+` [data-testid="approve"]`), chromedp.Click(dialog+` [data-testid="approve"]`),
		chromedp.WaitNotPresent(dialog))
	waitCount(`[data-testid="run-item"][data-status="completed"]`, 2)

	// gamma ends; its queued follow-up goes, and ends too.
	close(model.gate("gamma talk"))
	waitCount(`[data-testid="run-item"][data-status="completed"]`, 4)
	if got := count(`[data-testid="run-item"][data-status="queued"]`); got != 0 {
		t.Errorf("%d runs still queued after every run ended", got)
	}
	shot("3-all-done")
}
