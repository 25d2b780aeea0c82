//go:build e2e

package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

// everythingEntry is the reference MCP server's entry point; the test is
// skipped when make test-deps has not installed it.
func everythingEntry(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	entry := filepath.Join(filepath.Dir(file), "testdata", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		t.Skipf("the reference MCP server is not installed (make test-deps): %v", err)
	}
	return entry
}

// TestSettingsMCPServer adds the reference MCP server in Settings (the MCP
// section's form, as a command line), tests it, and sees its tools with
// their hints; the server is then in the data directory's mcp.json.
func TestSettingsMCPServer(t *testing.T) {
	entry := everythingEntry(t)
	dd := t.TempDir()
	url := serve(t, dd)
	ctx := newBrowser(t)
	var tools string
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="status-bar"]`),
		chromedp.KeyEvent(",", chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.WaitVisible(`[data-testid="settings-nav-mcp"]`),
		chromedp.Click(`[data-testid="settings-nav-mcp"]`),
		chromedp.WaitVisible(`[data-testid="mcp-name"]`),
		chromedp.SendKeys(`[data-testid="mcp-name"]`, "everything"),
		chromedp.SendKeys(`[data-testid="mcp-target"]`, "node "+entry+" stdio"),
		chromedp.Click(`[data-testid="mcp-add"]`),
		chromedp.WaitVisible(`[data-testid="mcp-row"]`),
		chromedp.Click(`[data-testid="mcp-test"]`),
		chromedp.WaitVisible(`//*[@data-testid="mcp-tools"][contains(., "get-sum")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="mcp-tools"]`, &tools),
	)
	if err != nil {
		t.Fatalf("add and test an MCP server in Settings: %v", err)
	}
	for _, want := range []string{"everything:", "tools", "echo", "read-only", "toggle-simulated-logging", "asks"} {
		if !strings.Contains(tools, want) {
			t.Errorf("tested tools = %q, want %q in it", tools, want)
		}
	}
	blob, err := os.ReadFile(filepath.Join(dd, "mcp.json"))
	if err != nil || !strings.Contains(string(blob), `"everything"`) {
		t.Errorf("mcp.json = %s, %v; want the server", blob, err)
	}
	shot := artifact(t, "settings-mcp.png")
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSettingsMCPSecretHeader adds a Streamable HTTP server in Settings
// with a secret header (the field the form shows for a URL): the server,
// which refuses requests without it, lists its tools in the test; mcp.json
// names the header but never holds its value.
func TestSettingsMCPSecretHeader(t *testing.T) {
	const token = "Bearer e2e-secret-header-value"
	web := mcptest.HTTP("Authorization", token)
	t.Cleanup(web.Close)
	dd := t.TempDir()
	url := serve(t, dd)
	ctx := newBrowser(t)
	var row, tools string
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="status-bar"]`),
		chromedp.KeyEvent(",", chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.WaitVisible(`[data-testid="settings-nav-mcp"]`),
		chromedp.Click(`[data-testid="settings-nav-mcp"]`),
		chromedp.WaitVisible(`[data-testid="mcp-name"]`),
		chromedp.SendKeys(`[data-testid="mcp-name"]`, "web"),
		chromedp.SendKeys(`[data-testid="mcp-target"]`, web.URL),
		chromedp.WaitVisible(`[data-testid="mcp-secret-headers"]`),
		chromedp.SendKeys(`[data-testid="mcp-secret-headers"]`, "Authorization: "+token),
		chromedp.Click(`[data-testid="mcp-add"]`),
		chromedp.WaitVisible(`[data-testid="mcp-row"]`),
		chromedp.Text(`[data-testid="mcp-row"]`, &row),
		chromedp.Click(`[data-testid="mcp-test"]`),
		chromedp.WaitVisible(`//*[@data-testid="mcp-tools"][contains(., "echo")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="mcp-tools"]`, &tools),
	)
	if err != nil {
		t.Fatalf("add an HTTP MCP server with a secret header in Settings: %v", err)
	}
	if !strings.Contains(row, "headers: Authorization") || strings.Contains(row, "e2e-secret") {
		t.Errorf("server row = %q, want the header named, not its value", row)
	}
	if !strings.Contains(tools, "web:") || !strings.Contains(tools, "read-only") {
		t.Errorf("tested tools = %q, want web's tools with hints", tools)
	}
	blob, err := os.ReadFile(filepath.Join(dd, "mcp.json"))
	if err != nil || strings.Contains(string(blob), "e2e-secret") || !strings.Contains(string(blob), "${MCP_WEB_AUTHORIZATION}") {
		t.Errorf("mcp.json = %s, %v; want ${MCP_WEB_AUTHORIZATION}, not the value", blob, err)
	}
}

