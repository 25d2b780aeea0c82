package trace_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/tool"
	"github.com/corral-dev/corral/backend/trace"
)

// TestEgressInTrace: a command's connections (tool meta "egress") become the command
// span's events and corral.egress.* attributes, and OTLP span events named corral.egress.
func TestEgressInTrace(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	code := 0
	evs := []egress.Event{
		{Time: t0, Method: "GET", Host: "allowed.test", Port: 80, Allowed: true, Status: 200, BytesIn: 141},
		{Time: t0, Method: "CONNECT", Host: "denied.test", Port: 8443, Reason: "denied.test:8443 is not on the allowlist"},
	}
	out, err := json.Marshal(tool.Result{Content: "Exit code: 0", Meta: tool.Meta{ExitCode: &code, DurationMS: 5, Egress: evs}})
	if err != nil {
		t.Fatal(err)
	}
	run := journal.Run{ID: "run_egress", SessionID: "ses_egress", Agent: "coder", Prompt: "fetch", Sandbox: "local", Status: journal.RunCompleted, CreatedAt: t0}
	steps := []journal.Step{
		{RunID: run.ID, Seq: 1, Name: "run.config", Kind: "config", Status: journal.StepCompleted, Output: []byte(`{"agent":"coder","provider":"demo","model":"demo","system":"","tools":["exec"],"max_steps":5,"max_tokens":100,"sandbox":"local","egress":"allowlist","v":1}`), StartedAt: t0, FinishedAt: t0},
		{RunID: run.ID, Seq: 2, Name: "exec", Kind: "tool", Status: journal.StepCompleted, Input: []byte(`{"command":"wget http://allowed.test/"}`), Output: out, StartedAt: t0, FinishedAt: t0.Add(time.Second)},
	}
	tr, err := trace.Build(run, steps)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	i := slices.IndexFunc(tr.Spans, func(s trace.Span) bool { return s.Kind == trace.KindCommand })
	if i < 0 {
		t.Fatalf("no command span in %+v", tr.Spans)
	}
	cmd := tr.Spans[i]
	if len(cmd.Egress) != 2 || cmd.Attributes["corral.egress.blocked"] != int64(1) || cmd.Attributes["corral.egress.allowed"] != int64(1) {
		t.Errorf("command span egress = %+v, attributes %v; want 2 events, 1 allowed, 1 blocked", cmd.Egress, cmd.Attributes)
	}
	if got := cmd.Attributes["corral.egress.blocked_hosts"]; !slices.Equal(got.([]string), []string{"denied.test:8443"}) {
		t.Errorf("corral.egress.blocked_hosts = %v, want [denied.test:8443]", got)
	}
	req, err := trace.OTLP(trace.Bundle{Session: journal.Session{ID: run.SessionID}, Runs: []trace.History{{Run: run, Steps: steps}}}, trace.Options{})
	if err != nil {
		t.Fatalf("OTLP() = %v", err)
	}
	var events []string
	for _, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
		for _, e := range sp.Events {
			for _, a := range e.Attributes {
				if a.Key == "server.address" {
					events = append(events, e.Name+" "+a.Value.GetStringValue())
				}
			}
		}
	}
	if want := []string{"corral.egress allowed.test", "corral.egress denied.test"}; !slices.Equal(events, want) {
		t.Errorf("OTLP span events = %v, want %v", events, want)
	}
}
