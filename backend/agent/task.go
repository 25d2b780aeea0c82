package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/tool"
)

// Subagents. An agent whose definition names Subagents is offered the task tool: a call
// starts a child run of a named agent, with its own context (no session history), tools no
// wider than the parent's, and a step budget taken from the parent's. The task calls of one
// model turn are two kinds of step each:
//
//  1. a subagent step per call (kind subagent, name task), in the order of the calls, that
//     creates the child run (linked to the parent's run and that step's seq) and records
//     its id; the child's id is derived from the parent's and the seq, so a crash between
//     creating the child and recording the step finds the same child;
//  2. after them, the turn's tool steps in order: a task call's tool step waits for its
//     child and records the child's answer as the call's result.
//
// The children of a turn are driven at once, each by its own goroutine, between the two.
// Every step is idempotent: a resumed parent replays what it recorded and drives again the
// children that had not finished, which replay their own journals in turn. So a crash in
// the middle repeats no model call and no side effect of either.
//
// A child that stops for a person (an approval, a cut-off command, a fault) stops its
// parent too, with its task step left started: answering the child, then resuming (the
// parent, or the child, which resumes through its parent) goes on.

// Isolation modes of a task call.
const (
	// IsolationShared: the child works in the parent's workspace (the default).
	IsolationShared = "shared"
	// IsolationCopy: the child works in a copy of the workspace (under the data
	// directory, .git left out); its changes come back to the parent as a diff, which
	// the parent applies with its own edit and write calls, through the approval gate.
	IsolationCopy = "copy"
	// IsolationWorktree: the child works in a git worktree of the workspace's repository at
	// its HEAD (under the data directory; removed when the parent run ends); its changes come
	// back to the parent as a diff, as a copy's do.
	IsolationWorktree = "worktree"
)

// taskInput is what the model sends to the task tool.
type taskInput struct {
	Agent     string `json:"agent"`
	Prompt    string `json:"prompt"`
	Isolation string `json:"isolation,omitempty"`
	MaxSteps  int    `json:"max_steps,omitempty"`
}

// taskSpec is the task tool as the model is offered it, naming the agents it may start.
func taskSpec(agents []string) llm.ToolSpec {
	names, _ := json.Marshal(agents)
	schema := `{"type":"object","properties":{` +
		`"agent":{"type":"string","enum":` + string(names) + `,"description":"The agent to delegate to."},` +
		`"prompt":{"type":"string","description":"The whole task: the subagent sees nothing of this conversation."},` +
		`"isolation":{"type":"string","enum":["shared","copy","worktree"],"description":"shared (default): work in this workspace. copy: work in a copy; its changes come back as a diff for you to apply. worktree: work in a git worktree of this repository at its last commit (what is not committed is not there); its changes come back as a diff."},` +
		`"max_steps":{"type":"integer","minimum":1,"description":"At most this many model calls for the subagent (it never gets more than you have left)."}},` +
		`"required":["agent","prompt"]}`
	return llm.ToolSpec{
		Name: record.NameTask,
		Description: "Delegate a task to a subagent, which works on it with its own tools and context and answers with its final message. " +
			"Several task calls in one response run at the same time. Agents you may start: " + strings.Join(agents, ", ") + ".",
		InputSchema: json.RawMessage(schema),
	}
}

// isTask reports whether a tool call is a task call this run answers by a subagent.
func (l *loop) isTask(use llm.Block) bool {
	return use.Name == record.NameTask && len(l.cfg.Subagents) > 0
}

// child is one subagent of a turn: what its subagent step recorded and, once its goroutine
// is done, its answer.
type child struct {
	rec  record.Subagent
	done chan struct{} // closed when res and err are set; nil when nothing drives it
	res  tool.Result
	err  error
}

// brood is the children of one model turn, by the id of the tool call that asked for each.
type brood struct {
	kids map[string]*child
	wg   sync.WaitGroup
}

// of returns the child the call id asked for, or nil.
func (b *brood) of(id string) *child {
	if b == nil {
		return nil
	}
	return b.kids[id]
}

