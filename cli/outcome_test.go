package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// exitCode runs cmd and returns its exit code, its stdout and its stderr.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("%s: %v", cmd, err)
	return 0, "", ""
}

// firstRunID is the run id of the first event a --json run printed.
func firstRunID(t *testing.T, stdout string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var ev struct {
			RunID string `json:"run_id"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.RunID != "" {
			return ev.RunID
		}
	}
	t.Fatalf("no run id in the output:\n%s", stdout)
	return ""
}

// The run outcomes that are not plain completed or failed have their own exit codes, and
// say what happened on stderr.
func TestRunOutcomeExitCodes(t *testing.T) {
	t.Parallel()
	cut := llmtest.Reply{Body: llmtest.AnthropicBody(llm.Response{ID: "msg_cut", Model: "claude-sonnet-4-5", StopReason: llm.StopMaxTokens,
		Usage: llm.Usage{InputTokens: 20, OutputTokens: 8192}, Content: []llm.Block{llm.TextBlock("part ")}}, 0)}
	tests := []struct {
		name       string
		replies    []llmtest.Reply
		wantCode   int
		wantStatus string
		wantStderr string
	}{
		{"refused", []llmtest.Reply{llmtest.Replay("anthropic/refusal.sse")}, ExitRefused, "refused", "the model refused"},
		{"cut off", []llmtest.Reply{cut, cut, cut}, ExitCutOff, "cut_off", "cut off by the output limit"},
		{"completed", []llmtest.Reply{llmtest.Replay("anthropic/text.sse")}, ExitOK, "completed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The replies again for each run.
			srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, _ llmtest.Request) llmtest.Reply { return tt.replies[n%len(tt.replies)] }))
			t.Cleanup(srv.Close)
			dd := t.TempDir()
			code, stdout, stderr := exitCode(t, corral(t, nil, "run", "--json", "--provider", "anthropic", "--base-url", srv.URL,
				"--workspace", t.TempDir(), "--data-dir", dd, "Tell me"))
			if code != tt.wantCode {
				t.Fatalf("corral run exit code = %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			if st := runStatus(t, dd, firstRunID(t, stdout)); st != tt.wantStatus {
				t.Errorf("run status = %s, want %s", st, tt.wantStatus)
			}
			code, _, stderr = exitCode(t, corral(t, nil, "run", "--provider", "anthropic", "--base-url", srv.URL,
				"--workspace", t.TempDir(), "--data-dir", t.TempDir(), "Tell me"))
			if tt.wantStderr != "" && !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("corral run stderr = %q, want it to say %q (exit %d)", stderr, tt.wantStderr, code)
			}
		})
	}
}

// A provider that rejects the key pauses the run (exit 4, with what to do); once it
// answers again, corral resume completes the run.
func TestPausedRunResumes(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	working := llmtest.Replies(llmtest.Replay("anthropic/text.sse"))
	served := 0
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		if down.Load() {
			return llmtest.AnthropicError(http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		}
		served++
		return working(served-1, req)
	}))
	t.Cleanup(srv.Close)
	dd := t.TempDir()
	code, stdout, stderr := exitCode(t, corral(t, nil, "run", "--json", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", t.TempDir(), "--data-dir", dd, "Tell me"))
	if code != ExitPaused {
		t.Fatalf("corral run against a provider refusing the key: exit %d, want %d\n%s", code, ExitPaused, stderr)
	}
	runID := firstRunID(t, stdout)
	if st := runStatus(t, dd, runID); st != "paused" {
		t.Fatalf("run status = %s, want paused", st)
	}
	down.Store(false)
	code, _, stderr = exitCode(t, corral(t, nil, "resume", runID, "--data-dir", dd))
	if code != ExitOK {
		t.Fatalf("corral resume: exit %d, want 0\n%s", code, stderr)
	}
	if st := runStatus(t, dd, runID); st != "completed" {
		t.Errorf("run status after resume = %s, want completed", st)
	}
}
