package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corral-dev/corral/backend/egress"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	units "github.com/docker/go-units"
)

// Exit codes of the run commands, on top of ExitOK, ExitError and ExitUsage.
const (
	ExitSuspended   = 3   // the run waits for a person
	ExitPaused      = 4   // a fault a retry or a person can clear paused the run; resume it
	ExitRefused     = 5   // the model refused
	ExitCutOff      = 6   // the answer was cut off by the output limit
	ExitInterrupted = 130 // the user interrupted the command (Ctrl+C)
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

var runCommand = command{
	name:    "run",
	args:    "PROMPT",
	summary: "start an agent run headless and follow it to the end",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		var req agent.StartRequest
		fs.StringVar(&req.Agent, "agent", agent.DefaultAgentID, "agent to run (built-in: coder; more in DATA_DIR/agents.json)")
		fs.StringVar(&req.SessionID, "session", "", "continue in this session: same workspace, and the agent sees the earlier runs")
		fs.StringVar(&req.Workspace, "workspace", "", "workspace directory (default: the session's, else DATA_DIR/workspaces/SESSION)")
		fs.StringVar(&req.Provider, "provider", "", "model provider: "+strings.Join(catalog.IDs(), ", ")+" (default: the agent's, else the first with credentials, else demo)")
		fs.StringVar(&req.Model, "model", "", "model name (default: the agent's, else the provider's default)")
		fs.StringVar(&req.BaseURL, "base-url", "", "provider base URL, e.g. http://localhost:11434/v1 for Ollama")
		fs.IntVar(&req.MaxSteps, "max-steps", 0, "stop after this many model calls (default: the agent's, 50 for coder)")
		fs.IntVar(&req.MaxTokens, "max-tokens", 0, "output limit of one model call, in tokens (default: the agent's, 8192 for coder); a cut tool call asks again with more")
		fs.Float64Var(&req.MaxCostUSD, "max-cost", 0, "cost cap of the run in US dollars, by the price table (default: the agent's, else none); reaching it waits for a person: corral approve RUN --raise-cost 1.00, or corral deny RUN to stop")
		fs.Int64Var(&req.MaxRunTokens, "max-run-tokens", 0, "token cap of the run: input, output and cache tokens of all its model calls (default: the agent's, else none); reaching it waits for a person: corral approve RUN --raise-tokens N")
		fs.StringVar(&req.Thinking, "thinking", "", "extended thinking: off, low, medium, high, or a budget of thinking tokens (at least 1024) (default: the agent's, off)")
		// The sandbox flags default to the settings (DATA_DIR/settings.json, edited in the
		// window's Settings), then to the built-in defaults: flag > settings > built-in.
		fs.StringVar(&req.Sandbox, "env", "", "where tools run: local (the host, confined to the workspace) or docker (a container) (default: the settings' sandbox, else local)")
		fs.StringVar(&req.Container.Image, "image", "", "docker: the container image (default: the settings' image, else "+docker.DefaultImage+")")
		fs.StringVar(&req.Container.Scope, "scope", "", "docker: one container per run (run) or per session (session: reused by the session's later runs, in any Corral process, until idle) (default: the settings', else run)")
		idle := fs.Duration("idle", 0, "docker, --scope session: remove the session's container after this long without a command, e.g. 30m (default: the agent's, else the settings', else 15m)")
		fs.StringVar(&req.Container.Network, "network", "", "none (no network); allowlist (only the hosts of --allow-host and net(...) rules, through Corral's egress proxy, every connection in the trace) or open (any host, through the proxy); docker also: bridge or a named Docker network (default: the agent's, else the session's, else the settings', else none)")
		fs.Func("allow-host", "with --network allowlist (implied): a host commands may reach, e.g. registry.npmjs.org, '*.github.com' or api.test:8443; a net(HOST) rule for this session; repeatable", func(v string) error {
			req.AllowHosts = append(req.AllowHosts, v)
			return nil
		})
		memory := fs.String("memory", "", "docker: memory limit, e.g. 512m or 2g (default: the settings', else the sandbox's)")
		fs.Float64Var(&req.Container.CPUs, "cpus", 0, "docker: CPUs the container may use, e.g. 1.5 (default: the settings', else the sandbox's)")
		asJSON := fs.Bool("json", false, "print one JSON object per event instead of a transcript")
		wait := fs.Bool("wait", false, "with --session: if the session has a run in progress (here or in another Corral), wait for it to end instead of refusing")
		approve := approveFlag(fs)
		execSecurity := fs.String("exec-security", "", "how commands are gated: approval-always (the local default), allowlist (the docker default) or allow-always")
		fs.Func("allow", "allow rule for this session, e.g. 'exec(npm test)' or 'write(src/**)'; repeatable", func(v string) error { req.Allow = append(req.Allow, v); return nil })
		fs.Func("deny", "deny rule for this session, e.g. 'exec(git push *)'; repeatable", func(v string) error { req.Deny = append(req.Deny, v); return nil })
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return fmt.Errorf("%w: want exactly one PROMPT argument (quote it)", errUsage)
			}
			req.Prompt = args[0]
			if req.MaxCostUSD < 0 || req.MaxRunTokens < 0 {
				return fmt.Errorf("%w: --max-cost and --max-run-tokens must not be negative", errUsage)
			}
			req.ExecSecurity = approval.ExecPolicy(*execSecurity)
			approver, err := approverFor(*approve, p)
			if err != nil {
				return err
			}
			if *memory != "" {
				n, err := units.RAMInBytes(*memory)
				if err != nil || n <= 0 {
					return fmt.Errorf("%w: --memory %q: want a size such as 512m or 2g", errUsage, *memory)
				}
				req.Container.Memory = n
			}
			if *idle < 0 || (*idle > 0 && *idle < time.Second) {
				return fmt.Errorf("%w: --idle %s: want a second or more", errUsage, *idle)
			}
			req.Container.IdleSeconds = int64(*idle / time.Second)
			if m := egress.Mode(req.Container.Network); m == egress.ModeAllowlist || m == egress.ModeOpen {
				req.Network, req.Container.Network = string(m), ""
			}
			if req.Sandbox != "" && req.Sandbox != "local" && req.Sandbox != "docker" {
				return fmt.Errorf("%w: --env must be local or docker", errUsage)
			}
			if req.Sandbox == "local" && req.Container != (agent.ContainerSpec{}) {
				return fmt.Errorf("%w: --image, --scope, --network, --memory, --cpus and --idle need --env docker", errUsage)
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			return follow(ctx, p, rt, *asJSON, approver, func(ctx context.Context) (journal.Run, error) {
				run, err := startRun(ctx, p, rt, req, *wait)
				if err != nil {
					return run, err
				}
				return rt.runner.Drive(ctx, run.ID, agent.WithApprover(approver))
			})
		}
	},
}

