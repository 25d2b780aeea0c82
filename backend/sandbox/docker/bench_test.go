package docker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

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

// BenchmarkColdStart compares a sandbox's cold start with `docker run --rm IMAGE true` of the
// same image, interleaved in one loop so that the machine's load weighs on both alike (issue
// 21). Each iteration times: docker-run, the CLI creating, starting, running and removing a
// container; session, a new session's container (it outlives its process, so Close leaves it)
// created, started and its first command run; run, a run-scoped container created, started,
// its first command run and the sandbox closed (which removes the container). Both work on a
// workspace a user owns, bind-mounted as a desktop user's is (as root the test hands it to
// nobody). copy is run's cold start on a workspace only root can write, which a sandbox
// running as root copies (its volume given to the command's user first). Metrics: the median
// ms of each, and each sandbox's median over docker-run's.
func BenchmarkColdStart(b *testing.B) {
	m := newManager(b, Options{Workspace: WorkspaceMount})
	docker := dockerCLI(b)
	ws, rootWS := b.TempDir(), b.TempDir()
	if os.Getuid() == 0 {
		if err := os.Chown(ws, 65534, 65534); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var dockerRun, session, run, copied []float64
	timed := func(into *[]float64, f func()) {
		t0 := time.Now()
		f()
		*into = append(*into, float64(time.Since(t0).Microseconds())/1000)
	}
	open := func(spec Spec) {
		sb, err := m.Sandbox(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		execTrue(b, sb)
		if err := sb.Close(); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		i++
		steps := []func(){
			func() {
				timed(&dockerRun, func() {
					if out, err := exec.Command(docker, "run", "--rm", "--network", "none", testImage, "true").CombinedOutput(); err != nil {
						b.Fatalf("docker run: %v\n%s", err, out)
					}
				})
			},
			func() {
				spec := Spec{Scope: ScopeSession, SessionID: fmt.Sprintf("bench-%s-%d", randomHex(3), i), Workspace: ws, Config: testConfig(), IdleTimeout: time.Hour}
				timed(&session, func() { open(spec) })
				if _, err := m.RemoveSession(ctx, spec.SessionID); err != nil {
					b.Fatal(err)
				}
			},
			func() { timed(&run, func() { open(Spec{Workspace: ws, Config: testConfig()}) }) },
		}
		if os.Getuid() == 0 {
			steps = append(steps, func() { timed(&copied, func() { open(Spec{Workspace: rootWS, Config: testConfig()}) }) })
		}
		for k := range steps { // a different one first each time
			steps[(k+i)%len(steps)]()
		}
	}
	base := median(dockerRun)
	b.ReportMetric(base, "ms-docker-run")
	b.ReportMetric(median(session), "ms-session")
	b.ReportMetric(median(run), "ms-run")
	b.ReportMetric(median(session)/base, "x-session/docker-run")
	b.ReportMetric(median(run)/base, "x-run/docker-run")
	if len(copied) > 0 {
		b.ReportMetric(median(copied), "ms-copy")
		b.ReportMetric(median(copied)/base, "x-copy/docker-run")
	}
}

// median returns the middle of xs (the upper one of an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
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
