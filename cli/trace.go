package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

var exportCommand = command{
	name:    "export",
	args:    "RUN_ID | --session ID",
	summary: "export a run's (or a session's) trace as OTLP/JSON, a Corral JSON bundle or a standalone HTML report",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		session := fs.String("session", "", "export every run of this session instead of one run")
		format := fs.String("format", "json", "json (a Corral bundle, re-importable), otlp (OTLP/JSON with GenAI attributes) or html (a report that needs no network)")
		out := fs.String("o", "", "file to write (default: stdout)")
		var redact []*regexp.Regexp
		fs.Func("redact", "also replace matches of this regular expression with [Redacted]; repeatable (API keys, tokens, secret variables and the saved provider keys always are)", func(v string) error {
			re, err := regexp.Compile(v)
			if err == nil {
				redact = append(redact, re)
			}
			return err
		})
		noContent := fs.Bool("no-content", false, "export structure, timings, tokens and costs only: no prompts, messages, tool inputs or outputs")
		endpoint := fs.String("otlp-endpoint", "", "also push the trace to this OTLP/HTTP receiver, e.g. http://localhost:4318")
		return func(ctx context.Context, args []string) error {
			if (len(args) == 1) == (*session != "") || len(args) > 1 {
				return fmt.Errorf("%w: want one RUN_ID or --session ID", errUsage)
			}
			f, err := trace.ParseFormat(*format)
			if err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			rt, err := openReader(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			var b trace.Bundle
			if *session != "" {
				b, err = trace.LoadSession(ctx, rt.journal, *session)
			} else {
				b, err = trace.LoadRun(ctx, rt.journal, args[0])
			}
			if err != nil {
				return err
			}
			opts := trace.Options{Redact: append(redact, rt.redactions()...), NoContent: *noContent}
			if *endpoint != "" {
				req, err := trace.OTLP(b, opts)
				if err != nil {
					return err
				}
				if err := trace.Push(ctx, *endpoint, req, trace.PushOptions{}); err != nil {
					return err
				}
				fmt.Fprintf(p.Stderr, "pushed %d run(s) to %s\n", len(b.Runs), *endpoint)
				if *out == "" {
					return nil
				}
			}
			if *out == "" {
				return trace.Export(p.Stdout, b, f, opts)
			}
			// Rendered whole, then written atomically: a failed export never leaves a
			// half-written file in its place.
			var buf bytes.Buffer
			if err := trace.Export(&buf, b, f, opts); err != nil {
				return err
			}
			return config.WriteFileAtomic(*out, buf.Bytes())
		}
	},
}

var importCommand = command{
	name:    "import",
	args:    "FILE",
	summary: "import a Corral JSON bundle (or a Corral OTLP export) as a read-only session",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want one FILE", errUsage)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			got, err := trace.Import(ctx, f, trace.Named(rt.journal, filepath.Base(args[0])))
			if errors.Is(err, journal.ErrExists) {
				return fmt.Errorf("%s is already imported: %w", args[0], err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(p.Stdout, "imported session %s (%s) with %d run(s):\n", got.Session.ID, got.Format, len(got.Runs))
			for _, r := range got.Runs {
				fmt.Fprintf(p.Stdout, "  %s  %s  %s\n", r.ID, r.Status, clip(r.Prompt, 60))
			}
			return nil
		}
	},
}

var replayCommand = command{
	name:    "replay",
	args:    "RUN_ID | FILE",
	summary: "re-run a stored or exported run against its recorded model responses: no model calls, tools and policies run again",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		workspace := fs.String("workspace", "", "workspace for the replay (default: a new one under DATA_DIR/workspaces)")
		asJSON := fs.Bool("json", false, "print one JSON object per event instead of a transcript")
		approve := approveFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want one RUN_ID or FILE", errUsage)
			}
			approver, err := approverFor(*approve, p)
			if err != nil {
				return err
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			return follow(ctx, p, rt, *asJSON, approver, func(ctx context.Context) (journal.Run, error) {
				return rt.runner.Replay(ctx, agent.ReplayRequest{From: args[0], Workspace: *workspace}, agent.WithApprover(approver))
			})
		}
	},
}
