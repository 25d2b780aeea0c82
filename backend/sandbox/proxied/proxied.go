// Package proxied puts a sandbox behind the egress proxy: it serves an
// egress.Proxy on a Unix socket in a private directory, opens the sandbox
// with that socket as its only way out (the local sandbox's network
// namespace, the Docker sandbox's forwarder), and gives every command's
// result the connections it attempted (sandbox.ExecResult.Egress).
//
// Package proxied must not know about runs, rules or the journal: the
// caller builds the policy and records the results.
package proxied

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/sandbox"
)

// SocketName is the proxy's socket in the directory Open hands to open.
const SocketName = "proxy.sock"

// quietWait bounds how long Exec waits, after the command, for the proxy's
// open connections to end (a background process may keep one open; its
// event then goes with the next command).
const quietWait = 2 * time.Second

// Sandbox is a sandbox whose commands reach out only through its proxy.
type Sandbox struct {
	sandbox.Sandbox
	proxy *egress.Proxy
	dir   string
	serve chan error

	mu      sync.Mutex
	pending []egress.Event
	onEvent func(egress.Event)
	// running holds the Egress callbacks of the commands running now; a
	// connection goes to each, as the proxy cannot tell which made it.
	running map[*sandbox.ExecRequest]func(egress.Event)

	closeOnce sync.Once
	closeErr  error
}

var _ sandbox.Sandbox = (*Sandbox)(nil)

// Open serves a proxy with opts on a Unix socket (mode 0666 in a 0755
// directory of its own, since a container's user is not Corral's) and
// opens the sandbox with open(dir, socket). opts.OnEvent, if set, still
// sees each event as it ends (a live console); Exec results get them too.
func Open(opts egress.Options, open func(dir, socket string) (sandbox.Sandbox, error)) (*Sandbox, error) {
	dir, err := os.MkdirTemp("", "corral-egress-")
	if err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	s := &Sandbox{dir: dir, onEvent: opts.OnEvent, serve: make(chan error, 1), running: map[*sandbox.ExecRequest]func(egress.Event){}}
	fail := func(err error) (*Sandbox, error) {
		if s.proxy != nil {
			_ = s.proxy.Close() // err, why Open failed, is the one to report
		}
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(fmt.Errorf("egress: %w", err))
	}
	sock := filepath.Join(dir, SocketName)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return fail(fmt.Errorf("egress: listen: %w", err))
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		l.Close()
		return fail(fmt.Errorf("egress: %w", err))
	}
	opts.OnEvent = s.event
	s.proxy = egress.New(opts)
	go func() { s.serve <- s.proxy.Serve(l) }()
	inner, err := open(dir, sock)
	if err != nil {
		return fail(err)
	}
	s.Sandbox = inner
	return s, nil
}

func (s *Sandbox) event(ev egress.Event) {
	s.mu.Lock()
	s.pending = append(s.pending, ev)
	live := make([]func(egress.Event), 0, len(s.running))
	for _, f := range s.running {
		live = append(live, f)
	}
	s.mu.Unlock()
	for _, f := range live {
		f(ev)
	}
	if s.onEvent != nil {
		s.onEvent(ev)
	}
}

// Exec runs the command and adds the connections attempted since the
// previous command ended to its result; req.Egress sees each as it ends.
func (s *Sandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	key := &req
	if req.Egress != nil {
		s.mu.Lock()
		s.running[key] = req.Egress
		s.mu.Unlock()
	}
	res, err := s.Sandbox.Exec(ctx, req)
	qctx, cancel := context.WithTimeout(context.Background(), quietWait)
	_ = s.proxy.Quiet(qctx)
	cancel()
	s.mu.Lock()
	delete(s.running, key)
	res.Egress, s.pending = s.pending, nil
	s.mu.Unlock()
	return res, err
}

// Start starts a program when the sandbox inside can (sandbox.Starter).
func (s *Sandbox) Start(ctx context.Context, req sandbox.StartRequest) (*sandbox.Process, error) {
	st, ok := s.Sandbox.(sandbox.Starter)
	if !ok {
		return nil, errors.New("egress: this sandbox cannot start programs")
	}
	return st.Start(ctx, req)
}

// SetPolicy changes the policy for connections from now on (a host allowed
// while the run goes on).
func (s *Sandbox) SetPolicy(p egress.Policy) { s.proxy.SetPolicy(p) }

// Close closes the sandbox, then the proxy, and removes the socket's
// directory. It is idempotent.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.Sandbox.Close()
		if err := s.proxy.Close(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		if err := <-s.serve; !errors.Is(err, egress.ErrClosed) && err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		if err := os.RemoveAll(s.dir); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}
