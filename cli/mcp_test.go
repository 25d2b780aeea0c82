package cli

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

// mcpTurns call the test server's tools: a read-only echo and a
// side-effecting append in one turn, a second append, then add.
var mcpTurns = []llm.Response{
	{Content: []llm.Block{llm.TextBlock("Echo, then a note."), llm.NewToolUse("toolu_1", "mcp__t__echo", `{"text":"ping"}`), llm.NewToolUse("toolu_2", "mcp__t__append", `{"line":"one"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_3", "mcp__t__append", `{"line":"two"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_4", "mcp__t__add", `{"a":2,"b":40}`)}},
	{Content: []llm.Block{llm.TextBlock("Done: two notes, and 42.")}},
}

// mcpModelServer is a fake Anthropic Messages API answering mcpTurns by
// the number of assistant turns in the request.
func mcpModelServer(t *testing.T) (*httptest.Server, *llmtest.Handler) {
	t.Helper()
	h := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		return scriptReply(req, mcpTurns, "msg_turn_", flatUsage)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

// addTestServer configures the test MCP server "t" (this test binary) in dd
// with `corral mcp add`.
func addTestServer(t *testing.T, dd string, env ...string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"mcp", "add", "t", "--data-dir", dd, "--env", mcptest.ServeEnv + "=1"}
	for _, e := range env {
		args = append(args, "--env", e)
	}
	if out, err := corral(t, nil, append(args, "--", exe)...).CombinedOutput(); err != nil {
		t.Fatalf("corral mcp add: %v\n%s", err, out)
	}
}

func TestMCPCommand(t *testing.T) {
	t.Parallel()
	dd := t.TempDir()
	addTestServer(t, dd)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"ls", []string{"mcp", "ls"}, []string{"t", "stdio", "true"}},
		{"test lists tools with hints", []string{"mcp", "test", "t"}, []string{"connected (stdio)", "mcp__t__echo", "read-only", "mcp__t__wipe", "destructive"}},
		{"disable", []string{"mcp", "disable", "t"}, []string{"t: disabled"}},
		{"ls disabled", []string{"mcp", "ls"}, []string{"false"}},
		{"enable", []string{"mcp", "enable", "t"}, []string{"t: enabled"}},
	}
	for _, tt := range tests { // in order: each sees the configuration the last left
		out, err := corral(t, nil, append(tt.args, "--data-dir", dd)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: corral %v: %v\n%s", tt.name, tt.args, err, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: corral %v = %q, want %q in it", tt.name, tt.args, out, w)
			}
		}
	}
	pasted := filepath.Join(t.TempDir(), "claude.json")
	if err := os.WriteFile(pasted, []byte(`{"mcpServers": {"web": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer ${WEB_TOKEN}"}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := corral(t, nil, "mcp", "import", pasted, "--data-dir", dd).CombinedOutput(); err != nil || !strings.Contains(string(out), "imported 1") {
		t.Fatalf("corral mcp import = %s, %v", out, err)
	}
	out, err := corral(t, nil, "mcp", "test", "web", "--data-dir", dd).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "web") {
		t.Errorf("corral mcp test web (nothing listens) = %s, %v; want a failure naming it", out, err)
	}
	if out, err := corral(t, nil, "mcp", "rm", "web", "--data-dir", dd).CombinedOutput(); err != nil {
		t.Errorf("corral mcp rm web = %s, %v", out, err)
	}
}

// TestMCPCrashResume is the done-when: a run calls the test
// server's tools through a scripted model, asks approval for the
// side-effecting tool (not for the read-only one), is killed (SIGKILL)
// right after an MCP call completed, and resumes without repeating any
// completed call.
func TestMCPCrashResume(t *testing.T) {
	t.Parallel()
	srv, _ := mcpModelServer(t)
	dd, ws := t.TempDir(), t.TempDir()
	addTestServer(t, dd)
	// First, without --approve: the run asks for the append, not the echo.
	run := corral(t, nil, "run", "--json", "--provider", "anthropic", "--base-url", srv.URL, "--workspace", ws, "--data-dir", dd, "Use the MCP server.")
	out, _ := run.Output()
	if run.ProcessState.ExitCode() != ExitSuspended {
		t.Fatalf("corral run = exit %d, want %d (waiting for approval)\n%s", run.ProcessState.ExitCode(), ExitSuspended, out)
	}
	var runID string
	for _, line := range strings.Split(string(out), "\n") {
		var ev runEvent
		if json.Unmarshal([]byte(line), &ev) == nil && ev.RunID != "" {
			runID = ev.RunID
		}
	}
	pending, err := corral(t, nil, "approvals", "--json", "--data-dir", dd).Output()
	if err != nil || !strings.Contains(string(pending), `"tool": "mcp__t__append"`) || !strings.Contains(string(pending), `"server": "t"`) {
		t.Fatalf("corral approvals = %s, %v; want the append on server t", pending, err)
	}
	// Approve it; the process is killed right after the first append finished.
	// (The first tool.finished is the echo's, replayed from the journal.)
	finished := 0
	killed := killAtEvent(t, func(ev runEvent) bool {
		if ev.Type == "tool.finished" {
			finished++
		}
		return finished == 2
	}, "approve", runID, "--json", "--data-dir", dd)
	if killed != runID {
		t.Fatalf("corral approve was not killed after a tool call (run %q)", killed)
	}
	if n := countLines(t, ws); n != 1 {
		t.Fatalf("after the kill, append ran %d times, want 1", n)
	}
	res := corral(t, nil, "resume", runID, "--approve", "all", "--data-dir", dd)
	if out, err := res.CombinedOutput(); err != nil || !strings.Contains(string(out), "42") {
		t.Fatalf("corral resume = %v\n%s", err, out)
	}
	if n := countLines(t, ws); n != 2 {
		t.Errorf("append ran %d times in all, want 2 (one per call, none repeated)", n)
	}
	steps := showSteps(t, dd, runID)
	count := map[string]int{}
	for _, s := range steps {
		if s.Kind == "tool" && s.Status == "completed" {
			count[s.Name]++
		}
	}
	if count["mcp__t__echo"] != 1 || count["mcp__t__append"] != 2 || count["mcp__t__add"] != 1 {
		t.Errorf("completed MCP tool steps = %v, want echo 1, append 2, add 1", count)
	}
	// The OTLP export names the server and the tool of each call.
	otlp, err := corral(t, nil, "export", runID, "--format", "otlp", "--data-dir", dd).Output()
	if err != nil {
		t.Fatalf("corral export --format otlp: %v", err)
	}
	for _, want := range []string{`"corral.mcp.server"`, `"stringValue":"t"`, `"extension"`, `"tools/call"`} {
		if !strings.Contains(strings.ReplaceAll(string(otlp), " ", ""), want) {
			t.Errorf("OTLP export lacks %s", want)
		}
	}
}

func countLines(t *testing.T, ws string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ws, mcptest.CallsFile))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestMCPSecretHeader: a header given with --secret-header is kept in the
// credential store, mcp.json names it as ${MCP_...}, and the server gets it.
func TestMCPSecretHeader(t *testing.T) {
	t.Parallel()
	const token = "Bearer s3cret-mcp-token-for-test"
	web := mcptest.HTTP("Authorization", token)
	t.Cleanup(web.Close)
	dd := t.TempDir()
	env := []string{"CORRAL_CREDENTIAL_STORE=file"}
	out, err := corral(t, env, "mcp", "add", "web", "--url", web.URL, "--secret-header", "Authorization="+token, "--data-dir", dd).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "MCP_WEB_AUTHORIZATION") {
		t.Fatalf("corral mcp add --secret-header = %s, %v", out, err)
	}
	blob, err := os.ReadFile(filepath.Join(dd, "mcp.json"))
	if err != nil || strings.Contains(string(blob), "s3cret") || !strings.Contains(string(blob), "${MCP_WEB_AUTHORIZATION}") {
		t.Errorf("mcp.json = %s, %v; want the reference, not the token", blob, err)
	}
	out, err = corral(t, env, "mcp", "test", "web", "--data-dir", dd).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "connected (http)") {
		t.Errorf("corral mcp test web = %s, %v; want it connected with the kept header", out, err)
	}
}

// TestMCPKilledMidCall kills the CLI while a side-effecting MCP call runs
// (the server dies with it): the resumed run does not call it again on its
// own but waits for a person (exit 3); skip tells the model and the run
// finishes with the append done at most once.
func TestMCPKilledMidCall(t *testing.T) {
	t.Parallel()
	srv, _ := mcpModelServer(t)
	dd, ws := t.TempDir(), t.TempDir()
	addTestServer(t, dd, "CORRAL_MCPTEST_APPEND_DELAY=30s")
	runID := killAtEvent(t, func(ev runEvent) bool { return ev.Type == "tool.started" && ev.Seq == 7 }, // the first append: 4-5 are the echo and its gate, 6 the append's gate
		"run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL, "--workspace", ws, "--data-dir", dd, "Use the MCP server.")
	if runID == "" {
		t.Fatal("corral run never started the append")
	}
	res := corral(t, nil, "resume", runID, "--approve", "all", "--data-dir", dd)
	if out, _ := res.CombinedOutput(); res.ProcessState.ExitCode() != ExitSuspended || !strings.Contains(string(out), "mcp__t__append") {
		t.Fatalf("corral resume = exit %d, want %d naming the cut-off append\n%s", res.ProcessState.ExitCode(), ExitSuspended, out)
	}
	if out, err := corral(t, nil, "resolve", runID, "--action", "skip", "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral resolve --action skip: %v\n%s", err, out)
	}
	before := countLines(t, ws)
	// The rest of the script runs with a server that answers at once.
	if err := os.Remove(filepath.Join(dd, "mcp.json")); err != nil {
		t.Fatal(err)
	}
	addTestServer(t, dd)
	if out, err := corral(t, nil, "resume", runID, "--approve", "all", "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral resume after skip: %v\n%s", err, out)
	}
	if n := countLines(t, ws); n != before+1 || before > 1 {
		t.Errorf("appends = %d (%d when cut off), want the cut-off one never repeated and the next one once", n, before)
	}
}

// boxServer is an MCP server in busybox sh with one read-only tool, where,
// that answers with its working directory and network interfaces.
const boxServer = `while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
  *'"method":"initialize"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id";;
  *'"method":"tools/list"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"where","description":"Where am I?","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}}\n' "$id";;
  *'"method":"tools/call"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"pwd=%s net=%s"}]}}\n' "$id" "$(pwd)" "$(ls /sys/class/net | tr '\n' ',')";;
  *'"id":'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id";;
  esac
done
`

// TestMCPInDocker: with --env docker, a stdio server runs in the run's
// container: in /workspace, with no network but loopback.
func TestMCPInDocker(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	turns := []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_1", "mcp__box__where", `{}`)}},
		{Content: []llm.Block{llm.TextBlock("Found it.")}},
	}
	h := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil || turnOf(r) >= len(turns) {
			return llmtest.AnthropicError(400, "invalid_request_error", "unexpected request")
		}
		resp := turns[turnOf(r)]
		resp.ID, resp.Model, resp.StopReason = "msg", "claude-test", llm.StopEndTurn
		if len(resp.ToolUses()) > 0 {
			resp.StopReason = llm.StopToolUse
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6)}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dd, ws := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "server.sh"), []byte(boxServer), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := corral(t, nil, "mcp", "add", "box", "--data-dir", dd, "--", "/bin/sh", "/workspace/server.sh").CombinedOutput(); err != nil {
		t.Fatalf("corral mcp add: %v\n%s", err, out)
	}
	out, err := corral(t, nil, "run", "--env", "docker", "--image", image, "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "Where is the server?").CombinedOutput()
	if err != nil {
		t.Fatalf("corral run --env docker: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "pwd=/workspace net=lo,") {
		t.Errorf("corral run --env docker = %s, want the server in /workspace with only loopback", out)
	}
}
