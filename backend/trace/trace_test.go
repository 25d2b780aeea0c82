package trace_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

var (
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hexT = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hexS = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// step returns a completed step from ms to ms+10.
func step(seq int, kind, name, input, output string, ms int) journal.Step {
	st := journal.Step{RunID: "run_a", Seq: seq, Name: name, Kind: kind, Status: journal.StepCompleted, Attempt: 1,
		StartedAt: at(ms), FinishedAt: at(ms + 10)}
	if input != "" {
		st.Input = []byte(input)
	}
	if output != "" {
		st.Output = []byte(output)
	}
	return st
}

func testRun() journal.Run {
	return journal.Run{ID: "run_a", SessionID: "ses_a", Agent: "coder", Prompt: "fix it", Status: journal.RunCompleted,
		Workspace: "/w", Sandbox: "local", CreatedAt: t0, UpdatedAt: at(100)}
}

const (
	cfgOut  = `{"agent":"coder","provider":"anthropic","model":"claude-sonnet-4","system":"be brief","tools":["exec","read"],"max_steps":5,"max_tokens":100,"sandbox":"local"}`
	llmIn   = `{"model":"claude-sonnet-4","messages":1,"tools":2,"max_tokens":100}`
	llmOut1 = `{"content":[{"type":"text","text":"Running."},{"type":"tool_use","id":"toolu_1","name":"exec","input":{"command":"make test"}},{"type":"tool_use","id":"toolu_2","name":"read","input":{"path":"a.go"}}],"stop_reason":"tool_use","usage":{"input_tokens":90,"output_tokens":20,"cache_read_tokens":10},"model":"claude-sonnet-4-20250514","id":"msg_1"}`
	execOut = `{"content":"Exit code: 1\n--- stdout ---\nFAIL","is_error":true,"meta":{"exit_code":1,"duration_ms":4}}`
	readOut = `{"content":"package a","meta":{"path":"a.go","bytes":9,"lines":1}}`
	llmOut2 = `{"content":[{"type":"text","text":"Tests fail."}],"stop_reason":"end_turn","usage":{"input_tokens":120,"output_tokens":5},"model":"claude-sonnet-4-20250514","id":"msg_2"}`
)

func testSteps() []journal.Step {
	steps := []journal.Step{
		step(1, "config", "run.config", "", cfgOut, 0),
		step(2, "llm", "model", llmIn, llmOut1, 10),
		step(3, "tool", "exec", `{"command":"make test"}`, execOut, 20),
		step(4, "tool", "read", `{"path":"a.go"}`, readOut, 30),
		step(5, "approval", "exec", `{"command":"rm -rf build"}`, `{"decision":"deny","by":"ana"}`, 40),
		step(6, "llm", "model", llmIn, llmOut2, 50),
		step(7, "checkpoint", "snapshot", "", "not json", 60),
	}
	steps[1].Usage = journal.Usage{InputTokens: 90, OutputTokens: 20, CacheReadTokens: 10}
	steps[1].CostUSD = 0.5
	steps[5].Usage = journal.Usage{InputTokens: 120, OutputTokens: 5}
	steps[5].CostUSD = 0.25
	return steps
}

func spanBySeq(t *testing.T, tr trace.Trace, seq int, kind trace.SpanKind) trace.Span {
	t.Helper()
	for _, s := range tr.Spans {
		if s.Seq == seq && s.Kind == kind {
			return s
		}
	}
	t.Fatalf("no %s span for seq %d", kind, seq)
	return trace.Span{}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	tr, err := trace.Build(testRun(), testSteps())
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	if !hexT.MatchString(tr.ID) || tr.ID != trace.TraceID("run_a") || tr.ID != trace.TraceID("imp_run_a") {
		t.Errorf("trace id %q, want 32 hex digits derived from the run id, the same for its import", tr.ID)
	}
	if tr.Run.Provider != "anthropic" || tr.Run.Model != "claude-sonnet-4" || tr.Run.Steps != 7 ||
		tr.Run.Usage.InputTokens != 210 || tr.Run.CostUSD != 0.75 {
		t.Errorf("Run = %+v, want provider, model, 7 steps, 210 input tokens, $0.75", tr.Run)
	}
	kinds := []trace.SpanKind{}
	for _, s := range tr.Spans {
		kinds = append(kinds, s.Kind)
		if !hexS.MatchString(s.ID) {
			t.Errorf("span %q id %q, want 16 hex digits", s.Name, s.ID)
		}
	}
	want := []trace.SpanKind{"run", "config", "llm", "tool", "command", "tool", "approval", "llm", "step"}
	if strings.Join(toStrings(kinds), ",") != strings.Join(toStrings(want), ",") {
		t.Errorf("span kinds = %v, want %v", kinds, want)
	}
	root := tr.Spans[0]
	tests := []struct {
		name string
		span trace.Span
		want map[string]any
	}{
		{"root", root, map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "coder",
			"gen_ai.usage.input_tokens": int64(220), "gen_ai.usage.output_tokens": int64(25)}},
		{"model call", spanBySeq(t, tr, 2, trace.KindModel), map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.system": "anthropic",
			"gen_ai.request.model": "claude-sonnet-4", "gen_ai.response.model": "claude-sonnet-4-20250514",
			"gen_ai.response.id": "msg_1", "gen_ai.usage.input_tokens": int64(100), "gen_ai.usage.output_tokens": int64(20),
			"gen_ai.usage.cache_read.input_tokens": int64(10), "gen_ai.request.max_tokens": int64(100)}},
		{"first tool call", spanBySeq(t, tr, 3, trace.KindTool), map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "exec", "gen_ai.tool.call.id": "toolu_1",
			"corral.tool.is_error": true, "error.type": "tool_error"}},
		{"second tool call", spanBySeq(t, tr, 4, trace.KindTool), map[string]any{
			"gen_ai.tool.call.id": "toolu_2", "corral.tool.path": "a.go", "corral.tool.is_error": false}},
		{"sandbox command", spanBySeq(t, tr, 3, trace.KindCommand), map[string]any{
			"process.command_line": "make test", "process.exit.code": int64(1), "corral.sandbox": "local"}},
		{"approval", spanBySeq(t, tr, 5, trace.KindApproval), map[string]any{
			"corral.approval.decision": "deny", "corral.approval.by": "ana"}},
	}
	for _, tc := range tests {
		for k, v := range tc.want {
			if got := tc.span.Attributes[k]; !equalAttr(got, v) {
				t.Errorf("%s: attribute %s = %#v, want %#v", tc.name, k, got, v)
			}
		}
	}
	llm1 := spanBySeq(t, tr, 2, trace.KindModel)
	if fr, _ := llm1.Attributes["gen_ai.response.finish_reasons"].([]string); len(fr) != 1 || fr[0] != "tool_use" {
		t.Errorf("finish reasons = %v, want [tool_use]", llm1.Attributes["gen_ai.response.finish_reasons"])
	}
	if llm1.Name != "chat claude-sonnet-4" || llm1.Model != "claude-sonnet-4-20250514" || llm1.ParentID != root.ID {
		t.Errorf("model span = %q model %q parent %q, want chat claude-sonnet-4 under the root", llm1.Name, llm1.Model, llm1.ParentID)
	}
	exec := spanBySeq(t, tr, 3, trace.KindTool)
	cmd := spanBySeq(t, tr, 3, trace.KindCommand)
	if exec.RequestedBy != llm1.ID || cmd.ParentID != exec.ID || cmd.Status != trace.StatusError {
		t.Errorf("exec requested by %q (want %q), command parent %q (want %q) status %s (want error)",
			exec.RequestedBy, llm1.ID, cmd.ParentID, exec.ID, cmd.Status)
	}
	if cmd.Duration() != 4*time.Millisecond || !cmd.End.Equal(exec.End) {
		t.Errorf("command %v..%v, want the last 4ms of the tool call %v..%v", cmd.Start, cmd.End, exec.Start, exec.End)
	}
	odd := spanBySeq(t, tr, 7, trace.KindStep)
	var s string
	if json.Unmarshal(odd.Output, &s) != nil || s != "not json" {
		t.Errorf("non-JSON output = %s, want it as a JSON string", odd.Output)
	}
	if !root.Start.Equal(t0) || !root.End.Equal(at(100)) {
		t.Errorf("root %v..%v, want the run's %v..%v", root.Start, root.End, t0, at(100))
	}
	if _, err := json.Marshal(tr); err != nil {
		t.Errorf("json.Marshal(trace) = %v", err)
	}
}

func TestBuildStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		runStatus journal.RunStatus
		mutate    func([]journal.Step) []journal.Step
		wantRoot  trace.Status
		seq       int
		wantSpan  trace.Status
	}{
		{"completed", journal.RunCompleted, func(s []journal.Step) []journal.Step { return s }, trace.StatusOK, 2, trace.StatusOK},
		{"failed model call", journal.RunFailed, func(s []journal.Step) []journal.Step {
			s[5].Status, s[5].Error, s[5].Output = journal.StepFailed, "llm: overloaded", nil
			return s[:6]
		}, trace.StatusError, 6, trace.StatusError},
		{"cut off tool call", journal.RunInterrupted, func(s []journal.Step) []journal.Step {
			s[2].Status, s[2].FinishedAt, s[2].Output = journal.StepStarted, time.Time{}, nil
			return s[:3]
		}, trace.StatusUnfinished, 3, trace.StatusUnfinished},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := testRun()
			run.Status = tc.runStatus
			tr, err := trace.Build(run, tc.mutate(testSteps()))
			if err != nil {
				t.Fatal(err)
			}
			if tr.Spans[0].Status != tc.wantRoot {
				t.Errorf("root status = %s, want %s", tr.Spans[0].Status, tc.wantRoot)
			}
			var found bool
			for _, s := range tr.Spans {
				if s.Seq == tc.seq && s.Kind != trace.KindCommand {
					found = true
					if s.Status != tc.wantSpan {
						t.Errorf("span %d status = %s, want %s", tc.seq, s.Status, tc.wantSpan)
					}
					if s.Status == trace.StatusUnfinished && !s.End.IsZero() {
						t.Errorf("unfinished span has end %v", s.End)
					}
				}
			}
			if !found {
				t.Errorf("no span for seq %d", tc.seq)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps func([]journal.Step) []journal.Step
	}{
		{"out of order", func(s []journal.Step) []journal.Step { s[1], s[2] = s[2], s[1]; return s }},
		{"duplicate seq", func(s []journal.Step) []journal.Step { s[2].Seq = 2; return s }},
		{"seq zero", func(s []journal.Step) []journal.Step { s[0].Seq = 0; return s }},
		{"another run's step", func(s []journal.Step) []journal.Step { s[3].RunID = "run_b"; return s }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := trace.Build(testRun(), tc.steps(testSteps())); err == nil {
				t.Errorf("Build() = nil, want an error")
			}
		})
	}
}

