//go:build !linux

package docker

import (
	"errors"
	"io/fs"
	"os"
)

// mkfifo is not supported here: FIFOs stay in the container.
func mkfifo(*os.Root, string, fs.FileMode) error { return errors.ErrUnsupported }
