package docker

import (
	"context"
	"fmt"
	"path"
	"strconv"

	"github.com/corral-dev/corral/backend/egress"
)

// Where Egress's host files appear in a container.
const (
	egressSocketDir = "/run/corral-egress"
	egressBinDir    = "/run/corral-egress-bin"
	// forwarderName must be the launcher's ForwarderName (backend/sandbox/local): the
	// binary becomes the forwarder by its argv[0].
	forwarderName = "corral-egress-forward"
)

// Egress is how a container's commands reach the egress proxy (see
// Config.Egress).
type Egress struct {
	// SocketDir is the host directory holding the proxy's Unix socket
	// SocketName; it is mounted read-only. Keep it stable for a session, so
	// that another process serving the proxy there can adopt the container.
	SocketDir string `json:"socketDir"`
	// SocketName is the socket's file name in SocketDir (default "proxy.sock").
	SocketName string `json:"socketName,omitempty"`
	// Forwarder is a static Linux binary of Corral's sandbox launcher
	// (corral-sandbox-init, or a CGO-free corral), mounted read-only and run
	// as the forwarder.
	Forwarder string `json:"forwarder"`
	// Port is the forwarder's port on the container's 127.0.0.1 (default 3128).
	Port int `json:"port,omitempty"`
}

func (e Egress) socket() string {
	if e.SocketName == "" {
		return "proxy.sock"
	}
	return e.SocketName
}

func (e Egress) port() int {
	if e.Port == 0 {
		return 3128
	}
	return e.Port
}

func (e Egress) mounts() []Mount {
	return []Mount{{Source: e.SocketDir, Target: egressSocketDir}, {Source: e.Forwarder, Target: path.Join(egressBinDir, forwarderName)}}
}

func (e Egress) env() []string {
	return egress.Env("http://127.0.0.1:" + strconv.Itoa(e.port()))
}

// forwarderArgv starts the forwarder; it exits 0 once something listens.
func (e Egress) forwarderArgv() []string {
	return []string{path.Join(egressBinDir, forwarderName), strconv.Itoa(e.port()), path.Join(egressSocketDir, e.socket())}
}

// startForwarder makes sure container id's forwarder listens, once per box
// and container: after a create, and after an adoption (the forwarder may
// have died with nothing to restart it).
func (b *box) startForwarder(ctx context.Context, id string) error {
	e := b.spec.Config.Egress
	if e == nil || b.forwarding == id {
		return nil
	}
	code, out, err := b.run(ctx, id, e.forwarderArgv())
	if err != nil {
		return fmt.Errorf("docker: start the egress forwarder: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("docker: start the egress forwarder: exit %d: %s", code, out)
	}
	b.forwarding = id
	return nil
}