// stop waits for the turn's children: each ends when it finishes, stops for a person, or
// the parent's drive is cancelled.
func (b *brood) stop() {
	if b != nil {
		b.wg.Wait()
	}
}

// runTools answers a model turn's tool calls in order, task calls by subagents started
// together before the others run; each result is clipped to the run's budget (clip.go).
func (l *loop) runTools(ctx context.Context, resp llm.Response, turn, clip int) ([]llm.Block, error) {
	kids, err := l.spawn(ctx, resp.Content, turn)
	defer kids.stop()
	if err != nil {
		return nil, err
	}
	var results []llm.Block
	for _, b := range resp.Content {
		if b.Type != llm.BlockToolUse {
			continue
		}
		var res tool.Result
		if l.isTask(b) {
			res, err = l.taskStep(ctx, b, kids.of(b.ID))
		} else {
			res, err = l.toolStep(ctx, b)
		}
		if err != nil {
			return nil, err
		}
		results = append(results, llm.ToolResultBlock(b.ID, clipResult(b.Name, res.Content, clip), res.IsError))
	}
	return results, nil
}

// spawn records a subagent step for each well-formed task call of a turn and, unless only
// replaying, drives the children at once.
func (l *loop) spawn(ctx context.Context, blocks []llm.Block, turn int) (*brood, error) {
	var uses []llm.Block
	for _, b := range blocks {
		if b.Type == llm.BlockToolUse && l.isTask(b) && b.InputError == "" && !b.Truncated {
			uses = append(uses, b)
		}
	}
	if len(uses) == 0 {
		return nil, nil
	}
	br := &brood{kids: map[string]*child{}}
	for _, use := range uses {
		seq := l.cur.Seq() + 1
		st, err := l.step(ctx, journal.StepSpec{Name: record.NameTask, Kind: record.KindSubagent, Idempotent: true, Input: use.Input}, func(ctx context.Context) (journal.StepResult, error) {
			rec, err := l.startChild(ctx, seq, use.Input, turn, len(uses))
			if err != nil {
				return journal.StepResult{}, err
			}
			out, err := json.Marshal(rec)
			return journal.StepResult{Output: out}, err
		})
		if err != nil {
			return br, err
		}
		rec, err := record.DecodeSubagent(st.Output)
		if err != nil {
			return br, fmt.Errorf("agent: run %s step %d: recorded subagent: %w", l.run.ID, st.Seq, err)
		}
		br.kids[use.ID] = &child{rec: rec}
	}
	if l.replayOnly {
		return br, nil
	}
	for _, kid := range br.kids {
		if kid.rec.Run == "" {
			continue
		}
		kid.done = make(chan struct{})
		br.wg.Add(1)
		go func() {
			defer br.wg.Done()
			defer close(kid.done)
			kid.res, kid.err = l.r.awaitChild(ctx, kid.rec, l.d, l.run.Workspace)
		}()
	}
	return br, nil
}

// childRunID is the id of the child run a parent's subagent step seq starts: derived, so a
// step run again after a crash finds the child it had created.
func childRunID(parent string, seq int) string { return fmt.Sprintf("%s-t%d", parent, seq) }

