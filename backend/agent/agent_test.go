package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// turn is one scripted model turn: text and tool calls ({name, input JSON}).
type turn struct {
	text  string
	calls [][2]string
}

// scriptModel answers by the number of assistant turns since the prompt, so it
// is deterministic on replay. It records every request it receives.
type scriptModel struct {
	turns []turn
	// onCall, if set, runs before answering call n (1-based count of calls to this model).
	onCall func(n int, req llm.Request)

	mu       sync.Mutex
	requests []llm.Request
}

func (m *scriptModel) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	m.mu.Lock()
	m.requests = append(m.requests, req)
	n := len(m.requests)
	m.mu.Unlock()
	if m.onCall != nil {
		m.onCall(n, req)
	}
	if err := ctx.Err(); err != nil {
		return llm.Response{}, err
	}
	k := 0 // assistant turns since the latest prompt (a user message with text)
	for _, msg := range req.Messages {
		switch {
		case msg.Role == llm.RoleAssistant:
			k++
		case slices.ContainsFunc(msg.Content, func(b llm.Block) bool { return b.Type == llm.BlockText }):
			k = 0
		}
	}
	if k >= len(m.turns) {
		return llm.Response{}, errors.New("script exhausted")
	}
	t := m.turns[k]
	resp := llm.Response{StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}, Model: req.Model}
	if t.text != "" {
		if onEvent != nil {
			onEvent(llm.TextDelta{Text: t.text})
		}
		resp.Content = append(resp.Content, llm.TextBlock(t.text))
	}
	for i, c := range t.calls {
		resp.Content = append(resp.Content, llm.NewToolUse("toolu_"+string(rune('a'+k))+string(rune('0'+i)), c[0], c[1]))
		resp.StopReason = llm.StopToolUse
	}
	return resp, nil
}

func (m *scriptModel) calls() []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]llm.Request(nil), m.requests...)
}

type fixedModels struct{ m llm.Model }

func (f fixedModels) Resolve(p, model string) (string, string) {
	if model == "" {
		model = "script-1"
	}
	return "script", model
}
func (f fixedModels) Model(RunConfig) (llm.Model, error) { return f.m, nil }

// setup builds a Runner on a real journal in a temp dir, the local sandbox and the
// built-in tools, driven by model; tweaks change its Config before it is built.
func setup(t *testing.T, model llm.Model, tweaks ...func(*Config)) (*Runner, string) {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(context.Background(), filepath.Join(dir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return newRunner(j, model, dir, tweaks...), dir
}

// newRunner wires a Runner for tests: the built-in agents and tools, the local sandbox.
func newRunner(j *journal.Journal, model llm.Model, dir string, tweaks ...func(*Config)) *Runner {
	defs := map[string]Definition{}
	for _, d := range Builtin() {
		defs[d.ID] = d
	}
	c := Config{
		Journal: j,
		Bus:     bus.New[Event](),
		Agents:  defs,
		Prices:  Prices{"script-*": {Input: 1, Output: 2}},
		Models:  fixedModels{model},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg RunConfig) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{})
		},
		HostSandbox: func(dir string) (sandbox.Sandbox, error) {
			return local.New(dir, local.Options{})
		},
		Tools:    tool.Builtin(),
		Approver: approveAll{},
		DataDir:  dir,
	}
	for _, tweak := range tweaks {
		tweak(&c)
	}
	return New(c)
}

// askPerson is a setup tweak: no approver (runs wait for a person) and a ledger of its
// own.
func askPerson(t *testing.T) func(*Config) {
	return func(c *Config) {
		c.Approver = nil
		c.Ledger = approval.NewLedger(t.TempDir())
	}
}

// approveAll approves every action, as --approve all does.
type approveAll struct{}

func (approveAll) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}, nil
}

func start(t *testing.T, r *Runner, req StartRequest) journal.Run {
	t.Helper()
	if req.Workspace == "" && req.SessionID == "" {
		req.Workspace = t.TempDir()
	}
	run, err := r.Start(context.Background(), req)
	if err != nil {
		t.Fatalf("Start(%q) = %v", req.Prompt, err)
	}
	return run
}

