//go:build unix

package checkpoint

import "syscall"

// noFollow and directoryOnly are open flags: never follow a link in the
// last element; fail unless it is a directory.
const (
	noFollow      = syscall.O_NOFOLLOW
	directoryOnly = syscall.O_DIRECTORY
)
