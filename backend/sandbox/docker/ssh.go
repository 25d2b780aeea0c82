package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// sshClient makes a client for an ssh:// engine address the way the docker
// CLI reaches one: every connection is `ssh HOST docker system dial-stdio`
// (the remote machine needs the docker CLI; ssh must log in without a
// prompt, e.g. with an agent or a key). connectTimeout bounds the ssh
// connection.
func sshClient(host string, connectTimeout time.Duration) (*client.Client, error) {
	u, err := url.Parse(host)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("docker: bad ssh engine address %q", host)
	}
	args := []string{"-T", "-o", "BatchMode=yes", "-o", fmt.Sprintf("ConnectTimeout=%d", max(1, int(connectTimeout.Seconds())))}
	if u.User != nil && u.User.Username() != "" {
		args = append(args, "-l", u.User.Username())
	}
	if u.Port() != "" {
		args = append(args, "-p", u.Port())
	}
	args = append(args, "--", u.Hostname(), "docker", "system", "dial-stdio")
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dialCommand(ctx, host, "ssh", args...)
	}
	return client.New(client.FromEnv, client.WithHost("http://docker.example.com"), client.WithDialContext(dial))
}

// dialCommand starts a command and speaks to it through its stdin and
// stdout as a connection.
func dialCommand(ctx context.Context, host, name string, args ...string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &cmdConn{cmd: cmd, stdin: stdin, stdout: stdout, stderr: sandbox.NewLimitedBuffer(4096), host: host}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return c, nil
}

// cmdConn is a net.Conn over a command's stdin and stdout. Deadlines are
// not supported; the HTTP client's contexts close the connection instead.
type cmdConn struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stdout    io.ReadCloser
	stderr    *sandbox.LimitedBuffer
	host      string
	closeOnce sync.Once
}

func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if errors.Is(err, io.EOF) && n == 0 {
		if msg := strings.TrimSpace(c.stderr.String()); msg != "" {
			return 0, fmt.Errorf("%w: %s", io.ErrUnexpectedEOF, lastLines(msg, 3))
		}
	}
	return n, err
}

func (c *cmdConn) Write(p []byte) (int, error) { return c.stdin.Write(p) }

// CloseWrite closes the command's stdin, as a hijacked exec stream needs.
func (c *cmdConn) CloseWrite() error { return c.stdin.Close() }

func (c *cmdConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr              { return cmdAddr("local") }
func (c *cmdConn) RemoteAddr() net.Addr             { return cmdAddr(c.host) }
func (c *cmdConn) SetDeadline(time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(time.Time) error { return nil }

type cmdAddr string

func (a cmdAddr) Network() string { return "cmd" }
func (a cmdAddr) String() string  { return string(a) }
