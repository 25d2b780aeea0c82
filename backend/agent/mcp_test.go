package agent

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

func TestMain(m *testing.M) {
	mcptest.Main() // serves MCP over stdio when re-executed as a server
	os.Exit(m.Run())
}

// withMCP gives r the test MCP server "t" over stdio (this test binary),
// with env added to its environment.
func withMCP(t *testing.T, r *Runner, dir string, env map[string]string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := mcp.NewConfig(dir)
	e := map[string]string{mcptest.ServeEnv: "1"}
	for k, v := range env {
		e[k] = v
	}
	if err := cfg.Add(mcp.Server{Name: "t", Transport: mcp.TransportStdio, Command: exe, Env: e}); err != nil {
		t.Fatal(err)
	}
	r.config.MCP = mcp.NewHost(cfg, nil)
	t.Cleanup(func() { r.config.MCP.Close() })
}

// recordingApprover approves everything and keeps the requests it saw.
type recordingApprover struct {
	mu   sync.Mutex
	reqs []approval.Request
}

func (a *recordingApprover) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, req)
	return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}, nil
}

func calls(t *testing.T, ws string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ws, mcptest.CallsFile))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestMCPRun: the model is offered the server's tools with their schemas,
// a read-only call runs without asking, a side-effecting one asks (with the
// server, tool and arguments in the preview), and every call is a
// journaled tool step whose result the model gets.
func TestMCPRun(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{text: "Using the server.", calls: [][2]string{{"mcp__t__echo", `{"text":"ping"}`}, {"mcp__t__append", `{"line":"once"}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	ap := &recordingApprover{}
	r.config.Approver = ap
	withMCP(t, r, dir, nil)
	run := start(t, r, StartRequest{Prompt: "use mcp"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v; want completed", got.Status, err)
	}
	want := []string{"config:run.config:completed", "config:mcp.tools:completed", "llm:model:completed",
		"approval:mcp__t__echo:completed", "tool:mcp__t__echo:completed",
		"approval:mcp__t__append:completed", "tool:mcp__t__append:completed", "llm:model:completed"}
	if k := kinds(t, r, run.ID); !reflect.DeepEqual(k, want) {
		t.Errorf("steps = %v, want %v", k, want)
	}
	req := m.calls()[0]
	i := slices.IndexFunc(req.Tools, func(s llmToolSpec) bool { return s.Name == "mcp__t__add" })
	if i < 0 || !strings.Contains(string(req.Tools[i].InputSchema), `"b"`) || len(req.Tools) < 6+10 {
		t.Errorf("offered tools = %d, mcp__t__add at %d; want the built-in six and the server's with schemas", len(req.Tools), i)
	}
	if len(ap.reqs) != 1 || ap.reqs[0].Preview.MCP == nil || ap.reqs[0].Preview.MCP.Tool != "append" || ap.reqs[0].Preview.MCP.Arguments[0].Name != "line" {
		t.Errorf("approval requests = %+v, want one for append with its argument", ap.reqs)
	}
	last := m.calls()[1].Messages
	results := last[len(last)-1].Content
	if len(results) != 2 || results[0].Content != "ping" || !strings.Contains(results[1].Content, "appended") {
		t.Errorf("tool results = %+v, want echo's ping and append's answer", results)
	}
	if n := calls(t, got.Workspace); n != 1 {
		t.Errorf("append ran %d times, want 1", n)
	}
}

// TestMCPCutOff cancels a run while a side-effecting MCP call runs (as a
// kill would cut it off): resuming does not call it again on its own; the
// run waits for a person, and skip goes on without it.
func TestMCPCutOff(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__t__append", `{"line":"once"}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	withMCP(t, r, dir, map[string]string{"CORRAL_MCPTEST_APPEND_DELAY": "30s"})
	run := start(t, r, StartRequest{Prompt: "append once"})
	ctx, cancel := context.WithCancel(context.Background())
	sub := r.config.Bus.Subscribe(ctx, 0)
	go func() {
		for ev := range sub.C() {
			if ev.Type == EventToolStarted && ev.Tool == "mcp__t__append" {
				cancel()
			}
		}
	}()
	got, err := r.Drive(ctx, run.ID)
	if err == nil || got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cut off) = %s, %v; want cancelled", got.Status, err)
	}
	got, err = r.Drive(context.Background(), run.ID)
	if got.Status != journal.RunInterrupted {
		t.Fatalf("Drive(resume) = %s, %v; want interrupted (the person decides)", got.Status, err)
	}
	if _, err := r.Resolve(context.Background(), run.ID, journal.ActionSkip, "never mind"); err != nil {
		t.Fatal(err)
	}
	before := calls(t, got.Workspace)
	got, err = r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(after skip) = %s, %v; want completed", got.Status, err)
	}
	if n := calls(t, got.Workspace); n != before || n > 1 {
		t.Errorf("append ran %d times (%d before the skip), want no second call", n, before)
	}
}

