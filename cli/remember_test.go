package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// rememberScript answers every conversation the same way: one exec of the
// same command, then a closing text.
func rememberScript(n int, req llmtest.Request) llmtest.Reply {
	r, err := llmtest.DecodeAnthropicRequest(req.Body)
	if err != nil {
		return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
	}
	resp := llm.Response{ID: fmt.Sprintf("msg_%d", n), Model: "claude-test", StopReason: llm.StopEndTurn,
		Content: []llm.Block{llm.TextBlock("Logged.")}}
	if !endsWithToolResult(r.Messages[len(r.Messages)-1]) {
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", n), "exec", `{"command":"cat notes.txt"}`)}
	}
	resp.Usage = llm.Usage{InputTokens: 10, OutputTokens: 5}
	return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6), ChunkSize: 256, Pace: time.Millisecond}
}

// TestApproveRememberSticks: under the local default policy (approval-always) a
// command approved with `corral approve --remember` runs unasked in the next run of
// the session, and the rule remembered by default is the exact command.
func TestApproveRememberSticks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(rememberScript))
	t.Cleanup(srv.Close)
	dd, ws := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "notes.txt"), []byte("remember me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--json", "--provider", "anthropic", "--base-url", srv.URL, "--data-dir", dd}

	first := corral(t, nil, append(append([]string{"run"}, base...), "--workspace", ws, "Log once.")...)
	if out, _ := first.CombinedOutput(); first.ProcessState.ExitCode() != ExitSuspended {
		t.Fatalf("corral run = exit %d, want %d (waiting for approval)\n%s", first.ProcessState.ExitCode(), ExitSuspended, out)
	}
	runID := runIDOf(t, dd)
	approve := corral(t, nil, "approve", runID, "--remember", "session", "--data-dir", dd)
	out, err := approve.CombinedOutput()
	if err != nil {
		t.Fatalf("corral approve --remember session: %v\n%s", err, out)
	}
	if want := "remembered: allow exec(cat notes.txt)"; !strings.Contains(string(out), want) {
		t.Errorf("corral approve --remember said %q, want %q (the exact command)", out, want)
	}

	var runs []struct {
		ID        string `json:"id"`
		SessionID string `json:"session_id"`
	}
	listing, err := corral(t, nil, "runs", "--json", "--data-dir", dd).Output()
	if err != nil || json.Unmarshal(listing, &runs) != nil || len(runs) != 1 {
		t.Fatalf("corral runs = %s, %v", listing, err)
	}
	second := corral(t, nil, append(append([]string{"run"}, base...), "--session", runs[0].SessionID, "Log again.")...)
	out, err = second.CombinedOutput()
	if err != nil {
		t.Fatalf("corral run (same session, remembered rule) = %v, want it to finish unasked\n%s", err, out)
	}
	if strings.Contains(string(out), `"approval.requested"`) || !strings.Contains(string(out), "remember me") {
		t.Errorf("corral run (same session) printed\n%s\nwant no approval.requested and the command's output", out)
	}
}

func endsWithToolResult(m llm.Message) bool {
	for _, b := range m.Content {
		if b.Type == llm.BlockToolResult {
			return true
		}
	}
	return false
}
