package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// Drive runs a pending run, or resumes one that was interrupted, cancelled, suspended or
// left running by a crash, until it completes, fails, is cancelled (ctx) or must wait for a
// person (ErrSuspended). It returns the run as it stands at the end. Options change this
// drive only.
//
// A subagent's run whose parent has not ended goes on through its parent: driving it
// drives the parent, which drives it (and returns the parent's run).
func (r *Runner) Drive(ctx context.Context, runID string, opts ...DriveOption) (journal.Run, error) {
	return r.driveRun(ctx, runID, r.drive(opts), true)
}

// driveRun is Drive with the drive's options applied; viaParent sends a subagent's run to
// its parent (a parent driving its child does not).
func (r *Runner) driveRun(ctx context.Context, runID string, d drive, viaParent bool) (journal.Run, error) {
	run, err := r.config.Journal.Run(ctx, runID)
	if err != nil {
		return run, fmt.Errorf("agent: %w", err) // the journal error names the run
	}
	if viaParent && run.ParentRunID != "" {
		parent, err := r.config.Journal.Run(ctx, run.ParentRunID)
		if err != nil {
			return run, fmt.Errorf("agent: subagent run %s: %w", run.ID, err)
		}
		if !finalRun(parent.Status) {
			return r.driveRun(ctx, parent.ID, d, true)
		}
	}
	sess, err := r.config.Journal.Session(ctx, run.SessionID)
	if err != nil {
		return run, fmt.Errorf("agent: run %s: %w", run.ID, err)
	}
	if sess.Imported() {
		return run, fmt.Errorf("agent: run %s was imported and is read-only; re-run it with corral replay", run.ID)
	}
	switch run.Status {
	case journal.RunCompleted, journal.RunFailed, journal.RunRefused, journal.RunCutOff:
		return run, fmt.Errorf("agent: run %s has %s; start a new run in session %s to continue", run.ID, run.Status, run.SessionID)
	}
	cur, err := r.config.Journal.Cursor(ctx, run.ID)
	if err != nil {
		return run, fmt.Errorf("agent: load run %s: %w", run.ID, err)
	}
	history := cur.History()
	l := &loop{r: r, d: d, run: run, cur: cur}
	started := EventRunStarted
	if run.Status != journal.RunPending {
		started = EventRunResumed
	}
	ev := Event{Type: started, RunID: run.ID, SessionID: run.SessionID, Status: string(journal.RunRunning), Workspace: run.Workspace}
	var resume *journal.Resume
	if reason := resumeReason(run.Status, history); reason != "" {
		// The run stopped part way: the journal keeps where and why it went on (the trace
		// shows it), in the same transaction that marks it running.
		resume = &journal.Resume{AfterSeq: lastCompleted(history), Reason: reason}
	}
	// One driver per run: the claim fails while another live process drives it, and a
	// claim lost to another process (this one was silent too long) stops this drive.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lease, res, err := r.config.Journal.ClaimRun(ctx, run.ID, run.Status, resume, func() { cancel(errLeaseLost) })
	if err != nil {
		return run, fmt.Errorf("agent: %w", err)
	}
	defer lease.Release()
	ev.Reason = res.Reason
	r.publish(ev)

	final, runErr := l.drive(ctx)
	defer l.close()
	if errors.Is(context.Cause(ctx), errLeaseLost) {
		// The run is another process's now: what it records is the run's record.
		return run, fmt.Errorf("agent: run %s: %w", run.ID, errLeaseLost)
	}
	return r.finish(ctx, run, final, runErr)
}

// errLeaseLost cancels a drive whose run another process took over.
var errLeaseLost = errors.New("agent: another process took this run over")

// Resume reasons: why a run that is driven again had stopped part way.
const (
	// ResumeInterrupted: its process died while it ran (a crash or a kill: Drive finds it
	// running), or a step with side effects was cut off and a person resolved it.
	ResumeInterrupted = "interrupted"
	// ResumeCancelled: it was cancelled (Ctrl+C, the window's stop button).
	ResumeCancelled = "cancelled"
	// ResumePaused: a fault a retry or a person could clear (the provider kept failing, a
	// bad key, a full disk) had paused it.
	ResumePaused = "paused"
)

