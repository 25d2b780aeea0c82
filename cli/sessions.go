package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
)

var sessionsCommand = command{
	name:    "sessions",
	args:    "[rename ID TITLE | rm ID]",
	summary: "list sessions (most recently active first), rename one, or delete one with its runs",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		asJSON := fs.Bool("json", false, "list: print JSON")
		keep := fs.Bool("keep-workspace", false, "rm: keep the session's workspace directory (the default)")
		remove := fs.Bool("remove-workspace", false, "rm: also delete the workspace directory Corral created for the session")
		confirm := fs.String("confirm-workspace", "", "rm: with --remove-workspace, the workspace's path, to delete a directory you chose with --workspace (Corral did not create it)")
		return func(ctx context.Context, args []string) error {
			action := "ls"
			if len(args) > 0 {
				action, args = args[0], args[1:]
			}
			switch {
			case action == "ls" && len(args) > 0:
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			case action == "rename" && len(args) != 2:
				return fmt.Errorf("%w: want rename ID TITLE (quote the title)", errUsage)
			case action == "rm" && len(args) != 1:
				return fmt.Errorf("%w: want rm ID", errUsage)
			case action != "ls" && action != "rename" && action != "rm":
				return fmt.Errorf("%w: unknown action %q (want rename ID TITLE or rm ID; no action lists)", errUsage, action)
			case action != "rm" && (*keep || *remove || *confirm != ""):
				return fmt.Errorf("%w: --keep-workspace, --remove-workspace and --confirm-workspace are for rm", errUsage)
			case *keep && *remove:
				return fmt.Errorf("%w: --keep-workspace and --remove-workspace contradict each other", errUsage)
			case *confirm != "" && !*remove:
				return fmt.Errorf("%w: --confirm-workspace goes with --remove-workspace", errUsage)
			}
			open := openEngine
			if action == "ls" {
				open = openReader
			}
			rt, err := open(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			switch action {
			case "rename":
				title, err := rt.runner.RenameSession(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(p.Stdout, "session %s renamed: %s\n", args[0], title)
				return nil
			case "rm":
				return removeSession(ctx, p, rt, args[0], agent.DeleteOptions{RemoveWorkspace: *remove, ConfirmWorkspace: *confirm})
			}
			return listSessions(ctx, p, rt, *asJSON)
		}
	},
}

func removeSession(ctx context.Context, p *Program, rt *engine, id string, opts agent.DeleteOptions) error {
	got, err := rt.runner.DeleteSession(ctx, id, opts)
	var busy *journal.SessionBusyError
	switch {
	case errors.As(err, &busy):
		return fmt.Errorf("%w\n  cancel it (Ctrl+C in its terminal, or Cancel in the window), then delete the session", err)
	case errors.Is(err, agent.ErrWorkspaceNotOwned):
		s, _ := rt.journal.Session(ctx, id)
		return fmt.Errorf("%w\n  nothing was deleted. To delete that directory anyway: corral sessions rm %s --remove-workspace --confirm-workspace %q\n  or keep it: corral sessions rm %s", err, id, s.Workspace, id)
	case err != nil:
		return fmt.Errorf("%w\n  nothing was deleted", err)
	}
	fmt.Fprintf(p.Stdout, "deleted session %s and %d run(s)\n", got.SessionID, len(got.Runs))
	switch {
	case got.Workspace == "":
	case got.WorkspaceRemoved:
		fmt.Fprintf(p.Stdout, "workspace removed: %s\n", got.Workspace)
	case opts.RemoveWorkspace:
		fmt.Fprintf(p.Stdout, "workspace NOT fully removed: %s\n", got.Workspace)
	default:
		fmt.Fprintf(p.Stdout, "workspace kept: %s\n", got.Workspace)
	}
	for _, w := range got.Warnings {
		fmt.Fprintf(p.Stderr, "corral: warning: %s\n", w)
	}
	return nil
}

func listSessions(ctx context.Context, p *Program, rt *engine, asJSON bool) error {
	if asJSON {
		out, err := app.SessionViews(ctx, rt.journal)
		if err != nil {
			return err
		}
		return writeJSON(p.Stdout, out)
	}
	sessions, err := rt.journal.Sessions(ctx)
	if err != nil {
		return err
	}
	tw := newTable(p.Stdout)
	fmt.Fprintln(tw, "SESSION\tACTIVE\tORIGIN\tWORKSPACE\tTITLE")
	for _, s := range sessions {
		origin := string(s.Origin)
		if s.Imported() && s.ImportedFrom != "" {
			origin += " (" + s.ImportedFrom + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, age(s.UpdatedAt), origin, s.Workspace, clip(strings.TrimSpace(s.Title), 48))
	}
	return tw.Flush()
}
