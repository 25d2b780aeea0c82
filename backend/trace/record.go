package trace

import (
	"encoding/json"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
)

// What the agent records, as far as a trace reads it. The agent owns these
// conventions (backend/agent: loop.go, gate.go); they are mirrored here, not
// imported, so that reading a trace does not depend on how runs are driven.
// The round-trip tests drive the real agent and check that they still agree.

// The step kinds the agent records.
const (
	stepConfig   = "config"
	stepModel    = "llm"
	stepTool     = "tool"
	stepApproval = "approval"
)

// runConfig mirrors the output of the run.config step (agent.RunConfig).
type runConfig struct {
	Agent     string        `json:"agent"`
	Provider  string        `json:"provider"`
	Model     string        `json:"model"`
	System    string        `json:"system"`
	Tools     []string      `json:"tools"`
	MaxSteps  int           `json:"max_steps"`
	MaxTokens int           `json:"max_tokens"`
	Sandbox   string        `json:"sandbox"`
	History   []llm.Message `json:"history,omitempty"`
}

// readConfig returns the run's recorded configuration, or the zero value.
func readConfig(steps []journal.Step) runConfig {
	var cfg runConfig
	for _, st := range steps {
		if st.Kind == stepConfig && st.Status == journal.StepCompleted {
			_ = json.Unmarshal(st.Output, &cfg) // an unreadable config leaves the zero value
			break
		}
	}
	return cfg
}

// modelInput mirrors what a model step records as its input.
type modelInput struct {
	Model     string `json:"model"`
	Messages  int    `json:"messages"`
	Tools     int    `json:"tools"`
	MaxTokens int    `json:"max_tokens"`
}

// gateRecord mirrors what an approval step records when it completes
// (agent.GateRecord): how the call was judged, the person's answer if one
// was needed, and whether the tool runs.
type gateRecord struct {
	Assessment struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	} `json:"assessment"`
	Answer *struct {
		Kind string `json:"kind"`
		By   string `json:"by"`
	} `json:"answer"`
	Outcome *struct {
		Run     bool   `json:"run"`
		Refusal string `json:"refusal"`
	} `json:"outcome"`
}
