package agent

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// effectChecker is a tool whose effect can be checked in the workspace when a crash cut a
// call off (write, edit): tool.Write and tool.Edit.
type effectChecker interface {
	Check(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (tool.Check, error)
}

// resolveCut decides, where the workspace can tell, about the step at the cursor's next seq
// when a crash cut it off: a call whose effect is in place is recorded as done (a skip whose
// result says why), one whose effect is not in place and can safely run again is set to
// rerun, and the returned text (for the rerun's result) says why. Anything else (commands,
// a file that shows neither) is left for a person, as before.
func (l *loop) resolveCut(ctx context.Context, name string, t tool.Tool) (string, error) {
	if l.replayOnly {
		return "", nil
	}
	st, ok := l.cur.Peek()
	if !ok || st.Kind != record.KindTool || st.Name != name || st.Status != journal.StepStarted || st.RerunPending {
		return "", nil
	}
	checker, ok := t.(effectChecker)
	if !ok {
		return "", nil
	}
	if err := l.openSandbox(ctx); err != nil {
		return "", err
	}
	chk, err := checker.Check(ctx, l.sb, st.Input)
	if err != nil {
		return "", fmt.Errorf("agent: run %s step %d: check the cut-off %s: %w", l.run.ID, st.Seq, name, err)
	}
	var res journal.Resolution
	switch chk.Verdict {
	case tool.VerdictDone:
		out, err := json.Marshal(chk.Result)
		if err != nil {
			return "", err
		}
		res = journal.Resolution{Action: journal.ActionSkip, Output: out}
	case tool.VerdictRerun:
		res = journal.Resolution{Action: journal.ActionRerun}
	default:
		return "", nil
	}
	if _, err := l.r.config.Journal.Resolve(ctx, l.run.ID, st.Seq, res); err != nil {
		return "", fmt.Errorf("agent: run %s step %d: resolve the cut-off %s: %w", l.run.ID, st.Seq, name, err)
	}
	return "rerun: " + chk.Reason, nil
}
