package cli

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestKillDuringRetriedStream runs against a provider that breaks every stream once after
// some output (the documented overloaded_error event), kills corral while it waits to retry
// a model call, and resumes: the run completes, no completed model call is requested again,
// every side effect happened once, and each model step that was retried in one process
// records its discarded attempt.
func TestKillDuringRetriedStream(t *testing.T) {
	t.Parallel()
	fault := llmtest.Fault{Kind: llmtest.FaultError, Events: 8, ErrorEvent: llmtest.Transcript("anthropic/error.sse")}
	h := llmtest.NewAnthropicHandler(llmtest.Faulty(crashScript, llmtest.EveryOther(fault)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dd, ws := t.TempDir(), t.TempDir()
	runID := killAtEvent(t, func(ev runEvent) bool { return ev.Type == "model.retry" && ev.Seq > 3 },
		"run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "Keep notes and log three effects.")
	if runID == "" {
		t.Fatal("corral run never retried a model call after its first")
	}
	before := showSteps(t, dd, runID)
	done := completedModelTurns(before)
	if done == 0 {
		t.Fatal("the kill came before any model call completed")
	}
	sent := len(h.Bodies())
	if out, err := corral(t, nil, "resume", runID, "--json", "--approve", "all", "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral resume: %v\n%s", err, out)
	}
	if st := runStatus(t, dd, runID); st != "completed" {
		t.Fatalf("run status after resume = %s, want completed", st)
	}
	for _, body := range h.Bodies()[sent:] {
		r, err := llmtest.DecodeAnthropicRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if k := turnOf(r); k < done {
			t.Errorf("resume requested turn %d again; %d turns had completed", k, done)
		}
	}
	checkEffects(t, 0, 0, ws)
	models, retried := 0, 0
	for _, s := range showSteps(t, dd, runID) {
		if s.Kind != "llm" {
			continue
		}
		models++
		var resp llm.Response
		if err := json.Unmarshal(s.Output, &resp); err != nil {
			t.Fatalf("step %d output: %v", s.Seq, err)
		}
		if len(resp.Attempts) > 1 {
			t.Errorf("step %d has %d failed attempts, want at most one", s.Seq, len(resp.Attempts))
		}
		if len(resp.Attempts) == 1 && resp.Attempts[0].Kind == llm.KindOverloaded && resp.Attempts[0].Discarded {
			retried++
		}
	}
	// The step cut by the kill lost its failed attempt with the process; every other one
	// kept its own.
	if models != len(crashTurns) || retried < models-1 {
		t.Errorf("%d model steps, %d with a recorded discarded attempt; want %d and at least %d", models, retried, len(crashTurns), len(crashTurns)-1)
	}
}
