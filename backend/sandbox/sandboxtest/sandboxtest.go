// Package sandboxtest is the conformance suite every sandbox.Sandbox
// implementation must pass: exec semantics (exit codes, streams, working
// directory, environment, timeouts, cancellation, output limits), file
// access, and an escape corpus that tries to read or write outside the
// workspace through the file interface and through commands (writes, the
// network, host processes' environment, signals, processes left behind).
//
// Package sandboxtest must not know any implementation: it sees a sandbox
// only through the seam and the host directory it was made from.
package sandboxtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Factory makes a sandbox whose workspace is the host directory workspace:
// mounted, shared or copied in, as the implementation does it. It fails t
// when it cannot. The suite closes the sandbox.
type Factory func(t *testing.T, workspace string) sandbox.Sandbox

// Run runs the conformance suite against the sandboxes newSandbox makes.
// Its subtests run in parallel, except one that sets host environment
// variables (t.Setenv), so Run must not be called from a parallel test.
//
// Commands used: sh, printf, echo, cat, pwd, env, sleep, kill, ln, mkdir,
// mkfifo, mktemp, mv, rm, cut, ls, setsid, nohup, tr, grep (busybox is
// enough), and /proc; the network attacks also try nc, wget, bash and ps
// where they exist.
//
// Whether the sandbox's files are the host directory itself (a local sandbox,
// a container with the workspace bind-mounted) or a copy (a container on a
// remote engine) is detected; with a copy, the outside files the escape
// corpus aims at are made inside the sandbox with exec and checked there.
func Run(t *testing.T, newSandbox Factory) {
	t.Run("Exec", func(t *testing.T) { testExec(t, newSandbox) })
	t.Run("Files", func(t *testing.T) { testFiles(t, newSandbox) })
	t.Run("Escape", func(t *testing.T) { testEscape(t, newSandbox) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newSandbox) })
}

// bundle is one sandbox on a fresh workspace.
type bundle struct {
	sb        sandbox.Sandbox
	workspace string // host directory given to the factory
	files     sandbox.Files
	// shared reports that the sandbox's files are the host directory:
	// a file made on the host shows through Files at once.
	shared bool
}

func setup(t *testing.T, newSandbox Factory) *bundle {
	t.Helper()
	ws := t.TempDir()
	return setupIn(t, newSandbox, ws)
}

func setupIn(t *testing.T, newSandbox Factory, ws string) *bundle {
	t.Helper()
	sb := newSandbox(t, ws)
	t.Cleanup(func() { sb.Close() })
	b := &bundle{sb: sb, workspace: ws, files: sb.Files()}
	const probe = ".sandboxtest-probe"
	if err := os.WriteFile(filepath.Join(ws, probe), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := b.files.Stat(probe)
	b.shared = err == nil
	if err := os.Remove(filepath.Join(ws, probe)); err != nil {
		t.Fatal(err)
	}
	return b
}

// exec runs command and fails t unless the sandbox ran it.
func (b *bundle) exec(t *testing.T, command string) sandbox.ExecResult {
	t.Helper()
	return b.execReq(t, sandbox.ExecRequest{Command: command, Timeout: time.Minute})
}

func (b *bundle) execReq(t *testing.T, req sandbox.ExecRequest) sandbox.ExecResult {
	t.Helper()
	res, err := b.sb.Exec(context.Background(), req)
	if err != nil {
		t.Fatalf("Exec(%q) error = %v", req.Command, err)
	}
	return res
}

// mustExec runs command and fails t unless it exits 0.
func (b *bundle) mustExec(t *testing.T, command string) string {
	t.Helper()
	res := b.exec(t, command)
	if res.ExitCode != 0 {
		t.Fatalf("Exec(%q) exit = %d, stderr %q", command, res.ExitCode, res.Stderr)
	}
	return res.Stdout
}

// outside is a directory outside the workspace holding a sentinel file,
// made where the sandbox's files live: on the host when they are shared,
// inside the sandbox otherwise.
type outside struct {
	b    *bundle
	dir  string // as the side that resolves Files names sees it
	host bool
}

const sentinel = "sentinel"
const sentinelContent = "outside: must not change\n"

func newOutside(t *testing.T, b *bundle) *outside {
	t.Helper()
	if b.shared {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, sentinel), []byte(sentinelContent), 0o644); err != nil {
			t.Fatal(err)
		}
		return &outside{b: b, dir: dir, host: true}
	}
	dir := strings.TrimSpace(b.mustExec(t, `d=$(mktemp -d) && printf %s `+shellQuote(sentinelContent)+` > "$d/`+sentinel+`" && printf %s "$d"`))
	return &outside{b: b, dir: dir}
}

// check fails t if the sentinel changed or anything else appeared.
func (o *outside) check(t *testing.T) {
	t.Helper()
	var names []string
	var content string
	if o.host {
		entries, err := os.ReadDir(o.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		data, err := os.ReadFile(filepath.Join(o.dir, sentinel))
		if err != nil {
			t.Fatalf("outside sentinel: %v", err)
		}
		content = string(data)
	} else {
		names = strings.Fields(o.b.mustExec(t, `ls -A `+shellQuote(o.dir)))
		content = o.b.mustExec(t, `cat `+shellQuote(o.dir+"/"+sentinel))
	}
	if content != sentinelContent {
		t.Errorf("outside sentinel = %q, want %q: a write escaped the workspace", content, sentinelContent)
	}
	if len(names) != 1 || names[0] != sentinel {
		t.Errorf("outside directory holds %q, want only %q: a file was created outside the workspace", names, sentinel)
	}
}

// rel returns the outside directory relative to the workspace, as a
// relative symbolic link in the workspace's top directory must spell it.
func (o *outside) rel(t *testing.T) string {
	t.Helper()
	base := o.b.workspace
	if !o.host {
		base = o.b.sb.Info().WorkDir
	}
	rel, err := filepath.Rel(base, o.dir)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// isOutside reports whether err is the refusal the suite expects for an
// escape.
func isOutside(err error) bool { return errors.Is(err, sandbox.ErrOutsideWorkspace) }

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