func kinds(t *testing.T, r *Runner, runID string) []string {
	t.Helper()
	steps, err := r.config.Journal.Steps(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range steps {
		out = append(out, s.Kind+":"+s.Name+":"+string(s.Status))
	}
	return out
}

var helloScript = []turn{
	{text: "Writing the file.", calls: [][2]string{{"write", `{"path":"hello.txt","content":"hi there\n"}`}}},
	{calls: [][2]string{{"exec", `{"command":"cat hello.txt; echo ran >> effects.log"}`}}},
	{text: "Done: hello.txt says hi."},
}

func TestRunCompletes(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "say hi in a file"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil {
		t.Fatalf("Drive() = %v", err)
	}
	if got.Status != journal.RunCompleted || got.Usage.InputTokens != 300 || got.CostUSD == 0 {
		t.Errorf("Drive() run = status %s usage %+v cost %v, want completed with 300 input tokens and a cost", got.Status, got.Usage, got.CostUSD)
	}
	want := []string{"config:run.config:completed", "llm:model:completed", "approval:write:completed", "tool:write:completed",
		"llm:model:completed", "approval:exec:completed", "tool:exec:completed", "llm:model:completed"}
	if k := kinds(t, r, run.ID); !reflect.DeepEqual(k, want) {
		t.Errorf("steps = %v, want %v", k, want)
	}
	if b, err := os.ReadFile(filepath.Join(got.Workspace, "hello.txt")); err != nil || string(b) != "hi there\n" {
		t.Errorf("hello.txt = %q, %v; want the written content", b, err)
	}
	reqs := m.calls()
	last := reqs[len(reqs)-1].Messages
	res := last[len(last)-1].Content[0]
	if res.Type != llm.BlockToolResult || !strings.Contains(res.Content, "hi there") {
		t.Errorf("third request's last block = %+v, want the exec result with the file's text", res)
	}
}

// TestResumeNeverRepeats cancels a run during its third model call (as a kill would cut it)
// and resumes it: finished model calls are not made again, the exec side effect happened
// once, and the resumed request is byte for byte the one the cut-off call sent.
func TestResumeNeverRepeats(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	m := &scriptModel{turns: helloScript, onCall: func(n int, _ llm.Request) {
		if n == 3 {
			cancel()
		}
	}}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "say hi in a file"})
	got, err := r.Drive(ctx, run.ID)
	if err == nil || got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cancelled) = %s, %v; want cancelled and an error", got.Status, err)
	}

	cut, err := r.config.Journal.Steps(context.Background(), run.ID)
	if err != nil {
		t.Fatal(err)
	}

	m2 := &scriptModel{turns: helloScript}
	got, err = r.Drive(context.Background(), run.ID, WithModels(fixedModels{m2}))
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(resume) = %s, %v; want completed", got.Status, err)
	}
	// The resume is recorded after the last step completed before the cancel.
	if got, want := resumes(t, r, run.ID), fmt.Sprintf("cancelled@%d", cut[len(cut)-1].Seq-1); got != want {
		t.Errorf("resumes = %q, want %q", got, want)
	}
	if n := len(m2.calls()); n != 1 {
		t.Errorf("resume made %d model calls, want 1 (only the one that was cut off)", n)
	}
	before, _ := json.Marshal(m.calls()[2])
	after, _ := json.Marshal(m2.calls()[0])
	if string(before) != string(after) {
		t.Errorf("resumed request differs from the cut-off one:\n%s\n%s", before, after)
	}
	if b, _ := os.ReadFile(filepath.Join(got.Workspace, "effects.log")); string(b) != "ran\n" {
		t.Errorf("effects.log = %q, want the exec side effect exactly once", b)
	}
}

