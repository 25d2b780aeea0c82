package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// The desktop window lives in its own binary, corral-desktop, which links GTK and WebKit
// (or the platform's webview); corral itself is headless, so every other command starts
// without loading them. `corral` with no command (a double click, the menu entry) hands the
// process over to corral-desktop with the same arguments. A binary built with the desktop
// tag opens the window itself.

// desktopEnv names the window binary explicitly (tests, unusual installs).
const desktopEnv = "CORRAL_DESKTOP"

// errNoDesktop means this headless corral found no window binary to hand over to.
var errNoDesktop = errors.New("the desktop window is not installed")

// desktopBinary finds corral-desktop: $CORRAL_DESKTOP, else beside this executable (a
// build tree, the Windows and macOS layouts), else in ../lib/corral (the Debian package's
// /usr/lib/corral).
func desktopBinary(getenv func(string) string) (string, error) {
	if p := getenv(desktopEnv); p != "" {
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoDesktop, err)
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	name := "corral-desktop"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir := filepath.Dir(self)
	tried := []string{filepath.Join(dir, name), filepath.Join(dir, "..", "lib", "corral", name)}
	for _, p := range tried {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no %s at %s or %s (install the corral package, build it with `make build`, or use `corral serve` for the UI in a browser)",
		errNoDesktop, name, tried[0], tried[1])
}
