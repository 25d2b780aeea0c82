package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// everythingServer is the installed reference server's entry point
// (make test-deps installs it); the test is skipped without it.
func everythingServer(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "e2e", "testdata", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the reference MCP server is not installed (make test-deps): %v", err)
	}
	return p
}

// everythingTurns call the reference server's tools, one kind each: text,
// numbers, the environment (which must not hold Corral's secrets), an
// image, and a tool that is not read-only (it asks).
var everythingTurns = []llm.Response{
	{Content: []llm.Block{llm.NewToolUse("toolu_1", "mcp__everything__echo", `{"message":"ping"}`), llm.NewToolUse("toolu_2", "mcp__everything__get-sum", `{"a":19,"b":23}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_3", "mcp__everything__get-env", `{}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_4", "mcp__everything__get-tiny-image", `{}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_5", "mcp__everything__toggle-simulated-logging", `{}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_6", "mcp__everything__echo", `{"message":"after"}`)}},
	{Content: []llm.Block{llm.TextBlock("Done with the reference server.")}},
}

func everythingModel(t *testing.T) *httptest.Server {
	t.Helper()
	h := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		return scriptReply(req, everythingTurns, "msg_", flatUsage)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestMCPReferenceServer is the done-when with the reference
// server pasted as another agent configures it: a scripted model calls its
// tools, the read-only ones run, the one that is not asks; the process is
// SIGKILLed right after that call and the run resumes without repeating
// any call; the environment the server saw holds none of Corral's secrets.
func TestMCPReferenceServer(t *testing.T) {
	t.Parallel()
	entry := everythingServer(t)
	srv := everythingModel(t)
	dd, ws := t.TempDir(), t.TempDir()
	pasted := filepath.Join(t.TempDir(), "claude_desktop_config.json")
	doc := fmt.Sprintf(`{"mcpServers": {"everything": {"command": "node", "args": [%q, "stdio"]}}}`, entry)
	if err := os.WriteFile(pasted, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := corral(t, nil, "mcp", "import", pasted, "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral mcp import: %v\n%s", err, out)
	}
	run := corral(t, nil, "run", "--json", "--provider", "anthropic", "--base-url", srv.URL, "--workspace", ws, "--data-dir", dd, "Try the reference server.")
	out, _ := run.Output()
	if run.ProcessState.ExitCode() != ExitSuspended {
		t.Fatalf("corral run = exit %d, want %d (the toggle asks)\n%s", run.ProcessState.ExitCode(), ExitSuspended, out)
	}
	var runID string
	for _, line := range strings.Split(string(out), "\n") {
		var ev runEvent
		if json.Unmarshal([]byte(line), &ev) == nil && ev.RunID != "" {
			runID = ev.RunID
		}
	}
	pending, err := corral(t, nil, "approvals", "--json", "--data-dir", dd).Output()
	if err != nil || !strings.Contains(string(pending), `"tool": "mcp__everything__toggle-simulated-logging"`) {
		t.Fatalf("corral approvals = %s, %v; want the toggle", pending, err)
	}
	// Four replayed calls, then the approved toggle: the process dies right after it.
	finished := 0
	if killed := killAtEvent(t, func(ev runEvent) bool {
		if ev.Type == "tool.finished" {
			finished++
		}
		return finished == 5
	}, "approve", runID, "--json", "--data-dir", dd); killed != runID {
		t.Fatalf("corral approve was not killed after the toggle (run %q)", killed)
	}
	if out, err := corral(t, nil, "resume", runID, "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral resume: %v\n%s", err, out)
	}
	count := map[string]int{}
	for _, s := range showSteps(t, dd, runID) {
		if s.Kind == "tool" && s.Status == "completed" {
			count[s.Name]++
		}
	}
	want := map[string]int{"mcp__everything__echo": 2, "mcp__everything__get-sum": 1, "mcp__everything__get-env": 1,
		"mcp__everything__get-tiny-image": 1, "mcp__everything__toggle-simulated-logging": 1}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("completed %s steps = %d, want %d (all: %v)", name, count[name], n, count)
		}
	}
	show, err := corral(t, nil, "show", runID, "--json", "--data-dir", dd).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Echo: ping", "42", `image/png`} {
		if !strings.Contains(string(show), want) {
			t.Errorf("corral show lacks %q", want)
		}
	}
	if strings.Contains(string(show), "test-key") {
		t.Errorf("the server's environment held ANTHROPIC_API_KEY's value; the sandbox must scrub it")
	}
}
