package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/docker"
)

// needDocker fails the test without a working engine and the test image, unless
// CORRAL_SKIP_DOCKER=1 (CI always has both: `make test` starts them).
func needDocker(t *testing.T) string {
	t.Helper()
	const image = "corral-test/busybox:latest"
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", image).CombinedOutput()
	if err != nil {
		if os.Getenv("CORRAL_SKIP_DOCKER") == "1" {
			t.Skipf("no Docker engine or test image (CORRAL_SKIP_DOCKER=1): %s", out)
		}
		t.Fatalf("docker image %s unusable (run `make docker-deps`): %v: %s", image, err, out)
	}
	return image
}

// TestRunInDocker runs the demo agent's whole coding session in a container, through the
// command line: the files land in the host workspace and the commands ran as the container
// saw them, with no network.
func TestRunInDocker(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	dd, ws := t.TempDir(), t.TempDir()
	out, err := corral(t, []string{"CORRAL_PROVIDER=demo"}, "run", "--json", "--approve", "all", "--env", "docker", "--image", image,
		"--data-dir", dd, "--workspace", ws, "count words").CombinedOutput()
	if err != nil {
		t.Fatalf("corral run --env docker: %v\n%s", err, out)
	}
	var execs, failed int
	var changed []string // what the commands in the container changed, as the host saw it
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var ev struct {
			Type   string `json:"type"`
			Tool   string `json:"tool"`
			Result *struct {
				Content string `json:"content"`
				IsError bool   `json:"is_error"`
				Meta    struct {
					Changed []struct {
						Path string `json:"path"`
						Op   string `json:"op"`
					} `json:"changed"`
				} `json:"meta"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "tool.finished" {
			continue
		}
		if ev.Tool == "exec" {
			execs++
			for _, c := range ev.Result.Meta.Changed {
				changed = append(changed, c.Op+" "+c.Path)
			}
		}
		if ev.Result.IsError {
			failed++
			t.Errorf("tool %s failed in the container: %s", ev.Tool, ev.Result.Content)
		}
	}
	if execs < 3 || failed > 0 {
		t.Errorf("demo session in docker: %d exec calls, %d failed; want at least 3, none failed", execs, failed)
	}
	if !slices.Contains(changed, "created sample.txt") {
		t.Errorf("files changed by the container's commands = %v, want sample.txt created (the demo's printf > sample.txt)", changed)
	}
	if b, err := os.ReadFile(filepath.Join(ws, "test_wordcount.sh")); err != nil || len(b) == 0 {
		t.Errorf("test_wordcount.sh not in the host workspace after a docker run: %v", err)
	}
	// The run-scoped container is gone once the command exits.
	ls, err := exec.Command("docker", "ps", "-a", "--filter", "label=corral.managed", "--filter", "label=corral.workspace="+ws, "-q").Output()
	if err != nil || strings.TrimSpace(string(ls)) != "" {
		t.Errorf("containers left for workspace %s: %q, %v", ws, ls, err)
	}
}

func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	needDocker(t)
	out, err := corral(t, nil, "sandbox", "ls", "--json").Output()
	var list []map[string]any
	if err != nil || json.Unmarshal(out, &list) != nil {
		t.Fatalf("corral sandbox ls --json = %s, %v; want a JSON list", out, err)
	}
	cmd := corral(t, nil, "sandbox", "rm")
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != ExitUsage {
		t.Errorf("corral sandbox rm (no id) = %v, want exit %d", err, ExitUsage)
	}
	out, _ = corral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "sandbox", "ls").CombinedOutput()
	if !strings.Contains(string(out), "unavailable") {
		t.Errorf("corral sandbox ls with a dead engine = %q, want a clear 'unavailable' error", out)
	}
}

// TestSessionRemoveTakesItsContainers: deleting a session whose runs used Docker removes the
// session's containers, even ones another Corral process made (a window keeps a session-scoped
// container alive between runs).
func TestSessionRemoveTakesItsContainers(t *testing.T) {
	t.Parallel()
	image := needDocker(t)
	ctx := t.Context()
	dd := t.TempDir()
	ws := seedSession(t, dd, "ses_dock", "", journal.RunCompleted)
	j, err := journal.Open(ctx, filepath.Join(dd, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "run_dock", SessionID: "ses_dock", Status: journal.RunCompleted, Sandbox: "docker", Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	m, err := docker.New(ctx, docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := m.Sandbox(ctx, docker.Spec{Scope: docker.ScopeSession, SessionID: "ses_dock", Workspace: ws, Config: docker.Config{Image: image}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(); m.Close(context.WithoutCancel(ctx)) })
	containers := func() string {
		out, err := exec.Command("docker", "ps", "-a", "--filter", "label=corral.session=ses_dock", "-q").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if containers() == "" {
		t.Fatal("no container for session ses_dock; the test would prove nothing")
	}
	if out, err := corral(t, nil, "sessions", "rm", "ses_dock", "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral sessions rm: %v\n%s", err, out)
	}
	if left := containers(); left != "" {
		t.Errorf("containers of the deleted session left: %s", left)
	}
}
