package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/journal"
)

// openCheckpoints opens the data dir's checkpoint store with the settings' limits, for the
// runner (every side-effect step is checkpointed) and the checkpoint commands.
func (rt *engine) openCheckpoints() error {
	s, err := config.LoadSettings(rt.dir.Path)
	if err != nil {
		return err
	}
	store, err := checkpoint.Open(rt.dir.Path, rt.journal, checkpointOptions(s.Checkpoints))
	if err != nil {
		return err
	}
	rt.checkpoints = store
	return nil
}

// checkpointOptions turns the checkpoint settings into store options.
func checkpointOptions(c config.Checkpoints) checkpoint.Options {
	opts := checkpoint.Options{ExcludeFolders: c.ExcludeFolders, Budget: c.BudgetMB << 20}
	switch {
	case c.MaxFileMB > 0:
		opts.MaxFileSize = c.MaxFileMB << 20
	case c.MaxFileMB < 0:
		opts.MaxFileSize = -1
	}
	return opts
}

var checkpointsCommand = command{
	name:    "checkpoints",
	args:    "[RUN]",
	summary: "list a run's workspace checkpoints (what each left out), or show the store's usage and collect garbage (--gc)",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		gc := fs.Bool("gc", false, "remove what no checkpoint needs (deleted sessions' files) and, over the budget (settings: checkpoints.budget_mb), the oldest checkpoints")
		return func(ctx context.Context, args []string) error {
			if len(args) > 1 || (len(args) == 1 && *gc) {
				return fmt.Errorf("%w: want RUN, or --gc, or nothing for the store's usage", errUsage)
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			switch {
			case *gc:
				res, err := rt.checkpoints.GC(ctx)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(p.Stdout, res)
				}
				fmt.Fprintf(p.Stdout, "removed %d checkpoint(s), %d manifest(s), %d blob(s): %s freed\n", res.Checkpoints, res.Manifests, res.Blobs, sizeText(res.Freed))
				printUsage(p.Stdout, res.Usage, rt.checkpoints.Dir())
				return nil
			case len(args) == 0:
				u, err := rt.checkpoints.Usage(ctx)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(p.Stdout, u)
				}
				printUsage(p.Stdout, u, rt.checkpoints.Dir())
				return nil
			}
			list, err := rt.checkpoints.List(ctx, args[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(p.Stdout, checkpointViews(list))
			}
			return printCheckpoints(p.Stdout, list)
		}
	},
}

// checkpointView is a checkpoint as `corral checkpoints --json` prints it: the window's
// view with its time in milliseconds (the outer CreatedAt hides the embedded one).
type checkpointView struct {
	app.CheckpointView
	CreatedAt string `json:"created_at"`
}

