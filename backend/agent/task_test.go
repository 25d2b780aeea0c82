package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// roleModel answers the lead agent and its helpers by their system prompt and prompt: the
// lead delegates two tasks in one turn, each helper appends a line to effects.log and
// writes its file, then answers. Each request is recorded by (agent, prompt, turn).
type roleModel struct {
	// onCall, if set, runs before a request is answered (and may block it).
	onCall func(ctx context.Context, key string) error
	// isolationB is task B's isolation; "" is copy.
	isolationB string

	mu   sync.Mutex
	keys []string
}

func (m *roleModel) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	k := 0
	for _, msg := range req.Messages {
		if msg.Role == llm.RoleAssistant {
			k++
		}
	}
	prompt := ""
	if len(req.Messages) > 0 && len(req.Messages[0].Content) > 0 {
		prompt = req.Messages[0].Content[0].Text
	}
	who := "lead"
	if strings.HasPrefix(req.System, "helper") {
		who = prompt
	}
	key := fmt.Sprintf("%s#%d", who, k)
	m.mu.Lock()
	m.keys = append(m.keys, key)
	m.mu.Unlock()
	if m.onCall != nil {
		if err := m.onCall(ctx, key); err != nil {
			return llm.Response{}, err
		}
	}
	resp := llm.Response{StopReason: llm.StopEndTurn, Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}, Model: req.Model}
	switch {
	case who == "lead" && k == 0:
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{llm.TextBlock("Delegating."),
			llm.NewToolUse("toolu_A", "task", `{"agent":"helper","prompt":"A"}`),
			llm.NewToolUse("toolu_B", "task", fmt.Sprintf(`{"agent":"helper","prompt":"B","isolation":%q}`, cmp.Or(m.isolationB, IsolationCopy)))}
	case who == "lead":
		resp.Content = []llm.Block{llm.TextBlock("Both helpers are done.")}
	case k == 0:
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{llm.NewToolUse("toolu_x", "exec", fmt.Sprintf(`{"command":"echo %s >> effects.log && echo %s > %s.txt"}`, who, who, who))}
	default:
		resp.Content = []llm.Block{llm.TextBlock("helper " + who + " wrote " + who + ".txt")}
	}
	return resp, nil
}

func (m *roleModel) calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.keys)
}

// withHelpers defines the lead agent (which may delegate to helper) and helper, whose
// grep the lead lacks.
func withHelpers(c *Config) {
	c.Agents = map[string]Definition{
		"lead":   {ID: "lead", System: "lead", Tools: []string{"exec", "read", "write"}, MaxSteps: 9, MaxTokens: 4000, Subagents: []string{"helper"}},
		"helper": {ID: "helper", System: "helper", Tools: []string{"exec", "grep"}, MaxSteps: 50, MaxTokens: 8000},
	}
}

// bothAsked is an onCall that holds each helper's first request until both helpers have
// sent theirs: the helpers only get past it if they run at the same time.
func bothAsked(t *testing.T) func(context.Context, string) error {
	var once [2]sync.Once
	a, b := make(chan struct{}), make(chan struct{})
	return func(ctx context.Context, key string) error {
		switch key {
		case "A#0":
			once[0].Do(func() { close(a) })
		case "B#0":
			once[1].Do(func() { close(b) })
		default:
			return nil
		}
		select {
		case <-a:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("helper A never asked: the helpers do not run at once")
		}
		select {
		case <-b:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New("helper B never asked: the helpers do not run at once")
		}
		return nil
	}
}