// startRun starts req; a session with a run in progress is refused with the way to wait,
// or waited for with --wait (saying so on stderr).
func startRun(ctx context.Context, p *Program, rt *engine, req agent.StartRequest, wait bool) (journal.Run, error) {
	if !wait {
		run, err := rt.runner.Start(ctx, req)
		if errors.Is(err, agent.ErrSessionInUse) {
			return run, fmt.Errorf("%w\n  wait for it with --wait, or cancel it first", err)
		}
		return run, err
	}
	return rt.runner.StartWhenFree(ctx, req, 0, func(busy journal.Run) {
		where := ""
		if busy.Elsewhere {
			where = fmt.Sprintf(" in process %d", busy.Driver.PID)
		}
		fmt.Fprintf(p.Stderr, "corral: session %s has a run in progress (%s is %s%s); queued behind it, waiting...\n",
			req.SessionID, busy.ID, busy.Status, where)
	})
}

var resumeCommand = command{
	name:    "resume",
	args:    "RUN_ID",
	summary: "continue an interrupted, cancelled or suspended run from its last completed step",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		asJSON := fs.Bool("json", false, "print one JSON object per event instead of a transcript")
		approve := approveFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want exactly one RUN_ID", errUsage)
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
				return rt.runner.Drive(ctx, args[0], agent.WithApprover(approver))
			})
		}
	},
}

