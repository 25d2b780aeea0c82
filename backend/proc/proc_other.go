//go:build !unix

package proc

import "os"

// Start is unknown on this platform.
func Start(int) string { return "" }

// Alive reports whether process pid runs; start is not checked here.
func Alive(pid int, _ string) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	// On Windows FindProcess opens the process: success means it exists.
	_ = p.Release()
	return true
}