// TestMCPApprovalDialog: a scripted model calls a tool of the reference
// server that is not read-only; the browser's dialog shows the server, the
// tool, its description and the arguments as fields; denying it with a
// message lets the run go on, and the model is told the message.
func TestMCPApprovalDialog(t *testing.T) {
	entry := everythingEntry(t)
	turns := []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_1", "mcp__everything__gzip-file-as-resource", `{"name":"notes.txt.gz","data":"data:text/plain;base64,aGk=","outputType":"resource"}`)}},
		{Content: []llm.Block{llm.TextBlock("Understood, no archive.")}},
	}
	model, h := scriptedModel(t, turns)
	dd, ws := t.TempDir(), t.TempDir()
	cfg := fmt.Sprintf(`{"mcpServers": {"everything": {"command": "node", "args": [%q, "stdio"]}}}`, entry)
	if err := os.WriteFile(filepath.Join(dd, "mcp.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "DOCKER_HOST=unix:///nonexistent.sock"}
	run := exec.Command(corralBin(t), "run", "--json", "--provider", "anthropic", "--base-url", model.URL, "--data-dir", dd, "--workspace", ws, "archive my notes")
	run.Env = append(os.Environ(), env...)
	out, _ := run.Output()
	if code := run.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("corral run = exit %d, want 3 (waiting for approval)\n%s", code, out)
	}
	lines := startCorral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	var mcpFacts, args string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="approval-mcp"]`),
		chromedp.Text(`[data-testid="approval-mcp"]`, &mcpFacts),
		chromedp.Text(`[data-testid="approval-mcp-args"]`, &args),
		chromedp.FullScreenshot(&shot, 100),
		chromedp.Click(`[data-testid="deny-message"]`),
		chromedp.WaitVisible(`[data-testid="deny-message-text"]`),
		chromedp.SendKeys(`[data-testid="deny-message-text"]`, "no archives today"),
		chromedp.Click(`[data-testid="deny-message-submit"]`),
		chromedp.WaitNotPresent(`[data-testid="approval-mcp"]`),
	)
	if err != nil {
		t.Fatalf("MCP approval dialog: %v", err)
	}
	path := artifact(t, "approval-mcp.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"everything", "gzip-file-as-resource", "Compresses"} {
		if !strings.Contains(mcpFacts, want) {
			t.Errorf("dialog facts = %q, want %q", mcpFacts, want)
		}
	}
	for _, want := range []string{"name", "notes.txt.gz", "outputType", "resource"} {
		if !strings.Contains(args, want) {
			t.Errorf("dialog arguments = %q, want %q", args, want)
		}
	}
	// The run goes on in the server to its end; the model was told the message.
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`//*[contains(., "Understood, no archive.")]`, chromedp.BySearch)); err != nil {
		t.Fatalf("the run did not finish after the denial: %v", err)
	}
	bodies := h.Bodies()
	if len(bodies) < 2 || !strings.Contains(bodies[len(bodies)-1], "no archives today") {
		t.Errorf("the model's last request lacks the denial message (%d requests)", len(bodies))
	}
}

// scriptedModel is a fake Anthropic Messages API answering turns by the
// number of assistant turns in the request.
func scriptedModel(t *testing.T, turns []llm.Response) (*httptest.Server, *llmtest.Handler) {
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
		if k >= len(turns) {
			return llmtest.AnthropicError(400, "invalid_request_error", "conversation is longer than the script")
		}
		resp := turns[k]
		resp.ID, resp.Model, resp.StopReason = fmt.Sprintf("msg_%d", k), "claude-test", llm.StopEndTurn
		if len(resp.ToolUses()) > 0 {
			resp.StopReason = llm.StopToolUse
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6)}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

// TestMCPConsole: a finished run's MCP calls show in the console as
// server/tool cards; the image one opens to the image itself.
func TestMCPConsole(t *testing.T) {
	entry := everythingEntry(t)
	model, _ := scriptedModel(t, []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_1", "mcp__everything__get-tiny-image", `{}`), llm.NewToolUse("toolu_2", "mcp__everything__get-sum", `{"a":1,"b":2}`)}},
		{Content: []llm.Block{llm.TextBlock("A tiny logo, and 3.")}},
	})
	dd, ws := t.TempDir(), t.TempDir()
	cfg := fmt.Sprintf(`{"mcpServers": {"everything": {"command": "node", "args": [%q, "stdio"]}}}`, entry)
	if err := os.WriteFile(filepath.Join(dd, "mcp.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "DOCKER_HOST=unix:///nonexistent.sock"}
	run := exec.Command(corralBin(t), "run", "--provider", "anthropic", "--base-url", model.URL, "--data-dir", dd, "--workspace", ws, "show me the logo")
	run.Env = append(os.Environ(), env...)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run: %v\n%s", err, out)
	}
	lines := startCorral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)
	var head, who string
	var imgs int
	var shot []byte
	card := `[data-testid="tool-card"][data-tool="mcp__everything__get-tiny-image"]`
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(card),
		chromedp.Text(card+` .head`, &head),
		chromedp.Click(card+` .head`),
		chromedp.WaitVisible(card+` [data-testid="mcp-result"] img`),
		chromedp.Text(card+` [data-testid="mcp-result"] .who`, &who),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="mcp-result"] img').length`, &imgs),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("MCP calls in the console: %v", err)
	}
	if err := os.WriteFile(artifact(t, "console-mcp.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(head, "everything/get-tiny-image") || !strings.Contains(head, "MCP") || !strings.Contains(head, "1 image") {
		t.Errorf("card head = %q, want server/tool, MCP and the image count", head)
	}
	if !strings.Contains(who, "everything") || imgs != 1 {
		t.Errorf("result = %q with %d images, want the server named and one image", who, imgs)
	}
}
