package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
)

// approveFlag registers --approve, which run and resume take.
func approveFlag(fs *flag.FlagSet) *string {
	return fs.String("approve", "ask", "actions that need approval: ask (a prompt on a terminal; without one the run waits, exit 3), all (approve every one), none (deny every one)")
}

// approverFor returns the Approver for an --approve mode; nil means suspend and wait.
func approverFor(mode string, p *Program) (agent.Approver, error) {
	switch mode {
	case "all":
		return blanket{kind: approval.Approve}, nil
	case "none":
		return blanket{kind: approval.Reject}, nil
	case "ask":
		if in, ok := p.Stdin.(*os.File); ok && isTerminal(in) && isTerminal(p.Stderr) {
			return &terminalApprover{in: bufio.NewReader(in), out: p.Stderr}, nil
		}
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: --approve must be ask, all or none", errUsage)
	}
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// blanket answers every request the same way (--approve all / none).
type blanket struct{ kind approval.AnswerKind }

func (b blanket) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	ans := approval.Answer{Kind: b.kind, ActionHash: req.ActionHash, By: "--approve " + map[approval.AnswerKind]string{approval.Approve: "all", approval.Reject: "none"}[b.kind]}
	if b.kind == approval.Reject {
		ans.Message = "Corral was started with --approve none: no action that needs approval may run."
	}
	return ans, nil
}

// terminalApprover shows the preview and asks on the terminal, one request at a time
// (subagents running at once may ask together).
type terminalApprover struct {
	in  *bufio.Reader
	out io.Writer
	mu  sync.Mutex
}

func (t *terminalApprover) Approve(ctx context.Context, run journal.Run, req approval.Request) (approval.Answer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if run.ParentRunID != "" {
		fmt.Fprintf(t.out, "\nsubagent %s (run %s) asks:", run.Agent, run.ID)
	}
	fmt.Fprintf(t.out, "\n%s\n", approval.RenderText(req.Preview, true))
	ans := approval.Answer{ActionHash: req.ActionHash, By: "terminal"}
	for {
		fmt.Fprint(t.out, "[a]pprove  [A]lways (remember a rule)  [d]eny  deny with [m]essage  [e]dit  [w]ait: ")
		line, err := t.in.ReadString('\n')
		if err != nil {
			return ans, agent.ErrNoAnswer
		}
		switch strings.TrimSpace(line) {
		case "a", "y":
			ans.Kind = approval.Approve
			return ans, nil
		case "A":
			if len(req.Suggestions) == 0 {
				fmt.Fprintln(t.out, "no rule can be suggested for this action; approve once instead")
				continue
			}
			for i, r := range req.Suggestions {
				fmt.Fprintf(t.out, "  %d) %s%s\n", i+1, r, suggestionNote(req, i))
			}
			fmt.Fprintf(t.out, "rule [1-%d] and scope [s]ession (default) / [g]lobal / [a]gent, e.g. \"1 g\": ", len(req.Suggestions))
			choice, _ := t.in.ReadString('\n')
			fields := strings.Fields(choice)
			n := 0
			if len(fields) > 0 {
				n, _ = strconv.Atoi(fields[0])
			}
			if n < 1 || n > len(req.Suggestions) {
				continue
			}
			name := "session"
			if len(fields) > 1 {
				name = map[string]string{"g": "global", "a": "agent"}[fields[1]]
			}
			scope, err := approval.ScopeFor(name, run.Agent, run.SessionID)
			if err != nil {
				scope = approval.SessionScope(run.SessionID) // anything else keeps the default
			}
			ans.Kind = approval.Approve
			ans.Remember = &approval.Remember{Scope: scope, List: approval.ListAllow, Rules: []string{req.Suggestions[n-1]}}
			fmt.Fprintf(t.out, "remembering allow %s at %s\n", req.Suggestions[n-1], scope)
			return ans, nil
		case "d", "n":
			ans.Kind = approval.Reject
			return ans, nil
		case "m":
			fmt.Fprint(t.out, "message for the model: ")
			msg, _ := t.in.ReadString('\n')
			ans.Kind, ans.Message = approval.Reject, strings.TrimSpace(msg)
			return ans, nil
		case "e":
			if req.Tool != "exec" {
				fmt.Fprintln(t.out, "editing file content needs the window or the browser; approve, deny or wait")
				continue
			}
			fmt.Fprint(t.out, "command to run instead: ")
			cmd, _ := t.in.ReadString('\n')
			var in map[string]any
			if err := json.Unmarshal(req.Input, &in); err != nil {
				return ans, err
			}
			in["command"] = strings.TrimSpace(cmd)
			ans.Kind = approval.EditApprove
			ans.Input, _ = json.Marshal(in)
			return ans, nil
		case "w", "":
			return ans, agent.ErrNoAnswer
		}
	}
}