func TestSubagentsRunInParallel(t *testing.T) {
	t.Parallel()
	m := &roleModel{}
	m.onCall = bothAsked(t)
	r, _ := setup(t, m, withHelpers)
	run := start(t, r, StartRequest{Agent: "lead", Prompt: "delegate"})
	got, err := r.Drive(t.Context(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive = %s, %v; want completed", got.Status, err)
	}
	if got, want := kinds(t, r, run.ID), []string{"config:run.config:completed", "llm:model:completed",
		"subagent:task:completed", "subagent:task:completed", "tool:task:completed", "tool:task:completed", "llm:model:completed"}; !slices.Equal(got, want) {
		t.Errorf("parent steps = %v, want %v", got, want)
	}
	kids, err := r.config.Journal.Children(t.Context(), run.ID)
	if err != nil || len(kids) != 2 {
		t.Fatalf("Children = %d, %v; want 2", len(kids), err)
	}
	for i, k := range kids {
		if k.ParentRunID != run.ID || k.ParentSeq != 3+i || k.Status != journal.RunCompleted || k.SessionID != run.SessionID {
			t.Errorf("child %d = %+v; want completed, of run %s step %d", i, k, run.ID, 3+i)
		}
		st, err := r.config.Journal.GetStep(t.Context(), k.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := record.DecodeConfig(st.Output)
		if err != nil {
			t.Fatal(err)
		}
		// Tools no wider than the lead's (no grep); the lead had 8 steps left for 2 children;
		// the lead's output limit.
		if !slices.Equal(cfg.Tools, []string{"exec"}) || cfg.MaxSteps != 4 || cfg.MaxTokens != 4000 || len(cfg.History) != 0 {
			t.Errorf("child %d config: tools %v, max steps %d, max tokens %d, history %d; want [exec], 4, 4000, 0", i, cfg.Tools, cfg.MaxSteps, cfg.MaxTokens, len(cfg.History))
		}
	}

	// Helper A shared the workspace; helper B worked in a copy, whose change came back as
	// a diff in the lead's tool result.
	ws := run.Workspace
	if b, _ := os.ReadFile(filepath.Join(ws, "effects.log")); string(b) != "A\n" {
		t.Errorf("workspace effects.log = %q, want only A's line", b)
	}
	if _, err := os.Stat(filepath.Join(ws, "B.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("B.txt in the shared workspace: %v; the copy's change must not be applied", err)
	}
	steps, err := r.config.Journal.Steps(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := record.DecodeToolOutput(steps[4].Output)
	b, _ := record.DecodeToolOutput(steps[5].Output)
	if a.Content != "helper A wrote A.txt" || a.IsError {
		t.Errorf("task A result = %+v, want the helper's answer", a)
	}
	if !strings.HasPrefix(b.Content, "helper B wrote B.txt") || !strings.Contains(b.Meta.Diff, "+++ b/B.txt\n") || !strings.Contains(b.Meta.Diff, "+B\n") {
		t.Errorf("task B result = %q (diff %q), want the answer and the copy's diff", b.Content, b.Meta.Diff)
	}
	// The session's conversation is the lead's: a follow-up run does not see the helpers'.
	hist, err := r.history(t.Context(), run.SessionID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 {
		t.Errorf("session history has %d messages, want 4 (the lead's prompt, turn, results, answer)", len(hist))
	}
}

// TestSubagentWorktree: a helper asking for a worktree works in a git worktree of the
// repository at HEAD (the parent's uncommitted file is not there), its new file comes back
// as a diff and is not applied, and once the lead's run has ended the worktree is gone
// from the data directory and from the repository's list.
func TestSubagentWorktree(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ws := t.TempDir()
	gitIn := newRepo(t, ws, "committed.txt", "c\n")
	if err := os.WriteFile(filepath.Join(ws, "draft.txt"), []byte("d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := setup(t, &roleModel{isolationB: IsolationWorktree}, withHelpers)
	run := start(t, r, StartRequest{Agent: "lead", Prompt: "delegate", Workspace: ws})
	if got, err := r.Drive(t.Context(), run.ID); err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive = %s, %v; want completed", got.Status, err)
	}
	steps, err := r.config.Journal.Steps(t.Context(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := record.DecodeToolOutput(steps[5].Output)
	if !strings.Contains(b.Content, "a git worktree of the repository") || !strings.Contains(b.Meta.Diff, "+++ b/B.txt\n") || !strings.Contains(b.Meta.Diff, "+B\n") ||
		strings.Contains(b.Meta.Diff, "draft.txt") || strings.Contains(b.Meta.Diff, "committed.txt") {
		t.Errorf("task B result = %q (diff %q), want the worktree's new B.txt only", b.Content, b.Meta.Diff)
	}
	if _, err := os.Stat(filepath.Join(ws, "B.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("B.txt in the workspace: %v; the worktree's change must not be applied", err)
	}
	kids, err := r.config.Journal.Children(t.Context(), run.ID)
	if err != nil || len(kids) != 2 {
		t.Fatalf("Children = %d, %v", len(kids), err)
	}
	if _, err := os.Stat(kids[1].Workspace); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the worktree %s after the run ended: %v, want it removed", kids[1].Workspace, err)
	}
	if list := gitIn("worktree", "list", "--porcelain"); strings.Count(list, "worktree ") != 1 {
		t.Errorf("git worktree list after the run:\n%s\nwant only the repository itself", list)
	}
}

// TestSubagentsResume cancels the lead while one helper's answer is in flight (the other
// has answered), then drives it again as a fresh process would: both resume, no completed
// model call is made again, and each helper's command ran once.
func TestSubagentsResume(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	m := &roleModel{}
	aDone := make(chan struct{})
	m.onCall = func(c context.Context, key string) error {
		switch key {
		case "A#1":
			close(aDone)
		case "B#1":
			<-aDone // let A finish first, then stop everything in the middle of B's call
			cancel()
			<-c.Done()
			return c.Err()
		}
		return nil
	}
	r, _ := setup(t, m, withHelpers)
	run := start(t, r, StartRequest{Agent: "lead", Prompt: "delegate"})
	if got, err := r.Drive(ctx, run.ID); err == nil || got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cancelled) = %s, %v; want cancelled", got.Status, err)
	}
	crash(t, r.config.Journal, run.ID) // and the process died: the lead was left running

	m2 := &roleModel{}
	got, err := r.Drive(t.Context(), run.ID, WithModels(fixedModels{m2}))
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(resume) = %s, %v; want completed", got.Status, err)
	}
	if got, want := m2.calls(), []string{"B#1", "lead#1"}; !slices.Equal(got, want) {
		t.Errorf("model calls on resume = %v, want %v (only what had not completed)", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(run.Workspace, "effects.log")); string(b) != "A\n" {
		t.Errorf("effects.log = %q, want A's line once", b)
	}
	kids, err := r.config.Journal.Children(t.Context(), run.ID)
	if err != nil || len(kids) != 2 || kids[0].Status != journal.RunCompleted || kids[1].Status != journal.RunCompleted {
		t.Fatalf("Children = %+v, %v; want two completed", kids, err)
	}
}

// TestTaskRefusals: what the model gets wrong about a task call is a result it sees, and
// an agent without subagents is offered no task tool.
func TestTaskRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, want string
	}{
		{"unknown agent", `{"agent":"boss","prompt":"x"}`, `There is no subagent "boss"`},
		{"no prompt", `{"agent":"helper","prompt":" "}`, "The task has no prompt"},
		{"bad isolation", `{"agent":"helper","prompt":"x","isolation":"vm"}`, `Isolation "vm" is not one of`},
		{"worktree without a repository", `{"agent":"helper","prompt":"x","isolation":"worktree"}`, "not a git repository"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: []turn{{calls: [][2]string{{"task", tc.input}}}, {text: "ok"}}}
			r, _ := setup(t, m, withHelpers)
			run := start(t, r, StartRequest{Agent: "lead", Prompt: "delegate"})
			if got, err := r.Drive(t.Context(), run.ID); err != nil || got.Status != journal.RunCompleted {
				t.Fatalf("Drive = %s, %v", got.Status, err)
			}
			steps, _ := r.config.Journal.Steps(t.Context(), run.ID)
			res, err := record.DecodeToolOutput(steps[3].Output)
			if err != nil || !res.IsError || !strings.Contains(res.Content, tc.want) {
				t.Errorf("task result = %+v, %v; want an error result with %q", res, err, tc.want)
			}
			if kids, _ := r.config.Journal.Children(t.Context(), run.ID); len(kids) != 0 {
				t.Errorf("%d children started, want none", len(kids))
			}
			if tools := m.calls()[0].Tools; !slices.ContainsFunc(tools, func(s llm.ToolSpec) bool { return s.Name == "task" }) {
				t.Errorf("the lead was not offered the task tool: %v", tools)
			}
		})
	}
	m := &scriptModel{turns: []turn{{text: "hi"}}}
	r, _ := setup(t, m)
	run := start(t, r, StartRequest{Prompt: "hi"})
	if _, err := r.Drive(t.Context(), run.ID); err != nil {
		t.Fatal(err)
	}
	if tools := m.calls()[0].Tools; slices.ContainsFunc(tools, func(s llm.ToolSpec) bool { return s.Name == "task" }) {
		t.Errorf("an agent without subagents was offered the task tool")
	}
}

func TestChildSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                                      string
		parentMax, turn, n, agentMax, asked, want int
	}{
		{"one child takes what is left", 10, 1, 1, 50, 0, 9},
		{"shared among the turn's children", 10, 1, 2, 50, 0, 4},
		{"the agent's own limit", 50, 1, 1, 5, 0, 5},
		{"the call asks for fewer", 50, 1, 1, 50, 3, 3},
		{"asking for more gets no more", 10, 1, 1, 50, 99, 9},
		{"at least one", 3, 3, 2, 50, 0, 1},
	}
	for _, tc := range tests {
		if got := childSteps(tc.parentMax, tc.turn, tc.n, tc.agentMax, tc.asked); got != tc.want {
			t.Errorf("%s: childSteps(%d, %d, %d, %d, %d) = %d, want %d", tc.name, tc.parentMax, tc.turn, tc.n, tc.agentMax, tc.asked, got, tc.want)
		}
	}
}

