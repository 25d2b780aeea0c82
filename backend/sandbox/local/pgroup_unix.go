//go:build unix && !linux

package local

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the command in a new process group, so that it and
// everything it starts can be killed together, and ties it to Corral's life.
// (On Linux the launcher's own SysProcAttr does both: confine_linux.go.)
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
}
