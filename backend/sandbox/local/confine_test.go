//go:build linux

package local_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/sandbox/sandboxtest"
)

// helperCmd is the test binary as a helper process (see TestMain) that runs
// command in a local sandbox on workspace.
func helperCmd(t *testing.T, workspace, command string, env ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(append(os.Environ(), envHelperWorkspace+"="+workspace, envHelperCommand+"="+command), env...)
	return cmd
}

// confined skips the test unless this machine runs local commands in their
// own namespaces (Probe says why not).
func confined(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("no kernel confinement on %s", runtime.GOOS)
	}
	c := local.Probe()
	if c.Mechanism != "namespaces+landlock" {
		t.Skipf("local commands are not confined here: %+v", c.Missing())
	}
}

func TestParentEnvironmentHidden(t *testing.T) {
	confined(t)
	secret := "localtest-secret-" + strings.Repeat("x", 8) + time.Now().Format("150405.000000")
	tests := []struct{ name, command string }{
		{"PPID", `tr '\0' '\n' </proc/$PPID/environ`},
		{"Init", `tr '\0' '\n' </proc/1/environ`},
		{"Scan", `for f in /proc/[0-9]*/environ; do tr '\0' '\n' <"$f"; done 2>/dev/null`},
		{"PsE", `ps eww -A 2>/dev/null || ps e`},
		{"ParentCmdline", `tr '\0' '\n' </proc/$PPID/cmdline; cat /proc/$PPID/status | head -3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := helperCmd(t, t.TempDir(), tt.command, "CORRAL_LOCALTEST_SECRET="+secret)
			out, err := cmd.Output()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("helper: %v", err)
			}
			if bytes.Contains(out, []byte(secret)) {
				t.Errorf("Exec(%q) printed the secret in the environment of the process that started it", tt.command)
			}
		})
	}
}

func TestKilledWithCorral(t *testing.T) {
	confined(t)
	tests := []struct {
		name  string
		spawn func(marker string) string
	}{
		{"Child", func(m string) string { return "sh -c 'sleep 300; : " + m + "' &" }},
		{"SetsidF", func(m string) string { return "setsid -f sh -c 'sleep 300; : " + m + "'" }},
		{"DoubleFork", func(m string) string { return "(setsid sh -c 'sleep 300; : " + m + "' &)" }},
		{"Nohup", func(m string) string { return "nohup sh -c 'sleep 300; : " + m + "' >/dev/null 2>&1 &" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			ready := filepath.Join(ws, "ready")
			if err := syscall.Mkfifo(ready, 0o600); err != nil {
				t.Fatal(err)
			}
			marker := "localtest-marker-" + filepath.Base(ws) + "-" + tt.name
			cmd := helperCmd(t, ws, tt.spawn(marker)+"\necho ready > ready\nsleep 300")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			// Opened read-write, the FIFO does not block the open; the
			// read waits for the command's line.
			fifo, err := os.OpenFile(ready, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fifo.Close() })
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() {
				_ = cmd.Wait()
				close(exited)
			}()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})

			// The command says it started its grandchild by writing the FIFO.
			got := make(chan error, 1)
			go func() {
				_, err := fifo.Read(make([]byte, 16))
				got <- err
			}()
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
			case <-exited:
				t.Fatalf("helper exited before the command was ready: %v: %s", cmd.ProcessState, stderr.String())
			case <-time.After(30 * time.Second):
				t.Fatal("the command never said it was ready")
			}
			if pids := sandboxtest.HostProcesses(marker); len(pids) == 0 {
				t.Fatalf("no process with marker %s before the kill: the test sees nothing", marker)
			}

			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
			deadline := time.Now().Add(10 * time.Second)
			for {
				pids := sandboxtest.HostProcesses(marker)
				if len(pids) == 0 {
					break
				}
				if time.Now().After(deadline) {
					for _, p := range pids {
						if pid, err := strconv.Atoi(p); err == nil {
							_ = syscall.Kill(pid, syscall.SIGKILL)
						}
					}
					t.Fatalf("processes %v outlived the SIGKILL of the process that ran their command", pids)
				}
				time.Sleep(20 * time.Millisecond) // polling /proc, bounded by deadline
			}
		})
	}
}

func TestNoCapabilities(t *testing.T) {
	confined(t)
	sb, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: `grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status`})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Exec(grep Cap /proc/self/status) = %+v, %v", res, err)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("capability lines = %q, want 5", lines)
	}
	for _, line := range lines {
		if f := strings.Fields(line); len(f) != 2 || strings.Trim(f[1], "0") != "" {
			t.Errorf("a command's %s: want no capability (uid 0 inside the sandbox must be powerless)", line)
		}
	}
}

// TestLauncherEnvironmentEmpty checks that the command's environment (which
// a request may fill: LD_PRELOAD, GODEBUG) reaches the shell but not the
// launcher, which runs before it has confined itself.
func TestLauncherEnvironmentEmpty(t *testing.T) {
	confined(t)
	sb, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	req := sandbox.ExecRequest{
		Command: `printf '%s|' "$CORRAL_LOCALTEST_REQ"; wc -c </proc/1/environ 2>/dev/null || echo unreadable`,
		Env:     []string{"CORRAL_LOCALTEST_REQ=given"},
	}
	res, err := sb.Exec(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(res.Stdout), ""); got != "given|0" && got != "given|unreadable" {
		t.Errorf("Exec(%q) = %q (stderr %q), want %q or %q: the variable in the shell, none in the launcher (PID 1)", req.Command, got, res.Stderr, "given|0", "given|unreadable")
	}

	// The dynamic loader complains once per dynamically linked program that
	// LD_PRELOAD reached: the shell, and the launcher if it got it (the
	// test binary is dynamically linked when cgo is on).
	const lib = "/nonexistent-corral-preload.so"
	req = sandbox.ExecRequest{Command: "true", Env: []string{"LD_PRELOAD=" + lib}}
	if res, err = sb.Exec(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(res.Stderr, lib); n > 1 {
		t.Errorf("Exec(%q) with LD_PRELOAD: the loader complained %d times (%q), want at most once: LD_PRELOAD reached the launcher", req.Command, n, res.Stderr)
	}
}
