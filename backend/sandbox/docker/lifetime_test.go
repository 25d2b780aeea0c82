package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// execHelperEnv makes the test binary a stand-in for Corral (see execHelper).
const execHelperEnv = "CORRAL_TEST_DOCKER_EXEC_HELPER"

// execHelper is a Corral that runs one slow command in a container on workspace ws and
// is killed by the test while the command runs. The command first starts a process in a
// session of its own (which leaves the command's process group), then marks that it runs.
func execHelper(ws string) int {
	ctx := context.Background()
	m, err := New(ctx, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sb, err := m.Sandbox(ctx, Spec{Workspace: ws, Config: testConfig()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = sb.Exec(ctx, sandbox.ExecRequest{Command: "setsid sleep 41 & sleep 42 & touch started; sleep 43", Timeout: time.Minute})
	fmt.Fprintln(os.Stderr, "the command ended before the kill:", err)
	return 1
}

// sleepers lists the `sleep N` processes (N from 40 to 49) running in container id.
func (b *bundle) sleepers(t *testing.T, id string) string {
	t.Helper()
	res, err := b.cli.ContainerTop(context.Background(), id, client.ContainerTopOptions{})
	if cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err) {
		return "" // gone or stopped (another Corral's orphan sweep): nothing runs in it
	}
	if err != nil {
		t.Fatalf("ContainerTop(%s) = %v", id, err)
	}
	var out []string
	for _, p := range res.Processes {
		if len(p) > 0 && strings.HasPrefix(p[len(p)-1], "sleep 4") {
			out = append(out, strings.Join(p, " "))
		}
	}
	return strings.Join(out, "\n")
}

// TestCommandDiesWithCorral is issue 14's second finding for Docker: a command kept running
// in its container after the Corral that ran it was killed (SIGKILL: nothing of Corral's
// runs after it). Now the engine's closing of the exec's stdin makes the wrapper kill it,
// with what it started in a session of its own.
func TestCommandDiesWithCorral(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	// A bind-mounted workspace, where the host sees the command's file at once: as root a
	// root-owned workspace would be copied (the container never runs as root by default).
	ws := t.TempDir()
	if os.Getuid() == 0 {
		if err := os.Chown(ws, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), execHelperEnv+"="+ws)
	var stderr strings.Builder
	helper.Stderr = &stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })
	exited := make(chan struct{})
	go func() { helper.Wait(); close(exited) }()
	eventually(t, "the helper's command to start", func() bool {
		select {
		case <-exited:
			t.Fatalf("the helper exited: %s", stderr.String())
		default:
		}
		_, err := os.Stat(filepath.Join(ws, "started"))
		return err == nil
	})
	list, err := b.cli.ContainerList(context.Background(), client.ContainerListOptions{
		Filters: make(client.Filters).Add("label", LabelPID+"="+strconv.Itoa(helper.Process.Pid)),
	})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("the helper's container: %v, %d found", err, len(list.Items))
	}
	id := list.Items[0].ID
	t.Cleanup(func() {
		b.cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
	})
	// setsid forks before it execs sleep: wait until all three run.
	eventually(t, "the three sleeps to run", func() bool { return strings.Count(b.sleepers(t, id), "sleep") == 3 })
	helper.Process.Kill()
	<-exited
	deadline := time.Now().Add(15 * time.Second)
	for b.sleepers(t, id) != "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // bounded poll: the kill happens in the container
	}
	if got := b.sleepers(t, id); got != "" {
		t.Errorf("15 s after Corral was killed the container still runs:\n%s", got)
	}
}

// TestNothingOutlivesTheCommand: what a command starts in a session of its own (out of its
// process group) is killed when the command ends, like its background children.
func TestNothingOutlivesTheCommand(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	sb := b.sandbox(t, Spec{})
	mustRun(t, sb, "setsid sleep 44 & sleep 45 & true")
	if got := b.sleepers(t, sb.ContainerID()); got != "" {
		t.Errorf("after the command ended the container still runs:\n%s", got)
	}
}