var approvalsCommand = command{
	name:    "approvals",
	summary: "list the actions waiting for your approval, across runs",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		asJSON := fs.Bool("json", false, "print JSON (each with its full preview)")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
			}
			rt, err := openReader(ctx, p, *dataDir)
			if err != nil {
				return err
			}
			defer rt.close()
			waiting, err := rt.runner.Waiting(ctx)
			if err != nil {
				return err
			}
			type pending struct {
				RunID     string           `json:"run_id"`
				SessionID string           `json:"session_id"`
				Seq       int              `json:"seq"`
				Prompt    string           `json:"prompt"`
				Request   approval.Request `json:"request"`
			}
			var list []pending
			for _, w := range waiting {
				list = append(list, pending{RunID: w.Run.ID, SessionID: w.Run.SessionID, Seq: w.Seq, Prompt: w.Run.Prompt, Request: w.Request})
			}
			if *asJSON {
				if list == nil {
					list = []pending{}
				}
				return writeJSON(p.Stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(p.Stdout, "nothing waits for approval")
				return nil
			}
			tw := newTable(p.Stdout)
			fmt.Fprintln(tw, "RUN\tSTEP\tACTION\tWHY")
			for _, pd := range list {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", pd.RunID, pd.Seq, clip(pd.Request.Preview.Title, 60), clip(pd.Request.Preview.Reason, 60))
			}
			tw.Flush()
			fmt.Fprintln(p.Stdout, "\nsee one with: corral approve RUN_ID --show; decide with corral approve RUN_ID or corral deny RUN_ID")
			for _, pd := range list {
				if pd.Request.Budget != nil {
					fmt.Fprintln(p.Stdout, "a run at a spend cap: raise it with corral approve RUN_ID --raise-cost USD (a cost cap) or --raise-tokens N (the token cap), or stop it with corral deny RUN_ID")
					break
				}
			}
			return nil
		}
	},
}

var approveCommand = command{
	name:    "approve",
	args:    "RUN_ID",
	summary: "approve the action a run waits for, then continue the run",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		remember := fs.String("remember", "", "also remember an allow rule at this scope: session, agent or global")
		rule := fs.String("rule", "", "the rule to remember (default: the first suggestion shown by --show)")
		show := fs.Bool("show", false, "only show the pending action and its preview")
		asJSON := fs.Bool("json", false, "print run events as JSON lines while the run continues")
		noResume := fs.Bool("no-resume", false, "record the decision only; continue later with corral resume")
		raiseCost := fs.Float64("raise-cost", 0, "a run waiting at a cost cap (its own or the day's): raise the cap by this many US dollars and go on")
		raiseTokens := fs.Int64("raise-tokens", 0, "a run waiting at its token cap: raise the cap by this many tokens and go on")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want exactly one RUN_ID", errUsage)
			}
			d := decision{kind: approval.Approve, remember: *remember, rule: *rule, show: *show, asJSON: *asJSON, noResume: *noResume}
			if *raiseCost != 0 || *raiseTokens != 0 {
				d.raise = &approval.Raise{CostUSD: *raiseCost, Tokens: *raiseTokens}
			}
			return decide(ctx, p, *dataDir, args[0], d)
		}
	},
}

