//go:build e2e

package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// delegatingModel is a fake Anthropic API for a lead agent that hands two tasks to helpers
// in one turn; each helper writes its file and answers.
func delegatingModel(t *testing.T) *httptest.Server {
	t.Helper()
	h := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		k := 0
		for _, m := range r.Messages {
			if m.Role == llm.RoleAssistant {
				k++
			}
		}
		who := r.Messages[0].Content[0].Text
		resp := llm.Response{ID: fmt.Sprintf("msg_%s_%d", strings.ReplaceAll(who, " ", "_"), k), Model: "claude-test", StopReason: llm.StopEndTurn,
			Usage: llm.Usage{InputTokens: 120, OutputTokens: 30}}
		switch {
		case r.System == "lead" && k == 0:
			resp.StopReason = llm.StopToolUse
			resp.Content = []llm.Block{llm.TextBlock("Two helpers at once."),
				llm.NewToolUse("toolu_a", "task", `{"agent":"helper","prompt":"write a.txt"}`),
				llm.NewToolUse("toolu_b", "task", `{"agent":"helper","prompt":"write b.txt","isolation":"copy"}`)}
		case r.System == "lead":
			resp.Content = []llm.Block{llm.TextBlock("Both helpers are done.")}
		case k == 0:
			file := strings.TrimPrefix(who, "write ")
			resp.StopReason = llm.StopToolUse
			resp.Content = []llm.Block{llm.NewToolUse("toolu_w", "write", fmt.Sprintf(`{"path":%q,"content":"hi\n"}`, file))}
		default:
			resp.Content = []llm.Block{llm.TextBlock("wrote it")}
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6)}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestSubagentsInGraph runs a lead agent whose two helpers run at once (`corral run` against
// a scripted Anthropic API), then opens the session in Chromium: the trace graph shows both
// helpers as groups under the lead's task steps, and opening one lists its steps.
// Screenshot: subagents-graph.png.
func TestSubagentsInGraph(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	agents := `{"agents":[
{"id":"lead","system":"lead","tools":["read","write"],"max_steps":9,"max_tokens":2000,"subagents":["helper"]},
{"id":"helper","system":"helper","tools":["write"],"max_steps":5,"max_tokens":2000}]}`
	if err := os.WriteFile(filepath.Join(dd, "agents.json"), []byte(agents), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := delegatingModel(t)
	run := exec.Command(corralBin(t), "run", "--agent", "lead", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "delegate")
	run.Env = append(os.Environ(), "ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "CORRAL_MODEL=")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run: %v\n%s", err, out)
	}

	ctx := newBrowser(t)
	var groups, hosts, opened string
	var steps, listed int
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(serve(t, dd)),
		chromedp.Click(`[data-testid="run-item"]:not([data-subagent])`, chromedp.NodeVisible),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="run-item"][data-subagent]').length`, &listed),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-subagent"]`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="trace-subagent"]')].map(g => g.getAttribute('data-subagent')).join(',')`, &groups),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="trace-subagent"]')].map(g => g.getAttribute('data-host-seq')).join(',')`, &hosts),
		chromedp.Click(`[data-testid="trace-subagent"] text`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-subagent-step"]`),
		chromedp.AttributeValue(`[data-testid="trace-subagent"][data-open="true"]`, "data-subagent", &opened, nil),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="trace-subagent-step"]').length`, &steps),
		chromedp.CaptureScreenshot(&png),
	)
	if err != nil {
		t.Fatalf("subagents in the graph: %v", err)
	}
	ids := strings.Split(groups, ",")
	if len(ids) != 2 || !strings.HasSuffix(ids[0], "-t3") || !strings.HasSuffix(ids[1], "-t4") || hosts != "5,6" {
		t.Errorf("graph groups %q under steps %q; want the two helpers under the task steps 5 and 6", groups, hosts)
	}
	if listed != 2 {
		t.Errorf("the sidebar marks %d runs as subagents, want 2", listed)
	}
	if opened == "" || steps < 4 {
		t.Errorf("opened group %q lists %d steps; want one open group with the helper's steps", opened, steps)
	}
	path := artifact(t, "subagents-graph.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 20)
	t.Logf("screenshot: %s", path)
}
