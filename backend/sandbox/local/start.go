package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

var _ sandbox.Starter = (*Sandbox)(nil)

// stopGrace is how long Stop lets a program exit on its own once its stdin
// is closed (MCP's stdio shutdown) before killing its process group.
const stopGrace = 2 * time.Second

// Start runs a long-lived program in the workspace with the scrubbed
// environment of Exec's commands (plus req.Env), confined as they are: on
// Linux through the same launcher (PID 1 of new namespaces, Landlock: writes
// only in the workspace, HOME, TMPDIR and added paths; no network unless the
// sandbox allows it), on macOS under the same Seatbelt profile. The program
// dies with Corral; Stop and Close kill it and everything it started.
func (s *Sandbox) Start(ctx context.Context, req sandbox.StartRequest) (*sandbox.Process, error) {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("start: %w: sandbox closed", sandbox.ErrUnavailable)
	}
	if len(req.Argv) == 0 {
		return nil, errors.New("start: no program")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	env := append(append(append([]string(nil), s.env...), "PWD="+s.workspace), req.Env...)
	path, err := lookPath(req.Argv[0], env)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", req.Argv[0], err)
	}
	cmd, status, err := s.command(append([]string{path}, req.Argv[1:]...), env)
	if err != nil {
		return nil, fmt.Errorf("start: %w: %w", sandbox.ErrUnavailable, err)
	}
	cmd.Dir = s.workspace
	// Pipes of our own rather than cmd's: Wait must not close the read ends
	// while output is still buffered (a crashing server's last words).
	inR, inW, err := os.Pipe()
	if err != nil {
		status.abandon()
		return nil, fmt.Errorf("start: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		status.abandon()
		closeAll(inR, inW)
		return nil, fmt.Errorf("start: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		status.abandon()
		closeAll(inR, inW, outR, outW)
		return nil, fmt.Errorf("start: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	closeAll(inR, outW, errW) // the program's ends
	if err != nil {
		status.abandon()
		closeAll(inW, outR, errR)
		return nil, fmt.Errorf("start %s: %w", req.Argv[0], err)
	}
	if err := status.check(); err != nil {
		killGroup(cmd.Process)
		_ = cmd.Wait()
		closeAll(inW, outR, errR)
		return nil, fmt.Errorf("start %s: %w: %w", req.Argv[0], sandbox.ErrUnavailable, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	var once sync.Once
	stop := func() error {
		once.Do(func() {
			_ = inW.Close()
			t := time.NewTimer(stopGrace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
			}
			killGroup(cmd.Process)
			<-done
		})
		return nil
	}
	s.track(stop)
	return &sandbox.Process{Stdin: inW, Stdout: outR, Stderr: errR, Done: done, Stop: stop}, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// track remembers a started program's stop, so Close ends it.
func (s *Sandbox) track(stop func() error) {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.procs = append(s.procs, stop)
}

// stopAll stops every program Start started.
func (s *Sandbox) stopAll() {
	s.procMu.Lock()
	procs := s.procs
	s.procs = nil
	s.procMu.Unlock()
	for _, stop := range procs {
		_ = stop()
	}
}

// lookPath finds file in the PATH of env (the sandbox's PATH, which a
// request may change), as a shell would. A name with a slash is used as
// given, relative to the workspace.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, file)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s is not in the sandbox's PATH", exec.ErrNotFound, file)
}
