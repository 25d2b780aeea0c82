package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

var _ sandbox.Starter = (*Sandbox)(nil)

// startStopGrace is how long Stop lets a program exit once its stdin is
// closed before killing it.
const startStopGrace = 2 * time.Second

// Start runs a long-lived program (an MCP server) in the container, as
// Config.User, in /workspace, with the container's network (none unless
// the run allows one) and its stdin attached: Corral writes to it, and
// when Corral dies the engine closes it, so the program sees EOF. Stop
// closes stdin, then kills the program and everything carrying its
// CORRAL_EXEC token. While it runs the container is busy (never reaped).
// With a copied workspace, the host's files are pushed first; what the
// program writes stays in the container until the next command pulls.
func (s *Sandbox) Start(ctx context.Context, req sandbox.StartRequest) (*sandbox.Process, error) {
	if s.closed.Load() || s.m.isClosed() {
		return nil, fmt.Errorf("start: %w: sandbox closed", sandbox.ErrUnavailable)
	}
	if len(req.Argv) == 0 {
		return nil, errors.New("start: no program")
	}
	b := s.b
	id, err := b.ensure(ctx, nil)
	if err != nil {
		return nil, err
	}
	if b.sync != nil {
		if err := b.sync.push(ctx, b, id); err != nil {
			return nil, err
		}
	}
	tok := randomHex(8)
	env := append([]string{"PWD=" + WorkDir, "CORRAL_EXEC=" + tok}, req.Env...)
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	created, err := b.m.cli.ExecCreate(opCtx, id, client.ExecCreateOptions{
		User:         b.spec.Config.User,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Env:          env,
		WorkingDir:   WorkDir,
		Cmd:          req.Argv,
	})
	if err != nil {
		return nil, b.startError(ctx, id, "create exec", err)
	}
	att, err := b.m.cli.ExecAttach(opCtx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, b.startError(ctx, id, "start exec", err)
	}
	b.busy.Add(1)
	b.touch()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	done := make(chan struct{})
	go func() {
		_, err := stdcopy.StdCopy(outW, errW, att.Reader)
		outW.CloseWithError(err)
		errW.CloseWithError(err)
		b.busy.Add(-1)
		b.touch()
		close(done)
	}()
	var once sync.Once
	stop := func() error {
		once.Do(func() {
			_ = att.CloseWrite()
			t := time.NewTimer(startStopGrace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
			}
			b.kill(id, tok)
			att.Close()
			<-done
		})
		return nil
	}
	return &sandbox.Process{Stdin: stdinWriter{att: att}, Stdout: outR, Stderr: errR, Done: done, Stop: stop}, nil
}

// stdinWriter writes to an attached exec's stdin; Close half-closes the
// connection, which the program reads as EOF.
type stdinWriter struct{ att client.ExecAttachResult }

func (w stdinWriter) Write(p []byte) (int, error) { return w.att.Conn.Write(p) }
func (w stdinWriter) Close() error                { return w.att.CloseWrite() }