func TestChildBudget(t *testing.T) {
	t.Parallel()
	raised := map[string]float64{approval.CapRunCost: 1, approval.CapRunTokens: 1000}
	tests := []struct {
		name   string
		parent Budget
		spent  spend
		n      int
		agent  Budget
		want   Budget
	}{
		{"no caps anywhere", Budget{}, spend{costUSD: 5, tokens: 500}, 2, Budget{}, Budget{}},
		{"one child takes what is left", Budget{MaxCostUSD: 2, MaxTokens: 10_000}, spend{costUSD: 0.5, tokens: 4000}, 1, Budget{}, Budget{MaxCostUSD: 1.5, MaxTokens: 6000}},
		{"shared among the turn's children", Budget{MaxCostUSD: 2, MaxTokens: 10_000}, spend{costUSD: 1, tokens: 4000}, 2, Budget{}, Budget{MaxCostUSD: 0.5, MaxTokens: 3000}},
		{"raises count", Budget{MaxCostUSD: 2, MaxTokens: 10_000}, spend{costUSD: 2, tokens: 10_000, raise: raised}, 1, Budget{}, Budget{MaxCostUSD: 1, MaxTokens: 1000}},
		{"the agent's own caps when smaller", Budget{MaxCostUSD: 2, MaxTokens: 10_000}, spend{}, 1, Budget{MaxCostUSD: 0.25, MaxTokens: 50_000}, Budget{MaxCostUSD: 0.25, MaxTokens: 10_000}},
		{"the agent's caps where the parent has none", Budget{}, spend{costUSD: 9}, 1, Budget{MaxCostUSD: 0.25}, Budget{MaxCostUSD: 0.25}},
		{"used up is almost nothing, never no cap", Budget{MaxCostUSD: 1, MaxTokens: 100}, spend{costUSD: 3, tokens: 900}, 2, Budget{}, Budget{MaxCostUSD: minChildCostUSD, MaxTokens: minChildTokens}},
	}
	for _, tc := range tests {
		if got := childBudget(tc.parent, tc.spent, tc.n, tc.agent); got != tc.want {
			t.Errorf("%s: childBudget(%+v, %+v, %d, %+v) = %+v, want %+v", tc.name, tc.parent, tc.spent, tc.n, tc.agent, got, tc.want)
		}
	}
}

