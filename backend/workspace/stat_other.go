//go:build !linux

package workspace

import "io/fs"

// statEntries calls fn with the metadata of each entry of the directory
// dir that still exists.
func statEntries(_ string, entries []fs.DirEntry, fn func(e fs.DirEntry, st fileStat)) {
	statEntriesPortable(entries, fn)
}