// startChild creates the child run a task call asks for, or says why there is none (a
// result the model sees). A child created before a crash is found, not made again.
func (l *loop) startChild(ctx context.Context, seq int, input json.RawMessage, turn, n int) (record.Subagent, error) {
	refuse := func(format string, a ...any) (record.Subagent, error) {
		return record.Subagent{V: record.SubagentVersion, Error: fmt.Sprintf(format, a...)}, nil
	}
	var in taskInput
	if err := json.Unmarshal(input, &in); err != nil {
		return refuse("The task input is not valid (%v); no subagent was started.", err)
	}
	if strings.TrimSpace(in.Prompt) == "" {
		return refuse("The task has no prompt; no subagent was started. Say the whole task in prompt.")
	}
	if !slices.Contains(l.cfg.Subagents, in.Agent) {
		return refuse("There is no subagent %q for this agent; it may start: %s.", in.Agent, strings.Join(l.cfg.Subagents, ", "))
	}
	switch in.Isolation {
	case "", IsolationShared:
		in.Isolation = IsolationShared
	case IsolationCopy, IsolationWorktree:
	default:
		return refuse("Isolation %q is not one of shared, copy or worktree; no subagent was started.", in.Isolation)
	}
	def, ok, _ := l.r.definition(in.Agent)
	if !ok {
		return refuse("The agent %q is not defined any more; no subagent was started.", in.Agent)
	}
	id := childRunID(l.run.ID, seq)
	rec := record.Subagent{V: record.SubagentVersion, Run: id, Agent: def.ID, Isolation: in.Isolation, Workspace: l.run.Workspace}
	if got, err := l.r.config.Journal.Run(ctx, id); err == nil {
		return l.r.subagentOf(ctx, got, rec)
	} else if !errors.Is(err, journal.ErrNotFound) {
		return rec, fmt.Errorf("agent: subagent %s: %w", id, err)
	}
	cfg, err := l.childConfig(def, in, turn, n)
	if err != nil {
		return refuse("The subagent %q cannot start: %v.", in.Agent, err)
	}
	switch in.Isolation {
	case IsolationCopy:
		rec.Workspace = filepath.Join(l.r.config.DataDir, "subagents", id)
		if err := copyWorkspace(l.run.Workspace, rec.Workspace); err != nil {
			return rec, fmt.Errorf("agent: subagent %s: copy the workspace: %w", id, err)
		}
	case IsolationWorktree:
		rec.Workspace = filepath.Join(l.r.config.DataDir, "subagents", id)
		if err := addWorktree(ctx, l.run.Workspace, rec.Workspace); errors.Is(err, errNoRepository) {
			return refuse("There is no git worktree to give (%v); no subagent was started. Ask for isolation copy instead.", err)
		} else if err != nil {
			return rec, fmt.Errorf("agent: subagent %s: make its worktree: %w", id, err)
		}
	}
	blob, err := json.Marshal(cfg)
	if err != nil {
		return rec, err
	}
	_, err = l.r.config.Journal.CreateRunWithStep(ctx, journal.Run{
		ID: id, SessionID: l.run.SessionID, Agent: def.ID, Prompt: in.Prompt, Workspace: rec.Workspace,
		Sandbox: cfg.Sandbox, Status: journal.RunPending, ParentRunID: l.run.ID, ParentSeq: seq,
	}, journal.StepSpec{Name: record.NameConfig, Kind: record.KindConfig, Idempotent: true}, journal.StepResult{Output: blob})
	if err != nil && !errors.Is(err, journal.ErrExists) {
		return rec, fmt.Errorf("agent: create subagent %s: %w", id, err)
	}
	rec.MaxSteps = cfg.MaxSteps
	return rec, nil
}

// subagentOf completes rec from a child run already recorded.
func (r *Runner) subagentOf(ctx context.Context, run journal.Run, rec record.Subagent) (record.Subagent, error) {
	rec.Workspace = run.Workspace
	st, err := r.config.Journal.GetStep(ctx, run.ID, 1)
	if err != nil {
		return rec, fmt.Errorf("agent: subagent %s: %w", run.ID, err)
	}
	cfg, err := record.DecodeConfig(st.Output)
	if err != nil {
		return rec, fmt.Errorf("agent: subagent %s configuration: %w", run.ID, err)
	}
	rec.MaxSteps = cfg.MaxSteps
	return rec, nil
}

