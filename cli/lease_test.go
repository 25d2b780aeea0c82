package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/sandbox/docker"
)

// TestLiveRunNotTakenOver is issue 14's first finding, as a person would hit it: a `corral
// run` is in the middle of a slow command when `corral serve` starts on the same data
// directory, and the person then follows the old advice (`corral resolve RUN --action
// rerun`, `corral resume RUN`). None of them may drive the live run: the command runs once.
func TestLiveRunNotTakenOver(t *testing.T) {
	t.Parallel()
	turns := []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_1", "exec", `{"command":"sleep 2; echo e0 >> effects.log"}`)}, StopReason: llm.StopToolUse},
		{Content: []llm.Block{llm.TextBlock("Logged.")}, StopReason: llm.StopEndTurn},
	}
	dataDir, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_BASE_URL=" + scriptedAnthropic(t, turns)}

	first := corral(t, env, "run", "--json", "--approve", "all", "--workspace", ws, "--data-dir", dataDir, "log e0")
	events := startLines(t, first)
	runID := ""
	for runID == "" && events.Scan() {
		var ev runEvent
		if json.Unmarshal(events.Bytes(), &ev) == nil && ev.Type == "tool.started" {
			runID = ev.RunID
		}
	}
	if runID == "" {
		t.Fatal("corral run ended before its command started")
	}

	// corral serve's auto-resume finds the run running and leaves it to its driver.
	serve := corral(t, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	serveErr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	logs := bufio.NewScanner(serveErr)
	left := false
	for !left && logs.Scan() {
		line := logs.Text()
		if strings.Contains(line, "auto-resumed run") {
			t.Errorf("corral serve resumed the live run: %s", line)
			break
		}
		left = strings.Contains(line, "left a run to the process driving it") && strings.Contains(line, runID)
	}
	serve.Process.Kill()
	serve.Wait()
	if !left {
		t.Error("corral serve did not say it left the live run to its driver")
	}

	for _, args := range [][]string{
		{"resolve", runID, "--action", "rerun"},
		{"resume", runID, "--approve", "all"},
	} {
		out, err := corral(t, env, append(args, "--data-dir", dataDir)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "driven by another Corral") {
			t.Errorf("corral %s on a live run = %v, %s; want it refused, naming the other process", args[0], err, out)
		}
	}

	for events.Scan() { // the first run goes on to its end
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the first corral run = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first corral run did not finish within 30 s")
	}
	log, err := os.ReadFile(filepath.Join(ws, "effects.log"))
	if err != nil || string(log) != "e0\n" {
		t.Errorf("effects.log = %q, %v; want the command's one line", log, err)
	}
	if got := runStatus(t, dataDir, runID); got != "completed" {
		t.Errorf("run status = %s, want completed", got)
	}
}

// TestDockerRerunNeverBesideACopy: a `corral run --env docker` killed in the middle of a
// command leaves its container behind (its process is gone). The person reruns the cut-off
// command: the next Corral removes that orphan, with the command still in it, before it
// runs anything, so the effect happens once.
func TestDockerRerunNeverBesideACopy(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	turns := []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_1", "exec", `{"command":"if [ -e slow ]; then sleep 30; fi; echo e0 >> effects.log"}`)}, StopReason: llm.StopToolUse},
		{Content: []llm.Block{llm.TextBlock("Logged.")}, StopReason: llm.StopEndTurn},
	}
	dataDir, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_BASE_URL=" + scriptedAnthropic(t, turns)}
	if err := os.WriteFile(filepath.Join(ws, "slow"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	first := corral(t, env, "run", "--json", "--approve", "all", "--env", "docker", "--image", image, "--workspace", ws, "--data-dir", dataDir, "log e0")
	runID := ""
	for sc := startLines(t, first); runID == "" && sc.Scan(); {
		var ev runEvent
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "tool.started" {
			runID = ev.RunID
		}
	}
	if runID == "" {
		t.Fatal("corral run ended before its command started")
	}
	pid := first.Process.Pid
	first.Process.Kill()
	first.Wait()
	orphans := func() string {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", fmt.Sprintf("label=%s=%d", docker.LabelPID, pid)).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	orphan := orphans()
	if orphan == "" {
		t.Fatal("the killed run left no container: nothing to check")
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", orphan).Run() })

	if err := os.Remove(filepath.Join(ws, "slow")); err != nil {
		t.Fatal(err)
	}
	if out, err := corral(t, env, "resolve", runID, "--action", "rerun", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("corral resolve --action rerun: %v\n%s", err, out)
	}
	if out, err := corral(t, env, "resume", runID, "--approve", "all", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("corral resume: %v\n%s", err, out)
	}
	if left := orphans(); left != "" {
		t.Errorf("the killed run's container %s is still there after the rerun", left)
	}
	log, err := os.ReadFile(filepath.Join(ws, "effects.log"))
	if err != nil || string(log) != "e0\n" {
		t.Errorf("effects.log = %q, %v; want one line: the killed copy must not have run on", log, err)
	}
}

// scriptedAnthropic serves turns as a fake Anthropic Messages API on 127.0.0.1, one turn per
// assistant turn already in the request, and returns its URL.
func scriptedAnthropic(t *testing.T, turns []llm.Response) string {
	t.Helper()
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil || turnOf(r) >= len(turns) {
			return llmtest.AnthropicError(400, "invalid_request_error", "off script")
		}
		resp := turns[turnOf(r)]
		resp.ID, resp.Model = fmt.Sprintf("msg_turn_%d", turnOf(r)), "claude-test"
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 4)}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
