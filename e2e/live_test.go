//go:build e2e

package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// cmdModel is a fake Anthropic Messages API (llmtest speaks its documented wire format)
// driven by the prompt: "cmd: COMMAND" makes the model run COMMAND with the exec tool, and
// once it sees the tool result it answers "Done." The same prompt in the next run of a
// session asks for the same command again.
func cmdModel(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		resp := llm.Response{ID: fmt.Sprintf("msg_%d", n), Model: "claude-test", StopReason: llm.StopEndTurn,
			Content: []llm.Block{llm.TextBlock("Done.")}, Usage: llm.Usage{InputTokens: 120, OutputTokens: 8, CacheReadTokens: 40}}
		last := r.Messages[len(r.Messages)-1]
		for _, b := range last.Content {
			if b.Type == llm.BlockText && strings.HasPrefix(b.Text, "cmd: ") {
				input := fmt.Sprintf(`{"command":%q}`, strings.TrimPrefix(b.Text, "cmd: "))
				resp.StopReason = llm.StopToolUse
				resp.Content = []llm.Block{llm.TextBlock("Running it."), llm.NewToolUse(fmt.Sprintf("toolu_%d", n), "exec", input)}
			}
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6), ChunkSize: 256, Pace: time.Millisecond}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// cmdSession serves a fresh data directory with cmdModel as the model and opens it in
// Chromium; send starts a run in the local sandbox on ws (the first) or goes on in the
// session (the next ones).
type cmdSession struct {
	t      *testing.T
	ws, dd string
	do     func(what string, actions ...chromedp.Action)
	sent   int
}

func newCmdSession(t *testing.T) *cmdSession {
	t.Helper()
	srv := cmdModel(t)
	s := &cmdSession{t: t, ws: t.TempDir(), dd: t.TempDir()}
	lines := startCorral(t, append([]string{"CORRAL_PROVIDER=anthropic", "ANTHROPIC_API_KEY=test-key", "ANTHROPIC_BASE_URL=" + srv.URL}, "DOCKER_HOST=unix:///nonexistent.sock"),
		"serve", "--addr", "127.0.0.1:0", "--data-dir", s.dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t, chromedp.WindowSize(1440, 900))
	s.do = stages(t, ctx, "ui2-stuck.png")
	s.do("open the page", chromedp.Navigate(url), chromedp.WaitVisible(`[data-testid="prompt-input"]`))
	return s
}

func (s *cmdSession) send(command string) {
	s.t.Helper()
	if s.sent == 0 {
		s.do("run options",
			chromedp.Click(`[data-testid="run-options-toggle"]`, chromedp.NodeVisible),
			chromedp.SetValue(`[data-testid="opt-sandbox"]`, "local"),
			chromedp.SendKeys(`[data-testid="opt-workspace"]`, s.ws),
		)
	}
	s.sent++
	var typed string
	var disabled bool
	s.do("send "+command,
		chromedp.Click(`[data-testid="prompt-input"]`, chromedp.NodeVisible),
		chromedp.SendKeys(`[data-testid="prompt-input"]`, "cmd: "+command),
		chromedp.Value(`[data-testid="prompt-input"]`, &typed),
		chromedp.Evaluate(`document.querySelector('[data-testid="prompt-send"]').disabled`, &disabled),
		chromedp.Click(`[data-testid="prompt-send"]`),
	)
	if typed != "cmd: "+command || disabled {
		s.t.Fatalf("prompt box holds %q (send disabled: %v), want the prompt typed", typed, disabled)
	}
}

// shot saves the page as name at 1440x900, and at 1024x700 as name-1024.png.
func (s *cmdSession) shot(name string) {
	s.t.Helper()
	for _, size := range []struct {
		w, h   int64
		suffix string
	}{{1440, 900, ""}, {1024, 700, "-1024"}} {
		var png []byte
		s.do("screenshot "+name, chromedp.EmulateViewport(size.w, size.h), chromedp.CaptureScreenshot(&png))
		path := artifact(s.t, strings.TrimSuffix(name, ".png")+size.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			s.t.Fatal(err)
		}
		assertPicture(s.t, path, 8)
		s.t.Logf("screenshot: %s", path)
	}
	s.do("back to 1440x900", chromedp.EmulateViewport(1440, 900))
}

const openDialog = `[data-testid="approval-dialog"][open]`

