// Command corral-sandbox-init is the launcher of Corral's local sandbox as a
// small static binary: Corral runs each local command through it when it is
// installed next to the corral binary, because re-executing the desktop
// binary itself loads GTK and WebKit (about 150 ms) for every command.
//
// The launcher's code lives in backend/sandbox/local and runs from that
// package's init when Corral starts this binary; run by hand, it only says
// what it is.
package main

import (
	"fmt"
	"os"

	// The launcher: entered from the package's init when Corral starts it.
	_ "github.com/corral-dev/corral/backend/sandbox/local"
)

func main() {
	fmt.Fprintln(os.Stderr, "corral-sandbox-init: Corral's local sandbox launcher; Corral starts it, people need not")
	os.Exit(2)
}
