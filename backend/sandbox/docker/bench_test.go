package docker

import (
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
)

// benchSandbox returns a warm sandbox (one command already run).
func benchSandbox(b *testing.B, mode WorkspaceMode) *Sandbox {
	b.Helper()
	m := newManager(b, Options{Workspace: mode})
	sb, err := m.Sandbox(context.Background(), Spec{Workspace: b.TempDir(), Config: testConfig()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	execTrue(b, sb)
	return sb
}

func execTrue(b *testing.B, sb *Sandbox) {
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"})
	if err != nil || res.ExitCode != 0 {
		b.Fatalf("Exec(true) = %+v, %v", res, err)
	}
}

func dockerCLI(b *testing.B) string {
	b.Helper()
	path, err := exec.LookPath("docker")
	if err != nil {
		b.Skip("no docker CLI to compare with")
	}
	return path
}

// BenchmarkExecWarm is one command round trip in a running container:
// exec create, attach, the wrapper, inspect.
func BenchmarkExecWarm(b *testing.B) {
	sb := benchSandbox(b, WorkspaceMount)
	for b.Loop() {
		execTrue(b, sb)
	}
}

// BenchmarkExecWarmCopy adds the workspace sync of a copied workspace (a
// few files, nothing changed).
func BenchmarkExecWarmCopy(b *testing.B) {
	sb := benchSandbox(b, WorkspaceCopy)
	for _, f := range []string{"a.go", "b/c.go", "b/d/e.txt"} {
		if err := sb.Files().WriteFile(f, []byte("package x\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	execTrue(b, sb)
	for b.Loop() {
		execTrue(b, sb)
	}
}

// BenchmarkExecDockerCLI is `docker exec CONTAINER true` on the same kind
// of container, for comparison.
func BenchmarkExecDockerCLI(b *testing.B) {
	sb := benchSandbox(b, WorkspaceMount)
	docker := dockerCLI(b)
	for b.Loop() {
		if out, err := exec.Command(docker, "exec", sb.ContainerID(), "true").CombinedOutput(); err != nil {
			b.Fatalf("docker exec: %v\n%s", err, out)
		}
	}
}

// BenchmarkColdStart is a new run-scoped sandbox: create and start the
// container, run the first command, remove it.
func BenchmarkColdStart(b *testing.B) {
	m := newManager(b, Options{Workspace: WorkspaceMount})
	ws := b.TempDir()
	for b.Loop() {
		sb, err := m.Sandbox(context.Background(), Spec{Workspace: ws, Config: testConfig()})
		if err != nil {
			b.Fatal(err)
		}
		execTrue(b, sb)
		if err := sb.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDockerRun is `docker run --rm IMAGE true`, for comparison.
func BenchmarkDockerRun(b *testing.B) {
	needEngine(b)
	docker := dockerCLI(b)
	for b.Loop() {
		if out, err := exec.Command(docker, "run", "--rm", "--network", "none", testImage, "true").CombinedOutput(); err != nil {
			b.Fatalf("docker run: %v\n%s", err, out)
		}
	}
}

// BenchmarkEditExecCopy is the agent's usual step with a copied workspace:
// write a file, run a command that reads it.
func BenchmarkEditExecCopy(b *testing.B) {
	sb := benchSandbox(b, WorkspaceCopy)
	i := 0
	for b.Loop() {
		i++
		if err := sb.Files().WriteFile("main.go", []byte(fmt.Sprintf("package main // %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "cat main.go >/dev/null"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("Exec = %+v, %v", res, err)
		}
	}
}