var resolveCommand = command{
	name:    "resolve",
	args:    "RUN_ID",
	summary: "decide what to do with a step a crash cut off (rerun, skip or fail), then `corral resume`",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		action := fs.String("action", "", "rerun: run the step again; skip: tell the model it did not run; fail: end the run")
		message := fs.String("message", "", "for skip: what the model is told; for fail: the reason")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want exactly one RUN_ID", errUsage)
			}
			act, err := journal.ParseAction(*action)
			if err != nil {
				return fmt.Errorf("%w: --action: %w", errUsage, err)
			}
			rt, err := openEngine(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			st, err := rt.runner.Resolve(ctx, args[0], act, *message)
			if err != nil {
				return err
			}
			fmt.Fprintf(p.Stdout, "run %s: step %d (%s %s) resolved: %s\n", args[0], st.Seq, st.Kind, st.Name, act)
			if act != journal.ActionFail {
				fmt.Fprintf(p.Stdout, "continue with: corral resume %s\n", args[0])
			}
			return nil
		}
	},
}

// follow runs drive, which answers approvals with approver, while printing its events, and
// maps the outcome to an exit code.
func follow(ctx context.Context, p *Program, rt *engine, asJSON bool, approver agent.Approver, drive func(context.Context) (journal.Run, error)) error {
	sub := rt.bus.Subscribe(context.WithoutCancel(ctx), 0)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		if asJSON {
			printJSON(p.Stdout, sub.C())
		} else {
			tr := newTranscript(p.Stdout, p.Stderr)
			// A terminal prompt shows the request itself, in step with its question.
			_, tr.promptShowsApprovals = approver.(*terminalApprover)
			tr.print(sub.C())
		}
	}()
	run, err := drive(ctx)
	rt.bus.Close()
	<-printed
	switch {
	case err == nil && run.Status == journal.RunRefused:
		if !asJSON {
			fmt.Fprintf(p.Stderr, "corral: run %s: the model refused: %s\n", run.ID, run.Error)
		}
		return &exitError{code: ExitRefused, err: fmt.Errorf("run %s refused", run.ID)}
	case err == nil && run.Status == journal.RunCutOff:
		if !asJSON {
			fmt.Fprintf(p.Stderr, "corral: run %s: %s\n", run.ID, run.Error)
		}
		return &exitError{code: ExitCutOff, err: fmt.Errorf("run %s cut off", run.ID)}
	case err == nil:
		return nil
	case errors.Is(err, agent.ErrPaused):
		if !asJSON {
			why := strings.TrimPrefix(err.Error(), agent.ErrPaused.Error()+": ")
			fmt.Fprintf(p.Stderr, "corral: run %s is paused: %s\n  continue it with: corral resume %s\n", run.ID, why, run.ID)
		}
		return &exitError{code: ExitPaused, err: err}
	case errors.Is(err, agent.ErrSuspended):
		if asJSON {
			return &exitError{code: ExitSuspended, err: err}
		}
		if run.Status == journal.RunAwaitingApproval {
			if _, req, perr := rt.runner.Pending(ctx, run.ID); perr == nil {
				fmt.Fprintf(p.Stderr, "\n%s\n", approval.RenderText(req.Preview, isTerminal(p.Stderr)))
			}
			fmt.Fprintf(p.Stderr, "corral: run %s waits for your approval\n  corral approve %s [--remember session|agent|global]   or   corral deny %s --message TEXT\n", run.ID, run.ID, run.ID)
		} else {
			fmt.Fprintf(p.Stderr, "corral: run %s waits for you: %s\n  resolve it: corral resolve %s --action rerun|skip|fail, then corral resume %s\n", run.ID, run.Error, run.ID, run.ID)
		}
		return &exitError{code: ExitSuspended, err: err}
	case run.Status == journal.RunCancelled:
		if !asJSON {
			fmt.Fprintf(p.Stderr, "corral: run %s cancelled; continue it with: corral resume %s\n", run.ID, run.ID)
		}
		return &exitError{code: ExitInterrupted, err: err}
	default:
		return err
	}
}

