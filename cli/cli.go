// Package cli is Corral's command line: `corral` with no command opens the window, and each
// subcommand (`run`, `serve`, `trace`, `rules`, `version`, ...; `corral help` lists them) is
// headless.
//
// It parses flags, composes the backend for the command, and turns errors into exit codes.
// It knows no business logic of its own.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/egress"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/health"
)

// Exit codes shared by every command.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// Program is what main hands the command line: build identity, embedded assets and the
// process's streams and environment.
type Program struct {
	Version string
	Commit  string // VCS revision, when the build stamped one
	Assets  fs.FS  // built UI (frontend/dist)
	Icon    []byte // app icon PNG
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	// EgressResolver resolves host names for the egress proxy; nil is the system's
	// resolver. Only tests set it, to reach their own servers under made-up names.
	EgressResolver egress.Resolver
}

// errUsage marks a command-line mistake; Main prints the command's usage and exits 2.
var errUsage = errors.New("usage")

// command is one subcommand. setup registers its flags on fs and returns the function that
// runs it with the remaining positional arguments, so help can list flags without running.
type command struct {
	name    string
	args    string // positional arguments, for the usage line
	summary string
	setup   func(fs *flag.FlagSet, p *Program) func(ctx context.Context, args []string) error
}

// commands lists every subcommand, in the order help shows them.
func commands() []command {
	return []command{windowCommand, runCommand, resumeCommand, resolveCommand, approvalsCommand, approveCommand, denyCommand, rulesCommand, allowHostCommand,
		mcpCommand, runsCommand, showCommand, sessionsCommand, compactCommand, checkpointsCommand, restoreCommand, forkCommand, exportCommand, importCommand, replayCommand, sandboxCommand, serveCommand, doctorCommand, versionCommand}
}

// Main runs the command line with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, p *Program) int {
	name := windowCommand.name
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		return help(p, args)
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = &c
		}
	}
	if cmd == nil {
		fmt.Fprintf(p.Stderr, "corral: unknown command %q\n\n", name)
		usage(p.Stderr)
		return ExitUsage
	}
	fs := newFlagSet(cmd, p)
	run := cmd.setup(fs, p)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	err = run(ctx, positional)
	var exit *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(p.Stderr, "corral %s: %v\n", cmd.name, err)
		fs.Usage()
		return ExitUsage
	case errors.As(err, &exit):
		return exit.code
	default:
		fmt.Fprintf(p.Stderr, "corral: %v\n", err)
		return ExitError
	}
}

// parseInterspersed parses flags wherever they stand among the positional arguments, so
// `corral run "fix it" --json` works as well as `corral run --json "fix it"`. A "--" ends
// the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// Parse stops at the first non-flag argument, or after consuming "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func newFlagSet(cmd *command, p *Program) *flag.FlagSet {
	fs := flag.NewFlagSet("corral "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(p.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: corral %s\n\n%s\n\nFlags:\n", usageLine(cmd), cmd.summary)
		fs.PrintDefaults()
	}
	return fs
}

func usageLine(cmd *command) string {
	line := cmd.name + " [flags]"
	if cmd.name == windowCommand.name {
		line = "[flags]"
	}
	if cmd.args != "" {
		line += " " + cmd.args
	}
	return line
}

// help prints the overview, or one command's usage with every flag.
func help(p *Program, args []string) int {
	if len(args) == 0 {
		usage(p.Stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fs := newFlagSet(&c, p)
			fs.SetOutput(p.Stdout)
			c.setup(fs, p)
			fs.Usage()
			return ExitOK
		}
	}
	fmt.Fprintf(p.Stderr, "corral help: unknown command %q\n", args[0])
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Corral runs AI coding agents safely on your own machine.\n\nUsage:\n  corral [--data-dir DIR]        open the desktop window\n  corral COMMAND [flags] [args]\n\nCommands:\n")
	tw := newTable(w)
	for _, c := range commands() {
		if c.name != windowCommand.name {
			fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(tw, "  help\tshow this help, or a command's flags: corral help COMMAND\n")
	tw.Flush()
	fmt.Fprintf(w, "\nEvery command takes --data-dir DIR (default: $%s, else the per-user data directory).\nRun 'corral COMMAND -h' for a command's flags.\n", config.EnvHome)
}

// dataDirFlag registers --data-dir, which every command that touches data takes.
func dataDirFlag(fs *flag.FlagSet) *string {
	return fs.String("data-dir", "", "where Corral keeps its data (default: $"+config.EnvHome+", else the per-user data directory)")
}

// compose opens the runtime in the data directory and builds the bound services on it. The
// returned close releases the runtime.
func compose(ctx context.Context, p *Program, dataDirFlag, mode string) (*app.App, *engine, error) {
	eng, err := openEngine(ctx, p, dataDirFlag)
	if err != nil {
		return nil, nil, err
	}
	eng.longLived = true
	checker := &health.Checker{
		Build:         health.ReadBuild(p.Version, p.Commit),
		Mode:          mode,
		DataDir:       eng.dir,
		Getenv:        p.Getenv,
		Stored:        eng.storedKey,
		BaseURL:       eng.savedBaseURL,
		DockerTimeout: 3 * time.Second,
	}
	a := app.New(app.Config{Health: checker, Journal: eng.journal, Runner: eng.runner, Bus: eng.bus, Log: eng.log, Checkpoints: eng.checkpoints,
		Settings: app.SettingsConfig{
			DataDir: eng.dir.Path, Credentials: eng.creds, Getenv: p.Getenv,
			Containers: func(ctx context.Context) (app.ContainerManager, error) {
				m, err := eng.dockerManager(ctx, "")
				if err != nil {
					return nil, err
				}
				return m, nil
			},
		}})
	return a, eng, nil
}
