//go:build !linux && !darwin

package local

import (
	"errors"
	"os/exec"
	"runtime"
)

// launchStatus is unused outside Linux: commands start directly.
type launchStatus struct{}

func (*launchStatus) abandon()     {}
func (*launchStatus) check() error { return nil }

// command makes the process that runs argv (argv[0] a path) with env: the
// program itself, in its own process group.
func (s *Sandbox) command(argv, env []string) (*exec.Cmd, *launchStatus, error) {
	if s.egress != "" {
		return nil, nil, errors.New("the egress proxy needs Linux network namespaces")
	}
	cmd := &exec.Cmd{Path: argv[0], Args: argv}
	cmd.Env = env
	setProcessGroup(cmd)
	return cmd, nil, nil
}

// networkOff is false: nothing cuts commands off the network here.
func networkOff() bool { return false }

func probe() Confinement {
	detail := "not confined on " + runtime.GOOS + ": a command can read and write whatever the user can, reach the network, and leave processes behind that a process group kill misses"
	c := Confinement{Mechanism: "none"}
	for _, name := range []string{"process tree", "private /proc", "network off", "filesystem writes", "signal scoping"} {
		c.Protections = append(c.Protections, Protection{Name: name, Detail: detail})
	}
	return c
}

// Forwarder fails: the egress forwarder is a Linux binary, and Docker's
// egress needs a local engine on Linux.
func Forwarder() (string, error) {
	return "", errors.New("egress forwarder: the Docker sandbox's egress needs Corral on Linux")
}
