//go:build !unix

package docker

import "os"

// owner is unknown on this platform.
func owner(os.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

// processStart is unknown on this platform.
func processStart(int) string { return "" }

// processAlive reports whether process pid runs; start is not checked here.
func processAlive(pid int, _ string) bool {
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