var denyCommand = command{
	name:    "deny",
	args:    "RUN_ID",
	summary: "deny the action a run waits for (the model is told, with your message), then continue the run; a run waiting at a spend cap is stopped",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		message := fs.String("message", "", "what the model is told about the denial")
		asJSON := fs.Bool("json", false, "print run events as JSON lines while the run continues")
		noResume := fs.Bool("no-resume", false, "record the decision only; continue later with corral resume")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want exactly one RUN_ID", errUsage)
			}
			return decide(ctx, p, *dataDir, args[0], decision{kind: approval.Reject, message: *message, asJSON: *asJSON, noResume: *noResume})
		}
	},
}

type decision struct {
	kind           approval.AnswerKind
	message        string
	remember, rule string
	show, asJSON   bool
	noResume       bool
	raise          *approval.Raise // a spend cap's raise (approve --raise-cost / --raise-tokens)
}

func decide(ctx context.Context, p *Program, dataDir, runID string, d decision) error {
	rt, err := openEngine(ctx, p, dataDir)
	if err != nil {
		return err
	}
	defer rt.close()
	_, req, err := rt.runner.Pending(ctx, runID)
	if err != nil {
		return err
	}
	if d.show {
		fmt.Fprintln(p.Stdout, approval.RenderText(req.Preview, isTerminal(p.Stdout)))
		if len(req.Suggestions) > 0 {
			fmt.Fprintln(p.Stdout, "\nrules you could remember (--rule; the first is the default):")
			for i, r := range req.Suggestions {
				fmt.Fprintf(p.Stdout, "  %s%s\n", r, suggestionNote(req, i))
			}
		}
		return nil
	}
	ans := approval.Answer{Kind: d.kind, ActionHash: req.ActionHash, Message: d.message, By: "command line", Raise: d.raise}
	if req.Budget != nil && d.kind == approval.Approve && d.raise == nil {
		flagName := "--raise-cost DOLLARS"
		if req.Budget.Cap == approval.CapRunTokens {
			flagName = "--raise-tokens N"
		}
		return fmt.Errorf("%w: %s; approve it with %s, or stop the run with corral deny %s", errUsage, req.Preview.Title, flagName, runID)
	}
	if req.Budget == nil && d.raise != nil {
		return fmt.Errorf("%w: --raise-cost and --raise-tokens answer a run waiting at a spend cap; %s waits for %s", errUsage, runID, req.Preview.Title)
	}
	if d.remember != "" {
		run, err := rt.journal.Run(ctx, runID)
		if err != nil {
			return err
		}
		scope, err := approval.ScopeFor(d.remember, run.Agent, run.SessionID)
		if err != nil {
			return fmt.Errorf("%w: --remember: %w", errUsage, err)
		}
		text := d.rule
		if text == "" && len(req.Suggestions) > 0 {
			text = req.Suggestions[0]
		}
		if text == "" {
			return fmt.Errorf("%w: no rule to remember: pass --rule", errUsage)
		}
		ans.Remember = &approval.Remember{Scope: scope, List: approval.ListAllow, Rules: []string{text}}
	}
	if _, err := rt.runner.Answer(ctx, runID, ans); err != nil {
		if errors.Is(err, approval.ErrBadAnswer) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		return err
	}
	verb := map[approval.AnswerKind]string{approval.Approve: "approved", approval.Reject: "denied"}[d.kind]
	if req.Budget != nil {
		verb = map[approval.AnswerKind]string{approval.Approve: "cap raised", approval.Reject: "run stopped"}[d.kind]
	}
	fmt.Fprintf(p.Stderr, "%s: %s\n", verb, req.Preview.Title)
	if ans.Remember != nil {
		fmt.Fprintf(p.Stderr, "remembered: allow %s at %s (corral rules ls)\n", ans.Remember.Rules[0], ans.Remember.Scope)
	}
	if d.noResume {
		return nil
	}
	return follow(ctx, p, rt, d.asJSON, nil, func(ctx context.Context) (journal.Run, error) {
		return rt.runner.Drive(ctx, runID)
	})
}

