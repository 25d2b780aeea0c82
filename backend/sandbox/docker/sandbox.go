package docker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Sandbox runs commands in a container and exposes the workspace's files.
// Manager.Sandbox makes them. It is safe for concurrent use.
type Sandbox struct {
	m         *Manager
	b         *box
	dir       *sandbox.Dir
	workspace string

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ sandbox.Sandbox = (*Sandbox)(nil)

// Exec runs req.Command with sh -c in the container, as Config.User, in
// /workspace (or req.Dir under it). A container that died or was reaped is
// recreated first. On timeout or when ctx ends, the command's process group
// and every process carrying its token are killed. With a copied workspace
// the host's changes are pushed before and the container's pulled after.
func (s *Sandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if s.closed.Load() || s.m.isClosed() {
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w: sandbox closed", sandbox.ErrUnavailable)
	}
	workdir, err := s.resolveDir(req.Dir)
	if err != nil {
		return sandbox.ExecResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("exec: %w", err)
	}
	return s.b.exec(ctx, req, workdir)
}

// exec runs req, recreating the container once if it is found gone before
// the command started.
func (b *box) exec(ctx context.Context, req sandbox.ExecRequest, workdir string) (sandbox.ExecResult, error) {
	b.busy.Add(1)
	defer b.busy.Add(-1)
	b.touch()
	defer b.touch()
	for attempt := 0; ; attempt++ {
		id, err := b.ensure(ctx, nil)
		if err != nil {
			return sandbox.ExecResult{}, err
		}
		res, err := b.execIn(ctx, id, req, workdir)
		var gone *goneError
		if errors.As(err, &gone) {
			b.invalidate(id)
			if gone.beforeStart && attempt == 0 {
				continue
			}
		}
		return res, err
	}
}

// resolveDir turns a request's Dir into a container path, checking on the
// host that it is a directory inside the workspace.
func (s *Sandbox) resolveDir(dir string) (string, error) {
	if dir == "" || dir == "." {
		return WorkDir, nil
	}
	fi, err := s.dir.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("exec: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("exec: %w", &fs.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR})
	}
	return path.Join(WorkDir, dir), nil
}

// Files returns the workspace's files: the host directory through
// sandbox.Dir (with a copied workspace, the host copy, kept in step around
// every command).
func (s *Sandbox) Files() sandbox.Files { return s.dir }

// Info describes the sandbox: kind "docker", the host workspace, /workspace
// inside, the image and network mode, isolated.
func (s *Sandbox) Info() sandbox.Info {
	cfg := s.b.spec.Config
	return sandbox.Info{Kind: "docker", Workspace: s.workspace, WorkDir: WorkDir, Image: cfg.Image, Network: cfg.Network, Isolated: true}
}

// ContainerID returns the id of the container currently standing for the
// sandbox ("" between a reap and the next command).
func (s *Sandbox) ContainerID() string {
	id, _ := s.b.current()
	return id
}

// ContainerName returns the name of that container.
func (s *Sandbox) ContainerName() string {
	_, name := s.b.current()
	return name
}

// Close releases the sandbox. A run-scoped container is removed; a
// session-scoped one stays for the session's next run. It is idempotent;
// Exec after Close fails with sandbox.ErrUnavailable.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = errors.Join(s.m.release(s.b), s.dir.Close())
	})
	return s.closeErr
}