// TestInterruptedSideEffect cuts a run off inside a command (a non-idempotent step): resuming
// must not run it again by itself; the person skips it and the model is told so.
func TestInterruptedSideEffect(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	script := []turn{
		{calls: [][2]string{{"exec", `{"command":"echo started >> effects.log; sleep 30"}`}}},
		{text: "ok"},
	}
	m := &scriptModel{turns: script}
	r, _ := setup(t, m)
	sub := r.config.Bus.Subscribe(context.Background(), 0)
	go func() {
		for ev := range sub.C() {
			if ev.Type == EventToolStarted {
				cancel() // the command is running: cut the run off now
			}
		}
	}()
	run := start(t, r, StartRequest{Prompt: "run it"})
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cut off) status = %s, want cancelled", got.Status)
	}
	got, err := r.Drive(context.Background(), run.ID)
	if !errors.Is(err, ErrSuspended) || got.Status != journal.RunInterrupted {
		t.Fatalf("Drive(resume) = %s, %v; want interrupted and ErrSuspended", got.Status, err)
	}
	st, err := r.Resolve(context.Background(), run.ID, journal.ActionSkip, "I cleaned up by hand")
	if err != nil || st.Seq != 4 {
		t.Fatalf("Resolve(skip) = step %d, %v; want step 4 (the exec after its approval)", st.Seq, err)
	}
	got, err = r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(after skip) = %s, %v; want completed", got.Status, err)
	}
	reqs := m.calls()
	last := reqs[len(reqs)-1].Messages
	res := last[len(last)-1].Content[0]
	if !res.IsError || !strings.Contains(res.Content, "skip") || !strings.Contains(res.Content, "I cleaned up by hand") {
		t.Errorf("model saw %+v after the skip, want an error result saying it was skipped, with the user's words", res)
	}
	// The cancel may land before or after the shell wrote its line; never twice.
	if b, _ := os.ReadFile(filepath.Join(got.Workspace, "effects.log")); string(b) != "started\n" && len(b) != 0 {
		t.Errorf("effects.log = %q, want the command to have run at most once", b)
	}
	if _, err := r.Resolve(context.Background(), run.ID, journal.ActionRerun, ""); !errors.Is(err, ErrNothingToResolve) {
		t.Errorf("Resolve on a finished run = %v, want ErrNothingToResolve", err)
	}
	// Driven again after the cancel (the gate at 3 done, the exec cut off), then again after
	// the person's skip completed step 4.
	if got, want := resumes(t, r, run.ID), "cancelled@3 interrupted@4"; got != want {
		t.Errorf("resumes = %q, want %q", got, want)
	}
}

// resumes describes a run's recorded resumes as "reason@after_seq ...".
func resumes(t *testing.T, r *Runner, runID string) string {
	t.Helper()
	rs, err := r.config.Journal.Resumes(context.Background(), runID)
	if err != nil {
		t.Fatalf("Resumes(%s) = %v", runID, err)
	}
	var out []string
	for _, res := range rs {
		out = append(out, fmt.Sprintf("%s@%d", res.Reason, res.AfterSeq))
	}
	return strings.Join(out, " ")
}

func TestModelMistakesAreToolResults(t *testing.T) {
	t.Parallel()
	script := []turn{
		{calls: [][2]string{{"teleport", `{}`}, {"write", `{"path": "a.txt", "content": `}, {"read", `{"path":"missing.txt"}`}}},
		{text: "I see."},
	}
	m := &scriptModel{turns: script}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "try things"})
	if got, err := r.Drive(context.Background(), run.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed: model mistakes are results, not failures", got.Status, err)
	}
	reqs := m.calls()
	results := reqs[1].Messages[len(reqs[1].Messages)-1].Content
	wants := []string{"no tool named", "not valid JSON", "missing.txt"}
	if len(results) != len(wants) {
		t.Fatalf("second request carries %d results, want %d", len(results), len(wants))
	}
	for i, w := range wants {
		if !results[i].IsError || !strings.Contains(results[i].Content, w) {
			t.Errorf("result %d = %+v, want an error mentioning %q", i, results[i], w)
		}
	}
}

func TestMaxSteps(t *testing.T) {
	t.Parallel()
	loop := turn{calls: [][2]string{{"glob", `{"pattern":"*"}`}}}
	m := &scriptModel{turns: []turn{loop, loop, loop, loop}}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "spin", MaxSteps: 2})
	got, err := r.Drive(context.Background(), run.ID)
	if err == nil || got.Status != journal.RunFailed || !strings.Contains(got.Error, "max steps") || len(m.calls()) != 2 {
		t.Errorf("Drive() = %s %q after %d calls, %v; want failed on max steps after 2 calls", got.Status, got.Error, len(m.calls()), err)
	}
}