// resumeReason says whether driving a run in this status, with this history, resumes it, and
// why it had stopped. A pending run starts; a run awaiting approval goes on after the answer,
// which is the normal course of a run, not a resume (it does not run until answered, so
// nothing was cut off). So does a run whose process died while it waited for a person before
// its status said so: its last step is the open approval. Completed and failed runs are not
// driven.
func resumeReason(s journal.RunStatus, history []journal.Step) string {
	switch s {
	case journal.RunRunning:
		if n := len(history); n > 0 && history[n-1].Kind == record.KindApproval && history[n-1].Status == journal.StepStarted {
			return ""
		}
		return ResumeInterrupted
	case journal.RunInterrupted:
		return ResumeInterrupted
	case journal.RunCancelled:
		return ResumeCancelled
	case journal.RunPaused:
		return ResumePaused
	}
	return ""
}

// lastCompleted is the seq of the last completed step of a history (0 if none).
func lastCompleted(history []journal.Step) int {
	last := 0
	for _, st := range history {
		if st.Status == journal.StepCompleted && st.Seq > last {
			last = st.Seq
		}
	}
	return last
}

// outcome is how a drive that ended with runErr leaves its run: the status and event to
// record, the error text the run keeps, and the error Drive returns.
func outcome(ctx context.Context, runID string, runErr error) (journal.RunStatus, EventType, string, error) {
	status, typ, errText := journal.RunCompleted, EventRunCompleted, ""
	var interrupted *journal.InterruptedError
	var waiting *awaitingApproval
	var refused *refusedError
	var cut *cutOffError
	var stopped *childStopped
	switch {
	case runErr == nil:
	case errors.As(runErr, &refused):
		status, typ, errText, runErr = journal.RunRefused, EventRunCompleted, refused.explanation, nil
	case errors.As(runErr, &cut):
		status, typ, errText, runErr = journal.RunCutOff, EventRunCompleted, cut.Error(), nil
	case errors.As(runErr, &waiting):
		status, typ = journal.RunAwaitingApproval, EventRunSuspended
		errText = waiting.Error()
		runErr = fmt.Errorf("%w: %s", ErrSuspended, errText)
	case errors.As(runErr, &interrupted):
		status, typ = journal.RunInterrupted, EventRunSuspended
		errText = fmt.Sprintf("step %d (%s %s) was cut off before it finished; its side effect may have happened. Resolve it: rerun, skip or fail", interrupted.Seq, interrupted.Kind, interrupted.Name)
		runErr = fmt.Errorf("%w: %s", ErrSuspended, errText)
	case errors.As(runErr, &stopped) && ctx.Err() == nil:
		// A subagent stopped for a person: its parent waits with it.
		status, typ, errText = journal.RunPaused, EventRunSuspended, "waiting for a subagent: "+stopped.advice()
		if stopped.run.Status == journal.RunAwaitingApproval {
			status = journal.RunAwaitingApproval
		}
		runErr = fmt.Errorf("%w: %s", ErrSuspended, errText)
	case ctx.Err() != nil:
		status, typ, errText = journal.RunCancelled, EventRunCancelled, "cancelled"
		runErr = fmt.Errorf("agent: run %s cancelled: %w", runID, ctx.Err())
	case pausedOutcome(runErr) != "":
		status, typ, errText = journal.RunPaused, EventRunSuspended, pausedOutcome(runErr)
		runErr = fmt.Errorf("%w: %s", ErrPaused, errText)
	default:
		status, typ, errText = journal.RunFailed, EventRunFailed, runErr.Error()
	}
	return status, typ, errText, runErr
}

