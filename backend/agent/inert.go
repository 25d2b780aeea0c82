package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
)

// ErrImportedRun means the run was loaded from an exported trace: it is a record of
// another machine, never driven, answered or trusted here. Its pending approval is not
// in the queue, cannot be answered, and its suggested rules are never stored.
var ErrImportedRun = errors.New("agent: the run was imported and is read-only")

// ErrEditRefused means an edited action (edit then approve) is one the rules refuse: the
// answer is not recorded, and the person can answer again.
var ErrEditRefused = errors.New("agent: the edited action is refused by the rules")

// refuseImported returns ErrImportedRun for a run of an imported session.
func (r *Runner) refuseImported(ctx context.Context, runID string) error {
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	sess, err := r.config.Journal.Session(ctx, run.SessionID)
	if err != nil {
		return fmt.Errorf("agent: run %s: %w", runID, err)
	}
	if sess.Imported() {
		return fmt.Errorf("%w: run %s (from %s); re-run it with corral replay", ErrImportedRun, runID, orUnknown(sess.ImportedFrom))
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "a trace"
	}
	return s
}

// recheckEdit checks an edited action against every rule, as the original was checked:
// an edit that turns the action into one a deny rule (or the workspace boundary) refuses
// is refused with ErrEditRefused. An edit that would only ask is fine: the person who
// edited it is the one approving it.
func (r *Runner) recheckEdit(ctx context.Context, runID string, req approval.Request, ans approval.Answer) error {
	if ans.Kind != approval.EditApprove {
		return nil
	}
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	cfg, err := r.recordedConfig(ctx, runID)
	if err != nil {
		return err
	}
	rules, err := r.rulesFor(run, cfg)
	if err != nil {
		return err
	}
	ws := approval.NewWorkspace(recordedSandbox(run, req))
	a := approval.Check(req.Tool, ans.Input, cfg.Approval, rules, ws)
	if a.Decision == approval.Deny {
		return fmt.Errorf("%w: run %s: %s", ErrEditRefused, runID, a.Reason)
	}
	return nil
}

// recordedConfig reads the run's configuration from its config step.
func (r *Runner) recordedConfig(ctx context.Context, runID string) (RunConfig, error) {
	var cfg RunConfig
	steps, err := r.config.Journal.Steps(ctx, runID)
	if err != nil {
		return cfg, fmt.Errorf("agent: %w", err)
	}
	for _, st := range steps {
		if st.Kind == record.KindConfig && st.Status == journal.StepCompleted {
			if err := json.Unmarshal(st.Output, &cfg); err != nil {
				return cfg, fmt.Errorf("agent: run %s: recorded config: %w", runID, err)
			}
			return cfg, nil
		}
	}
	return cfg, fmt.Errorf("agent: run %s has no recorded config", runID)
}

// recordedSandbox describes the run's sandbox from what the run and its request recorded,
// without opening it (which may start a container).
func recordedSandbox(run journal.Run, req approval.Request) sandbox.Info {
	if e := req.Preview.Exec; e != nil {
		v := e.Sandbox
		return sandbox.Info{Kind: v.Kind, Workspace: v.Workspace, WorkDir: v.Workspace, Image: v.Image, Network: v.Network, Isolated: v.Isolated}
	}
	isolated := run.Sandbox != "" && run.Sandbox != "local"
	return sandbox.Info{Kind: run.Sandbox, Workspace: run.Workspace, WorkDir: run.Workspace, Isolated: isolated}
}
