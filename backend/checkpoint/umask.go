package checkpoint

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
)

// umask is the process's file mode creation mask as /proc/self/status says (Linux), read
// once; where it cannot be read, every bit (so a restore always sets modes itself).
var umask = sync.OnceValue(func() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return fs.ModePerm
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(n) & fs.ModePerm
			}
		}
	}
	return fs.ModePerm
})
