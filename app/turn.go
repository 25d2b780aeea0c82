package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// A model turn that asks for several writes and edits is reviewed in one dialog: Turn lists
// the waiting call with the turn's later ones, and AnswerTurn answers them all. The first
// answer is recorded at once (Runner.Answer); the others are kept here, in memory, keyed by
// run and action hash and bound to the turn's model step, and a drive this app starts
// for a run with kept answers gets an Approver (keptApprover) that hands a later call its
// kept answer when the gate reaches it with the same hash. Each still goes through Runner.Answer, which checks the
// hash and rechecks an edit; a call with no kept answer (or another hash, or a refused
// one) waits for a person as before. Kept answers do not survive the process: after a
// restart the remaining calls ask again, one at a time.

// TurnView is a run's waiting approval with the later write and edit calls of its model
// turn that will ask too, each with its preview.
type TurnView struct {
	RunID string `json:"run_id"`
	// ModelSeq is the model step whose response made the calls.
	ModelSeq int `json:"model_seq"`
	// Calls holds the waiting call first (its seq set), then the later ones (seq 0).
	Calls []TurnCallView `json:"calls"`
}

// TurnCallView is one call of a turn as the dialog lists it.
type TurnCallView struct {
	Index     int              `json:"index"`
	ToolUseID string           `json:"tool_use_id"`
	Seq       int              `json:"seq"`
	Request   approval.Request `json:"request"`
}

// keptAnswer is an answer to a later call of a turn, kept until the gate reaches the call.
type keptAnswer struct {
	modelSeq int
	answer   approval.Answer
}

// Turn returns the run's waiting approval with the later write and edit calls of the same
// model turn (their previews computed against the turn's earlier edits).
func (r *Runs) Turn(runID string) (TurnView, error) {
	t, err := r.runner.Turn(context.Background(), runID)
	if err != nil {
		return TurnView{}, err
	}
	v := TurnView{RunID: runID, ModelSeq: t.ModelSeq, Calls: make([]TurnCallView, len(t.Calls))}
	for i, c := range t.Calls {
		c.Request.Preview = c.Request.Preview.Head(500) // a first screen of a long diff
		v.Calls[i] = TurnCallView{Index: c.Index, ToolUseID: c.ToolUseID, Seq: c.Seq, Request: c.Request}
	}
	return v, nil
}

// ErrNoAnswers means AnswerTurn was given no answer.
var ErrNoAnswers = errors.New("app: no answers")

// AnswerTurn answers a turn reviewed in one dialog: answers[0] is the waiting call's answer,
// recorded at once; the others answer the turn's later calls (model step modelSeq) and are
// kept until the run reaches each (matched by action hash). The run then continues in the
// background.
func (r *Runs) AnswerTurn(runID string, modelSeq int, answers []approval.Answer) error {
	if len(answers) == 0 {
		return fmt.Errorf("%w for run %s", ErrNoAnswers, runID)
	}
	r.keep(runID, modelSeq, answers[1:])
	if _, err := r.runner.Answer(context.Background(), runID, answers[0]); err != nil {
		r.dropKept(runID)
		return err
	}
	return r.driveAnswered(runID)
}

func (r *Runs) keep(runID string, modelSeq int, answers []approval.Answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kept == nil {
		r.kept = map[string][]keptAnswer{}
	}
	kept := make([]keptAnswer, len(answers))
	for i, a := range answers {
		kept[i] = keptAnswer{modelSeq: modelSeq, answer: a}
	}
	r.kept[runID] = kept
}

// hasKept reports whether answers are kept for the run; r.mu is held.
func (r *Runs) hasKept(runID string) bool {
	return len(r.kept[runID]) > 0
}

func (r *Runs) dropKept(runID string) {
	r.mu.Lock()
	delete(r.kept, runID)
	r.mu.Unlock()
}

// takeKept returns (and forgets) the answer kept for the run's call with this action hash,
// if the run is still in the turn it was given for.
func (r *Runs) takeKept(ctx context.Context, runID, hash string) (approval.Answer, bool, error) {
	r.mu.Lock()
	n := len(r.kept[runID])
	r.mu.Unlock()
	if n == 0 {
		return approval.Answer{}, false, nil
	}
	modelSeq, err := r.lastModelSeq(ctx, runID)
	if err != nil {
		return approval.Answer{}, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := slices.DeleteFunc(r.kept[runID], func(k keptAnswer) bool { return k.modelSeq != modelSeq }) // another turn's
	at := slices.IndexFunc(kept, func(k keptAnswer) bool { return k.answer.ActionHash == hash })
	if at < 0 {
		r.kept[runID] = kept
		return approval.Answer{}, false, nil
	}
	ans := kept[at].answer
	r.kept[runID] = slices.Delete(kept, at, at+1)
	if len(r.kept[runID]) == 0 {
		delete(r.kept, runID)
	}
	return ans, true, nil
}

// lastModelSeq is the seq of the run's last model step: the turn its calls belong to.
func (r *Runs) lastModelSeq(ctx context.Context, runID string) (int, error) {
	steps, err := r.journal.Steps(ctx, runID)
	if err != nil {
		return 0, fmt.Errorf("app: run %s steps: %w", runID, err)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Kind == record.KindLLM {
			return steps[i].Seq, nil
		}
	}
	return 0, nil
}

// keptApprover answers a drive's approval requests from the answers AnswerTurn kept;
// without one the run waits for a person.
type keptApprover struct{ r *Runs }

var _ agent.KeptAnswers = keptApprover{}

// Kept marks keptApprover as an agent.KeptAnswers.
func (keptApprover) Kept() {}

// Approve returns the kept answer for req's action hash, or agent.ErrNoAnswer.
func (k keptApprover) Approve(ctx context.Context, run journal.Run, req approval.Request) (approval.Answer, error) {
	ans, ok, err := k.r.takeKept(ctx, run.ID, req.ActionHash)
	if err != nil {
		return approval.Answer{}, err
	}
	if !ok {
		return approval.Answer{}, agent.ErrNoAnswer
	}
	return ans, nil
}