func TestSessionHistory(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	first := start(t, r, StartRequest{Prompt: "say hi in a file"})
	if _, err := r.Drive(context.Background(), first.ID); err != nil {
		t.Fatal(err)
	}
	m2 := &scriptModel{turns: []turn{{calls: [][2]string{{"read", `{"path":"hello.txt"}`}}}, {text: "still there"}}}
	second := start(t, r, StartRequest{SessionID: first.SessionID, Prompt: "is it still there?"})
	if second.Workspace != first.Workspace {
		t.Errorf("follow-up run workspace = %s, want the session's %s", second.Workspace, first.Workspace)
	}
	got, err := r.Drive(context.Background(), second.ID, WithModels(fixedModels{m2}))
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(second) = %s, %v", got.Status, err)
	}
	msgs := m2.calls()[0].Messages
	steps, _ := r.config.Journal.Steps(context.Background(), first.ID)
	history := Conversation(first.Prompt, steps)
	if len(msgs) != len(history)+1 {
		t.Fatalf("follow-up request has %d messages, want the %d of the first run plus the prompt", len(msgs), len(history))
	}
	if msgs[0].Content[0].Text != "say hi in a file" || msgs[len(msgs)-2].Content[0].Text != "Done: hello.txt says hi." {
		t.Errorf("follow-up request = %+v, want it to open with the first run's prompt and reply", msgs)
	}
	if last := msgs[len(msgs)-1]; last.Role != llm.RoleUser || last.Content[0].Text != "is it still there?" {
		t.Errorf("follow-up request ends with %+v, want the new prompt", last)
	}
}

func TestConversationRebuildsLiveTurns(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "say hi in a file"})
	if _, err := r.Drive(context.Background(), run.ID); err != nil {
		t.Fatal(err)
	}
	steps, _ := r.config.Journal.Steps(context.Background(), run.ID)
	rebuilt := Conversation(run.Prompt, steps)
	reqs := m.calls()
	live := reqs[len(reqs)-1].Messages // the conversation the last call saw
	a, _ := json.Marshal(rebuilt[:len(rebuilt)-1])
	b, _ := json.Marshal(live)
	if string(a) != string(b) {
		t.Errorf("Conversation() =\n%s\nwant the live conversation\n%s", a, b)
	}
	// config, model (write call), approval, tool result: prompt, assistant, user.
	if cut := Conversation(run.Prompt, steps[:4]); len(cut) != 3 || cut[1].Role != llm.RoleAssistant || cut[2].Content[0].Type != llm.BlockToolResult {
		t.Errorf("Conversation(first exchange) = %+v, want prompt, tool call, tool result", cut)
	}
	// A run cut off after a tool call but before its result leaves no dangling tool use.
	dangling := Conversation(run.Prompt, steps[:3])
	if len(dangling) != 1 {
		t.Errorf("Conversation(cut before the tool result) has %d messages, want only the prompt", len(dangling))
	}
}

// TestRecover resumes a run a crash left "running" and leaves other runs alone.
func TestRecover(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	ctx := context.Background()
	crashed := start(t, r, StartRequest{Prompt: "say hi in a file"})
	// The crash: another process claimed the run and died before its first step.
	crash(t, r.config.Journal, crashed.ID)
	waiting := start(t, r, StartRequest{Prompt: "not started"})
	sub := r.config.Bus.Subscribe(ctx, 0)
	got, err := r.Recover(ctx)
	if err != nil || len(got) != 1 || got[0].Run.ID != crashed.ID || got[0].Err != nil || got[0].Run.Status != journal.RunCompleted {
		t.Fatalf("Recover() = %+v, %v; want the crashed run completed and nothing else", got, err)
	}
	if got, want := resumes(t, r, crashed.ID), "interrupted@1"; got != want {
		t.Errorf("resumes of the crashed run = %q, want %q (after its configuration)", got, want)
	}
	if ev := <-sub.C(); ev.Type != EventRunResumed || ev.Reason != ResumeInterrupted {
		t.Errorf("first event = %s (reason %q), want %s with reason %q", ev.Type, ev.Reason, EventRunResumed, ResumeInterrupted)
	}
	if w, _ := r.config.Journal.Run(ctx, waiting.ID); w.Status != journal.RunPending {
		t.Errorf("pending run status after Recover = %s, want it untouched", w.Status)
	}
}

