package local

import (
	_ "embed"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// seatbeltProfile is the Seatbelt (sandbox-exec) profile of local commands;
// profile adds the sandbox's writable paths and the network rules.
//
//go:embed seatbelt.sb
var seatbeltProfile string

// sandboxExec is macOS's Seatbelt front end. Apple marks it deprecated but
// ships it, and it is what browsers' and build tools' sandboxes use.
const sandboxExec = "/usr/bin/sandbox-exec"

// launchStatus is unused on macOS: sandbox-exec reports its own failures.
type launchStatus struct{}

func (*launchStatus) abandon()     {}
func (*launchStatus) check() error { return nil }

func seatbeltAvailable() bool {
	_, err := os.Stat(sandboxExec)
	return err == nil
}

// profile returns the Seatbelt profile for s.
func (s *Sandbox) profile() string {
	var b strings.Builder
	b.WriteString(seatbeltProfile)
	b.WriteString("(allow file-write*")
	for _, p := range s.writable {
		b.WriteString(" (subpath " + sbplString(p) + ")")
	}
	b.WriteString(")\n")
	if !s.network {
		b.WriteString("(deny network-outbound (remote ip))\n(deny network-bind (local ip))\n")
	}
	return b.String()
}

// sbplString quotes s as an SBPL string literal.
func sbplString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// command makes the process that runs argv (argv[0] a path) with env:
// under sandbox-exec with s's profile, in its own process group.
func (s *Sandbox) command(argv, env []string) (*exec.Cmd, *launchStatus, error) {
	if s.egress != "" {
		return nil, nil, errors.New("the egress proxy needs Linux network namespaces")
	}
	cmd := &exec.Cmd{Path: argv[0], Args: argv}
	if seatbeltAvailable() {
		cmd = exec.Command(sandboxExec, append([]string{"-p", s.profile()}, argv...)...)
	}
	cmd.Env = env
	setProcessGroup(cmd)
	return cmd, nil, nil
}

// networkOff reports whether the profile cuts commands off the network.
func networkOff() bool { return seatbeltAvailable() }

func probe() Confinement {
	if !seatbeltAvailable() {
		c := Confinement{Mechanism: "none"}
		for _, name := range []string{"process tree", "private /proc", "network off", "filesystem writes", "signal scoping"} {
			c.Protections = append(c.Protections, Protection{Name: name, Detail: sandboxExec + " is missing: commands are not confined"})
		}
		return c
	}
	return Confinement{Mechanism: "seatbelt", Launcher: sandboxExec, Protections: []Protection{
		{Name: "process tree", Detail: "process group only: a command that calls setsid outlives it, and nothing dies with Corral"},
		{Name: "private /proc", Active: true, Detail: "no /proc on macOS; the profile denies inspecting other processes (arguments, environment)"},
		{Name: "network off", Active: true, Detail: "the Seatbelt profile denies IP connections and binds"},
		{Name: "filesystem writes", Active: true, Detail: "the Seatbelt profile allows writes only in the workspace, its temp dir, HOME and added paths"},
		{Name: "signal scoping", Active: true, Detail: "the Seatbelt profile denies signals to processes outside the sandbox"},
	}}
}

// Forwarder fails: the egress forwarder is a Linux binary, and Docker's
// egress needs a local engine on Linux.
func Forwarder() (string, error) {
	return "", errors.New("egress forwarder: the Docker sandbox's egress needs Corral on Linux")
}
