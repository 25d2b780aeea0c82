// Package local is the sandbox that runs on the host: commands are "sh -c"
// in the workspace with a scrubbed environment; files go through
// sandbox.Dir. On Linux each command starts through a launcher (this
// binary re-executed, or corral-sandbox-init) that is PID 1 of new user,
// PID, mount and network namespaces with a fresh /proc, no capabilities and
// Landlock: writes only in the workspace, HOME, TMPDIR and added paths, no
// network unless allowed, signals only within the run, and nothing left
// running when the command or Corral ends. On macOS a Seatbelt profile
// confines writes, network and signals. Reads are not confined anywhere;
// Probe says what this machine enforces.
//
// Package local must not know about tools, models or approvals.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/sandbox"
)

// pipeGrace bounds how long Exec waits for a command's output pipes to
// close after its process group was killed: a process that left the group
// (setsid) may still hold them.
const pipeGrace = 2 * time.Second

// Options configures a Sandbox.
type Options struct {
	// Env holds KEY=VALUE variables given to every command, on top of the
	// scrubbed base environment (see New).
	Env []string
	// PassEnv names host variables passed through unchanged when set, on
	// top of the base environment (e.g. "GOPATH", "GOCACHE").
	PassEnv []string
	// Home is HOME for commands. Empty means a fresh temporary directory
	// created by New and removed by Close, so that tools writing caches and
	// config under HOME touch neither the user's home nor the workspace.
	Home string
	// Network lets commands reach the network. Off (the default), a
	// confined command has a network namespace of its own with only a
	// loopback interface (see Probe).
	Network bool
	// Egress, when set, gives commands one way out: the egress proxy
	// listening on this Unix socket, reached as 127.0.0.1:EgressPort in the
	// command's network namespace, with HTTP_PROXY, HTTPS_PROXY (and their
	// lower-case forms) pointing there. It needs network namespaces (see
	// Probe); without them Exec refuses to run, since nothing would keep a
	// command from going around the proxy. Network must be off.
	Egress string
	// EgressPort is the proxy's port inside the namespace (default 3128).
	EgressPort int
	// Writable lists host directories commands may write besides the
	// workspace, HOME and the sandbox's temporary directory (TMPDIR), when
	// the kernel confines writes (see Probe).
	Writable []string
}

// Sandbox runs commands on the host in one workspace.
type Sandbox struct {
	workspace  string
	dir        *sandbox.Dir
	env        []string
	home       string
	ownHome    bool
	tmp        string   // TMPDIR of commands, removed by Close
	writable   []string // where confined commands may write: workspace, HOME, TMPDIR, then Options.Writable
	network    bool
	egress     string // the proxy's Unix socket, "" for none
	egressPort int

	closeOnce sync.Once
	closeErr  error
	mu        sync.RWMutex
	closed    bool

	procMu sync.Mutex
	procs  []func() error // Stop of each program Start started
}

var _ sandbox.Sandbox = (*Sandbox)(nil)

// passedEnv are the host variables every command inherits: enough for
// programs to find their tools and speak the user's locale, and nothing that
// tends to hold a credential.
var passedEnv = []string{"PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "USER", "LOGNAME", "TMPDIR"}

// New opens a sandbox on the directory workspace. Commands get a scrubbed
// environment: PATH, locale, TZ, USER, LOGNAME and TMPDIR from the host,
// HOME (see Options.Home), TERM=dumb, PAGER=cat, GIT_PAGER=cat,
// GIT_TERMINAL_PROMPT=0, then Options.PassEnv, Options.Env and each
// request's Env. Nothing else of the host's environment (API keys, tokens,
// cloud credentials) reaches a command unless passed explicitly.
func New(workspace string, opts Options) (*Sandbox, error) {
	abs, err := filepath.Abs(workspace)
	if err != nil {
		return nil, fmt.Errorf("local sandbox: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local sandbox: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local sandbox: %s is not a directory", abs)
	}
	dir, err := sandbox.OpenDir(abs)
	if err != nil {
		return nil, fmt.Errorf("local sandbox: %w", err)
	}
	s := &Sandbox{workspace: abs, dir: dir, home: opts.Home}
	if s.home == "" {
		s.home, err = os.MkdirTemp("", "corral-home-")
		if err != nil {
			dir.Close()
			return nil, fmt.Errorf("local sandbox: home: %w", err)
		}
		s.ownHome = true
	}
	s.tmp, err = os.MkdirTemp("", "corral-tmp-")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("local sandbox: temp dir: %w", err)
	}
	s.network = opts.Network
	if opts.Egress != "" {
		if opts.Network {
			s.Close()
			return nil, fmt.Errorf("local sandbox: egress through a proxy and the whole network are exclusive")
		}
		s.egress, s.egressPort = opts.Egress, opts.EgressPort
		if s.egressPort == 0 {
			s.egressPort = DefaultEgressPort
		}
		opts.Env = append(egress.Env("http://127.0.0.1:"+strconv.Itoa(s.egressPort)), opts.Env...)
	}
	s.writable = append([]string{abs, s.home, s.tmp}, opts.Writable...)
	s.env = append(baseEnv(s.home, opts), "TMPDIR="+s.tmp)
	return s, nil
}

// DefaultEgressPort is the proxy's port inside a command's namespace.
const DefaultEgressPort = 3128