// finish records how the loop ended and publishes it.
func (r *Runner) finish(ctx context.Context, run journal.Run, final string, runErr error) (journal.Run, error) {
	status, typ, errText, runErr := outcome(ctx, run.ID, runErr)
	// The outcome is recorded even when ctx was cancelled: that is what cancelling means.
	bg := context.WithoutCancel(ctx)
	if err := r.config.Journal.SetRunStatus(bg, run.ID, status, errText); err != nil {
		// The journal may be full: the run stays recorded as running, which resumes, and
		// whoever watches still learns why it stopped.
		r.publish(Event{Type: typ, RunID: run.ID, SessionID: run.SessionID, Status: string(status), Error: errText, Text: final})
		return run, errors.Join(runErr, fmt.Errorf("agent: record run outcome: %w", err))
	}
	if finalRun(status) {
		r.removeChildWorktrees(bg, run)
	}
	r.publish(Event{Type: typ, RunID: run.ID, SessionID: run.SessionID, Status: string(status), Error: errText, Text: final})
	out, err := r.config.Journal.Run(bg, run.ID)
	if err != nil {
		return run, errors.Join(runErr, err)
	}
	return out, runErr
}

func (r *Runner) publish(ev Event) {
	if r.config.Bus == nil {
		return
	}
	ev.Time = r.now()
	r.config.Bus.Publish(ev, ev.Type.Lossy())
}

// now is the Runner's clock: Config.Now, else time.Now.
func (r *Runner) now() time.Time {
	if r.config.Now != nil {
		return r.config.Now()
	}
	return time.Now()
}

// loop is one drive of one run: the replay cursor over its history and the lazily opened
// model and sandbox (a resumed run that only replays opens neither).
type loop struct {
	r     *Runner
	d     drive // the drive's approver, models and prices
	run   journal.Run
	cfg   RunConfig
	cur   *journal.Cursor
	model llm.Model
	sb    sandbox.Sandbox
	ws    approval.Workspace // set with sb
	tools map[string]tool.Tool
	hooks ReplayHooks // what ReplayHistory watches; empty when driving
	// replayOnly is set by ReplayHistory: nothing is decided or recorded, a cut-off step
	// stays as it is.
	replayOnly bool
	// spent is the run's spend so far and the caps' raises (budget.go).
	spent spend
}

// openSandbox opens the run's sandbox on first need.
func (l *loop) openSandbox(ctx context.Context) error {
	if l.sb != nil {
		return nil
	}
	sb, err := l.r.config.Sandboxes(ctx, l.run, l.cfg)
	if err != nil {
		// A sandbox that cannot open (Docker down, an image missing) is for a person to
		// fix: the run pauses, and a step it was opened for stays started.
		return &sandboxFault{sandbox: l.cfg.Sandbox, err: err}
	}
	l.sb, l.ws = sb, approval.NewWorkspace(sb.Info())
	return nil
}

// ruleSet gathers the rules in force now: remembered ones from the ledger (global, this
// agent, this session) and the run's own.
func (l *loop) ruleSet() (approval.RuleSet, error) {
	set := approval.NewRuleSet()
	if l.r.config.Ledger != nil {
		var err error
		if set, err = l.r.config.Ledger.RuleSet(l.cfg.Agent, l.run.SessionID); err != nil {
			return set, fmt.Errorf("agent: rules: %w", err)
		}
	}
	for _, rs := range l.cfg.Rules {
		rules, err := rs.Lists.Rules(rs.Scope)
		if err != nil {
			return set, fmt.Errorf("agent: rules: %w", err)
		}
		set = set.With(rules...)
	}
	return set, nil
}

func (l *loop) close() {
	if l.sb != nil && l.r.config.MCP != nil && l.runScoped() {
		l.r.config.MCP.Release(l.mcpPlace(l.sb)) // its container goes with the drive
	}
	if l.sb != nil {
		l.sb.Close()
	}
}

// step runs the next config, model or tool step through the cursor (replayed from the
// history, or run and recorded by the journal's rule); the replay hooks see it first.
func (l *loop) step(ctx context.Context, spec journal.StepSpec, fn func(context.Context) (journal.StepResult, error)) (journal.Step, error) {
	if l.hooks.Step != nil {
		l.hooks.Step(l.cur.Seq()+1, spec)
	}
	return l.cur.Step(ctx, spec, fn)
}