// TestAlwaysAllowThenUnasked: under the local default policy (approval-always), "Always
// allow" in the dialog remembers the exact command (pre-selected, marked exact), and the
// same command runs unasked in the session's next run.
func TestAlwaysAllowThenUnasked(t *testing.T) {
	s := newCmdSession(t)
	if err := os.WriteFile(filepath.Join(s.ws, "notes.txt"), []byte("remember me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.send("cat notes.txt")
	var rule, options string
	s.do("always allow",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="always-allow"]`),
		chromedp.WaitVisible(`[data-testid="always-allow-rule"]`),
		chromedp.Text(`[data-testid="always-allow-rule"]`, &rule),
		chromedp.Text(openDialog+` fieldset`, &options),
	)
	s.shot("ui2-always-allow.png")
	if !strings.Contains(rule, "exec(cat notes.txt)") {
		t.Errorf("pre-selected rule = %q, want the exact command exec(cat notes.txt)", rule)
	}
	if !strings.Contains(options, "exactly this") || !strings.Contains(options, "also allows cat with any other arguments") {
		t.Errorf("rule options = %q, want the exact one marked and the wider one saying what else it allows", options)
	}
	s.do("approve and remember",
		chromedp.Click(`[data-testid="always-allow-submit"]`),
		chromedp.WaitNotPresent(openDialog),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
	)

	// The next run asks for the same command: it runs with no dialog.
	s.do("watch for dialogs", chromedp.Evaluate(`window.__asked = 0; setInterval(() => {
		if (document.querySelector('[data-testid="approval-dialog"][open]')) window.__asked++;
	}, 20)`, nil))
	s.send("cat notes.txt")
	var asked, cards int
	s.do("the second run finishes unasked",
		chromedp.WaitVisible(`(//*[@data-testid="tool-card"][@data-status="completed"])[2]`, chromedp.BySearch),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
		chromedp.Evaluate(`window.__asked`, &asked),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="tool-card"][data-status="completed"]').length`, &cards),
	)
	s.shot("ui2-unasked.png")
	if asked != 0 || cards < 2 {
		t.Errorf("second run: the dialog was seen %d times, %d finished tool cards; want it unasked and both commands run", asked, cards)
	}
}

// TestLiveCommandOutput: a command's output shows in its card while it runs (it prints,
// then waits on a file the test creates only after seeing the output in the page).
func TestLiveCommandOutput(t *testing.T) {
	s := newCmdSession(t)
	s.send(`echo started-now; i=0; while [ ! -e go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo finished-now`)
	var live, status string
	s.do("approve, then watch the output arrive",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`//*[@data-testid="tool-live"][contains(., "started-now")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="tool-live"]`, &live),
		chromedp.AttributeValue(`[data-testid="tool-card"]`, "data-status", &status, nil),
	)
	s.shot("ui2-live-output.png")
	if status != "started" || strings.Contains(live, "finished-now") {
		t.Fatalf("live output %q in a card with status %q, want the first line while the command still runs", live, status)
	}
	if _, err := os.Stat(filepath.Join(s.ws, "go.flag")); err == nil {
		t.Fatal("go.flag exists before the test made it")
	}
	if err := os.WriteFile(filepath.Join(s.ws, "go.flag"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var card string
	s.do("the command ends",
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
		chromedp.Click(`[data-testid="tool-card"] .head`),
		chromedp.WaitVisible(`//*[@data-testid="tool-card"][contains(., "finished-now")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="tool-card"]`, &card),
	)
	if !strings.Contains(card, "started-now") || strings.Contains(card, "Running") {
		t.Errorf("finished card = %q, want the recorded result with the whole output", card)
	}
}

// TestCancelThenResumeWording: cancelling while a command runs leaves its card saying
// cancelled with the output so far (kept in the journal: it is still there after a reload),
// and the run offers run again / skip / fail saying the person cancelled it.
func TestCancelThenResumeWording(t *testing.T) {
	s := newCmdSession(t)
	s.send(`echo partial-out; sleep 60`)
	s.do("approve, see the output, cancel",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`//*[@data-testid="tool-live"][contains(., "partial-out")]`, chromedp.BySearch),
		chromedp.Click(`[data-testid="cancel-run"]`),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="cancelled"]`),
	)
	var stopped, wording string
	s.do("the card and the choice",
		chromedp.WaitVisible(`[data-testid="tool-stopped"]`),
		chromedp.Text(`[data-testid="tool-stopped"]`, &stopped),
		chromedp.WaitVisible(`[data-testid="cutoff-text"]`),
		chromedp.Text(`[data-testid="cutoff-text"]`, &wording),
	)
	s.shot("ui2-cancelled.png")
	if stopped != "cancelled" || !strings.Contains(wording, "You cancelled this command while it ran; it may have taken effect") {
		t.Errorf("after cancel: card says %q, the run says %q; want cancelled and the person's cancel", stopped, wording)
	}
	var kept string
	s.do("reload: the output so far is in the record",
		chromedp.Reload(),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="cutoff-text"]`),
		chromedp.Click(`[data-testid="tool-card"] .head`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//*[@data-testid="tool-card"][contains(., "partial-out")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="tool-card"]`, &kept),
	)
	if !strings.Contains(kept, "You cancelled this command") {
		t.Errorf("reloaded card = %q, want the kept cancel note and output", kept)
	}
	s.do("skip it: the run goes on",
		chromedp.Click(`[data-testid="resolve-skip"]`),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
	)
}