func baseEnv(home string, opts Options) []string {
	var env []string
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	env = append(env, "HOME="+home, "TERM=dumb", "PAGER=cat", "GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0")
	for _, k := range opts.PassEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, opts.Env...)
}

// Writable returns Options.Writable: where commands may write besides the
// workspace, HOME and TMPDIR.
func (s *Sandbox) Writable() []string { return append([]string(nil), s.writable[3:]...) }

// Files returns the workspace's files.
func (s *Sandbox) Files() sandbox.Files { return s.dir }

// Info describes the sandbox: kind "local", not isolated (commands read the
// host's files), network "none" when commands are cut off from it (see
// Probe), "host" otherwise.
func (s *Sandbox) Info() sandbox.Info {
	network := "host"
	switch {
	case s.egress != "":
		network = "proxy"
	case !s.network && networkOff():
		network = "none"
	}
	return sandbox.Info{Kind: "local", Workspace: s.workspace, WorkDir: s.workspace, Network: network}
}

// Close releases the workspace and removes the temporary home. It is
// idempotent; Exec after Close fails with sandbox.ErrUnavailable.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.stopAll()
		s.closeErr = s.dir.Close()
		if s.ownHome {
			if err := os.RemoveAll(s.home); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if s.tmp != "" {
			if err := os.RemoveAll(s.tmp); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
	})
	return s.closeErr
}

// Exec runs req.Command with /bin/sh -c. On Linux the shell starts through
// a launcher (this binary, re-executed) that confines it as Probe reports:
// PID 1 of new namespaces, so that when the shell exits, on timeout, when
// ctx ends and when Corral dies every process the command started is
// killed, wherever it moved (setsid, double fork). Elsewhere the shell runs
// in its own process group, which is killed at the same moments.
func (s *Sandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w: sandbox closed", sandbox.ErrUnavailable)
	}
	cwd, err := s.resolveDir(req.Dir)
	if err != nil {
		return sandbox.ExecResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w", err)
	}
	limit := req.MaxOutput
	if limit <= 0 {
		limit = sandbox.DefaultMaxOutput
	}
	stdout, stderr := sandbox.NewLimitedBuffer(limit), sandbox.NewLimitedBuffer(limit)

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if req.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, req.Timeout)
	}
	defer cancel()

	env := append(append(append([]string(nil), s.env...), "PWD="+cwd), req.Env...)
	cmd, status, err := s.command(shellArgv(req.Command), env)
	if err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w: %w", sandbox.ErrUnavailable, err)
	}
	cmd.Dir = cwd
	outR, outW, err := os.Pipe()
	if err != nil {
		status.abandon()
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		status.abandon()
		outR.Close()
		outW.Close()
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW

	start := time.Now()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		status.abandon()
		outR.Close()
		errR.Close()
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w: start shell: %w", sandbox.ErrUnavailable, err)
	}
	if err := status.check(); err != nil {
		killGroup(cmd.Process)
		_ = cmd.Wait()
		outR.Close()
		errR.Close()
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w: %w", sandbox.ErrUnavailable, err)
	}

	var copying sync.WaitGroup
	copying.Go(func() { _, _ = io.Copy(req.Tee(sandbox.Stdout, stdout), outR) })
	copying.Go(func() { _, _ = io.Copy(req.Tee(sandbox.Stderr, stderr), errR) })

	exited := make(chan struct{})
	var watching sync.WaitGroup
	watching.Go(func() {
		select {
		case <-runCtx.Done():
			killGroup(cmd.Process)
		case <-exited:
		}
	})
	waitErr := cmd.Wait()
	close(exited)
	watching.Wait()
	killGroup(cmd.Process)
	drain(&copying, outR, errR)
	outR.Close()
	errR.Close()

	res := sandbox.ExecResult{
		ExitCode:      exitCode(cmd.ProcessState),
		Stdout:        stdout.String(),
		Stderr:        stderr.String(),
		StdoutDropped: stdout.Dropped(),
		StderrDropped: stderr.Dropped(),
		Duration:      time.Since(start),
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, fmt.Errorf("exec: %w", waitErr)
	}
	if !cmd.ProcessState.Exited() {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("exec: %w", err)
		}
		if runCtx.Err() != nil {
			res.TimedOut = true
		}
	}
	return res, nil
}

// shellArgv is the argv that runs the command line line.
func shellArgv(line string) []string { return []string{"/bin/sh", "-c", line} }

// resolveDir turns a request's Dir into a host path, checking through the
// workspace root that it stays inside and is a directory. (The command may
// cd anywhere afterwards: on the host, the working directory is a
// convenience, not a boundary.)
func (s *Sandbox) resolveDir(dir string) (string, error) {
	if dir == "" || dir == "." {
		return s.workspace, nil
	}
	fi, err := s.dir.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("exec: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("exec: %w", &fs.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR})
	}
	return filepath.Join(s.workspace, filepath.FromSlash(dir)), nil
}

// drain waits for the output copiers, closing the pipes' read ends if a
// process outside the killed group still holds their write ends.
func drain(copying *sync.WaitGroup, pipes ...*os.File) {
	done := make(chan struct{})
	go func() {
		copying.Wait()
		close(done)
	}()
	timer := time.NewTimer(pipeGrace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		for _, p := range pipes {
			p.Close()
		}
		<-done
	}
}
