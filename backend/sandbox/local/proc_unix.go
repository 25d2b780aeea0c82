//go:build unix

package local

import (
	"os"
	"syscall"
)

// killGroup kills the process group led by p. After the leader has exited
// the group lives on while any member does, and its id is not reused
// meanwhile; once it is empty the kill finds nothing.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// exitCode returns the exit status, or 128+N for a process killed by signal
// N, as shells report it.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
