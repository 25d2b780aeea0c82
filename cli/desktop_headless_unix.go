//go:build !desktop && unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// hasWindow: this is the headless corral; the window is corral-desktop's.
const hasWindow = false

// handOver replaces this process with corral-desktop, same arguments and environment, so
// the window's process is the one that was started (its pid, streams and signals).
func handOver(p *Program) error {
	bin, err := desktopBinary(p.Getenv)
	if err != nil {
		return err
	}
	if err := syscall.Exec(bin, os.Args, os.Environ()); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	return nil // not reached
}
