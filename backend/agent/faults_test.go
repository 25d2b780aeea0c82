package agent

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/record"
)

// A run against a provider that breaks every stream once after some output
// (the documented overloaded_error event) completes, and each model step's
// record keeps its failed attempt.
func TestRunSurvivesMidStreamFaults(t *testing.T) {
	t.Parallel()
	fault := llmtest.Fault{Kind: llmtest.FaultError, Events: 6, ErrorEvent: llmtest.Transcript("anthropic/error.sse")}
	srv := llmtest.NewAnthropicServer(t, llmtest.Faulty(llmtest.AnthropicModel(demo.New(demo.Options{}), 7), llmtest.EveryOther(fault)))
	model := anthropic.New(anthropic.Options{APIKey: "sk-test", BaseURL: srv.BaseURL, RetryBaseDelay: time.Millisecond})
	r, _ := setup(t, model)
	run := start(t, r, StartRequest{Prompt: "Build something small"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed", got.Status, err)
	}
	steps, err := r.config.Journal.Steps(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	models := 0
	for _, s := range steps {
		if s.Kind != record.KindLLM {
			continue
		}
		models++
		var resp llm.Response
		if err := json.Unmarshal(s.Output, &resp); err != nil {
			t.Fatalf("step %d output: %v", s.Seq, err)
		}
		if len(resp.Attempts) != 1 || resp.Attempts[0].Kind != llm.KindOverloaded || !resp.Attempts[0].Discarded {
			t.Errorf("step %d attempts = %+v, want the one overloaded attempt that was discarded", s.Seq, resp.Attempts)
		}
	}
	t.Logf("%d model steps, each retried once", models)
	if reqs := len(srv.Requests()); models < 2 || reqs != 2*models {
		t.Errorf("%d model steps, %d requests; want two requests per step", models, reqs)
	}
}
