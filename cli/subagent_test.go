package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// subagentAgents defines a lead agent that may delegate to helper.
const subagentAgents = `{"agents":[
{"id":"lead","system":"lead","tools":["exec","read","write"],"max_steps":9,"max_tokens":4000,"subagents":["helper"]},
{"id":"helper","system":"helper","tools":["exec"],"max_steps":5,"max_tokens":4000}]}`

// subagentKey names a request by who sent it and its turn: "lead#0", "A#1" (helper A's
// second call).
func subagentKey(r llm.Request) string {
	who := "lead"
	if r.System == "helper" && len(r.Messages) > 0 && len(r.Messages[0].Content) > 0 {
		who = r.Messages[0].Content[0].Text
	}
	return fmt.Sprintf("%s#%d", who, turnOf(r))
}

// subagentReply is the script: the lead delegates A (shared workspace) and B (a copy) in
// one turn; each helper appends its name to effects.log, then answers.
func subagentReply(key string) llm.Response {
	who, turn, _ := strings.Cut(key, "#")
	resp := llm.Response{ID: "msg_" + strings.ReplaceAll(key, "#", "_"), Model: "claude-test", StopReason: llm.StopEndTurn,
		Usage: llm.Usage{InputTokens: 100, OutputTokens: 20}}
	switch {
	case who == "lead" && turn == "0":
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{llm.TextBlock("Delegating two tasks."),
			llm.NewToolUse("toolu_A", "task", `{"agent":"helper","prompt":"A"}`),
			llm.NewToolUse("toolu_B", "task", `{"agent":"helper","prompt":"B","isolation":"copy"}`)}
	case who == "lead":
		resp.Content = []llm.Block{llm.TextBlock("Both helpers are done.")}
	case turn == "0":
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{llm.NewToolUse("toolu_"+who, "exec", fmt.Sprintf(`{"command":"echo %s >> effects.log"}`, who))}
	default:
		resp.Content = []llm.Block{llm.TextBlock("helper " + who + " logged its line")}
	}
	return resp
}

// subagentServer is a fake Anthropic API for the script. Until release is closed, helper B's
// second call hangs (after arrived is closed), so a kill lands while it is in flight.
type subagentServer struct {
	*httptest.Server
	h       *llmtest.Handler
	arrived chan struct{}
	hold    atomic.Bool
	once    sync.Once
	aAsked  chan struct{}
	onceA   sync.Once
}

func newSubagentServer(t *testing.T, hold bool) *subagentServer {
	t.Helper()
	s := &subagentServer{arrived: make(chan struct{}), aAsked: make(chan struct{})}
	s.hold.Store(hold)
	s.h = llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		key := subagentKey(r)
		if key == "A#1" {
			s.onceA.Do(func() { close(s.aAsked) })
		}
		if key == "B#1" && s.hold.Load() {
			// Helper A's command has completed once it asks again: the kill then cuts off
			// model calls only, never a command (TestCrashResume covers those).
			select {
			case <-s.aAsked:
			case <-time.After(30 * time.Second):
			}
			s.once.Do(func() { close(s.arrived) })
			return llmtest.Reply{Hang: true}
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(subagentReply(key), 4)}
	})
	s.Server = httptest.NewServer(s.h)
	t.Cleanup(s.Close)
	return s
}

// keys lists the requests the server received from the n-th on.
func (s *subagentServer) keys(t *testing.T, from int) []string {
	t.Helper()
	var out []string
	for _, body := range s.h.Bodies()[from:] {
		r, err := llmtest.DecodeAnthropicRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, subagentKey(r))
	}
	return out
}

type shownRun struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Prompt   string    `json:"prompt"`
	Children []string  `json:"children"`
	Steps    []stepKey `json:"step_list"`
}

func showRun(t *testing.T, dataDir, runID string) shownRun {
	t.Helper()
	out, err := corral(t, nil, "show", runID, "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral show %s: %v", runID, err)
	}
	var d shownRun
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("corral show --json: %v: %s", err, out)
	}
	return d
}

// completedKeys are the model calls a run's journal has completed, by subagentKey.
func completedKeys(t *testing.T, dataDir, runID, who string) []string {
	var out []string
	for i := range completedModelTurns(showRun(t, dataDir, runID).Steps) {
		out = append(out, fmt.Sprintf("%s#%d", who, i))
	}
	return out
}

// TestSubagentsKill9 runs a lead agent that starts two helpers at once, kills `corral run`
// with SIGKILL while helper B's last model call is in flight, and resumes it with a new
// process: the lead and both helpers complete, no model call that had completed is sent
// again, and each helper's command ran once.
func TestSubagentsKill9(t *testing.T) {
	t.Parallel()
	srv := newSubagentServer(t, true)
	dd, ws := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dd, "agents.json"), []byte(subagentAgents), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := corral(t, nil, "run", "--json", "--agent", "lead", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "delegate")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.arrived:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper B's second call never came\n%s", out.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	lead := runIDOf(t, dd)
	before := showRun(t, dd, lead)
	if before.Status != "running" || len(before.Children) != 2 {
		t.Fatalf("after the kill the lead is %s with children %v; want running with 2", before.Status, before.Children)
	}
	a, b := before.Children[0], before.Children[1]
	done := append(completedKeys(t, dd, lead, "lead"), append(completedKeys(t, dd, a, "A"), completedKeys(t, dd, b, "B")...)...)
	if !slices.Contains(done, "B#0") || slices.Contains(done, "B#1") {
		t.Fatalf("completed calls at the kill = %v; want B#0 but not B#1", done)
	}

	srv.hold.Store(false)
	sent := len(srv.h.Bodies())
	res := corral(t, nil, "resume", lead, "--json", "--approve", "all", "--data-dir", dd)
	if resOut, err := res.CombinedOutput(); err != nil {
		t.Fatalf("corral resume: %v\n%s", err, resOut)
	}
	again := srv.keys(t, sent)
	for _, k := range again {
		if slices.Contains(done, k) {
			t.Errorf("resume sent %s again; it had completed (completed: %v, resume sent: %v)", k, done, again)
		}
	}
	if !slices.Contains(again, "B#1") || !slices.Contains(again, "lead#1") {
		t.Errorf("resume sent %v; want B#1 and lead#1 among them", again)
	}

	after := showRun(t, dd, lead)
	if after.Status != "completed" {
		t.Fatalf("lead is %s after resume, want completed", after.Status)
	}
	for _, id := range []string{a, b} {
		if st := showRun(t, dd, id).Status; st != "completed" {
			t.Errorf("helper %s is %s, want completed", id, st)
		}
	}
	// A worked in the workspace, B in its copy: each logged its line once.
	if got, _ := os.ReadFile(filepath.Join(ws, "effects.log")); string(got) != "A\n" {
		t.Errorf("workspace effects.log = %q, want A's line once", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dd, "subagents", b, "effects.log")); string(got) != "B\n" {
		t.Errorf("B's copy effects.log = %q, want B's line once", got)
	}
	var results []string
	for _, s := range after.Steps {
		if s.Kind == "tool" && s.Name == "task" {
			results = append(results, string(s.Output))
		}
	}
	if len(results) != 2 || !strings.Contains(results[0], "helper A logged its line") || !strings.Contains(results[1], "+B") {
		t.Errorf("task results = %v; want A's answer, then B's with its diff", results)
	}
}
