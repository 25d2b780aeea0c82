//go:build !unix

package docker

import "os"

// owner is unknown on this platform.
func owner(os.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }
