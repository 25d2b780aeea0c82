package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/sandbox/docker"
)

// sessionScript is a fake Anthropic Messages API for a session's runs: a prompt saying
// "write" writes /tmp/shared.txt in the sandbox, one saying "read" reads it, each also
// printing the container's host name; after a tool result it ends the turn.
func sessionScript(n int, req llmtest.Request) llmtest.Reply {
	r, err := llmtest.DecodeAnthropicRequest(req.Body)
	if err != nil || len(r.Messages) == 0 {
		return llmtest.AnthropicError(400, "invalid_request_error", fmt.Sprint("bad request: ", err))
	}
	last := r.Messages[len(r.Messages)-1]
	resp := llm.Response{ID: fmt.Sprintf("msg_%d", n), Model: "claude-test", StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}}
	var prompt string
	for _, b := range last.Content {
		if b.Type == llm.BlockToolResult {
			resp.Content = []llm.Block{llm.TextBlock("Done.")}
			return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 16)}
		}
		prompt += b.Text
	}
	command := "cat /tmp/shared.txt; echo host=$(hostname)"
	if strings.Contains(prompt, "write") {
		command = "echo left-by-the-first-run > /tmp/shared.txt; echo host=$(hostname)"
	}
	in, _ := json.Marshal(map[string]string{"command": command})
	resp.Content = []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", n), "exec", string(in))}
	resp.StopReason = llm.StopToolUse
	return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 16)}
}

// execOutputs returns the content of every exec result in a run's --json events.
func execOutputs(t *testing.T, out []byte) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var ev struct {
			Type   string `json:"type"`
			Tool   string `json:"tool"`
			Result *struct {
				Content string `json:"content"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "tool.finished" && ev.Tool == "exec" && ev.Result != nil {
			got = append(got, ev.Result.Content)
		}
	}
	return got
}

// sessionContainers lists the ids of the containers of a session, by its label.
func sessionContainers(t *testing.T, session string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--no-trunc", "-q", "--filter", "label="+docker.LabelSession+"="+session).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

// TestSessionContainerAcrossProcesses: two separate `corral run --session S --env docker
// --scope session` processes share one container (a file the first left in /tmp is read by
// the second, in a container with the same host name), and the container removes itself
// after the idle time with no Corral process alive.
func TestSessionContainerAcrossProcesses(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(sessionScript))
	t.Cleanup(srv.Close)
	dd := t.TempDir()
	session := "ses_outlive_" + fmt.Sprint(time.Now().UnixNano())
	seedSession(t, dd, session, "", journal.RunCompleted)
	t.Cleanup(func() {
		for _, id := range sessionContainers(t, session) {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	})
	runIn := func(prompt string) []string {
		t.Helper()
		out, err := corral(t, nil, "run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
			"--session", session, "--env", "docker", "--scope", "session", "--idle", "6s", "--image", image,
			"--data-dir", dd, prompt).CombinedOutput()
		if err != nil {
			t.Fatalf("corral run %q: %v\n%s", prompt, err, out)
		}
		outs := execOutputs(t, out)
		if len(outs) != 1 {
			t.Fatalf("corral run %q: exec results %q, want one\n%s", prompt, outs, out)
		}
		return outs
	}

	first := runIn("write the shared file")
	left := sessionContainers(t, session)
	if len(left) != 1 {
		t.Fatalf("containers of %s after the first process exited = %v, want its one container kept", session, left)
	}
	second := runIn("read the shared file")
	if !strings.Contains(second[0], "left-by-the-first-run") {
		t.Errorf("second process read %q, want the file the first left in /tmp", second[0])
	}
	host := func(s string) string { _, h, _ := strings.Cut(s, "host="); return strings.TrimSpace(h) }
	if h1, h2 := host(first[0]), host(second[0]); h1 == "" || h1 != h2 || !strings.HasPrefix(left[0], h1) {
		t.Errorf("containers: first ran in %q, second in %q, engine lists %s; want one and the same", h1, h2, left[0])
	}
	if now := sessionContainers(t, session); len(now) != 1 || now[0] != left[0] {
		t.Errorf("containers of %s after the second process = %v, want only %s", session, now, left[0])
	}

	// No Corral process is alive now; the container removes itself after 6 s idle.
	deadline := time.Now().Add(time.Minute)
	for len(sessionContainers(t, session)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("container of %s still there a minute after its last use; want it gone after 6 s idle", session)
		}
		time.Sleep(250 * time.Millisecond) // polling the engine: no signal reaches this process
	}
}

// TestStartSweepsIdleSessions: a long-lived Corral (window, serve) removes at its start the
// session containers idle past their time whose watchdog did not (here: one that says it
// has been idle two hours of its one).
func TestStartSweepsIdleSessions(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	ctx := t.Context()
	m, err := docker.New(ctx, docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	session := "ses_sweep_" + fmt.Sprint(time.Now().UnixNano())
	sb, err := m.Sandbox(ctx, docker.Spec{Scope: docker.ScopeSession, SessionID: session, Workspace: t.TempDir(),
		Config: docker.Config{Image: image}, IdleTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id := sb.ContainerID()
	sb.Close()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
	if out, err := exec.Command("docker", "exec", id, "/bin/sh", "-c", "echo 7200 > /tmp/.corral-idle").CombinedOutput(); err != nil {
		t.Fatalf("write the idle count: %v: %s", err, out)
	}

	var stderr strings.Builder
	eng, err := openEngine(ctx, testProgram(t, io.Discard, &stderr), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.close()
	eng.longLived = true
	stop := eng.startSweep(ctx)
	defer stop()
	deadline := time.Now().Add(time.Minute)
	for slices.Contains(sessionContainers(t, session), id) {
		if time.Now().After(deadline) {
			t.Fatalf("container %s idle past its time still there a minute after a long-lived start", id)
		}
		time.Sleep(100 * time.Millisecond) // polling the engine: the sweep sends no signal
	}
}