// childConfig is a child run's configuration: its agent's, narrowed to what the parent
// has (tools, subagents, output limit, steps and spend caps), in the parent's sandbox under the parent's
// approval policy and rules, with the parent's model where the agent names none.
func (l *loop) childConfig(def Definition, in taskInput, turn, n int) (RunConfig, error) {
	p := l.cfg
	cfg := RunConfig{
		V: record.ConfigVersion, Agent: def.ID, Provider: def.Provider, Model: def.Model, BaseURL: def.BaseURL,
		System: def.System, Tools: narrowed(def.Tools, p.Tools), Subagents: narrowed(def.Subagents, p.Subagents),
		MaxTokens: def.MaxTokens, MaxTokensField: def.MaxTokensField,
		Sandbox: p.Sandbox, Container: p.Container, Approval: p.Approval, Rules: p.Rules,
	}
	if cfg.Provider == "" {
		cfg.Provider, cfg.BaseURL = p.Provider, p.BaseURL
		if cfg.Model == "" {
			cfg.Model = p.Model
		}
	}
	if p.MaxTokens > 0 && (cfg.MaxTokens <= 0 || cfg.MaxTokens > p.MaxTokens) {
		cfg.MaxTokens = p.MaxTokens
	}
	cfg.MaxSteps = childSteps(p.MaxSteps, turn, n, def.MaxSteps, in.MaxSteps)
	cfg.Budget = childBudget(p.Budget, l.spent, n, Budget{MaxCostUSD: def.MaxCostUSD, MaxTokens: def.MaxRunTokens})
	var err error
	if cfg.Thinking, err = ParseThinking(def.Thinking); err != nil {
		return cfg, err
	}
	if in.Isolation != IsolationShared && cfg.Sandbox == "docker" {
		// The session's container mounts the session's workspace, not the copy or worktree.
		cfg.Container.Scope, cfg.Container.IdleSeconds = "run", 0
	}
	cfg.Provider, cfg.Model = l.d.models.Resolve(cfg.Provider, cfg.Model)
	return cfg, nil
}

// narrowed keeps the names of want that the parent has too, in want's order.
func narrowed(want, has []string) []string {
	var out []string
	for _, w := range want {
		if slices.Contains(has, w) {
			out = append(out, w)
		}
	}
	return out
}

// taskStep is a task call's tool step: it waits for the call's child and records its
// answer as the result.
func (l *loop) taskStep(ctx context.Context, use llm.Block, kid *child) (tool.Result, error) {
	seq := l.cur.Seq() + 1
	begun := time.Now()
	st, err := l.step(ctx, journal.StepSpec{Name: record.NameTask, Kind: record.KindTool, Idempotent: true, Input: use.Input}, func(ctx context.Context) (journal.StepResult, error) {
		l.r.publish(Event{Type: EventToolStarted, RunID: l.run.ID, Seq: seq, Tool: use.Name, Input: use.Input})
		res, err := l.answer(ctx, use, kid)
		if err != nil {
			return journal.StepResult{}, err
		}
		out, err := json.Marshal(res)
		return journal.StepResult{Output: out}, err
	})
	if err != nil {
		return tool.Result{}, err
	}
	return l.toolFinished(st, use, begun)
}

// answer is a task call's result: why no child started, or the child's answer.
func (l *loop) answer(ctx context.Context, use llm.Block, kid *child) (tool.Result, error) {
	switch {
	case use.Truncated || use.InputError != "":
		return l.runTool(ctx, nil, true, use, nil)
	case kid == nil:
		return tool.Result{}, fmt.Errorf("agent: run %s: task call %s has no subagent step", l.run.ID, use.ID)
	case kid.rec.Error != "":
		return tool.Result{Content: kid.rec.Error, IsError: true}, nil
	case kid.done == nil:
		return tool.Result{}, errReplayOnly
	}
	select {
	case <-kid.done:
		return kid.res, kid.err
	case <-ctx.Done():
		return tool.Result{}, ctx.Err()
	}
}

// finalRun reports whether a run in status s has ended for good.
func finalRun(s journal.RunStatus) bool {
	switch s {
	case journal.RunCompleted, journal.RunFailed, journal.RunRefused, journal.RunCutOff:
		return true
	}
	return false
}

