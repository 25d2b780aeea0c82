package app

import (
	"context"

	"github.com/corral-dev/corral/backend/llm"
)

// ModelRequest returns the request model step seq of a run sent: the system prompt, the
// tools and every message, rebuilt from the journal as the loop built it then (see
// agent.Runner.ModelRequest), for the inspector's view of what the model saw.
func (r *Runs) ModelRequest(runID string, seq int) (llm.Request, error) {
	return r.runner.ModelRequest(context.Background(), runID, seq)
}