// TestLoad reads a run the agent recorded through the Source interface the
// journal satisfies.
func TestLoad(t *testing.T) {
	t.Parallel()
	j := openJournal(t)
	run := recordRun(t, j, helloScript, "say hi")
	var src trace.Source = j
	tr, err := trace.Load(context.Background(), src, run.ID)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	// config, 3 model calls, write and exec each with its approval, the
	// command exec ran, nosuch
	var kinds []string
	for _, s := range tr.Spans {
		kinds = append(kinds, string(s.Kind))
		if s.Kind == trace.KindApproval && (s.Attributes["corral.approval.answer"] != "approve" || s.Attributes["corral.approval.tool_call_id"] == nil) {
			t.Errorf("approval span %q attributes %v, want the answer and the tool call", s.Name, s.Attributes)
		}
	}
	want := "run config llm approval tool llm approval tool command tool llm"
	if strings.Join(kinds, " ") != want || tr.Run.Steps != 9 {
		t.Errorf("Load() = spans %v for %d steps, want %s for 9", kinds, tr.Run.Steps, want)
	}
	b, err := trace.LoadSession(context.Background(), src, run.SessionID)
	if err != nil || len(b.Runs) != 1 || b.Session.Title != "say hi" {
		t.Errorf("LoadSession() = %d runs, title %q, %v; want 1 run titled by the prompt", len(b.Runs), b.Session.Title, err)
	}
	if _, err := trace.LoadRun(context.Background(), src, "run_missing"); err == nil {
		t.Errorf("LoadRun(missing) = nil, want an error")
	}
}

