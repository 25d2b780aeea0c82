package workspace

import (
	"io/fs"
	"os"
	"time"

	"github.com/corral-dev/corral/backend/walk"
)

// statEntries calls fn with the metadata of each entry of the directory
// dir that still exists (walk.StatAt: relative to the directory, into one
// buffer, about twice as fast as os.Lstat on full paths).
func statEntries(dir string, entries []fs.DirEntry, fn func(e fs.DirEntry, st fileStat)) {
	f, err := os.Open(dir)
	if err != nil {
		statEntriesPortable(entries, fn)
		return
	}
	defer f.Close()
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	walk.StatAt(f, names, func(i int, in walk.Info) {
		st := fileStat{size: in.Size, modTime: time.Unix(0, in.MTime)}
		switch {
		case in.Mode.IsDir():
			st.kind = kindDir
		case in.Mode&fs.ModeSymlink != 0:
			st.kind = kindSymlink
		}
		fn(entries[i], st)
	})
}
