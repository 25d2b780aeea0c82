package sandbox

import (
	"errors"
	"io/fs"
	"strings"
)

// Sentinel errors.
var (
	// ErrOutsideWorkspace means a path would reach outside the workspace:
	// an absolute path, a ".." climbing above it, a symbolic link leading
	// out, or a write through a file with several hard links.
	ErrOutsideWorkspace = errors.New("sandbox: path is outside the workspace")
	// ErrUnavailable means the sandbox's infrastructure failed: the
	// container engine is down, the container is gone, the sandbox was
	// closed. It is never about the command or the file asked for.
	ErrUnavailable = errors.New("sandbox: unavailable")
)

// outside returns the error for name reaching outside the workspace.
func outside(op, name, why string) error {
	err := ErrOutsideWorkspace
	if why != "" {
		err = &whyError{err: ErrOutsideWorkspace, why: why}
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// whyError adds an explanation to a sentinel while keeping errors.Is.
type whyError struct {
	err error
	why string
}

func (e *whyError) Error() string { return e.err.Error() + " (" + e.why + ")" }
func (e *whyError) Unwrap() error { return e.err }

// osRootEscape is the text of os.Root's unexported escape error; os
// exports no sentinel for it.
const osRootEscape = "path escapes from parent"

// isRootEscape reports whether err is os.Root refusing a path that leaves
// the root.
func isRootEscape(err error) bool {
	for err != nil {
		if err.Error() == osRootEscape {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// checkName validates a Files name: fs.ValidPath, with absolute names and
// names climbing out through ".." reported as ErrOutsideWorkspace.
func checkName(op, name string) error {
	if fs.ValidPath(name) {
		return nil
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return outside(op, name, "absolute path")
	}
	for elem := range strings.SplitSeq(name, "/") {
		if elem == ".." {
			return outside(op, name, `".." element`)
		}
	}
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
}