func toStrings(k []trace.SpanKind) []string {
	out := make([]string, len(k))
	for i, v := range k {
		out[i] = string(v)
	}
	return out
}

func equalAttr(got, want any) bool {
	if g, ok := got.([]string); ok {
		w, _ := want.([]string)
		return strings.Join(g, ",") == strings.Join(w, ",")
	}
	return got == want
}

// TestBuildApprovals pairs gate steps and tool steps with the tool calls
// they belong to, whether or not a refused call gets a tool step.
func TestBuildApprovals(t *testing.T) {
	t.Parallel()
	const (
		twoExecs = `{"content":[{"type":"tool_use","id":"toolu_a","name":"exec","input":{"command":"ls"}},{"type":"tool_use","id":"toolu_b","name":"exec","input":{"command":"rm -rf /"}},{"type":"tool_use","id":"toolu_c","name":"read","input":{"path":"x"}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`
		allowed  = `{"assessment":{"decision":"allow","reason":"rule exec(ls)"},"outcome":{"run":true,"input":{"command":"ls"},"action_hash":"h1"}}`
		refused  = `{"assessment":{"decision":"ask"},"answer":{"kind":"deny","by":"ana"},"outcome":{"run":false,"refusal":"The user denied this."}}`
		result   = `{"content":"ok"}`
	)
	tests := []struct {
		name      string
		steps     []journal.Step
		wantCalls map[int]string // seq -> tool call id of its span
	}{
		{"refusal without a tool step", []journal.Step{
			step(1, "llm", "model", llmIn, twoExecs, 0),
			step(2, "approval", "exec", "", allowed, 10),
			step(3, "tool", "exec", `{"command":"ls"}`, result, 20),
			step(4, "approval", "exec", "", refused, 30),
			step(5, "tool", "read", `{"path":"x"}`, result, 40),
		}, map[int]string{2: "toolu_a", 3: "toolu_a", 4: "toolu_b", 5: "toolu_c"}},
		{"refusal with a tool step", []journal.Step{
			step(1, "llm", "model", llmIn, twoExecs, 0),
			step(2, "approval", "exec", "", allowed, 10),
			step(3, "tool", "exec", `{"command":"ls"}`, result, 20),
			step(4, "approval", "exec", "", refused, 30),
			step(5, "tool", "exec", `{"command":"rm -rf /"}`, `{"content":"The user denied this.","is_error":true}`, 40),
			step(6, "tool", "read", `{"path":"x"}`, result, 50),
		}, map[int]string{2: "toolu_a", 3: "toolu_a", 4: "toolu_b", 5: "toolu_b", 6: "toolu_c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := trace.Build(testRun(), tc.steps)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tr.Spans {
				want, ok := tc.wantCalls[s.Seq]
				if !ok || s.Kind == trace.KindCommand {
					continue
				}
				key := "gen_ai.tool.call.id"
				if s.Kind == trace.KindApproval {
					key = "corral.approval.tool_call_id"
				}
				if got := s.Attributes[key]; got != want {
					t.Errorf("%s (seq %d) %s = %v, want %s", s.Name, s.Seq, key, got, want)
				}
				if s.RequestedBy != tr.Spans[1].ID {
					t.Errorf("%s (seq %d) requested by %q, want the model call", s.Name, s.Seq, s.RequestedBy)
				}
			}
			gate := spanBySeq(t, tr, 4, trace.KindApproval)
			if gate.Attributes["corral.approval.answer"] != "deny" || gate.Attributes["corral.approval.run"] != false ||
				gate.Attributes["corral.approval.by"] != "ana" || gate.Name != "approval exec" {
				t.Errorf("refusal span %q attributes %v", gate.Name, gate.Attributes)
			}
		})
	}
}
