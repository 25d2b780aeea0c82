package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// TurnCall is one call of a model turn that a person is asked about.
type TurnCall struct {
	// Index is the call's position among the turn's tool calls (from 0).
	Index int `json:"index"`
	// ToolUseID is the id the model gave the call.
	ToolUseID string `json:"tool_use_id"`
	// Seq is the approval step that waits for the call; 0 for a later call, not gated yet.
	Seq int `json:"seq"`
	// Request is what the person is asked, with its preview: a later call's preview is
	// computed against the workspace with the turn's earlier writes and edits applied.
	Request approval.Request `json:"request"`
}

// Turn is a run's waiting approval with the later write and edit calls of the same model
// turn that will ask too, so that one dialog can review them all.
type Turn struct {
	Run journal.Run
	// ModelSeq is the model step whose response made the calls.
	ModelSeq int
	// Calls holds the waiting call first, then the later ones in the turn's order.
	Calls []TurnCall
}

// Turn returns the approval a run waits for, with the later write and edit calls of its
// model turn that the gate will ask about (their checks run now, against the rules in
// force now: a call a rule decides is left out). Nothing is recorded and no sandbox is
// opened: later previews read the run's workspace on the host, with the turn's earlier
// writes and edits applied in memory, so a second edit of a file shows against the first's
// result. A later call's answer is given when the gate reaches it (Answer checks its hash).
func (r *Runner) Turn(ctx context.Context, runID string) (Turn, error) {
	st, req, err := r.Pending(ctx, runID)
	if err != nil {
		return Turn{}, err
	}
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return Turn{}, fmt.Errorf("agent: %w", err)
	}
	steps, err := r.config.Journal.Steps(ctx, runID)
	if err != nil {
		return Turn{}, fmt.Errorf("agent: %w", err)
	}
	t := Turn{Run: run, Calls: []TurnCall{{Seq: st.Seq, Request: req}}}
	model, done := turnModel(steps, st.Seq)
	if model == nil {
		return t, nil
	}
	t.ModelSeq = model.Seq
	resp, err := record.DecodeModelOutput(model.Output)
	if err != nil {
		return Turn{}, fmt.Errorf("agent: run %s step %d: recorded model response: %w", runID, model.Seq, err)
	}
	uses := resp.ToolUses()
	if done >= len(uses) || uses[done].Name != req.Tool {
		return t, nil // a history this Corral did not write: the waiting call alone
	}
	t.Calls[0].Index, t.Calls[0].ToolUseID = done, uses[done].ID
	later, err := r.laterCalls(ctx, run, req, uses, done)
	if err != nil {
		return Turn{}, err
	}
	t.Calls = append(t.Calls, later...)
	return t, nil
}

// turnModel finds the model step whose calls the approval step seq belongs to, and how many
// of its calls have a tool step before seq (the waiting call's index).
func turnModel(steps []journal.Step, seq int) (*journal.Step, int) {
	var model *journal.Step
	done := 0
	for i := range steps {
		st := &steps[i]
		if st.Seq >= seq {
			break
		}
		switch st.Kind {
		case record.KindLLM:
			model, done = st, 0
		case record.KindTool:
			done++
		}
	}
	if model == nil || model.Status != journal.StepCompleted {
		return nil, 0
	}
	return model, done
}

