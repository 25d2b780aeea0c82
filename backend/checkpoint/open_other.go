//go:build !unix

package checkpoint

// noFollow and directoryOnly have no equivalent here; the scan checks entry
// types from the directory listing instead.
const (
	noFollow      = 0
	directoryOnly = 0
)
