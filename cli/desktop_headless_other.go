//go:build !desktop && !unix

package cli

import (
	"fmt"
	"os"
	"os/exec"
)

// hasWindow: this is the headless corral; the window is corral-desktop's.
const hasWindow = false

// handOver runs corral-desktop with the same arguments and waits for it (this platform
// cannot replace a process).
func handOver(p *Program) error {
	bin, err := desktopBinary(p.Getenv)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	return nil
}