func checkpointViews(list []journal.Checkpoint) []checkpointView {
	out := make([]checkpointView, 0, len(list))
	for _, c := range list {
		out = append(out, checkpointView{app.NewCheckpointView(c), c.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00")})
	}
	return out
}

func printCheckpoints(w io.Writer, list []journal.Checkpoint) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no checkpoints: no step of this run could change the workspace")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "STEP\tWHEN\tFILES\tSIZE\tNEW\tLEFT OUT\tID")
	for _, v := range checkpointViews(list) {
		var left []string
		for _, x := range v.Excluded {
			left = append(left, x.Path+" ("+x.Reason+")")
		}
		excluded := "-"
		if len(left) > 0 {
			excluded = clip(strings.Join(left, ", "), 60)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", v.Seq, v.Phase, v.Files, sizeText(v.Bytes), sizeText(v.AddedBytes), excluded, v.ID)
	}
	return tw.Flush()
}

func printUsage(w io.Writer, u checkpoint.Usage, dir string) {
	budget := "no budget"
	if u.Budget > 0 {
		budget = "budget " + sizeText(u.Budget)
	}
	fmt.Fprintf(w, "checkpoint store %s: %s in %d blob(s) and %d manifest(s) for %d checkpoint(s); %s\n", dir, sizeText(u.Bytes), u.Blobs, u.Manifests, u.Checkpoints, budget)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

var restoreCommand = command{
	name:    "restore",
	args:    "RUN --to SEQ | RUN --undo",
	summary: "put a run's workspace back as it was before (default) or after a step; the restore itself can be undone",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		to := fs.Int("to", 0, "the step to go back to")
		before := fs.Bool("before", false, "the workspace as it was just before the step (the default)")
		after := fs.Bool("after", false, "the workspace as it was just after the step")
		dryRun := fs.Bool("dry-run", false, "only show what would change (with text diffs)")
		git := fs.Bool("git", false, "restore .git too (by default it is left as it is)")
		undo := fs.Bool("undo", false, "undo the run's latest restore")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, args []string) error {
			switch {
			case len(args) != 1:
				return fmt.Errorf("%w: want RUN --to SEQ, or RUN --undo", errUsage)
			case *before && *after:
				return fmt.Errorf("%w: --before and --after contradict each other", errUsage)
			case *undo && (*to != 0 || *before || *after || *dryRun):
				return fmt.Errorf("%w: --undo takes no --to, --before, --after or --dry-run", errUsage)
			case !*undo && *to < 1:
				return fmt.Errorf("%w: --to SEQ is required (a step number, see corral show RUN)", errUsage)
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			opts := checkpoint.RestoreOptions{Git: *git}
			if *dryRun {
				plan, err := rt.checkpoints.PreviewStep(ctx, args[0], *to, *after, opts)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(p.Stdout, plan)
				}
				printPlan(p.Stdout, plan, true)
				return nil
			}
			var res checkpoint.Result
			if *undo {
				res, err = rt.checkpoints.Undo(ctx, args[0], opts)
			} else {
				res, err = rt.checkpoints.RestoreStep(ctx, args[0], *to, *after, opts)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(p.Stdout, res.Plan)
			}
			printPlan(p.Stdout, res.Plan, false)
			fmt.Fprintf(p.Stdout, "restored %s to checkpoint %s (%d change(s)); undo with: corral restore %s --undo\n", res.Target.Workspace, res.Target.ID, len(res.Changes), args[0])
			return nil
		}
	},
}

func printPlan(w io.Writer, plan checkpoint.Plan, diffs bool) {
	if len(plan.Changes) == 0 {
		fmt.Fprintln(w, "nothing to change: the workspace is as the checkpoint holds it")
	}
	for _, c := range plan.Changes {
		line := fmt.Sprintf("%-7s %s", c.Op, c.Path)
		switch {
		case c.Op == checkpoint.OpMode:
			line += fmt.Sprintf("  %s -> %s", c.OldMode, c.NewMode)
		case c.Binary || c.Type == checkpoint.TypeFile:
			line += fmt.Sprintf("  %s -> %s", sizeText(c.OldSize), sizeText(c.NewSize))
		}
		fmt.Fprintln(w, line)
		if diffs && c.Diff != "" {
			fmt.Fprintln(w, strings.TrimSuffix(c.Diff, "\n"))
		}
	}
	for _, x := range plan.Excluded {
		fmt.Fprintf(w, "left alone: %s (%s)\n", x.Path, x.Reason)
	}
	for _, warn := range plan.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

var forkCommand = command{
	name:    "fork",
	args:    "RUN --at SEQ",
	summary: "start a new session from a step of a run: its conversation up to there, and a copy of the workspace as it was then",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		at := fs.Int("at", 0, "the step to fork after")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 || *at < 1 {
				return fmt.Errorf("%w: want RUN --at SEQ", errUsage)
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			f, err := rt.runner.Fork(ctx, args[0], *at)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(p.Stdout, map[string]any{"session": f.Session.ID, "workspace": f.Session.Workspace, "from_run": args[0], "at_seq": *at, "warning": f.Warning})
			}
			fmt.Fprintf(p.Stdout, "session %s forked from run %s at step %d\nworkspace %s\ncontinue it: corral run --session %s PROMPT\n", f.Session.ID, args[0], *at, f.Session.Workspace, f.Session.ID)
			if f.Warning != "" {
				fmt.Fprintf(p.Stderr, "corral: warning: %s\n", f.Warning)
			}
			return nil
		}
	},
}