// awaitChild drives a child run until it ends and returns its answer as the task call's
// result, or a *childStopped when it stopped for a person.
func (r *Runner) awaitChild(ctx context.Context, rec record.Subagent, d drive, parentWS string) (tool.Result, error) {
	run, err := r.config.Journal.Run(ctx, rec.Run)
	if err != nil {
		return tool.Result{}, fmt.Errorf("agent: subagent %s: %w", rec.Run, err)
	}
	if !finalRun(run.Status) {
		got, err := r.driveRun(ctx, rec.Run, d, false)
		if !finalRun(got.Status) {
			if ctx.Err() != nil {
				return tool.Result{}, ctx.Err()
			}
			if err == nil {
				err = fmt.Errorf("it is %s", got.Status)
			}
			return tool.Result{}, &childStopped{run: got, err: err}
		}
		run = got
	}
	return r.childResult(ctx, run, rec, parentWS)
}

// childResult turns a child run that ended into its parent's tool result.
func (r *Runner) childResult(ctx context.Context, run journal.Run, rec record.Subagent, parentWS string) (tool.Result, error) {
	steps, err := r.config.Journal.Steps(ctx, run.ID)
	if err != nil {
		return tool.Result{}, fmt.Errorf("agent: subagent %s: %w", run.ID, err)
	}
	res := tool.Result{Content: lastAnswer(steps)}
	switch run.Status {
	case journal.RunCompleted:
	case journal.RunFailed:
		res = tool.Result{Content: fmt.Sprintf("The subagent %s (run %s) failed: %s", rec.Agent, run.ID, run.Error), IsError: true}
	default:
		res.Content = fmt.Sprintf("The subagent %s (run %s) ended %s: %s\n\n%s", rec.Agent, run.ID, run.Status, run.Error, res.Content)
		res.IsError = run.Status == journal.RunRefused
	}
	var (
		text  string
		files int
		where = "a copy of the workspace"
	)
	switch rec.Isolation {
	case IsolationCopy:
		text, files, err = workspaceDiff(parentWS, rec.Workspace)
	case IsolationWorktree:
		where = "a git worktree of the repository at its last commit"
		text, files, err = worktreeDiff(ctx, rec.Workspace)
	default:
		return res, nil
	}
	if err != nil {
		return tool.Result{}, fmt.Errorf("agent: subagent %s: diff its workspace: %w", run.ID, err)
	}
	switch files {
	case 0:
		res.Content += fmt.Sprintf("\n\n(The subagent worked in %s and changed nothing in it.)", where)
	default:
		res.Content += fmt.Sprintf("\n\nThe subagent worked in %s (%s) and changed %d file(s) there; nothing was applied here. "+
			"Review the diff and make the changes you want with edit or write:\n\n%s", where, rec.Workspace, files, text)
		res.Meta.Diff = text
	}
	return res, nil
}

// lastAnswer is the text of a run's last completed model response.
func lastAnswer(steps []journal.Step) string {
	for i := len(steps) - 1; i >= 0; i-- {
		st := steps[i]
		if st.Kind != record.KindLLM || st.Status != journal.StepCompleted {
			continue
		}
		if resp, err := record.DecodeModelOutput(st.Output); err == nil {
			return resp.Text()
		}
	}
	return ""
}

// childStopped is a child run that stopped for a person or a fault: its parent's task step
// stays started and the parent stops too, until the child can go on.
type childStopped struct {
	run journal.Run
	err error
}

func (e *childStopped) Error() string {
	return fmt.Sprintf("subagent run %s stopped (%s): %v", e.run.ID, e.run.Status, e.err)
}
func (e *childStopped) Unwrap() error   { return e.err }
func (e *childStopped) Is(t error) bool { return t == journal.ErrStepUnfinished }

// advice says what a person does for the parent to go on.
func (e *childStopped) advice() string {
	switch e.run.Status {
	case journal.RunAwaitingApproval:
		return fmt.Sprintf("its subagent run %s waits for approval: answer it (corral approve or deny %s), then the run goes on", e.run.ID, e.run.ID)
	case journal.RunInterrupted:
		return fmt.Sprintf("its subagent run %s has a cut-off step: resolve it (corral resolve %s), then resume", e.run.ID, e.run.ID)
	}
	return fmt.Sprintf("its subagent run %s stopped: %v. To continue: resume (corral resume)", e.run.ID, e.err)
}
