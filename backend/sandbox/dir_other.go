//go:build !unix

package sandbox

import (
	"io/fs"
	"os"
)

// dirOpenFlags open a directory for listing.
const dirOpenFlags = os.O_RDONLY

// readDir lists the open directory f.
func (d *Dir) readDir(_ string, f *os.File) ([]fs.DirEntry, error) { return f.ReadDir(-1) }

// linkCount returns 1: FileInfo carries no link count on this platform.
func linkCount(fs.FileInfo) uint64 { return 1 }