func printJSON(w io.Writer, events <-chan agent.Event) {
	enc := json.NewEncoder(w)
	for ev := range events {
		_ = enc.Encode(ev)
	}
}

// defaultRunsLimit is how many runs `corral runs` lists unless told: the most recent page,
// which costs the same in a journal of any size.
const defaultRunsLimit = 50

var runsCommand = command{
	name:    "runs",
	summary: "list the most recent runs (50 unless --limit or --all) with status, steps, tokens and cost",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		session := fs.String("session", "", "only the runs of this session")
		limit := fs.Int("limit", defaultRunsLimit, "list only the N most recent runs (oldest of them first)")
		all := fs.Bool("all", false, "list every run, however many (overrides --limit)")
		asJSON := fs.Bool("json", false, "print JSON (of the same runs as the table: --limit applies)")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			if *limit < 1 && !*all {
				return fmt.Errorf("%w: --limit %d: want 1 or more (or --all)", errUsage, *limit)
			}
			rt, err := openReader(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			filter := journal.RunFilter{SessionID: *session}
			if !*all {
				filter.Limit = *limit + 1 // one more says whether older runs were left out
			}
			runs, err := rt.journal.Runs(ctx, filter)
			if err != nil {
				return err
			}
			if !*all && len(runs) > *limit {
				runs = runs[1:]
				if !*asJSON {
					defer fmt.Fprintf(p.Stderr, "corral: the %d most recent runs; older ones: --limit N or --all\n", *limit)
				}
			}
			if *asJSON {
				views := make([]app.RunView, len(runs))
				for i, r := range runs {
					views[i] = app.NewRunView(r)
				}
				return writeJSON(p.Stdout, views)
			}
			tw := newTable(p.Stdout)
			fmt.Fprintln(tw, "RUN\tSESSION\tSTATUS\tSTEPS\tTOKENS\tCOST\tAGE\tPROMPT")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t$%.4f\t%s\t%s\n", r.ID, r.SessionID, r.Status, r.Steps,
					tokens(r.Usage), r.CostUSD, age(r.CreatedAt), clip(r.Prompt, 48))
			}
			return tw.Flush()
		}
	},
}