// crash claims a run through a second journal on the same file, as another process would,
// and closes it without giving the run up, as that process would when killed.
func crash(t *testing.T, j *journal.Journal, runID string) {
	t.Helper()
	other := otherProcess(t, j)
	run, err := other.Run(t.Context(), runID)
	if err != nil {
		t.Fatal(err)
	}
	lease, _, err := other.ClaimRun(t.Context(), runID, run.Status, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
	other.Close()
}

// otherProcess opens the journal a second time: another owner, as another Corral would be.
func otherProcess(t *testing.T, j *journal.Journal) *journal.Journal {
	t.Helper()
	other, err := journal.Open(t.Context(), j.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// TestOneDriverPerRun: a run another live process drives is not taken by Recover (a window's
// auto-resume), Drive (corral resume, the window's Resume) or Resolve (corral resolve); once
// that process is gone, it is.
func TestOneDriverPerRun(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: helloScript}
	r, _ := setup(t, m)
	ctx := context.Background()
	live := start(t, r, StartRequest{Prompt: "say hi in a file"})
	other := otherProcess(t, r.config.Journal)
	lease, _, err := other.ClaimRun(ctx, live.ID, journal.RunPending, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	// Its model call is in flight: nothing was cut off.
	if _, err := other.Begin(ctx, live.ID, 2, journal.StepSpec{Name: record.NameModel, Kind: record.KindLLM, Idempotent: true}); err != nil {
		t.Fatal(err)
	}

	got, err := r.Recover(ctx)
	if err != nil {
		t.Fatalf("Recover() = %v", err)
	}
	if len(got) != 1 || !errors.Is(got[0].Err, journal.ErrLeased) {
		t.Errorf("Recover() = %+v, want the live run reported as driven elsewhere", got)
	}
	if _, err := r.Drive(ctx, live.ID); !errors.Is(err, journal.ErrLeased) {
		t.Errorf("Drive(live run) = %v, want %v", err, journal.ErrLeased)
	}
	if _, err := r.Resolve(ctx, live.ID, journal.ActionRerun, ""); !errors.Is(err, journal.ErrLeased) {
		t.Errorf("Resolve(live run, rerun) = %v, want %v", err, journal.ErrLeased)
	}
	run, _ := r.config.Journal.Run(ctx, live.ID)
	if run.Status != journal.RunRunning || len(m.calls()) != 0 {
		t.Errorf("after the takers: status %s, %d model calls; want running with none (untouched)", run.Status, len(m.calls()))
	}
	if res := resumes(t, r, live.ID); res != "" {
		t.Errorf("resumes after the takers = %q, want none", res)
	}

	// The other process dies: the run is this one's to take, and goes on from its last step.
	lease.Release()
	other.Close()
	if run, err := r.Drive(ctx, live.ID); err != nil || run.Status != journal.RunCompleted {
		t.Fatalf("Drive(run of a dead process) = %s, %v, want it completed", run.Status, err)
	}
	if res := resumes(t, r, live.ID); res != "interrupted@1" {
		t.Errorf("resumes = %q, want interrupted@1", res)
	}
}

// answerWith answers every request with fn's answer.
type answerWith func(req approval.Request) approval.Answer

func (f answerWith) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	a := f(req)
	a.ActionHash = req.ActionHash
	return a, nil
}

// TestApprovalAnswersReachTheModel checks exactly what the model receives after a person
// denies with a message, and after they edit a command before approving it.
func TestApprovalAnswersReachTheModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		answer      approval.Answer
		wantError   bool
		wantContent []string
		wantEffect  string
	}{
		{
			name:        "deny with message",
			answer:      approval.Answer{Kind: approval.Reject, Message: "not on my machine"},
			wantError:   true,
			wantContent: []string{"not on my machine"},
			wantEffect:  "",
		},
		{
			name:        "edit then approve",
			answer:      approval.Answer{Kind: approval.EditApprove, Input: json.RawMessage(`{"command":"echo edited >> effects.log; echo ran-edited"}`)},
			wantContent: []string{"echo edited >> effects.log; echo ran-edited", "ran-edited"},
			wantEffect:  "edited\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: []turn{{calls: [][2]string{{"exec", `{"command":"echo original >> effects.log"}`}}}, {text: "noted"}}}
			r, _ := setup(t, m)
			run := start(t, r, StartRequest{Prompt: "log it"})
			got, err := r.Drive(context.Background(), run.ID, WithApprover(answerWith(func(approval.Request) approval.Answer { return tt.answer })))
			if err != nil || got.Status != journal.RunCompleted {
				t.Fatalf("Drive() = %s, %v", got.Status, err)
			}
			reqs := m.calls()
			last := reqs[len(reqs)-1].Messages
			res := last[len(last)-1].Content[0]
			if res.Type != llm.BlockToolResult || res.IsError != tt.wantError {
				t.Fatalf("model received %+v, want a tool result with IsError=%v", res, tt.wantError)
			}
			for _, w := range tt.wantContent {
				if !strings.Contains(res.Content, w) {
					t.Errorf("model received %q, want it to contain %q", res.Content, w)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(got.Workspace, "effects.log")); string(b) != tt.wantEffect {
				t.Errorf("effects.log = %q, want %q", b, tt.wantEffect)
			}
			// The trace keeps both versions: the approval step has the original, the tool step what ran.
			steps, _ := r.config.Journal.Steps(context.Background(), run.ID)
			gate, toolStep := steps[2], steps[3]
			if gate.Kind != record.KindApproval || !strings.Contains(string(gate.Input), "echo original") {
				t.Errorf("approval step = %s %s, want the original command in its input", gate.Kind, gate.Input)
			}
			if tt.answer.Kind == approval.EditApprove && !strings.Contains(string(toolStep.Input), "echo edited") {
				t.Errorf("tool step input = %s, want the edited command", toolStep.Input)
			}
		})
	}
}

