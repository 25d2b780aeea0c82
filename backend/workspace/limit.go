package workspace

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollWarning explains why a Watcher polls, and on Linux how to raise the
// limit that made it.
func pollWarning(cause error, every time.Duration) string {
	polling := "watching by polling every " + every.String()
	linux := runtime.GOOS == "linux"
	switch {
	case linux && errors.Is(cause, syscall.ENOSPC):
		const setting = "fs.inotify.max_user_watches"
		n := readSysctl(setting)
		return fmt.Sprintf("the system's inotify watch limit (%s) is reached; %s. Raise it with: sudo sysctl %s=%d",
			describe(setting, n), polling, setting, raise(n, 524288))
	case linux && errors.Is(cause, syscall.EMFILE):
		const setting = "fs.inotify.max_user_instances"
		n := readSysctl(setting)
		return fmt.Sprintf("the system's inotify instance limit (%s) or the open file limit is reached; %s. Raise it with: sudo sysctl %s=%d",
			describe(setting, n), polling, setting, raise(n, 1024))
	case errors.Is(cause, syscall.EMFILE):
		return "too many open files to watch the workspace; " + polling
	}
	return fmt.Sprintf("watching the workspace failed (%v); %s", cause, polling)
}

// readSysctl returns the value of a numeric sysctl setting, or -1.
func readSysctl(setting string) int {
	data, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(setting, ".", "/"))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return -1
	}
	return n
}

func describe(setting string, n int) string {
	if n < 0 {
		return setting
	}
	return fmt.Sprintf("%s = %d", setting, n)
}

// raise suggests a new value for a limit currently n.
func raise(n, floor int) int {
	if n >= floor {
		return 2 * n
	}
	return floor
}

// isLimit reports whether err is the system refusing another watch or
// inotify instance.
func isLimit(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE)
}
