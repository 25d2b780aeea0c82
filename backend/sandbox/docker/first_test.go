package docker

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// userWorkspace returns a workspace that a user owns, bind-mounted as a desktop user's is
// (as root, a root-owned one would be copied).
func userWorkspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	if os.Getuid() == 0 {
		if err := os.Chown(ws, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(ws+"/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(ws+"/sub", 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// execs returns how many commands ran as execs (of the wrapper; a kill is another) in
// container id, from the engine's events (an exec that ended leaves the container's ExecIDs).
func (b *bundle) execs(t *testing.T, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := b.cli.Events(ctx, client.EventsListOptions{
		Since:   "0",
		Until:   strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
		Filters: make(client.Filters).Add("container", id),
	})
	n := 0
	for {
		select {
		case msg := <-res.Messages:
			if strings.HasPrefix(string(msg.Action), "exec_create") && strings.Contains(string(msg.Action), " corral-exec ") {
				n++
			}
		case err := <-res.Err:
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Events(%s) error = %v", id, err)
			}
			return n
		}
	}
}

// TestFirstCommandAsExec: a container's first command, which runs through its attachment
// (first.go) and not as an exec, gives what the same command gives as an exec.
func TestFirstCommandAsExec(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	big := `i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done`
	for _, tc := range []struct {
		name string
		req  sandbox.ExecRequest
	}{
		{"output", sandbox.ExecRequest{Command: "echo out; echo err >&2; printf 'no newline'"}},
		{"stderr last", sandbox.ExecRequest{Command: "echo a; echo b >&2"}},
		{"exit code", sandbox.ExecRequest{Command: "echo x; exit 3"}},
		{"killed", sandbox.ExecRequest{Command: "kill -9 $$"}},
		{"env and pwd", sandbox.ExecRequest{Command: `printf '%s|' "$A" "$PWD" "$HOME"; id -u`, Env: []string{"A=it's \"quoted\"\nline 2 $HOME"}}},
		{"stdin at EOF", sandbox.ExecRequest{Command: "cat; echo $?"}},
		{"lines", sandbox.ExecRequest{Command: "echo 1\n\necho 'corral-end-x'\n"}},
		{"big", sandbox.ExecRequest{Command: big}},
		{"limit", sandbox.ExecRequest{Command: big, MaxOutput: 1000}},
		{"timeout", sandbox.ExecRequest{Command: "echo started; sleep 30", Timeout: 500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := b.sandbox(t, Spec{Workspace: userWorkspace(t)})
			first, err := sb.Exec(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("first Exec(%q) error = %v", tc.req.Command, err)
			}
			if n := b.execs(t, sb.ContainerID()); n != 0 {
				t.Errorf("the first command made %d execs, want none", n)
			}
			again, err := sb.Exec(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("second Exec(%q) error = %v", tc.req.Command, err)
			}
			if n := b.execs(t, sb.ContainerID()); n == 0 {
				t.Errorf("the second command made no exec")
			}
			if diff := cmp.Diff(again, first, cmpopts.IgnoreFields(sandbox.ExecResult{}, "Duration")); diff != "" {
				t.Errorf("first command's result differs from an exec's (-exec +first):\n%s", diff)
			}
		})
	}
}

// TestFirstCommandFallsBack: a first command the attachment cannot carry runs as an exec.
func TestFirstCommandFallsBack(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	for _, tc := range []struct {
		name string
		req  sandbox.ExecRequest
		want string
	}{
		{"another dir", sandbox.ExecRequest{Command: "pwd", Dir: "sub"}, "/workspace/sub\n"},
		// A shell drops such a variable; the wrapper, the exec's own process, has it.
		{"not a shell name", sandbox.ExecRequest{Command: "tr '\\0' '\\n' </proc/$PPID/environ | grep '^A.B='", Env: []string{"A.B=1"}}, "A.B=1\n"},
		{"detach keys", sandbox.ExecRequest{Command: "printf '\x10\x11' | wc -c"}, "2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := b.sandbox(t, Spec{Workspace: userWorkspace(t)})
			res, err := sb.Exec(context.Background(), tc.req)
			if err != nil || res.ExitCode != 0 || res.Stdout != tc.want {
				t.Fatalf("Exec(%q) = %+v, %v; want exit 0 and stdout %q", tc.req.Command, res, err, tc.want)
			}
			if n := b.execs(t, sb.ContainerID()); n != 1 {
				t.Errorf("the command made %d execs, want 1", n)
			}
			// And the next command still runs (the unused attachment was let go of).
			if got := mustRun(t, sb, "echo ok"); got != "ok\n" {
				t.Errorf("next Exec = %q, want ok", got)
			}
		})
	}
}

// TestFirstCommandAfterContainerDied: a container that died before its first command is
// made again and the command runs there, as when an exec finds it gone.
func TestFirstCommandAfterContainerDied(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	sb := b.sandbox(t, Spec{Workspace: userWorkspace(t)})
	old := sb.ContainerID()
	ctx := context.Background()
	wait := b.cli.ContainerWait(ctx, old, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	if _, err := b.cli.ContainerKill(ctx, old, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wait.Result:
	case err := <-wait.Error:
		t.Fatalf("ContainerWait(%s) = %v", old, err)
	}
	if got := mustRun(t, sb, "echo hi"); got != "hi\n" {
		t.Errorf("Exec(echo hi) = %q, want hi", got)
	}
	if sb.ContainerID() == old {
		t.Errorf("container id unchanged after it was killed")
	}
}
