//go:build linux

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/corral-dev/corral/backend/egress/egresstest"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// TestEgressScriptedRun: a scripted model runs one command that fetches an allowed and a
// disallowed host through the local sandbox's egress proxy. The console shows both
// connections (the blocked one with its "allow this host" command), the trace export holds
// them, and after `corral allow-host` the session's next run reaches the host it could not.
func TestEgressScriptedRun(t *testing.T) {
	if c := local.Probe(); c.Mechanism != "namespaces+landlock" {
		t.Skipf("local commands are not confined here: %+v", c.Missing())
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is not installed (make test-deps)")
	}
	srv := egresstest.Start(t, egresstest.HostAddress())
	allowed := egresstest.Allowed + ":" + srv.HTTPPort()
	denied := egresstest.Denied + ":" + srv.HTTPPort()
	cmd := fmt.Sprintf("%s wget -q -O- http://%s/; %s wget -q -O- http://%s/", bb, allowed, bb, denied)
	// Every prompt gets the same exec, then a closing text (as rememberScript does).
	model := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		resp := llm.Response{ID: fmt.Sprintf("msg_%d", n), Model: "claude-test", StopReason: llm.StopEndTurn, Content: []llm.Block{llm.TextBlock("Fetched.")}}
		if !endsWithToolResult(r.Messages[len(r.Messages)-1]) {
			resp.StopReason = llm.StopToolUse
			resp.Content = []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", n), "exec", fmt.Sprintf(`{"command":%q}`, cmd))}
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 4)}
	}))
	t.Cleanup(model.Close)
	base := model.URL
	dd, ws := t.TempDir(), t.TempDir()
	env := map[string]string{"CORRAL_HOME": dd, "DOCKER_HOST": "unix:///nonexistent.sock", "ANTHROPIC_API_KEY": "test-key", "PATH": os.Getenv("PATH")}
	corralIn := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		p := &Program{Version: "9.9.9", Assets: fstest.MapFS{}, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }, EgressResolver: srv.Hosts()}
		code := Main(context.Background(), args, p)
		return code, out.String(), errb.String()
	}
	run := []string{"run", "--provider", "anthropic", "--base-url", base, "--data-dir", dd, "--approve", "all"}

	code, out, errOut := corralIn(append(run, "--workspace", ws, "--allow-host", allowed, "Fetch both.")...)
	if code != ExitOK {
		t.Fatalf("corral run = %d\n%s\n%s", code, out, errOut)
	}
	session := regexp.MustCompile(`--session (ses_\w+)`).FindStringSubmatch(out)
	for _, want := range []string{"⇄ allowed GET " + allowed + " (200", "⇄ blocked GET " + denied + ": " + denied + " is not on the allowlist — allow it: corral allow-host " + denied + " --session ses_"} {
		if n := strings.Count(out, want); n != 1 {
			t.Errorf("console has %q %d times, want once (live, not again with the result):\n%s", want, n, out)
		}
	}
	// The connections show as they happen: before the command's result line.
	if b, r := strings.Index(out, "⇄ blocked GET "+denied), strings.Index(out, "✗ Exit code: 1"); b < 0 || r < 0 || b > r {
		t.Errorf("the blocked connection (at %d) is not shown before the command's result (at %d):\n%s", b, r, out)
	}
	if session == nil {
		t.Fatalf("no session in the console's allow-host hint:\n%s", out)
	}
	if n := srv.Hits(egresstest.Denied); n != 0 {
		t.Errorf("%d requests reached %s", n, egresstest.Denied)
	}

	// The trace (a Corral JSON bundle) carries both connections on the exec step.
	code, bundle, errOut := corralIn("export", "--session", session[1], "--data-dir", dd)
	if code != ExitOK {
		t.Fatalf("corral export = %d: %s", code, errOut)
	}
	var evs []map[string]any
	for _, m := range regexp.MustCompile(`\{[^{}]*"allowed":(true|false)[^{}]*\}`).FindAllString(bundle, -1) {
		var ev map[string]any
		if json.Unmarshal([]byte(m), &ev) == nil {
			evs = append(evs, ev)
		}
	}
	got := map[string]bool{}
	for _, ev := range evs {
		got[fmt.Sprint(ev["host"], ":", ev["allowed"])] = true
	}
	if !got[egresstest.Allowed+":true"] || !got[egresstest.Denied+":false"] {
		t.Errorf("trace export's egress events = %v, want %s allowed and %s blocked", evs, egresstest.Allowed, egresstest.Denied)
	}

	// "Allow this host" for the session: the next run reaches it.
	code, out, errOut = corralIn("allow-host", denied, "--session", session[1], "--data-dir", dd)
	if code != ExitOK || !strings.Contains(out, "net("+denied+")") {
		t.Fatalf("corral allow-host = %d %q %q", code, out, errOut)
	}
	code, out, errOut = corralIn(append(run, "--session", session[1], "Fetch both again.")...)
	if code != ExitOK {
		t.Fatalf("corral run (after allow-host) = %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "⇄ allowed GET "+denied) || strings.Contains(out, "⇄ blocked") {
		t.Errorf("second run's console:\n%s\nwant %s allowed and nothing blocked", out, denied)
	}
	if n := srv.Hits(egresstest.Denied); n != 1 {
		t.Errorf("%s got %d requests after allow-host, want 1", egresstest.Denied, n)
	}
}
