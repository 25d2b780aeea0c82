//go:build unix

package docker

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// owner returns the uid and gid owning the file fi describes.
func owner(fi os.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// processStart returns when process pid started, in clock ticks since boot
// as /proc/PID/stat has it, or "" where there is no /proc. Together with
// the pid it names one process even after the pid is reused.
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	// After "pid (comm)" come state (field 3) ... starttime (field 22).
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// processAlive reports whether process pid, started at start (as
// processStart returns it; "" if unknown), is still running on this host.
func processAlive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if start == "" {
		return true
	}
	now := processStart(pid)
	return now == "" || now == start
}
