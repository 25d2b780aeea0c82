package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// The ledger is what a compaction carries besides the model's summary: what the journal
// says happened in the session up to the compaction, built by code from the records, so
// that no compaction loses work the model did (the person's prompts verbatim, every file
// written or edited, every command with its exit code, every approval denied with the
// person's message).

// runSteps is one run of a session with its steps.
type runSteps struct {
	run   journal.Run
	steps []journal.Step
}

// sessionRuns returns the runs whose turns make a session's conversation, oldest first,
// with their steps of the given kinds: a forked session's origin up to the fork point
// first, then its own runs, stopping after step untilSeq of run untilRun ("": all of them).
func (r *Runner) sessionRuns(ctx context.Context, sessionID, untilRun string, untilSeq int, kinds ...string) ([]runSteps, error) {
	var out []runSteps
	if f, err := r.config.Journal.ForkOf(ctx, sessionID); err == nil {
		if out, err = r.sessionRuns(ctx, f.FromSession, f.FromRun, f.AtSeq, kinds...); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, journal.ErrNotFound) {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	steps, err := r.config.Journal.SessionSteps(ctx, sessionID, kinds...)
	if err != nil {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	byRun := map[string][]journal.Step{}
	for _, st := range steps {
		byRun[st.RunID] = append(byRun[st.RunID], st)
	}
	for _, run := range runs {
		steps := byRun[run.ID]
		if run.ID == untilRun {
			steps = stepsUpTo(steps, untilSeq)
		}
		out = append(out, runSteps{run, steps})
		if run.ID == untilRun {
			break
		}
	}
	return out, nil
}

// ledger builds the ledger of a session up to (not including) step seq of run runID, in at
// most budget bytes (0: no limit): past it, the oldest commands, then the oldest files, are
// counted instead of listed.
func (r *Runner) ledger(ctx context.Context, sessionID, runID string, seq, budget int) (string, error) {
	runs, err := r.sessionRuns(ctx, sessionID, runID, seq-1, record.KindTool, record.KindApproval)
	if err != nil {
		return "", err
	}
	return buildLedger(runs, budget), nil
}

// ledgerEntries are the ledger's lists, oldest first.
type ledgerEntries struct {
	prompts, files, commands, denied []string
}

func buildLedger(runs []runSteps, budget int) string {
	var e ledgerEntries
	for _, rs := range runs {
		e.prompts = append(e.prompts, fmt.Sprintf("- (run %s) %s", rs.run.ID, quoteBlock(rs.run.Prompt)))
		e.addSteps(rs.steps)
	}
	return e.render(budget)
}

// addSteps lists what a run's completed tool steps did.
func (e *ledgerEntries) addSteps(steps []journal.Step) {
	var refused *record.GateRecord
	for _, st := range steps {
		if st.Status != journal.StepCompleted {
			continue
		}
		switch st.Kind {
		case record.KindApproval:
			if g, err := record.DecodeGate(st.Output); err == nil && !g.Outcome.Run {
				refused = &g
			}
		case record.KindTool:
			in, _ := record.DecodeToolInput(st.Input)
			what := describeCall(st.Name, in)
			if refused != nil {
				e.denied = append(e.denied, fmt.Sprintf("- %s: %s", what, denial(*refused)))
				refused = nil
				continue
			}
			res, err := record.DecodeToolOutput(st.Output)
			if err != nil {
				continue
			}
			switch st.Name {
			case "write", "edit":
				if !res.IsError && in.Path != "" {
					verb := "written"
					if st.Name == "edit" {
						verb = "edited"
					}
					e.files = append(e.files, fmt.Sprintf("- %s %s", in.Path, verb))
				}
			case "exec":
				exit := "no exit code"
				switch {
				case res.Meta.ExitCode != nil:
					exit = fmt.Sprintf("exit %d", *res.Meta.ExitCode)
				case res.Meta.TimedOut:
					exit = "timed out"
				case res.IsError:
					exit = "failed to run"
				}
				e.commands = append(e.commands, fmt.Sprintf("- `%s` (%s)", oneLine(in.Command), exit))
			}
		}
	}
}

func describeCall(name string, in record.ToolInput) string {
	switch {
	case in.Command != "":
		return fmt.Sprintf("%s `%s`", name, oneLine(in.Command))
	case in.Path != "":
		return fmt.Sprintf("%s %s", name, in.Path)
	}
	return name
}

func denial(g record.GateRecord) string {
	msg := ""
	if g.Answer != nil && g.Answer.Kind == approval.Reject {
		msg = g.Answer.Message
		if msg == "" {
			return "denied by the person"
		}
		return "denied by the person: " + quoteBlock(msg)
	}
	if g.Assessment.Reason != "" {
		msg = ": " + g.Assessment.Reason
	}
	return "denied by the rules" + msg
}

// render writes the lists, counting the oldest commands, then the oldest files, when the
// whole would pass budget bytes.
func (e ledgerEntries) render(budget int) string {
	size := func(l []string) int {
		n := 0
		for _, s := range l {
			n += len(s) + 1
		}
		return n
	}
	total := size(e.prompts) + size(e.files) + size(e.commands) + size(e.denied) + 200
	droppedCmds, droppedFiles := 0, 0
	for budget > 0 && total > budget && len(e.commands) > 0 {
		total -= len(e.commands[0]) + 1
		e.commands = e.commands[1:]
		droppedCmds++
	}
	for budget > 0 && total > budget && len(e.files) > 0 {
		total -= len(e.files[0]) + 1
		e.files = e.files[1:]
		droppedFiles++
	}
	var b strings.Builder
	section := func(title string, l []string, dropped int, what string) {
		fmt.Fprintf(&b, "%s:\n", title)
		if dropped > 0 {
			fmt.Fprintf(&b, "- (%d earlier %s not listed here: corral show lists every step)\n", dropped, what)
		}
		if len(l) == 0 && dropped == 0 {
			b.WriteString("- none\n")
		}
		for _, s := range l {
			b.WriteString(s)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	section("The person's prompts, verbatim, oldest first (the last is the current request)", e.prompts, 0, "")
	section("Files written or edited, in order", e.files, droppedFiles, "file changes")
	section("Commands run, in order, with exit codes", e.commands, droppedCmds, "commands")
	section("Actions denied", e.denied, 0, "")
	return strings.TrimRight(b.String(), "\n")
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\\n")
}

// quoteBlock keeps a person's text verbatim on the ledger: a one-line text as it is, a
// longer one indented under its entry.
func quoteBlock(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	return "\n    " + strings.ReplaceAll(s, "\n", "\n    ")
}