var showCommand = command{
	name:    "show",
	args:    "RUN_ID",
	summary: "show a run's steps with inputs, outputs and timings",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want exactly one RUN_ID", errUsage)
			}
			rt, err := openReader(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			run, err := rt.journal.Run(ctx, args[0])
			if err != nil {
				return err
			}
			steps, err := rt.journal.Steps(ctx, run.ID)
			if err != nil {
				return err
			}
			resumes, err := rt.journal.Resumes(ctx, run.ID)
			if err != nil {
				return err
			}
			children, err := rt.journal.Children(ctx, run.ID)
			if err != nil {
				return err
			}
			if *asJSON {
				type resumeView struct {
					At       time.Time `json:"at"`
					AfterSeq int       `json:"after_seq"`
					Reason   string    `json:"reason"`
				}
				rv := make([]resumeView, len(resumes))
				for i, r := range resumes {
					rv[i] = resumeView{r.At, r.AfterSeq, r.Reason}
				}
				kids := make([]string, len(children))
				for i, c := range children {
					kids[i] = c.ID
				}
				var spend *agent.SpendStatus
				if s, err := agent.Spend(steps, rt.runner.Prices()); err == nil {
					spend = &s
				}
				return writeJSON(p.Stdout, struct {
					app.RunView
					StepList []app.StepView     `json:"step_list"`
					Resumes  []resumeView       `json:"resumes"`
					Children []string           `json:"children"`
					Spend    *agent.SpendStatus `json:"spend,omitempty"`
				}{app.NewRunView(run), app.NewStepViews(steps), rv, kids, spend})
			}
			w := bufio.NewWriterSize(p.Stdout, 64<<10) // a line is several writes; a long run, thousands
			fmt.Fprintf(w, "run %s  session %s  agent %s  %s\nworkspace %s\nprompt: %s\n", run.ID, run.SessionID, run.Agent, run.Status, run.Workspace, run.Prompt)
			if run.Error != "" {
				fmt.Fprintf(w, "error: %s\n", run.Error)
			}
			if run.ParentRunID != "" {
				fmt.Fprintf(w, "subagent of run %s, step %d\n", run.ParentRunID, run.ParentSeq)
			}
			fmt.Fprintf(w, "%d steps, %s tokens, $%.4f\n", run.Steps, tokens(run.Usage), run.CostUSD)
			if spend, err := agent.Spend(steps, rt.runner.Prices()); err == nil {
				fmt.Fprintln(w, spend)
			}
			for _, c := range children {
				fmt.Fprintf(w, "  subagent %s  step %d  agent %s  %s  %d steps, %s tokens, $%.4f\n", c.ID, c.ParentSeq, c.Agent, c.Status, c.Steps, tokens(c.Usage), c.CostUSD)
			}
			fmt.Fprintln(w)
			printResumes := func(after int) {
				for _, r := range resumes {
					if r.AfterSeq == after {
						fmt.Fprintf(w, "      ↻ resumed (%s) %s\n", r.Reason, r.At.Local().Format("2006-01-02 15:04:05"))
					}
				}
			}
			printResumes(0)
			for _, st := range steps {
				fmt.Fprintf(w, "#%-4d %-6s %-10s %-9s %6s", st.Seq, st.Kind, st.Name, st.Status, duration(st))
				if st.Usage.InputTokens+st.Usage.OutputTokens > 0 {
					fmt.Fprintf(w, "  %s tok  $%.4f", tokens(st.Usage), st.CostUSD)
				}
				if st.Kind == record.KindLLM {
					if in, err := record.DecodeModelInput(st.Input); err == nil && in.EstimatedTokens > 0 {
						fmt.Fprintf(w, "  ctx ~%d", in.EstimatedTokens)
						if in.ContextWindow > 0 {
							fmt.Fprintf(w, " / %d window", in.ContextWindow)
						}
					}
				}
				fmt.Fprintln(w)
				if len(st.Input) > 0 {
					fmt.Fprintf(w, "      in:  %s\n", clip(oneLine(string(st.Input)), 160))
				}
				if len(st.Output) > 0 && st.Kind != record.KindConfig {
					fmt.Fprintf(w, "      out: %s\n", clip(oneLine(string(st.Output)), 160))
				}
				if st.Error != "" {
					fmt.Fprintf(w, "      err: %s\n", st.Error)
				}
				printResumes(st.Seq)
			}
			return w.Flush()
		}
	},
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func tokens(u journal.Usage) string {
	n := u.InputTokens + u.OutputTokens + u.CacheReadTokens + u.CacheWriteTokens
	if n >= 10_000 {
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	}
	return fmt.Sprint(n)
}

func age(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return t.Local().Format("2006-01-02")
	}
}

func duration(st journal.Step) string {
	if st.FinishedAt.IsZero() {
		return "-"
	}
	return st.FinishedAt.Sub(st.StartedAt).Round(time.Millisecond).String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// table writes aligned columns to its writer through a buffer: tabwriter writes each cell and
// each padding separately, one system call apiece on an unbuffered stdout (100,000 of them
// for 10,000 sessions, most of `corral sessions`' time). Flush writes the whole table.
type table struct {
	*tabwriter.Writer
	out *bufio.Writer
}

func newTable(w io.Writer) *table {
	out := bufio.NewWriterSize(w, 64<<10)
	return &table{tabwriter.NewWriter(out, 0, 4, 2, ' ', 0), out}
}

// Flush aligns what was written and writes it out.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	return t.out.Flush()
}
