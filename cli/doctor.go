package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/corral-dev/corral/backend/health"
)

var doctorCommand = command{
	name:    "doctor",
	summary: "report what confines local commands on this machine, and the Docker engine",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		asJSON := fs.Bool("json", false, "print the health report as a JSON object")
		dataDir := dataDirFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: doctor takes no arguments", errUsage)
			}
			dir, err := resolveDataDir(p, *dataDir)
			if err != nil {
				return err
			}
			checker := &health.Checker{
				Build:         health.ReadBuild(p.Version, p.Commit),
				Mode:          "cli",
				DataDir:       dir,
				Getenv:        p.Getenv,
				DockerTimeout: 3 * time.Second,
			}
			r := checker.Check(ctx)
			if *asJSON {
				return json.NewEncoder(p.Stdout).Encode(r)
			}
			return printDoctor(p, r)
		}
	},
}

// printDoctor writes the report for a person: one line per protection, a
// loud warning for each that is missing.
func printDoctor(p *Program, r health.Report) error {
	w := p.Stdout
	fmt.Fprintf(w, "corral %s on %s/%s\n\n", r.Version, r.OS, r.Arch)
	ls := r.LocalSandbox
	abi := "no Landlock"
	if ls.LandlockABI > 0 {
		abi = fmt.Sprintf("Landlock ABI %d", ls.LandlockABI)
	}
	fmt.Fprintf(w, "Local sandbox: %s (%s)\n", ls.Mechanism, abi)
	if ls.Launcher != "" {
		fmt.Fprintf(w, "  launcher: %s\n", ls.Launcher)
	}
	for _, pr := range ls.Protections {
		mark := "active "
		if !pr.Active {
			mark = "MISSING"
		}
		fmt.Fprintf(w, "  %s  %-18s %s\n", mark, pr.Name, pr.Detail)
	}
	if missing := ls.Missing(); len(missing) > 0 {
		fmt.Fprintf(w, "\nWARNING: %d protection(s) missing: local commands are less confined than Corral's security notes say.\n", len(missing))
		fmt.Fprintln(w, "         Prefer the Docker sandbox, or an approval policy that asks for every command.")
	}
	fmt.Fprintln(w)
	if r.Docker.Reachable {
		fmt.Fprintf(w, "Docker: engine %s at %s\n", r.Docker.Version, r.Docker.Host)
	} else {
		fmt.Fprintf(w, "Docker: not available: %s\n", r.Docker.Error)
	}
	_, err := fmt.Fprintf(w, "Data: %s (%s)\n", r.DataDir, r.DataDirSource)
	return err
}
