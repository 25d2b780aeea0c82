package trace

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// Replayer is an llm.Model that answers with the model responses a run
// recorded, so the run can be re-run without calling a model. It answers by
// turn: the request's turn is the number of assistant messages after the
// latest user message with text (the run's prompt), so the n-th model call
// of the re-run gets the n-th recorded response whatever the tools return this
// time. Responses are returned as recorded, usage included; give the re-run a
// zero price table if its cost should not count. It is safe for concurrent
// use.
type Replayer struct {
	responses []llm.Response
}

var _ llm.Model = (*Replayer)(nil)

// NewReplayer returns a Replayer for the completed model calls among a run's
// steps, in seq order.
func NewReplayer(steps []journal.Step) (*Replayer, error) {
	r := &Replayer{}
	for _, st := range steps {
		if st.Kind != record.KindLLM || st.Status != journal.StepCompleted {
			continue
		}
		resp, err := record.DecodeModelOutput(st.Output)
		if err != nil {
			return nil, fmt.Errorf("trace: replay: step %d: recorded model response: %w", st.Seq, err)
		}
		r.responses = append(r.responses, resp)
	}
	if len(r.responses) == 0 {
		return nil, errors.New("trace: replay: the record has no completed model call")
	}
	return r, nil
}

// ReplayerFor returns a Replayer for a run of a bundle; an empty runID means
// the bundle's only run.
func ReplayerFor(b Bundle, runID string) (*Replayer, error) {
	h, err := b.run(runID)
	if err != nil {
		return nil, err
	}
	return NewReplayer(h.Steps)
}

func (b Bundle) run(id string) (History, error) {
	if id == "" {
		if len(b.Runs) != 1 {
			return History{}, fmt.Errorf("trace: the file has %d runs; name one", len(b.Runs))
		}
		return b.Runs[0], nil
	}
	for _, h := range b.Runs {
		if importID(h.Run.ID) == importID(id) { // a run and its import are the same run
			return h, nil
		}
	}
	return History{}, fmt.Errorf("trace: run %s is not in the file: %w", id, journal.ErrNotFound)
}

// Turns is the number of recorded responses.
func (r *Replayer) Turns() int { return len(r.responses) }

// Stream returns the recorded response for the request's turn, passing its
// text to onEvent as one delta per text block.
func (r *Replayer) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return llm.Response{}, err
	}
	turn := Turn(req.Messages)
	if turn >= len(r.responses) {
		return llm.Response{}, fmt.Errorf("%w: turn %d, the record has %d", ErrReplayExhausted, turn+1, len(r.responses))
	}
	resp := r.responses[turn]
	resp.Content = slices.Clone(resp.Content)
	if onEvent != nil {
		for i, b := range resp.Content {
			if b.Type == llm.BlockText && b.Text != "" {
				onEvent(llm.TextDelta{Index: i, Text: b.Text})
			}
		}
	}
	return resp, nil
}

// Turn returns the 0-based turn of a request: the number of assistant
// messages since the latest user message holding text.
func Turn(msgs []llm.Message) int {
	k := 0
	for _, m := range msgs {
		switch {
		case m.Role == llm.RoleAssistant:
			k++
		case slices.ContainsFunc(m.Content, func(b llm.Block) bool { return b.Type == llm.BlockText }):
			k = 0
		}
	}
	return k
}