// laterCalls checks and previews the turn's write and edit calls after index at.
func (r *Runner) laterCalls(ctx context.Context, run journal.Run, req approval.Request, uses []llm.Block, at int) ([]TurnCall, error) {
	if !slices.ContainsFunc(uses[at+1:], reviewable) {
		return nil, nil
	}
	cfg, err := r.recordedConfig(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	rules, err := r.rulesFor(run, cfg)
	if err != nil {
		return nil, err
	}
	ws := approval.NewWorkspace(recordedSandbox(run, req))
	dir, err := sandbox.OpenDir(run.Workspace)
	if err != nil {
		// The workspace cannot be read here: the later calls ask one at a time, as they
		// would without this dialog.
		return nil, nil
	}
	defer dir.Close()
	files := &turnFiles{base: dir, changed: map[string][]byte{}}
	files.apply(req.Tool, req.Input, req.Preview.File)
	policy := cfg.Approval.Defaults(ws.Sandbox.Isolated)
	var later []TurnCall
	for i := at + 1; i < len(uses); i++ {
		u := uses[i]
		if !reviewable(u) || !slices.Contains(cfg.Tools, u.Name) {
			continue
		}
		a := approval.Check(u.Name, u.Input, policy, rules, ws)
		if a.Decision == approval.Deny {
			continue // refused at once when the gate reaches it
		}
		p, err := approval.Prepare(u.Name, u.Input, a, ws, files, approval.PreviewOptions{})
		if err != nil {
			return nil, fmt.Errorf("agent: preview call %d of run %s: %w", i, run.ID, err)
		}
		files.apply(u.Name, u.Input, p.Preview.File)
		if a.Decision == approval.Ask {
			later = append(later, TurnCall{Index: i, ToolUseID: u.ID, Request: p})
		}
	}
	return later, nil
}

// reviewable reports whether a later call of a turn is reviewed with the waiting one: a
// write or an edit the model sent whole.
func reviewable(u llm.Block) bool {
	return (u.Name == "write" || u.Name == "edit") && u.InputError == "" && !u.Truncated
}

// rulesFor gathers the rules in force for a run now, as the loop's ruleSet does: the
// ledger's (global, the run's agent, its session) and the run's own.
func (r *Runner) rulesFor(run journal.Run, cfg RunConfig) (approval.RuleSet, error) {
	rules := approval.NewRuleSet()
	if r.config.Ledger != nil {
		var err error
		if rules, err = r.config.Ledger.RuleSet(cfg.Agent, run.SessionID); err != nil {
			return rules, fmt.Errorf("agent: rules: %w", err)
		}
	}
	for _, rs := range cfg.Rules {
		more, err := rs.Lists.Rules(rs.Scope)
		if err != nil {
			return rules, fmt.Errorf("agent: rules: %w", err)
		}
		rules = rules.With(more...)
	}
	return rules, nil
}

// turnFiles reads the workspace with a turn's earlier writes and edits applied in memory.
type turnFiles struct {
	base    approval.FileReader
	changed map[string][]byte // by workspace-relative name
}

// ReadFile returns the file as the turn's earlier calls leave it.
func (f *turnFiles) ReadFile(name string) ([]byte, error) {
	if b, ok := f.changed[name]; ok {
		return b, nil
	}
	b, err := f.base.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return b, err
}

// apply keeps in memory what a write or edit whose preview is p would leave; a call that
// will fail, or whose content was not diffed, changes nothing here.
func (f *turnFiles) apply(toolName string, input json.RawMessage, p *approval.FilePreview) {
	if p == nil || p.Problem != "" || p.TooLarge || p.Binary != "" || p.Path == "" {
		return
	}
	switch toolName {
	case "write":
		var in struct {
			Content *string `json:"content"`
		}
		if json.Unmarshal(input, &in) == nil && in.Content != nil {
			f.changed[p.Path] = []byte(*in.Content)
		}
	case "edit":
		var in struct {
			OldString  *string `json:"old_string"`
			NewString  *string `json:"new_string"`
			ReplaceAll bool    `json:"replace_all"`
		}
		if json.Unmarshal(input, &in) != nil || in.OldString == nil || in.NewString == nil {
			return
		}
		before, err := f.ReadFile(p.Path)
		if err != nil {
			return
		}
		if after, _, err := tool.Replace(string(before), *in.OldString, *in.NewString, in.ReplaceAll); err == nil {
			f.changed[p.Path] = []byte(after)
		}
	}
}