// TestApprovalSuspendsDurably: without an Approver the run waits (no goroutine, status
// awaiting_approval), survives reopening the journal, takes the first answer only, and
// finishes without repeating a step.
func TestApprovalSuspendsDurably(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{{calls: [][2]string{{"exec", `{"command":"echo once >> effects.log"}`}}}, {text: "done"}}}
	r, _ := setup(t, m, askPerson(t))
	ctx := context.Background()
	run := start(t, r, StartRequest{Prompt: "log once"})
	for i := 0; i < 2; i++ { // waiting survives any number of resumes
		got, err := r.Drive(ctx, run.ID)
		if !errors.Is(err, ErrSuspended) || got.Status != journal.RunAwaitingApproval {
			t.Fatalf("Drive() #%d = %s, %v; want awaiting_approval", i+1, got.Status, err)
		}
	}
	st, req, err := r.Pending(ctx, run.ID)
	if err != nil || req.Tool != "exec" || req.Preview.Exec == nil || st.Status != journal.StepStarted {
		t.Fatalf("Pending() = %+v, %+v, %v; want the exec request with its preview", st, req, err)
	}
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: "stale"}); !errors.Is(err, approval.ErrStaleAnswer) {
		t.Errorf("Answer(wrong hash) = %v, want ErrStaleAnswer", err)
	}
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test",
		Remember: &approval.Remember{Scope: approval.SessionScope(run.SessionID), List: approval.ListAllow, Rules: []string{"exec(echo *)"}}}); err != nil {
		t.Fatalf("Answer(approve) = %v", err)
	}
	if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Reject, ActionHash: req.ActionHash}); !errors.Is(err, ErrNothingPending) {
		t.Errorf("second Answer = %v, want ErrNothingPending (the first decision wins)", err)
	}
	got, err := r.Drive(ctx, run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(after approval) = %s, %v", got.Status, err)
	}
	if n := len(m.calls()); n != 2 {
		t.Errorf("model calls = %d, want 2: waiting and resuming replay the first turn", n)
	}
	if got := resumes(t, r, run.ID); got != "" {
		t.Errorf("resumes = %q, want none: going on after an answer is not a resume", got)
	}
	if b, _ := os.ReadFile(filepath.Join(got.Workspace, "effects.log")); string(b) != "once\n" {
		t.Errorf("effects.log = %q, want the command once", b)
	}
	entries, err := r.config.Ledger.List()
	if err != nil || len(entries) != 1 || entries[0].Rule != "exec(echo *)" || entries[0].Source != "approval" {
		t.Errorf("ledger = %+v, %v; want the remembered rule", entries, err)
	}
}

