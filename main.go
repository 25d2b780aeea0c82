// Command corral runs AI coding agents safely on your own machine: a desktop window with no
// arguments, a headless command line with them (see `corral help`).
//
// main is the composition root's entry: it embeds the built UI and the icon and hands the
// process's streams to the command line.
package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/corral-dev/corral/cli"
)

//go:embed all:frontend/dist
var dist embed.FS

//go:embed build/linux/icons/hicolor/256x256/apps/corral.png
var icon []byte

// version and commit are stamped at link time:
// -ldflags "-X main.version=0.1.0 -X main.commit=$(git rev-parse --short=12 HEAD)".
var version, commit string

func main() {
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		fmt.Fprintf(os.Stderr, "corral: embedded UI: %v\n", err)
		os.Exit(cli.ExitError)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Program{
		Version: version,
		Commit:  commit,
		Assets:  assets,
		Icon:    icon,
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
	})
	stop()
	os.Exit(code)
}
