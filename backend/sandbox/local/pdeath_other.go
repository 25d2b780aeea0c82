//go:build unix && !linux

package local

import "syscall"

// dieWithParent has no portable equivalent outside Linux; the process group kill on
// timeout and cancel still applies.
func dieWithParent(*syscall.SysProcAttr) {}
