//go:build !unix

package local

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing: process groups are a Unix notion.
func setProcessGroup(*exec.Cmd) {}

// killGroup kills p only; its children may survive.
func killGroup(p *os.Process) { _ = p.Kill() }

// exitCode returns the exit status.
func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }
