package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
)

// ErrNoModelStep reports a seq that is not a model step of the run (or one the replay did
// not reach).
var ErrNoModelStep = errors.New("agent: no model step")

// errReplayOnly refuses, in ModelRequest's replay, anything that would call a model or
// open a sandbox.
var errReplayOnly = errors.New("agent: replay only: nothing runs")

// ModelRequest rebuilds the request model step seq of a run sent (system prompt, tools,
// every message, limits), from the journal: it replays the run's history through the loop
// up to that step, as the golden replay tests check it, so what it returns is what the
// loop built then. Nothing runs and nothing is recorded: no model is called and no sandbox
// opened. It works for runs in any status, imported ones and a live one included.
func (r *Runner) ModelRequest(ctx context.Context, runID string, seq int) (llm.Request, error) {
	r.agentsMu.RLock()
	agents := r.agents
	r.agentsMu.RUnlock()
	ro := New(Config{Journal: r.config.Journal, Prices: r.Prices(), Tools: r.config.Tools, DataDir: r.config.DataDir,
		Agents: agents, MCP: r.config.MCP, Models: replayOnlyModels{},
		Sandboxes: func(context.Context, journal.Run, RunConfig) (sandbox.Sandbox, error) {
			return nil, errReplayOnly
		}})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got *llm.Request
	_, err := ro.ReplayHistory(ctx, runID, ReplayHooks{Request: func(s int, req llm.Request) {
		if s == seq && got == nil {
			got = &req
			cancel() // the rest of the history is not needed
		}
	}})
	if got != nil {
		return *got, nil
	}
	if err != nil {
		return llm.Request{}, err
	}
	return llm.Request{}, fmt.Errorf("%w at step %d of run %s", ErrNoModelStep, seq, runID)
}

// replayOnlyModels refuses every model: ModelRequest only replays.
type replayOnlyModels struct{}

func (replayOnlyModels) Resolve(provider, model string) (string, string) { return provider, model }
func (replayOnlyModels) Model(RunConfig) (llm.Model, error)              { return nil, errReplayOnly }