func (l *loop) drive(ctx context.Context) (string, error) {
	cfgStep, err := l.step(ctx, journal.StepSpec{Name: record.NameConfig, Kind: record.KindConfig, Idempotent: true}, func(context.Context) (journal.StepResult, error) {
		return journal.StepResult{}, errors.New("the run has no recorded configuration; it was not created by this version of Corral")
	})
	if err != nil {
		return "", err
	}
	if l.cfg, err = record.DecodeConfig(cfgStep.Output); err != nil {
		return "", fmt.Errorf("agent: run %s configuration: %w", l.run.ID, err)
	}
	specs, err := l.toolSpecs()
	if err != nil {
		return "", err
	}
	if specs, err = l.mcpTools(ctx, specs); err != nil {
		return "", err
	}
	msgs := appendUser(append([]llm.Message(nil), l.cfg.History...), llm.TextBlock(l.run.Prompt))
	var answer strings.Builder // the parts of an answer the output limit cut, continued
	continued := 0
	clip := clipBudget(l.cfg)
	request := func(msgs []llm.Message) llm.Request {
		return llm.Request{Model: l.cfg.Model, System: l.cfg.System, Messages: msgs, Tools: specs, MaxTokens: l.cfg.MaxTokens, MaxTokensField: l.cfg.MaxTokensField, Thinking: l.cfg.Thinking}
	}

	for turn := 1; ; turn++ {
		if turn > l.cfg.MaxSteps {
			return "", fmt.Errorf("stopped after %d model calls (max steps); continue in a new run or raise --max-steps", l.cfg.MaxSteps)
		}
		if msgs, err = l.compactIfNeeded(ctx, request(msgs)); err != nil {
			return "", err
		}
		req := request(msgs)
		next := l.NextRequestTokens(req)
		if err := l.budget(ctx, next); err != nil {
			return "", err
		}
		resp, err := l.modelStep(ctx, req, next)
		if failedTooLong(err) {
			// The provider counted more than the estimate: compact and ask again, once.
			var done bool
			if msgs, done, err = l.compact(ctx, msgs, record.CompactTooLong, int(next)); err == nil && done {
				req.Messages = msgs
				next = l.NextRequestTokens(req)
				if resp, err = l.modelStep(ctx, req, next); failedTooLong(err) {
					err = fmt.Errorf("the conversation is still too long for the model after compacting it: %w", err)
				}
			} else if err == nil {
				err = errors.New("the conversation is too long for the model and has nothing left to compact; start a new session or pick a model with a larger context")
			}
		}
		if err != nil {
			return "", err
		}
		l.spent.base = llm.NewBaseline(req, resp)
		msgs = appendAssistant(msgs, resp.Message())
		switch resp.StopReason {
		case llm.StopRefusal:
			if err := l.done(ctx); err != nil {
				return "", err
			}
			return resp.Text(), &refusedError{explanation: refusal(resp)}
		case llm.StopPauseTurn:
			// The provider paused a long turn: sent back as it is, the model goes on with it.
			continue
		}
		results, err := l.runTools(ctx, resp, turn, clip)
		if err != nil {
			return "", err
		}
		if len(results) == 0 && resp.StopReason == llm.StopMaxTokens {
			answer.WriteString(resp.Text())
			if continued < maxContinuations {
				continued++
				msgs = appendUser(msgs, llm.TextBlock(continuePrompt))
				continue
			}
			if err := l.done(ctx); err != nil {
				return "", err
			}
			return answer.String(), &cutOffError{limit: l.limitUsed(resp)}
		}
		if len(results) == 0 {
			// The run is complete: a step the history has beyond this one means the
			// code and the record went different ways.
			answer.WriteString(resp.Text())
			return answer.String(), l.done(ctx)
		}
		msgs = appendUser(msgs, results...)
	}
}

