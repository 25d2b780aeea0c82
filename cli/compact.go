package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/corral-dev/corral/backend/agent"
)

var compactCommand = command{
	name:    "compact",
	args:    "RUN|SESSION",
	summary: "compact a session's conversation now (a model call that summarizes the older turns), or show / edit its summary",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		show := fs.Bool("show", false, "print the latest compaction's summary and ledger; compact nothing")
		edit := fs.String("edit", "", "replace the latest compaction's summary with the text of this file (- reads standard input)")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, args []string) error {
			switch {
			case len(args) != 1:
				return fmt.Errorf("%w: want one run or session id", errUsage)
			case *show && *edit != "":
				return fmt.Errorf("%w: --show and --edit contradict each other", errUsage)
			}
			open := openEngine
			if *show {
				open = openReader
			}
			rt, err := open(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			var out any
			switch {
			case *show:
				s, ok, err := rt.runner.LatestSummary(ctx, args[0])
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%s has no compaction yet; corral compact %s makes one", args[0], args[0])
				}
				out = s
			case *edit != "":
				text, err := readText(p, *edit)
				if err != nil {
					return err
				}
				if out, err = rt.runner.EditSummary(ctx, args[0], text); err != nil {
					return err
				}
			default:
				if out, err = rt.runner.Compact(ctx, args[0]); err != nil {
					return err
				}
			}
			if *asJSON {
				enc := json.NewEncoder(p.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			printSummary(p, out)
			return nil
		}
	},
}

func readText(p *Program, path string) (string, error) {
	if path == "-" {
		b, err := io.ReadAll(p.Stdin)
		return string(b), err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the summary: %w", err)
	}
	return string(b), nil
}

func printSummary(p *Program, out any) {
	switch s := out.(type) {
	case agent.Compacted:
		fmt.Fprintf(p.Stdout, "compacted: step %d of run %s summarizes %d of %d messages (cost $%.4f)\n\n%s\n\n%s\n", s.Seq, s.RunID, s.Summarized, s.Messages, s.CostUSD, s.Summary, s.Ledger)
	case agent.Summary:
		edited := ""
		if s.Edited {
			edited = " (edited)"
		}
		fmt.Fprintf(p.Stdout, "summary of step %d of run %s%s:\n\n%s\n\n%s\n", s.Seq, s.RunID, edited, s.Summary, s.Ledger)
	}
}
