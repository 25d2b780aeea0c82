package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	units "github.com/docker/go-units"

	"github.com/corral-dev/corral/backend/sandbox/docker"
)

var sandboxCommand = command{
	name:    "sandbox",
	args:    "ls | rm ID... | prune",
	summary: "list, remove or prune Corral's Docker containers (DOCKER_HOST is honoured)",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		asJSON := fs.Bool("json", false, "ls: print JSON")
		return func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%w: want ls, rm ID... or prune", errUsage)
			}
			action, args := args[0], args[1:]
			if action != "rm" && len(args) > 0 {
				return fmt.Errorf("%w: %s takes no arguments", errUsage, action)
			}
			if action == "rm" && len(args) == 0 {
				return fmt.Errorf("%w: rm wants container ids or names (see corral sandbox ls)", errUsage)
			}
			m, err := docker.New(ctx, docker.Options{})
			if err != nil {
				return err
			}
			defer m.Close(context.WithoutCancel(ctx))
			switch action {
			case "ls":
				list, err := m.List(ctx)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(p.Stdout, list)
				}
				printContainers(p, list)
				return nil
			case "rm":
				for _, id := range args {
					if err := m.Remove(ctx, id); err != nil {
						return err
					}
					fmt.Fprintf(p.Stdout, "removed %s\n", id)
				}
				return nil
			case "prune":
				removed, err := m.Prune(ctx)
				if err != nil {
					return err
				}
				for _, c := range removed {
					fmt.Fprintf(p.Stdout, "removed %s (%.12s)\n", c.Name, c.ID)
				}
				fmt.Fprintf(p.Stdout, "%d container(s) removed\n", len(removed))
				return nil
			default:
				return fmt.Errorf("%w: unknown action %q (want ls, rm or prune)", errUsage, action)
			}
		}
	},
}

func printContainers(p *Program, list []docker.Container) {
	tw := newTable(p.Stdout)
	fmt.Fprintln(tw, "CONTAINER\tNAME\tSTATE\tSESSION\tRUN\tSCOPE\tIMAGE\tAGE\tSIZE\tOWNER")
	for _, c := range list {
		fmt.Fprintf(tw, "%.12s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.State, c.Session, c.Run, c.Scope, c.Image,
			units.HumanDuration(time.Since(c.Created)), units.HumanSize(float64(c.Size)), c.OwnerText())
	}
	tw.Flush()
}