// TestReadOutsideAsks: a read outside the workspace passes the gate; approved, it reads the
// host file; denied, the model is told and nothing is read.
func TestReadOutsideAsks(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "npmrc")
	if err := os.WriteFile(secret, []byte("registry=https://example.invalid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		kind approval.AnswerKind
		want string
	}{{"approved", approval.Approve, "registry=https://example.invalid"}, {"denied", approval.Reject, "denied"}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: []turn{{calls: [][2]string{{"read", `{"path":"` + secret + `"}`}}}, {text: "ok"}}}
			r, _ := setup(t, m)
			var asked []approval.Request
			approver := answerWith(func(req approval.Request) approval.Answer {
				asked = append(asked, req)
				return approval.Answer{Kind: tt.kind}
			})
			run := start(t, r, StartRequest{Prompt: "read my npmrc"})
			if got, err := r.Drive(context.Background(), run.ID, WithApprover(approver)); err != nil || got.Status != journal.RunCompleted {
				t.Fatalf("Drive() = %s, %v", got.Status, err)
			}
			if len(asked) != 1 || asked[0].Tool != "read" {
				t.Fatalf("asked %d times (%+v), want one read approval", len(asked), asked)
			}
			reqs := m.calls()
			res := reqs[1].Messages[len(reqs[1].Messages)-1].Content[0]
			if !strings.Contains(strings.ToLower(res.Content), tt.want) {
				t.Errorf("model received %q, want it to contain %q", res.Content, tt.want)
			}
		})
	}
}

// TestStartRefusesImportedSession: an imported session is a record of someone else's work; a
// run started in it is refused before anything is written.
func TestStartRefusesImportedSession(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{turns: helloScript})
	ctx := context.Background()
	sess := journal.Session{ID: "imp_ses_1", Title: "shared", Workspace: "/elsewhere", Origin: journal.OriginImported}
	run := journal.Run{ID: "imp_run_1", SessionID: sess.ID, Agent: "coder", Prompt: "p", Status: journal.RunCompleted}
	if err := r.config.Journal.ImportRun(ctx, sess, run, nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := r.Start(ctx, StartRequest{SessionID: sess.ID, Prompt: "go on"})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Start(in an imported session) = %v, want a read-only error", err)
	}
	if runs, _ := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sess.ID}); len(runs) != 1 {
		t.Errorf("session has %d runs after the refused start, want only the imported one", len(runs))
	}
}