func (l *loop) modelStep(ctx context.Context, req llm.Request, next int64) (llm.Response, error) {
	if l.hooks.Request != nil {
		l.hooks.Request(l.cur.Seq()+1, req)
	}
	input := l.modelInput(req, next)
	seq := l.cur.Seq() + 1
	begun := time.Now()
	st, err := l.step(ctx, journal.StepSpec{Name: record.NameModel, Kind: record.KindLLM, Idempotent: true, Input: input}, func(ctx context.Context) (journal.StepResult, error) {
		l.r.publish(Event{Type: EventModelStarted, RunID: l.run.ID, Seq: seq, Model: req.Model, ContextTokens: next})
		if l.model == nil {
			m, err := l.d.models.Model(l.cfg)
			if err != nil {
				return journal.StepResult{}, &modelFault{seq: seq, err: err}
			}
			l.model = m
		}
		resp, err := l.stream(ctx, seq, req)
		if err != nil && threshold(l.cfg) > 0 && errors.Is(err, llm.ErrContextTooLong) {
			// Recorded failed, not left to resume: the loop compacts and asks again.
			return journal.StepResult{}, &tooLong{err: err}
		}
		if err != nil {
			// Whatever stopped the call (the provider kept failing, a key, a quota), a
			// retry or a person can clear it: the step stays started and the run resumes here.
			return journal.StepResult{}, &modelFault{seq: seq, err: err}
		}
		out, err := json.Marshal(resp)
		if err != nil {
			return journal.StepResult{}, err
		}
		u := journal.Usage{InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens, CacheReadTokens: resp.Usage.CacheReadTokens, CacheWriteTokens: resp.Usage.CacheWriteTokens}
		return journal.StepResult{Output: out, Usage: u, CostUSD: l.d.prices.Cost(req.Model, resp.Usage)}, nil
	})
	if err != nil {
		return llm.Response{}, err
	}
	resp, err := record.DecodeModelOutput(st.Output)
	if err != nil {
		return resp, fmt.Errorf("agent: run %s step %d: recorded model response: %w", l.run.ID, st.Seq, err)
	}
	l.spent.count(st)
	l.r.publish(Event{Type: EventModelFinished, RunID: l.run.ID, Seq: st.Seq, Model: req.Model, Replayed: st.Replayed,
		Usage: &resp.Usage, CostUSD: st.CostUSD, Text: resp.Text(), Duration: time.Since(begun).Milliseconds(), ContextTokens: next})
	return resp, nil
}

func (l *loop) streamEvent(seq int, ev llm.Event) {
	switch e := ev.(type) {
	case llm.TextDelta:
		l.r.publish(Event{Type: EventTextDelta, RunID: l.run.ID, Seq: seq, Text: e.Text})
	case llm.ThinkingDelta:
		l.r.publish(Event{Type: EventThinkingDelta, RunID: l.run.ID, Seq: seq, Text: e.Thinking})
	case llm.Retry:
		l.r.publish(Event{Type: EventModelRetry, RunID: l.run.ID, Seq: seq, Attempt: e.Attempt, WaitMS: e.Wait.Milliseconds(), Error: e.Reason, Discard: e.Discard})
	}
}