// TestMCPServerGoneOnResume: the tools a run was offered are recorded; when
// its server is removed before the run goes on, the call is a tool error
// the model sees, and the run completes.
func TestMCPServerGoneOnResume(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__t__echo", `{"text":"hi"}`}}},
		{text: "Done."},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	m.onCall = func(n int, _ llmRequest) {
		if n == 1 {
			cancel()
		}
	}
	r, dir := setup(t, m)
	withMCP(t, r, dir, nil)
	run := start(t, r, StartRequest{Prompt: "echo"})
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cancelled) = %s, want cancelled", got.Status)
	}
	if err := r.config.MCP.Config.Remove("t"); err != nil {
		t.Fatal(err)
	}
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(resume) = %s, %v; want completed", got.Status, err)
	}
	reqs := m.calls()
	last := reqs[len(reqs)-1]
	if !slices.ContainsFunc(last.Tools, func(s llmToolSpec) bool { return s.Name == "mcp__t__echo" }) {
		t.Errorf("resumed request offers %d tools, want the recorded mcp__t__echo still offered", len(last.Tools))
	}
	res := last.Messages[len(last.Messages)-1].Content[0]
	if !res.IsError || !strings.Contains(res.Content, "no longer configured") {
		t.Errorf("result = %+v, want a tool error saying the server is gone", res)
	}
}

// TestMCPAgentOwnServers: an agent's own mcpServers in agents.json are
// offered to its runs only, called like global ones.
func TestMCPAgentOwnServers(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__mine__echo", `{"text":"own server"}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	own, _ := json.Marshal(map[string]any{"mine": map[string]any{"command": exe, "env": map[string]string{mcptest.ServeEnv: "1"}}})
	d := r.agents[DefaultAgentID]
	d.MCPServers = own
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	r.agents[DefaultAgentID] = d
	r.config.MCP = mcp.NewHost(mcp.NewConfig(dir), nil)
	r.config.MCP.AgentServers = func(id string) ([]mcp.Server, error) { return r.agents[id].OwnMCPServers() }
	t.Cleanup(func() { r.config.MCP.Close() })
	run := start(t, r, StartRequest{Prompt: "own"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v", got.Status, err)
	}
	last := m.calls()[1].Messages
	if res := last[len(last)-1].Content[0]; res.Content != "own server" {
		t.Errorf("result = %+v, want the own server's echo", res)
	}
	bad := d
	bad.MCPServers = json.RawMessage(`{"x": {"type": "smoke-signals"}}`)
	if err := bad.Validate(); !errors.Is(err, ErrBadDefinition) {
		t.Errorf("Validate(bad mcpServers) = %v, want ErrBadDefinition", err)
	}
}

// editingApprover edits every request's input to edited; with deny set it
// denies with a message instead.
type editingApprover struct {
	edited string
	deny   bool
}

func (a editingApprover) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	if a.deny {
		return approval.Answer{Kind: approval.Reject, ActionHash: req.ActionHash, Message: "not that line"}, nil
	}
	return approval.Answer{Kind: approval.EditApprove, ActionHash: req.ActionHash, Input: json.RawMessage(a.edited)}, nil
}

// TestMCPEditAndDeny: edit-then-approve calls the tool with the person's
// arguments and tells the model; a denial with a message calls nothing and
// tells the model the message.
func TestMCPEditAndDeny(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		approver  editingApprover
		wantLines int
		wantFile  string
		wantText  string
	}{
		{name: "edit", approver: editingApprover{edited: `{"line":"edited by a person"}`}, wantLines: 1, wantFile: "edited by a person\n", wantText: "modified this action"},
		{name: "deny with a message", approver: editingApprover{deny: true}, wantLines: 0, wantText: "not that line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: []turn{
				{calls: [][2]string{{"mcp__t__append", `{"line":"from the model"}`}}},
				{text: "Done."},
			}}
			r, dir := setup(t, m)
			r.config.Approver = tt.approver
			withMCP(t, r, dir, nil)
			run := start(t, r, StartRequest{Prompt: "append"})
			got, err := r.Drive(context.Background(), run.ID)
			if err != nil || got.Status != journal.RunCompleted {
				t.Fatalf("Drive() = %s, %v", got.Status, err)
			}
			if n := calls(t, got.Workspace); n != tt.wantLines {
				t.Errorf("append ran %d times, want %d", n, tt.wantLines)
			}
			if tt.wantFile != "" {
				if b, _ := os.ReadFile(filepath.Join(got.Workspace, mcptest.CallsFile)); string(b) != tt.wantFile {
					t.Errorf("%s = %q, want %q", mcptest.CallsFile, b, tt.wantFile)
				}
			}
			last := m.calls()[1].Messages
			if res := last[len(last)-1].Content[0]; !strings.Contains(res.Content, tt.wantText) {
				t.Errorf("result = %q, want %q in it", res.Content, tt.wantText)
			}
		})
	}
}