// TestStartRefusesBadSandboxRequests: a request the sandbox could not honour is refused at
// Start, with what was wrong, before a run is recorded.
func TestStartRefusesBadSandboxRequests(t *testing.T) {
	t.Parallel()
	r, _ := setup(t, &scriptModel{turns: helloScript})
	tests := []struct {
		name string
		req  StartRequest
		want string
	}{
		{"unknown sandbox", StartRequest{Sandbox: "vm"}, `unknown sandbox "vm"`},
		{"unknown scope", StartRequest{Sandbox: "docker", Container: ContainerSpec{Scope: "forever"}}, `unknown container scope "forever"`},
		{"container settings without docker", StartRequest{Sandbox: "local", Container: ContainerSpec{Scope: "session"}}, "need the docker sandbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Prompt = "p"
			_, err := r.Start(context.Background(), tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if runs, _ := r.config.Journal.Runs(context.Background(), journal.RunFilter{}); len(runs) != 0 {
		t.Errorf("refused starts recorded %d runs", len(runs))
	}
}

// TestResumeReason: which drives of a run are resumes, from its status and its history.
func TestResumeReason(t *testing.T) {
	t.Parallel()
	open := journal.Step{Seq: 3, Kind: record.KindApproval, Status: journal.StepStarted}
	tool := journal.Step{Seq: 3, Kind: "tool", Status: journal.StepStarted}
	done := journal.Step{Seq: 2, Kind: "llm", Status: journal.StepCompleted}
	tests := []struct {
		status  journal.RunStatus
		history []journal.Step
		want    string
	}{
		{journal.RunPending, nil, ""},
		{journal.RunAwaitingApproval, []journal.Step{done, open}, ""},
		{journal.RunRunning, []journal.Step{done, open}, ""}, // died while it waited for a person
		{journal.RunRunning, []journal.Step{done, tool}, ResumeInterrupted},
		{journal.RunRunning, []journal.Step{done}, ResumeInterrupted},
		{journal.RunInterrupted, []journal.Step{done, open}, ResumeInterrupted},
		{journal.RunCancelled, []journal.Step{done}, ResumeCancelled},
	}
	for _, tt := range tests {
		if got := resumeReason(tt.status, tt.history); got != tt.want {
			t.Errorf("resumeReason(%s, %d steps) = %q, want %q", tt.status, len(tt.history), got, tt.want)
		}
	}
}

// TestDriveNondeterminism drives runs whose record and code disagree: the run fails with a
// nondeterminism error that says how, and nothing runs for the disagreeing step.
func TestDriveNondeterminism(t *testing.T) {
	t.Parallel()
	final, _ := json.Marshal(llm.Response{Content: []llm.Block{llm.TextBlock("Done.")}, StopReason: llm.StopEndTurn})
	for _, tc := range []struct {
		name   string
		record []journal.StepSpec // recorded completed after the configuration, from seq 2
		want   journal.NondeterminismKind
		seq    int
	}{
		{name: "different step at a seq", record: []journal.StepSpec{{Name: "exec", Kind: record.KindTool}}, want: journal.DifferentStep, seq: 2},
		{name: "missing step after the run completes", record: []journal.StepSpec{{Name: record.NameModel, Kind: record.KindLLM}, {Name: "exec", Kind: record.KindTool}}, want: journal.MissingStep, seq: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: []turn{{text: "Done."}}}
			r, _ := setup(t, m)
			run := start(t, r, StartRequest{Prompt: "hi"})
			for i, spec := range tc.record {
				if _, err := r.config.Journal.Record(context.Background(), run.ID, i+2, spec, journal.StepResult{Output: final}); err != nil {
					t.Fatalf("Record(%d) = %v", i+2, err)
				}
			}
			got, err := r.Drive(context.Background(), run.ID)
			var nd *journal.NondeterminismError
			if !errors.As(err, &nd) || nd.Kind != tc.want || nd.Seq != tc.seq || got.Status != journal.RunFailed {
				t.Fatalf("Drive() = %s, %v; want failed with a %s step at seq %d", got.Status, err, tc.want, tc.seq)
			}
			if n := len(m.calls()); n != 0 {
				t.Errorf("Drive() made %d model calls, want 0", n)
			}
		})
	}
}

// TestDriveRefusesNewerRecord: a run whose configuration a newer Corral wrote (a record
// version this one does not read) fails with a clear error instead of being misread.
func TestDriveRefusesNewerRecord(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{{text: "Done."}}}
	r, _ := setup(t, m)
	ctx := context.Background()
	sess, err := r.config.Journal.CreateSession(ctx, journal.Session{ID: "ses_new", Title: "t", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	run, err := r.config.Journal.CreateRunWithStep(ctx, journal.Run{ID: "run_new", SessionID: sess.ID, Agent: DefaultAgentID, Prompt: "hi", Workspace: sess.Workspace, Sandbox: "local", Status: journal.RunPending},
		journal.StepSpec{Name: record.NameConfig, Kind: record.KindConfig, Idempotent: true},
		journal.StepResult{Output: []byte(`{"v":99,"agent":"coder","provider":"demo","model":"m","tools":["read"],"max_steps":5,"sandbox":"local"}`)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Drive(ctx, run.ID)
	if !errors.Is(err, record.ErrVersion) || got.Status != journal.RunFailed || !strings.Contains(got.Error, "version 99") {
		t.Fatalf("Drive() = %s %q, %v; want failed with %v naming version 99", got.Status, got.Error, err, record.ErrVersion)
	}
	if n := len(m.calls()); n != 0 {
		t.Errorf("Drive() made %d model calls, want 0", n)
	}
}