func (l *loop) toolStep(ctx context.Context, use llm.Block) (tool.Result, error) {
	t, known := l.tools[use.Name]
	// A call with side effects passes the approval gate first (its own step); what runs is
	// what the gate let through, possibly edited by a person.
	outcome := approval.Outcome{Run: true, Input: use.Input}
	if known && use.InputError == "" && (gated(use.Name, use.Input) || isMCP(t)) {
		var err error
		if outcome, err = l.gate(ctx, use); err != nil {
			return tool.Result{}, err
		}
	}
	if outcome.Run && outcome.Input != nil {
		use.Input = outcome.Input
	}
	idempotent := !known || t.Idempotent() || use.InputError != "" || !outcome.Run
	if l.willRun(known && outcome.Run && use.InputError == "" && !use.Truncated) {
		// Opened before the step, so a sandbox that cannot open leaves no command cut off.
		if err := l.openSandbox(ctx); err != nil {
			return tool.Result{}, err
		}
	}
	resolved := "" // why a call a crash cut off runs again, when the workspace said so
	if !idempotent {
		var err error
		if resolved, err = l.resolveCut(ctx, use.Name, t); err != nil {
			return tool.Result{}, err
		}
	}
	seq := l.cur.Seq() + 1
	begun := time.Now()
	var live *liveOutput
	st, err := l.step(ctx, journal.StepSpec{Name: use.Name, Kind: record.KindTool, Idempotent: idempotent, Input: use.Input}, func(ctx context.Context) (journal.StepResult, error) {
		res := outcome.Refused()
		if outcome.Run {
			l.r.publish(Event{Type: EventToolStarted, RunID: l.run.ID, Seq: seq, Tool: use.Name, Input: use.Input})
			live = newLiveOutput(l.r.publish, Event{RunID: l.run.ID, Seq: seq, Tool: use.Name})
			var err error
			res, err = l.runToolCheckpointed(ctx, seq, t, known, use, live)
			live.close()
			if err != nil {
				return journal.StepResult{}, err
			}
			res = outcome.Result(res)
			if resolved != "" {
				res.Meta.Resolved = resolved
			}
		}
		out, err := json.Marshal(res)
		return journal.StepResult{Output: out}, err
	})
	if err != nil {
		if live != nil && ctx.Err() != nil && !idempotent && !errors.Is(context.Cause(ctx), errLeaseLost) {
			l.keepCancelled(ctx, seq, live)
		}
		return tool.Result{}, err
	}
	return l.toolFinished(st, use, begun)
}

// toolFinished reads a completed tool step's result and publishes it.
func (l *loop) toolFinished(st journal.Step, use llm.Block, begun time.Time) (tool.Result, error) {
	res, err := record.DecodeToolOutput(st.Output)
	if err != nil {
		return res, fmt.Errorf("agent: run %s step %d: recorded tool result: %w", l.run.ID, st.Seq, err)
	}
	l.r.publish(Event{Type: EventToolFinished, RunID: l.run.ID, Seq: st.Seq, Tool: use.Name, Input: use.Input, Replayed: st.Replayed,
		Result: NewToolOutcome(res), Duration: time.Since(begun).Milliseconds()})
	return res, nil
}

// willRun reports whether a tool call that runs reaches its tool now: the history has no
// completed step for it (replay and resume answer from the record), and nothing replays only.
func (l *loop) willRun(runs bool) bool {
	if !runs || l.replayOnly {
		return false
	}
	h, ok := l.cur.Peek()
	return !ok || h.Status != journal.StepCompleted
}

// keepCancelled keeps, in the step a cancel cut off, that the person cancelled it and its
// output so far, for whoever decides about it. Failing to keep it loses only that note.
func (l *loop) keepCancelled(ctx context.Context, seq int, live *liveOutput) {
	out, err := json.Marshal(live.cancelled())
	if err == nil {
		_ = l.r.config.Journal.KeepPartial(context.WithoutCancel(ctx), l.run.ID, seq, out)
	}
}

