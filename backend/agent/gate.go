package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// ErrNoAnswer is what an Approver returns when it cannot answer now; the run then waits
// for a person (status awaiting_approval) without holding anything.
var ErrNoAnswer = errors.New("agent: no answer")

// Approver answers approval requests while the run waits: a terminal prompt, or a blanket
// answer (--approve all / none). Without one, or when it returns ErrNoAnswer, the run
// suspends until `corral approve` / `deny`, the window or the browser answers.
type Approver interface {
	Approve(ctx context.Context, run journal.Run, req approval.Request) (approval.Answer, error)
}

// gated reports whether a call passes the approval gate: every call with side effects, and
// a read whose path may leave the workspace (absolute, ~ or ..). It depends only on the
// recorded call, so replay meets the same steps.
func gated(name string, input json.RawMessage) bool {
	switch name {
	case "exec", "write", "edit":
		return true
	case "read":
		var in struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(input, &in) != nil {
			return false
		}
		return filepath.IsAbs(in.Path) || strings.HasPrefix(in.Path, "~") || slices.Contains(strings.Split(filepath.ToSlash(in.Path), "/"), "..")
	}
	return false
}

// outsideRead returns the host path of an approved read outside the workspace, or "" when
// the read stays inside it (and goes through the sandbox like any other).
func outsideRead(workspace string, input json.RawMessage) string {
	var in struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(input, &in) != nil || in.Path == "" {
		return ""
	}
	p := in.Path
	if rest, ok := strings.CutPrefix(p, "~"); ok && (rest == "" || rest[0] == '/') {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		p = filepath.Join(home, rest)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(workspace, p)
	}
	p = filepath.Clean(p)
	if rel, err := filepath.Rel(workspace, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return p
}

// GateRecord is what a gate step records when it completes (see record.GateRecord, its one
// definition).
type GateRecord = record.GateRecord

// gate passes one tool call through the approval gate as step seq: replayed when decided
// before, decided now by policy and rules, answered by the Approver, or left waiting.
func (l *loop) gate(ctx context.Context, use llm.Block) (approval.Outcome, error) {
	spec := journal.StepSpec{Name: use.Name, Kind: record.KindApproval, Idempotent: true}
	var pending *approval.Request
	var begun journal.Step // the gate step, started and waiting for an answer
	if h, recorded := l.cur.Peek(); recorded {
		// Begin checks the recorded step is this gate and writes nothing.
		if _, err := l.cur.Begin(ctx, spec); err != nil {
			return approval.Outcome{}, err
		}
		begun = h
		if h.Status == journal.StepCompleted {
			// Published as it was loaded, not as replayed: the decision may be a person's
			// answer given since the run stopped (corral approve), which the transcript shows.
			return l.decided(h)
		}
		req, err := record.DecodeGateRequest(h.Input)
		if err != nil {
			return approval.Outcome{}, fmt.Errorf("agent: run %s step %d: recorded approval request: %w", l.run.ID, h.Seq, err)
		}
		pending = &req
	}
	if pending == nil {
		if err := l.openSandbox(ctx); err != nil {
			return approval.Outcome{}, err
		}
		rules, err := l.ruleSet()
		if err != nil {
			return approval.Outcome{}, err
		}
		a := l.check(use, rules)
		if a.Decision != approval.Ask {
			rec := GateRecord{V: record.GateVersion, Assessment: a, Outcome: approval.Outcome{Run: true, Input: use.Input, ActionHash: approval.ActionHash(use.Name, use.Input)}}
			if a.Decision == approval.Deny {
				rec.Outcome = approval.Outcome{Refusal: approval.RefusedResult(a).Content}
			}
			return l.record(ctx, spec, rec)
		}
		req, err := l.prepare(use, a)
		if err != nil {
			return approval.Outcome{}, fmt.Errorf("agent: prepare approval: %w", err)
		}
		if spec.Input, err = record.EncodeGateRequest(req); err != nil {
			return approval.Outcome{}, err
		}
		// Not fsynced: visible at once to whoever answers; the tool step's started record,
		// durable, carries it (and the answer) to disk before the action runs.
		if begun, err = l.cur.BeginLazy(ctx, spec); err != nil {
			return approval.Outcome{}, err
		}
		pending = &req
	}
	seq := l.cur.Seq()
	requested := Event{Type: EventApprovalRequested, RunID: l.run.ID, Seq: seq, Tool: use.Name, Input: use.Input, Approval: pending}
	if l.d.approver != nil {
		_, kept := l.d.approver.(KeptAnswers)
		if !kept {
			l.r.publish(requested) // a prompt shows the request before it asks
		}
		ans, err := l.d.approver.Approve(ctx, l.run, *pending)
		switch {
		case err == nil:
			st, err := l.r.answer(ctx, l.run.ID, begun, *pending, ans, true)
			if err == nil {
				return l.decided(st)
			}
			if !kept || !refusedAnswer(err) {
				return approval.Outcome{}, err
			}
			// A kept answer Answer refuses (an edit the rules now deny): the person is asked.
		case !errors.Is(err, ErrNoAnswer):
			return approval.Outcome{}, err
		case !kept:
			return approval.Outcome{}, &awaitingApproval{seq: seq, tool: use.Name}
		}
	}
	l.r.publish(requested)
	return approval.Outcome{}, &awaitingApproval{seq: seq, tool: use.Name}
}

// KeptAnswers is an Approver that answers only from answers a person gave beforehand (the
// window's answers to a turn's later calls, reviewed in one dialog), and ErrNoAnswer for
// anything else. The gate asks it before announcing the request, so a call it answers is
// never shown as waiting; an answer Answer refuses (a stale hash, an edit the rules now
// deny) is not an error of the run: the person is asked, as without it.
type KeptAnswers interface {
	Approver
	// Kept marks the Approver as one that only replays answers given before.
	Kept()
}

// refusedAnswer reports whether Answer refused an answer as given (not a journal failure).
func refusedAnswer(err error) bool {
	return errors.Is(err, ErrEditRefused) || errors.Is(err, approval.ErrStaleAnswer) || errors.Is(err, approval.ErrBadAnswer)
}

// decided turns a completed gate step into its outcome.
func (l *loop) decided(st journal.Step) (approval.Outcome, error) {
	rec, err := record.DecodeGate(st.Output)
	if err != nil {
		return approval.Outcome{}, fmt.Errorf("agent: run %s step %d: recorded approval: %w", l.run.ID, st.Seq, err)
	}
	if !st.Replayed || rec.Answer != nil {
		l.r.publish(Event{Type: EventApprovalDecided, RunID: l.run.ID, Seq: st.Seq, Tool: st.Name, Replayed: st.Replayed, Decision: &rec})
	}
	return rec.Outcome, nil
}

func (l *loop) record(ctx context.Context, spec journal.StepSpec, rec GateRecord) (approval.Outcome, error) {
	blob, err := json.Marshal(rec)
	if err != nil {
		return approval.Outcome{}, err
	}
	st, err := l.cur.RecordLazy(ctx, spec, journal.StepResult{Output: blob}) // see gate's BeginLazy
	if err != nil {
		return approval.Outcome{}, err
	}
	return l.decided(st)
}

func (l *loop) policy() approval.Policy {
	return l.cfg.Approval.Defaults(l.ws.Sandbox.Isolated)
}

// awaitingApproval stops the loop: step seq waits for a person's answer.
type awaitingApproval struct {
	seq  int
	tool string
}

func (e *awaitingApproval) Error() string {
	return fmt.Sprintf("step %d: %s waits for approval", e.seq, e.tool)
}

// Answer records a person's answer to a run's pending approval: the first answer wins
// (a second one is harmless and changes nothing), it must name the pending action by its
// hash, and rules it asks to remember go to the ledger. The run is then ready to resume.
func (r *Runner) Answer(ctx context.Context, runID string, ans approval.Answer) (journal.Step, error) {
	st, req, err := r.Pending(ctx, runID)
	if err != nil {
		return st, err
	}
	return r.answer(ctx, runID, st, req, ans, false)
}

// answer is Answer for the pending step st and its request, known to the caller: the loop
// asking its Approver knows both, and finding them again would read the whole run. The
// loop records the answer lazily (the tool step's durable start carries it to disk);
// a person's answer from outside the loop is durable at once.
func (r *Runner) answer(ctx context.Context, runID string, st journal.Step, req approval.Request, ans approval.Answer, lazy bool) (journal.Step, error) {
	if err := ans.Validate(req); err != nil {
		return st, fmt.Errorf("agent: answer for run %s: %w", runID, err)
	}
	if err := r.recheckEdit(ctx, runID, req, ans); err != nil {
		return st, err
	}
	rec := GateRecord{
		V:          record.GateVersion,
		Assessment: approval.Assessment{Decision: req.Preview.Decision, Reason: req.Preview.Reason},
		Answer:     &ans,
		Outcome:    ans.Outcome(req),
	}
	blob, err := json.Marshal(rec)
	if err != nil {
		return st, err
	}
	save := r.config.Journal.Record
	if lazy {
		save = r.config.Journal.RecordLazy
	}
	done, err := save(ctx, runID, st.Seq, journal.StepSpec{Name: st.Name, Kind: record.KindApproval, Idempotent: true}, journal.StepResult{Output: blob})
	if err != nil {
		return done, err
	}
	if !done.Replayed && r.config.Ledger != nil {
		for _, e := range ans.Entries("approval") {
			if _, err := r.config.Ledger.Add(e); err != nil {
				return done, fmt.Errorf("agent: remember rule %q: %w", e.Rule, err)
			}
		}
	}
	return done, nil
}

// Pending returns a run's approval step that waits for an answer, with its request.
func (r *Runner) Pending(ctx context.Context, runID string) (journal.Step, approval.Request, error) {
	if err := r.refuseImported(ctx, runID); err != nil {
		return journal.Step{}, approval.Request{}, err
	}
	steps, err := r.config.Journal.Steps(ctx, runID)
	if err != nil {
		return journal.Step{}, approval.Request{}, fmt.Errorf("agent: %w", err)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		st := steps[i]
		if st.Kind != record.KindApproval || st.Status != journal.StepStarted {
			continue
		}
		req, err := record.DecodeGateRequest(st.Input)
		if err != nil {
			return st, req, fmt.Errorf("agent: run %s step %d: recorded approval request: %w", runID, st.Seq, err)
		}
		return st, req, nil
	}
	// A decided approval answered again is harmless: report the decided one.
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Kind == record.KindApproval {
			if rec, err := record.DecodeGate(steps[i].Output); err == nil && rec.Answer != nil {
				return steps[i], approval.Request{}, fmt.Errorf("%w: run %s: step %d was already answered (%s)", ErrNothingPending, runID, steps[i].Seq, rec.Answer.Kind)
			}
		}
	}
	return journal.Step{}, approval.Request{}, fmt.Errorf("%w: run %s", ErrNothingPending, runID)
}

// ErrNothingPending means the run has no approval waiting for an answer.
var ErrNothingPending = errors.New("agent: no pending approval")

// Waiting is an action a run waits for a person to decide.
type Waiting struct {
	Run     journal.Run
	Seq     int
	Request approval.Request
}

// Waiting lists every action waiting for a decision, across runs, oldest run first. A run
// answered meanwhile is left out.
func (r *Runner) Waiting(ctx context.Context) ([]Waiting, error) {
	runs, err := r.config.Journal.RunsWithStatus(ctx, journal.RunAwaitingApproval)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	var out []Waiting
	for _, run := range runs {
		st, req, err := r.Pending(ctx, run.ID)
		if err != nil {
			continue
		}
		out = append(out, Waiting{Run: run, Seq: st.Seq, Request: req})
	}
	return out, nil
}