// TestModelRequestView: the inspector of a model call shows the request it sent, rebuilt
// from the journal: the system prompt, filterable.
func TestModelRequestView(t *testing.T) {
	s := newCmdSession(t)
	s.send("true")
	var system, filtered string
	s.do("approve and finish",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
	)
	s.do("inspect the first model call",
		chromedp.Click(`[data-testid="tab-trace"]`),
		chromedp.WaitVisible(`[data-testid="trace-node"][data-seq="2"]`),
		chromedp.Click(`[data-testid="trace-node"][data-seq="2"]`),
		chromedp.WaitVisible(`[data-testid="request-details"]`),
		chromedp.Click(`[data-testid="request-details"] > summary`),
		chromedp.WaitVisible(`[data-testid="request-system"]`),
		chromedp.Text(`[data-testid="request-system"]`, &system),
	)
	s.shot("ui2-model-request.png")
	if !strings.Contains(system, "You are Corral's coding agent") {
		t.Errorf("request view system prompt = %q, want the agent's system prompt", clipText(system))
	}
	s.do("filter",
		chromedp.SendKeys(`[data-testid="request-filter"]`, "cmd: true"),
		chromedp.WaitNotPresent(`[data-testid="request-system"]`),
		chromedp.Text(`[data-testid="model-request"]`, &filtered),
	)
	if !strings.Contains(filtered, "cmd: true") || !strings.Contains(filtered, "1 matching parts") {
		t.Errorf("filtered request = %q, want only the prompt", clipText(filtered))
	}
}

// TestOpenFolderInBrowser: in the browser "Open folder…" on the welcome screen is a path
// field that completes folder names; the chosen folder is where the new session works, the
// run header names it, and the next new session offers it among the recent folders.
func TestOpenFolderInBrowser(t *testing.T) {
	s := newCmdSession(t)
	if err := os.Mkdir(filepath.Join(s.ws, "project-one"), 0o755); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(s.ws, "project-one")
	if err := os.WriteFile(filepath.Join(project, "hello.txt"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var completions []string
	s.do("open folder: the path field completes",
		chromedp.Click(`[data-testid="open-folder"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="folder-path"]`),
		chromedp.SendKeys(`[data-testid="folder-path"]`, filepath.Join(s.ws, "proj")),
		chromedp.Poll(`(() => { const v = [...document.querySelectorAll('datalist option')].map((o) => o.value); return v.length ? v : null; })()`,
			&completions, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if len(completions) != 1 || completions[0] != project {
		t.Errorf("completions = %q, want [%s]", completions, project)
	}
	var context string
	s.do("use the folder",
		chromedp.SendKeys(`[data-testid="folder-path"]`, strings.TrimPrefix(project, filepath.Join(s.ws, "proj"))),
		chromedp.Click(`[data-testid="folder-use"]`),
		chromedp.WaitVisible(`[data-testid="prompt-workspace"]`),
		chromedp.Text(`[data-testid="prompt-workspace"]`, &context),
	)
	s.shot("ui2-open-folder.png")
	if context != project {
		t.Errorf("the prompt box says the session works in %q, want %q", context, project)
	}
	s.sent = 1 // the folder is chosen: no run options
	s.send("cat hello.txt")
	var title string
	s.do("the run works there",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
		chromedp.AttributeValue(`[data-testid="run-workspace"]`, "title", &title, nil),
	)
	if !strings.HasPrefix(title, project) {
		t.Errorf("run header workspace = %q, want %s", title, project)
	}
	var recent string
	s.do("a new session offers it as recent",
		chromedp.Click(`[data-testid="new-session"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="open-folder"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="recent-folders"]`),
		chromedp.Text(`[data-testid="recent-folders"]`, &recent),
	)
	if !strings.Contains(recent, project) {
		t.Errorf("recent folders = %q, want %s", recent, project)
	}
}
