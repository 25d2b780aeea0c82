//go:build unix

package proc

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Start returns when process pid started, in clock ticks since boot as /proc/PID/stat has
// it, or "" where there is no /proc (or no such process). Together with the pid it names one
// process even after the pid is reused.
func Start(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	// The command name (field 2) is in parentheses and may hold spaces or ')': the fields
	// after it start past the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:]) // fields[0] is field 3 (state) ... starttime is field 22
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// Alive reports whether process pid, started at start (as Start returns it; "" if unknown),
// still runs on this machine.
func Alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if start == "" {
		return true
	}
	now := Start(pid)
	return now == "" || now == start
}
