package journal

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// processStart identifies a process run beyond its pid: the machine's boot id and the
// process's start time in clock ticks after boot (field 22 of /proc/PID/stat). "" when
// unreadable.
func processStart(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces or ')': the fields
	// after it start past the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(stat[i+1:]))
	const startField = 22 - 3 // fields[0] is field 3 (state)
	if len(fields) <= startField {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + fields[startField]
}

// otherProcessAlive checks another process of this machine through /proc.
func otherProcessAlive(o Owner) (alive, known bool) {
	if o.PID <= 0 || o.Start == "" {
		return false, false
	}
	bootID, _, _ := strings.Cut(o.Start, "/")
	if self := selfStart(); self != "" {
		if cur, _, _ := strings.Cut(self, "/"); cur != bootID {
			return false, true // the machine rebooted since
		}
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(o.PID)); errors.Is(err, fs.ErrNotExist) {
		return false, true
	}
	start := processStart(o.PID)
	if start == "" {
		return false, true // it ended while we looked
	}
	return start == o.Start, true
}