// suggestionNote says what remembering suggestion i would also allow, and
// warns when it lets the agent run any code.
func suggestionNote(req approval.Request, i int) string {
	if i >= len(req.SuggestionNotes) || req.SuggestionNotes[i].Rule != req.Suggestions[i] {
		return ""
	}
	n := req.SuggestionNotes[i]
	var parts []string
	if n.Exact {
		parts = append(parts, "exactly this")
	}
	if n.Allows != "" {
		parts = append(parts, n.Allows)
	}
	if n.Warning != "" {
		parts = append(parts, "warning: "+n.Warning)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

var rulesCommand = command{
	name:    "rules",
	args:    "ls | rm ID | test COMMAND | add allow|ask|deny RULE",
	summary: "the remembered approval rules: list, revoke, add, or test a command against them",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		scope := fs.String("scope", "global", "add: the scope (global, agent:ID or session:ID); test: include rules of agent:ID / session:ID")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("%w: want ls, rm ID, add LIST RULE or test COMMAND", errUsage)
			}
			dir, err := resolveDataDir(p, *dataDir)
			if err != nil {
				return err
			}
			ledger := approval.NewLedger(dir.Path)
			switch args[0] {
			case "ls":
				entries, err := ledger.List()
				if err != nil {
					return err
				}
				if *asJSON {
					if entries == nil {
						entries = []approval.Entry{}
					}
					return writeJSON(p.Stdout, entries)
				}
				tw := newTable(p.Stdout)
				fmt.Fprintln(tw, "ID\tLIST\tRULE\tSCOPE\tSOURCE\tADDED")
				for _, e := range entries {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.List, e.Rule, e.Scope, e.Source, age(e.CreatedAt))
				}
				return tw.Flush()
			case "rm":
				if len(args) != 2 {
					return fmt.Errorf("%w: rm wants one rule ID (see corral rules ls)", errUsage)
				}
				if err := ledger.Remove(args[1]); err != nil {
					return err
				}
				fmt.Fprintf(p.Stdout, "removed rule %s\n", args[1])
				return nil
			case "add":
				if len(args) != 3 {
					return fmt.Errorf("%w: add wants a list (allow, ask or deny) and a rule, e.g. add allow 'exec(npm test)'", errUsage)
				}
				e, err := ledger.AddRule(args[1], args[2], *scope)
				if errors.Is(err, approval.ErrBadScope) || errors.Is(err, approval.ErrBadRule) {
					return fmt.Errorf("%w: %w", errUsage, err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(p.Stdout, "added %s %s at %s (id %s)\n", e.List, e.Rule, e.Scope, e.ID)
				return nil
			case "test":
				if len(args) != 2 {
					return fmt.Errorf("%w: test wants one COMMAND (quote it)", errUsage)
				}
				v, err := ledger.Test(args[1], *scope)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(p.Stdout, v)
				}
				printVerdict(p.Stdout, v)
				return nil
			default:
				return fmt.Errorf("%w: unknown action %q", errUsage, args[0])
			}
		}
	},
}

func printVerdict(w io.Writer, v approval.Verdict) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(v.Decision)), v.Reason)
	for _, s := range v.Segments {
		rule := "no rule"
		if s.Rule != nil {
			rule = fmt.Sprintf("%s %s (%s)", s.Rule.List, s.Rule.Text, s.Rule.Scope)
		}
		fmt.Fprintf(w, "  %-5s %-40s %s — %s\n", s.Decision, clip(s.Text, 40), rule, s.Reason)
	}
	for _, h := range v.Hints {
		fmt.Fprintf(w, "  risk: %s\n", h.Reason)
	}
}