// runTool runs one tool call. What the model got wrong (an unknown tool, input that is not
// JSON) is a result it sees; only infrastructure failures are errors.
// live, when set, streams an exec command's output and connections as tool.output and
// tool.egress events.
func (l *loop) runTool(ctx context.Context, t tool.Tool, known bool, use llm.Block, live *liveOutput) (tool.Result, error) {
	if !known {
		return tool.Result{Content: fmt.Sprintf("There is no tool named %q. Available tools: %v.", use.Name, l.cfg.Tools), IsError: true}, nil
	}
	if use.Truncated {
		return tool.Result{Content: fmt.Sprintf("The call to %s was cut off by the output limit, even at the most this model may write in one response; nothing was run. Do the work in smaller calls (write a large file in parts: the first part with write, the rest appended with edit).", use.Name), IsError: true}, nil
	}
	if use.InputError != "" {
		return tool.Result{Content: fmt.Sprintf("The input for %s was not valid JSON (%s); nothing was run. Send the call again with a JSON object.", use.Name, use.InputError), IsError: true}, nil
	}
	if err := l.openSandbox(ctx); err != nil {
		return tool.Result{}, err
	}
	if use.Name == "read" && !l.ws.Sandbox.Isolated {
		if host := outsideRead(l.ws.Sandbox.Workspace, use.Input); host != "" {
			return l.readOutside(ctx, t, host, use.Input)
		}
	}
	sb := l.sb
	if live != nil && use.Name == "exec" {
		// Only the exec tool's commands stream. Other tools get the sandbox itself: a wrapper
		// would hide its optional capabilities (sandbox.Starter, which MCP servers in a
		// container need) and is no comparable key for the connections MCP keeps per sandbox.
		sb = outputSandbox{Sandbox: l.sb, live: live}
	}
	return t.Run(ctx, sb, use.Input)
}

func (l *loop) toolSpecs() ([]llm.ToolSpec, error) {
	byName := map[string]tool.Tool{}
	for _, t := range l.r.config.Tools {
		byName[t.Name()] = t
	}
	l.tools = map[string]tool.Tool{}
	specs := make([]llm.ToolSpec, 0, len(l.cfg.Tools))
	for _, name := range l.cfg.Tools {
		t, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("agent %s: unknown tool %q", l.cfg.Agent, name)
		}
		l.tools[name] = t
		specs = append(specs, llm.ToolSpec{Name: t.Name(), Description: t.Description(), InputSchema: t.Schema()})
	}
	if len(l.cfg.Subagents) > 0 {
		specs = append(specs, taskSpec(l.cfg.Subagents))
	}
	return specs, nil
}

// appendAssistant adds an assistant turn, merged into the last message if that is already
// an assistant turn (a turn the provider paused and the model went on with).
func appendAssistant(msgs []llm.Message, m llm.Message) []llm.Message {
	if n := len(msgs); n > 0 && msgs[n-1].Role == llm.RoleAssistant {
		last := msgs[n-1]
		last.Content = append(append([]llm.Block(nil), last.Content...), m.Content...)
		out := append([]llm.Message(nil), msgs[:n-1]...)
		return append(out, last)
	}
	return append(msgs, m)
}

// appendUser adds blocks as a user turn, merged into the last message if that is already a
// user turn (providers want turns to alternate).
func appendUser(msgs []llm.Message, blocks ...llm.Block) []llm.Message {
	if n := len(msgs); n > 0 && msgs[n-1].Role == llm.RoleUser {
		last := msgs[n-1]
		last.Content = append(append([]llm.Block(nil), last.Content...), blocks...)
		out := append([]llm.Message(nil), msgs[:n-1]...)
		return append(out, last)
	}
	return append(msgs, llm.Message{Role: llm.RoleUser, Content: blocks})
}

// readOutside runs an approved read of a host file outside the workspace (local sandbox
// only: the gate refuses it in a container), through the read tool in a sandbox rooted at
// the file's directory, so limits and formatting are the same.
func (l *loop) readOutside(ctx context.Context, t tool.Tool, host string, input json.RawMessage) (tool.Result, error) {
	if l.r.config.HostSandbox == nil {
		return tool.Result{Content: fmt.Sprintf("%s is outside the workspace and this Corral cannot read outside it.", host), IsError: true}, nil
	}
	var in map[string]any
	if err := json.Unmarshal(input, &in); err != nil {
		return tool.Result{Content: "The read input is not a JSON object.", IsError: true}, nil
	}
	in["path"] = filepath.Base(host)
	rewritten, err := json.Marshal(in)
	if err != nil {
		return tool.Result{}, err
	}
	sb, err := l.r.config.HostSandbox(filepath.Dir(host))
	if err != nil {
		return tool.Result{Content: fmt.Sprintf("Cannot read %s: %v", host, err), IsError: true}, nil
	}
	defer sb.Close()
	return t.Run(ctx, sb, rewritten)
}
