package agent

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/trace"
)

// ReplayRequest names a recorded run to run again against its recorded model responses.
type ReplayRequest struct {
	// From is the run: its id in the journal, or the path of an exported trace file (a
	// Corral bundle or OTLP export), whose last run is replayed.
	From string
	// Workspace is where the replay works; empty means a new one under
	// DataDir/workspaces.
	Workspace string
}

// Replay starts a new run with the recorded run's agent and prompt and drives it, answering
// every model call with the recording instead of a provider: the tools and approval
// policies run again, the model is never asked, and the calls cost nothing. An agent the
// Runner does not know is replaced by the default one. Options change the drive as in Drive
// (an approver); the model and prices are the replay's.
func (r *Runner) Replay(ctx context.Context, req ReplayRequest, opts ...DriveOption) (journal.Run, error) {
	b, runID, err := r.loadRecorded(ctx, req.From)
	if err != nil {
		return journal.Run{}, err
	}
	model, err := trace.ReplayerFor(b, runID)
	if err != nil {
		return journal.Run{}, err
	}
	var orig trace.History
	for _, h := range b.Runs {
		if h.Run.ID == runID {
			orig = h
		}
	}
	var cfg record.RunConfig
	if len(orig.Steps) > 0 {
		cfg, _ = record.DecodeConfig(orig.Steps[0].Output) // unreadable: replay with the agent's model
	}
	if _, ok := r.Agent(orig.Run.Agent); !ok {
		orig.Run.Agent = DefaultAgentID
	}
	models := replayModels{model: model, name: cfg.Model}
	run, err := r.start(ctx, StartRequest{Agent: orig.Run.Agent, Prompt: orig.Run.Prompt, Workspace: req.Workspace, Provider: replayProvider, Model: cfg.Model}, models)
	if err != nil {
		return run, err
	}
	return r.Drive(ctx, run.ID, slices.Concat(opts, []DriveOption{WithModels(models), WithPrices(Prices{})})...)
}

// loadRecorded reads the run to replay: an exported file when from names one, else a run
// in the journal. It returns the bundle and the id of the run to replay in it.
func (r *Runner) loadRecorded(ctx context.Context, from string) (trace.Bundle, string, error) {
	if _, err := os.Stat(from); err == nil {
		f, err := os.Open(from)
		if err != nil {
			return trace.Bundle{}, "", err
		}
		defer f.Close()
		b, _, err := trace.Read(f)
		if err != nil {
			return b, "", err
		}
		if len(b.Runs) == 0 {
			return b, "", fmt.Errorf("%s holds no run", from)
		}
		return b, b.Runs[len(b.Runs)-1].Run.ID, nil
	}
	b, err := trace.LoadRun(ctx, r.config.Journal, from)
	return b, from, err
}

// replayProvider is the provider a replayed run records.
const replayProvider = "replay"

// replayModels hands a replayed run the recorded responses.
type replayModels struct {
	model llm.Model
	name  string
}

func (m replayModels) Resolve(string, string) (string, string) { return replayProvider, m.name }
func (m replayModels) Model(RunConfig) (llm.Model, error)      { return m.model, nil }