// TestMCPReadOnlyCutOffReruns: a read-only MCP call cut off part way is
// simply run again when the run resumes; the person is not asked.
func TestMCPReadOnlyCutOffReruns(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__t__slow", `{"ms":200}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	withMCP(t, r, dir, nil)
	run := start(t, r, StartRequest{Prompt: "slow"})
	ctx, cancel := context.WithCancel(context.Background())
	sub := r.config.Bus.Subscribe(ctx, 0)
	go func() {
		for ev := range sub.C() {
			if ev.Type == EventToolStarted {
				cancel()
			}
		}
	}()
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled {
		t.Fatalf("Drive(cut off) = %s, want cancelled", got.Status)
	}
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(resume) = %s, %v; want completed without asking", got.Status, err)
	}
	last := m.calls()[len(m.calls())-1].Messages
	if res := last[len(last)-1].Content[0]; res.Content != "slept" {
		t.Errorf("result = %q, want the rerun's answer", res.Content)
	}
}

// TestMCPHTTPRun: a Streamable HTTP server's tools are offered and called
// like a stdio server's.
func TestMCPHTTPRun(t *testing.T) {
	t.Parallel()
	web := mcptest.HTTP()
	t.Cleanup(web.Close)
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__web__add", `{"a":1,"b":2}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	cfg := mcp.NewConfig(dir)
	if err := cfg.Add(mcp.Server{Name: "web", Transport: mcp.TransportHTTP, URL: web.URL}); err != nil {
		t.Fatal(err)
	}
	r.config.MCP = mcp.NewHost(cfg, nil)
	t.Cleanup(func() { r.config.MCP.Close() })
	run := start(t, r, StartRequest{Prompt: "add over http"})
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v", got.Status, err)
	}
	last := m.calls()[1].Messages
	if res := last[len(last)-1].Content[0]; res.Content != "3" {
		t.Errorf("result = %+v, want 3", res)
	}
}

type (
	llmToolSpec = llm.ToolSpec
	llmRequest  = llm.Request
)

// TestMCPServerLivesWithSession: a session's follow-up runs in one process
// call the same server process (its instance id is the same in both runs'
// results); after its configuration changes the next run gets a new one.
func TestMCPServerLivesWithSession(t *testing.T) {
	t.Parallel()
	m := &scriptModel{turns: []turn{
		{calls: [][2]string{{"mcp__t__instance", `{}`}}},
		{text: "Done."},
	}}
	r, dir := setup(t, m)
	withMCP(t, r, dir, nil)
	instance := func(run journal.Run) string {
		t.Helper()
		got, err := r.Drive(context.Background(), run.ID)
		if err != nil || got.Status != journal.RunCompleted {
			t.Fatalf("Drive(%s) = %s, %v; want completed", run.ID, got.Status, err)
		}
		reqs := m.calls()
		last := reqs[len(reqs)-1].Messages
		return last[len(last)-1].Content[0].Content
	}
	first := start(t, r, StartRequest{Prompt: "first"})
	a := instance(first)
	b := instance(start(t, r, StartRequest{SessionID: first.SessionID, Prompt: "second"}))
	if a == "" || a != b {
		t.Errorf("instance in the follow-up run = %q, first run %q; want the same server", b, a)
	}
	cfg := r.config.MCP.Config
	srv, err := cfg.Server("t")
	if err != nil {
		t.Fatal(err)
	}
	srv.Env["CHANGED"] = "yes"
	if err := cfg.Remove("t"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Add(srv); err != nil {
		t.Fatal(err)
	}
	if c := instance(start(t, r, StartRequest{SessionID: first.SessionID, Prompt: "third"})); c == b {
		t.Errorf("instance after the configuration changed = %q, want a new server", c)
	}
}