// TestSubagentWaitsForPerson: with no approver, the helpers stop at their commands for a
// person and the lead stops with them (awaiting approval; the helpers' requests are the ones
// in the inbox). Once both are answered, driving a helper drives the lead, which finishes
// both, sending no model request twice.
func TestSubagentWaitsForPerson(t *testing.T) {
	t.Parallel()
	m := &roleModel{}
	r, _ := setup(t, m, withHelpers, askPerson(t))
	run := start(t, r, StartRequest{Agent: "lead", Prompt: "delegate"})
	got, err := r.Drive(t.Context(), run.ID)
	if !errors.Is(err, ErrSuspended) || got.Status != journal.RunAwaitingApproval || !strings.Contains(got.Error, "waits for approval") {
		t.Fatalf("Drive = %s %q, %v; want the lead awaiting approval for its subagent", got.Status, got.Error, err)
	}
	waiting, err := r.Waiting(t.Context())
	if err != nil || len(waiting) != 2 || waiting[0].Run.ParentRunID != run.ID || waiting[1].Run.ParentRunID != run.ID {
		t.Fatalf("Waiting() = %+v, %v; want the two helpers' commands", waiting, err)
	}
	for _, w := range waiting {
		if _, err := r.Answer(t.Context(), w.Run.ID, approval.Answer{Kind: approval.Approve, ActionHash: w.Request.ActionHash, By: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err = r.Drive(t.Context(), waiting[0].Run.ID)
	if err != nil || got.ID != run.ID || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(helper) = %s %s, %v; want the lead driven to completion", got.ID, got.Status, err)
	}
	calls := m.calls()
	slices.Sort(calls)
	if want := []string{"A#0", "A#1", "B#0", "B#1", "lead#0", "lead#1"}; !slices.Equal(calls, want) {
		t.Errorf("model calls = %v, want each once: %v", calls, want)
	}
}
