package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/health"
	"github.com/corral-dev/corral/backend/server"
)

var windowCommand = command{
	name:    "window",
	summary: "open the desktop window (what `corral` with no command does)",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		autoResume := autoResumeFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			if !hasWindow {
				return handOver(p)
			}
			windowGC(p.Getenv)
			a, eng, err := compose(ctx, p, *dataDir, "desktop")
			if err != nil {
				return err
			}
			defer eng.close()
			defer eng.startSweep(ctx)()
			if *autoResume {
				defer eng.startRecovery(ctx)()
			}
			return a.RunWindow(app.Window{Title: "Corral", Assets: p.Assets, Icon: p.Icon})
		}
	},
}

// windowGCPercent is the window process's GC target. Its live Go heap is small (3-7 MB with
// a 1,000-step run open) while what it serves to the page (a run's steps, a trace) comes in
// bursts; at the default 100 the heap it keeps between collections was about 7 MiB more
// (BenchmarkWindow, docs/ARCHITECTURE.md "Scale and footprint"), for a collection of a few
// MB that costs about a millisecond.
const windowGCPercent = 25

// windowGC sets the window's GC target unless GOGC chooses one.
func windowGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(windowGCPercent)
	}
}

var serveCommand = command{
	name:    "serve",
	summary: "serve the UI and API to a browser on loopback, guarded by a one-time token",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		addr := fs.String("addr", "127.0.0.1:7777", "address to listen on; port 0 picks a free port")
		allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr (dangerous: the token is then all that guards this machine)")
		autoResume := autoResumeFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			a, eng, err := compose(ctx, p, *dataDir, "serve")
			if err != nil {
				return err
			}
			defer eng.close()
			srv, err := server.New(server.Options{Assets: p.Assets, Services: a.Bindings(), AllowRemote: *allowRemote})
			if err != nil {
				return err
			}
			l, err := server.Listen(*addr, *allowRemote)
			if err != nil {
				return err
			}
			if *allowRemote {
				fmt.Fprintf(p.Stderr, "corral serve: WARNING: remote access allowed on %s; anyone with the token below can run agents and commands on this machine\n", l.Addr())
			}
			defer a.Start(ctx, srv)()
			defer eng.startSweep(ctx)()
			if *autoResume {
				defer eng.startRecovery(ctx)()
			}
			fmt.Fprintf(p.Stdout, "Corral %s serving %s\n%s\nOpen that URL in a browser. Press Ctrl+C to stop.\n", health.ReadBuild(p.Version, p.Commit).Version, eng.dir.Path, srv.URL(l.Addr()))
			return srv.Serve(ctx, l)
		}
	},
}

var versionCommand = command{
	name:    "version",
	summary: "print the version, commit and platform",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		asJSON := fs.Bool("json", false, "print a JSON object")
		return func(ctx context.Context, args []string) error {
			b := health.ReadBuild(p.Version, p.Commit)
			if *asJSON {
				return json.NewEncoder(p.Stdout).Encode(map[string]string{
					"version": b.Version, "commit": b.Commit, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH,
				})
			}
			commit := b.Commit
			if commit == "" {
				commit = "unknown"
			}
			_, err := fmt.Fprintf(p.Stdout, "corral %s (commit %s, %s, %s/%s)\n", b.Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		}
	},
}

func autoResumeFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("auto-resume", true, "resume runs a crash left running (--auto-resume=false to leave them for `corral resume`)")
}
