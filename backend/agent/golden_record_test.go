//go:build unix

package agent_test

// The recorder of the golden histories: real runs through this release's code (a real
// journal, the local sandbox, the demo model or a scripted Anthropic API from llmtest, real
// answers through Runner.Answer, a real kill of a child process) written to
// testdata/golden/<goldenVersion>. Run it with
//
//	go test ./backend/agent/ -run TestRecordGoldens -update-golden
//
// It writes only the current version's folder: when the record changes in a way old runs
// must survive, add a new version (a new goldenVersion) and keep the old folders replaying.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/sandbox/proxied"
	"github.com/corral-dev/corral/backend/tool"
	"github.com/corral-dev/corral/backend/trace"
)

// goldenVersion is the folder the recorder writes: the record version this release makes.
const goldenVersion = "v1"

var updateGolden = flag.Bool("update-golden", false, "record the golden histories of "+goldenDir+"/"+goldenVersion+" again from real runs")

// childEnv carries a child process's job (TestGoldenChild) as JSON.
const childEnv = "CORRAL_GOLDEN_CHILD"

// scriptedModel is the model behind the fake Anthropic API: it answers by the number of
// assistant turns since the latest prompt, so a retried or resumed call gets the same turn.
// A prompt named in byPrompt plays its own turns.
type scriptedModel struct {
	turns    []llm.Response
	byPrompt map[string][]llm.Response
}

func (m scriptedModel) Stream(_ context.Context, req llm.Request, _ func(llm.Event)) (llm.Response, error) {
	k, prompt := turnOf(req)
	turns := m.turns
	if t, ok := m.byPrompt[prompt]; ok {
		turns = t
	}
	if k >= len(turns) {
		return llm.Response{}, errors.New("script exhausted")
	}
	resp := turns[k]
	resp.Model, resp.ID = req.Model, fmt.Sprintf("msg_golden_%02d_%d", k, len(req.Messages))
	resp.Usage = llm.Usage{InputTokens: int64(100 * len(req.Messages)), OutputTokens: 20, CacheReadTokens: 50}
	resp.StopReason = llm.StopEndTurn
	if len(resp.ToolUses()) > 0 {
		resp.StopReason = llm.StopToolUse
	}
	return resp, nil
}

// turnOf counts the assistant turns since the latest user message with text (a prompt),
// and returns that prompt.
func turnOf(req llm.Request) (int, string) {
	k, prompt := 0, ""
	for _, msg := range req.Messages {
		if msg.Role == llm.RoleAssistant {
			k++
			continue
		}
		for _, b := range msg.Content {
			if b.Type == llm.BlockText {
				k, prompt = 0, b.Text
			}
		}
	}
	return k, prompt
}

// say is a scripted turn: text, then tool calls as {name, input}.
func say(text string, calls ...[2]string) llm.Response {
	var resp llm.Response
	if text != "" {
		resp.Content = append(resp.Content, llm.TextBlock(text))
	}
	for i, c := range calls {
		resp.Content = append(resp.Content, llm.NewToolUse(fmt.Sprintf("toolu_golden_%s_%d", c[0], i), c[0], c[1]))
	}
	return resp
}

// liveModels gives runs one model and keeps every request it is sent, per run (the runs
// of a recording are driven one at a time).
type liveModels struct {
	provider, name string
	model          llm.Model
	// file, if set, gets each request as a JSON line, synced before it is sent (a child
	// process that is killed mid-call leaves it behind).
	file *os.File

	mu   sync.Mutex
	reqs []llm.Request
}

func (m *liveModels) Resolve(string, string) (string, string)  { return m.provider, m.name }
func (m *liveModels) Model(agent.RunConfig) (llm.Model, error) { return m, nil }

// take returns the requests sent since the last take.
func (m *liveModels) take() []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.reqs
	m.reqs = nil
	return r
}

func (m *liveModels) Stream(ctx context.Context, req llm.Request, on func(llm.Event)) (llm.Response, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	m.mu.Unlock()
	if m.file != nil {
		blob, err := json.Marshal(req)
		if err != nil {
			return llm.Response{}, err
		}
		if _, err := m.file.Write(append(blob, '\n')); err != nil {
			return llm.Response{}, err
		}
		if err := m.file.Sync(); err != nil {
			return llm.Response{}, err
		}
	}
	return m.model.Stream(ctx, req, on)
}

// approveAll answers every request with approve, as --approve all does.
type approveAll struct{}

func (approveAll) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "golden"}, nil
}

// recording is one history being made: a journal, a runner and the requests each run sent.
type recording struct {
	t      *testing.T
	dir    string
	j      *journal.Journal
	r      *agent.Runner
	models *liveModels
	opts   []agent.DriveOption      // each drive's options
	sent   map[string][]llm.Request // by run id
	ended  map[string]string        // final text of each completed drive, by run id
}

// newRecording builds a runner on a fresh journal with the local sandbox and the built-in
// tools; the model is the demo when script has no turns, else a fake Anthropic API playing
// them.
func newRecording(t *testing.T, script scriptedModel) *recording {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(context.Background(), filepath.Join(dir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	models := &liveModels{provider: "demo", name: demo.ModelName, model: demo.New(demo.Options{})}
	if script.turns != nil {
		srv := llmtest.NewAnthropicServer(t, llmtest.AnthropicModel(script, 16))
		models = &liveModels{provider: "anthropic", name: "claude-golden-1", model: anthropicClient(srv.BaseURL)}
	}
	rec := &recording{t: t, dir: dir, j: j, models: models, sent: map[string][]llm.Request{}, ended: map[string]string{}}
	rec.r = goldenRunner(j, models, dir)
	return rec
}

func anthropicClient(baseURL string) *anthropic.Client {
	return anthropic.New(anthropic.Options{APIKey: "sk-golden-test", BaseURL: baseURL, MaxRetries: -1})
}

func goldenRunner(j *journal.Journal, models agent.Models, dir string) *agent.Runner {
	return goldenRunnerWith(j, models, dir, func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
		return local.New(run.Workspace, local.Options{})
	})
}

// goldenRunnerWith is goldenRunner with the run sandboxes of sandboxes.
func goldenRunnerWith(j *journal.Journal, models agent.Models, dir string, sandboxes func(context.Context, journal.Run, agent.RunConfig) (sandbox.Sandbox, error)) *agent.Runner {
	defs := map[string]agent.Definition{}
	for _, d := range agent.Builtin() {
		defs[d.ID] = d
	}
	return agent.New(agent.Config{
		Journal:     j,
		Bus:         bus.New[agent.Event](),
		Agents:      defs,
		Prices:      agent.Prices{"claude-golden-*": {Input: 3, Output: 15}},
		Models:      models,
		Sandboxes:   sandboxes,
		HostSandbox: func(dir string) (sandbox.Sandbox, error) { return local.New(dir, local.Options{}) },
		Tools:       tool.Builtin(),
		Approver:    approveAll{},
		Ledger:      approval.NewLedger(dir),
		DataDir:     dir,
	})
}

func (rec *recording) start(req agent.StartRequest) journal.Run {
	rec.t.Helper()
	if req.SessionID == "" && req.Workspace == "" {
		req.Workspace = filepath.Join(rec.dir, "workspace")
	}
	run, err := rec.r.Start(context.Background(), req)
	if err != nil {
		rec.t.Fatalf("Start(%q) = %v", req.Prompt, err)
	}
	return run
}

// drive drives a run, keeps the requests it sent, and checks the status it ends in.
func (rec *recording) drive(ctx context.Context, runID string, want journal.RunStatus) journal.Run {
	rec.t.Helper()
	got, err := rec.r.Drive(ctx, runID, rec.opts...)
	rec.sent[runID] = append(rec.sent[runID], rec.models.take()...)
	if got.Status != want {
		rec.t.Fatalf("Drive(%s) = %s, %v; want %s", runID, got.Status, err, want)
	}
	return got
}

func (rec *recording) answer(runID string, ans func(approval.Request) approval.Answer) {
	rec.t.Helper()
	_, req, err := rec.r.Pending(context.Background(), runID)
	if err != nil {
		rec.t.Fatalf("Pending(%s) = %v", runID, err)
	}
	if _, err := rec.r.Answer(context.Background(), runID, ans(req)); err != nil {
		rec.t.Fatalf("Answer(%s) = %v", runID, err)
	}
}

// history reads the session as the journal has it now into a golden.
func (rec *recording) history(name, description, sessionID string) golden {
	rec.t.Helper()
	ctx := context.Background()
	s, err := rec.j.Session(ctx, sessionID)
	if err != nil {
		rec.t.Fatal(err)
	}
	g := golden{
		Comment: "A journal history recorded by a real run (backend/agent/golden_record_test.go) and replayed by TestGoldenReplay. " +
			"Never edit or regenerate it; a new record version adds a new folder (see ../README.md).",
		Name: name, Description: description,
		Session: goldenSession{ID: s.ID, Title: s.Title, Workspace: s.Workspace, Origin: string(s.Origin),
			ImportedFrom: s.ImportedFrom, ImportedAt: s.ImportedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt},
	}
	runs, err := rec.j.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		rec.t.Fatal(err)
	}
	for _, run := range runs {
		g.Runs = append(g.Runs, rec.run(run, rec.sent[run.ID]))
	}
	return g
}

// run reads one run's record and pairs each completed model step with the request it sent
// (by its recorded message count; a call sent again after a kill must have sent the same).
func (rec *recording) run(run journal.Run, sent []llm.Request) goldenRun {
	rec.t.Helper()
	ctx := context.Background()
	steps, err := rec.j.Steps(ctx, run.ID)
	if err != nil {
		rec.t.Fatal(err)
	}
	resumes, err := rec.j.Resumes(ctx, run.ID)
	if err != nil {
		rec.t.Fatal(err)
	}
	gr := goldenRun{ID: run.ID, Agent: run.Agent, Prompt: run.Prompt, Status: string(run.Status), Workspace: run.Workspace,
		ParentRunID: run.ParentRunID, ParentSeq: run.ParentSeq,
		Sandbox: run.Sandbox, Error: run.Error, CreatedAt: run.CreatedAt, UpdatedAt: run.UpdatedAt,
		Want: goldenWant{Status: string(run.Status), Error: run.Error, Final: rec.ended[run.ID], Steps: len(steps), Requests: []goldenRequest{}}}
	next := 0 // the first request of sent not paired yet
	for _, st := range steps {
		gr.Steps = append(gr.Steps, goldenStepOf(st))
		// A model call refused as too long was sent too (the run compacted and asked again).
		refused := st.Status == journal.StepFailed && strings.HasPrefix(st.Error, "context too long: ")
		if st.Kind != record.KindLLM || (st.Status != journal.StepCompleted && !refused) {
			continue
		}
		var in struct {
			Messages int `json:"messages"`
		}
		if err := json.Unmarshal(st.Input, &in); err != nil {
			rec.t.Fatalf("run %s step %d input: %v", run.ID, st.Seq, err)
		}
		// Requests pair with model steps in order, by message count: a compacted run sends
		// the same count again later. A call made twice (cut off, then again) is sent
		// twice, identically.
		var blob []byte
		for next < len(sent) && len(sent[next].Messages) != in.Messages {
			next++
		}
		for ; next < len(sent) && len(sent[next].Messages) == in.Messages; next++ {
			b, err := json.Marshal(sent[next])
			if err != nil {
				rec.t.Fatal(err)
			}
			if blob != nil && !bytes.Equal(blob, b) {
				break // the next step's, which has as many messages
			}
			blob = b
		}
		if blob == nil {
			rec.t.Fatalf("run %s step %d: no request with %d messages was sent", run.ID, st.Seq, in.Messages)
		}
		gr.Want.Requests = append(gr.Want.Requests, goldenRequest{Seq: st.Seq, Request: blob})
	}
	for _, r := range resumes {
		gr.Resumes = append(gr.Resumes, goldenResume{N: r.N, At: r.At, AfterSeq: r.AfterSeq, Reason: r.Reason})
	}
	return gr
}

// final keeps the text a completed run ended with (the run.completed event's).
func (rec *recording) final(runID string) {
	rec.t.Helper()
	steps, err := rec.j.Steps(context.Background(), runID)
	if err != nil {
		rec.t.Fatal(err)
	}
	last := steps[len(steps)-1]
	var resp llm.Response
	if last.Kind != record.KindLLM || json.Unmarshal(last.Output, &resp) != nil {
		rec.t.Fatalf("run %s ends with step %d %s %s, want a model turn", runID, last.Seq, last.Kind, last.Name)
	}
	rec.ended[runID] = resp.Text()
}

func writeGolden(t *testing.T, g golden) {
	t.Helper()
	writeGoldenIn(t, goldenVersion, g)
}

// writeGoldenIn writes g into the folder of record version version.
func writeGoldenIn(t *testing.T, version string, g golden) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(goldenDir, version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, g.Name+".json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRecordGoldens records every golden history of this release (with -update-golden).
func TestRecordGoldens(t *testing.T) {
	if !*updateGolden {
		t.Skip("records testdata/golden/" + goldenVersion + " with -update-golden")
	}
	for name, record := range map[string]func(*testing.T) []golden{
		"demo":      recordDemo,
		"approvals": recordApprovals,
		"killed":    recordKilled,
		"cutoff":    recordCutOff,
		"session":   recordSession,
		"imported":  recordImported,
		"subagents": recordSubagents,
		"budget":    recordBudget,
		// v1: the compact record kind.
		"compaction": recordCompaction,
	} {
		t.Run(name, func(t *testing.T) {
			for _, g := range record(t) {
				writeGolden(t, g)
			}
		})
	}
}

// TestRecordEgressGolden records v1/egress.json (with -update-golden), the first history of
// record version 1 (RunConfig.Egress). Run it alone: TestRecordGoldens rewrites the
// goldenVersion folder (v0), which is never regenerated.
//
//	go test ./backend/agent/ -run TestRecordEgressGolden -update-golden
func TestRecordEgressGolden(t *testing.T) {
	if !*updateGolden {
		t.Skip("records testdata/golden/v1/egress.json with -update-golden")
	}
	if c := local.Probe(); c.Mechanism != "namespaces+landlock" {
		t.Skipf("the egress proxy needs network namespaces: %+v", c.Missing())
	}
	writeGoldenIn(t, "v1", recordEgress(t))
}

// recordEgress: a run with the allowlist policy whose command fetches an allowed and a
// disallowed host through the egress proxy (servers of egresstest on 127.0.0.1 under *.test
// names); the exec result records both connections.
func recordEgress(t *testing.T) golden {
	srv := egresstest.Start(t, netip.MustParseAddr("127.0.0.1"))
	allowed, denied := egresstest.Allowed+":"+srv.HTTPPort(), egresstest.Denied+":"+srv.HTTPPort()
	cmd := fmt.Sprintf("busybox wget -q -O- http://%s/; busybox wget -q -O- http://%s/", allowed, denied)
	rec := newRecording(t, scriptedModel{turns: []llm.Response{
		say("Fetching both.", [2]string{"exec", fmt.Sprintf(`{"command":%q}`, cmd)}),
		say("One host answered; the other is not on the allowlist."),
	}})
	rec.r = goldenRunnerWith(rec.j, rec.models, rec.dir, func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
		pol, err := rec.r.EgressPolicy(cfg, run.SessionID)
		if err != nil {
			return nil, err
		}
		return proxied.Open(egress.Options{Policy: pol, Resolver: srv.Hosts(), AllowLocal: true}, func(_, socket string) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{Egress: socket})
		})
	})
	run := rec.start(agent.StartRequest{Prompt: "Fetch the allowed and the denied host.", AllowHosts: []string{allowed}})
	rec.drive(context.Background(), run.ID, journal.RunCompleted)
	rec.final(run.ID)
	return rec.history("egress", "Record version 1: a run with the allowlist network policy; its command reached the allowed host and was refused the other, both connections in the exec result.", run.SessionID)
}

// recordDemo: the demo model's session, every action approved.
func recordDemo(t *testing.T) []golden {
	rec := newRecording(t, scriptedModel{})
	run := rec.start(agent.StartRequest{Prompt: "Write a script that greets the user, run it and test it."})
	rec.drive(context.Background(), run.ID, journal.RunCompleted)
	rec.final(run.ID)
	return []golden{rec.history("demo", "The demo model's scripted session in the local sandbox, every action approved.", run.SessionID)}
}

// recordApprovals: a run that waits for a person at each action and is answered through
// Runner.Answer: approve, edit then approve, deny with a message, approve and remember a
// rule, which then allows a later call with no question.
func recordApprovals(t *testing.T) []golden {
	rec := newRecording(t, scriptedModel{turns: []llm.Response{
		say("I'll write the first file.", [2]string{"write", `{"path":"a.txt","content":"one\n"}`}),
		say("", [2]string{"write", `{"path": "b.txt", "content": "two\n"}`}),
		say("Cleaning up.", [2]string{"exec", `{"command":"rm -f a.txt"}`}),
		say("", [2]string{"exec", `{"command":"ls"}`}),
		say("Listing again.", [2]string{"exec", `{"command":"ls"}`}),
		say("Done: a.txt and b.txt are written; I left a.txt in place as asked."),
	}})
	rec.opts = []agent.DriveOption{agent.WithApprover(nil)}
	ctx := context.Background()
	run := rec.start(agent.StartRequest{Prompt: "Write two files, then tidy up.", ExecSecurity: approval.ExecAllowlist})
	rec.drive(ctx, run.ID, journal.RunAwaitingApproval)
	waiting := rec.history("approval-waiting", "A run waiting for a person to approve its first write (never answered).", run.SessionID)
	rec.answer(run.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "golden"}
	})
	rec.drive(ctx, run.ID, journal.RunAwaitingApproval)
	rec.answer(run.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.EditApprove, ActionHash: req.ActionHash, By: "golden",
			Input: json.RawMessage(`{"path":"b.txt","content":"TWO\n"}`), Message: "capitals, please"}
	})
	rec.drive(ctx, run.ID, journal.RunAwaitingApproval)
	rec.answer(run.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Reject, ActionHash: req.ActionHash, By: "golden", Message: "keep a.txt, do not delete files"}
	})
	rec.drive(ctx, run.ID, journal.RunAwaitingApproval)
	rec.answer(run.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "golden",
			Remember: &approval.Remember{Scope: approval.SessionScope(run.SessionID), List: approval.ListAllow, Rules: []string{"exec(ls)"}}}
	})
	rec.drive(ctx, run.ID, journal.RunCompleted)
	rec.final(run.ID)
	return []golden{waiting, rec.history("approvals", "Approve, edit then approve, deny with a message, approve and remember a rule that then allows the next ls.", run.SessionID)}
}

// recordCutOff: a command cut off while it ran (the run cancelled inside it), found
// interrupted when driven again, then resolved by rerun, and in a second session by skip.
func recordCutOff(t *testing.T) []golden {
	var out []golden
	for _, action := range []journal.Action{journal.ActionRerun, journal.ActionSkip} {
		rec := newRecording(t, scriptedModel{turns: []llm.Response{
			say("Running the long job.", [2]string{"exec", `{"command":"if [ -e effects.log ]; then echo again >> effects.log; else echo started >> effects.log; echo cut > cut.fifo; sleep 30; fi"}`}),
			say("The job is done."),
		}})
		ws := filepath.Join(rec.dir, "workspace")
		if err := os.MkdirAll(ws, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(ws, "cut.fifo"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			// The command writes to the fifo once it has left its side effect: cut it off then.
			f, err := os.Open(filepath.Join(ws, "cut.fifo"))
			if err == nil {
				io.Copy(io.Discard, f)
				f.Close()
			}
			cancel()
		}()
		run := rec.start(agent.StartRequest{Prompt: "Run the long job.", Workspace: ws})
		rec.drive(ctx, run.ID, journal.RunCancelled)
		cancel()
		rec.drive(context.Background(), run.ID, journal.RunInterrupted)
		if action == journal.ActionSkip {
			out = append(out, rec.history("cutoff-waiting", "A command cut off while it ran: the run is interrupted until a person resolves it.", run.SessionID))
		}
		if _, err := rec.r.Resolve(context.Background(), run.ID, action, "I checked the job by hand"); err != nil {
			t.Fatalf("Resolve(%s) = %v", action, err)
		}
		rec.drive(context.Background(), run.ID, journal.RunCompleted)
		rec.final(run.ID)
		out = append(out, rec.history("cutoff-"+string(action), fmt.Sprintf("A command cut off while it ran, resolved by %s, and the run completed.", action), run.SessionID))
	}
	return out
}

// recordSession: a session of three runs, each follow-up carrying the earlier conversation.
func recordSession(t *testing.T) []golden {
	rec := newRecording(t, scriptedModel{turns: []llm.Response{
		say("Writing the notes.", [2]string{"write", `{"path":"notes.txt","content":"first\n"}`}),
		say("notes.txt holds one line."),
	}, byPrompt: map[string][]llm.Response{
		"Add a second line.": {
			say("Adding it.", [2]string{"edit", `{"path":"notes.txt","old_string":"first\n","new_string":"first\nsecond\n"}`}),
			say("notes.txt has two lines now."),
		},
		"And a third.": {
			say("", [2]string{"read", `{"path":"notes.txt"}`}),
			say("", [2]string{"exec", `{"command":"echo third >> notes.txt && wc -l notes.txt"}`}),
			say("notes.txt has three lines: first, second, third."),
		},
	}})
	ctx := context.Background()
	first := rec.start(agent.StartRequest{Prompt: "Start notes.txt."})
	rec.drive(ctx, first.ID, journal.RunCompleted)
	rec.final(first.ID)
	for _, prompt := range []string{"Add a second line.", "And a third."} {
		run := rec.start(agent.StartRequest{SessionID: first.SessionID, Prompt: prompt})
		rec.drive(ctx, run.ID, journal.RunCompleted)
		rec.final(run.ID)
	}
	return []golden{rec.history("session", "Three runs in one session; each follow-up's configuration carries the conversation before it.", first.SessionID)}
}

// recordBudget: a run with a token cap waits at a budget gate once the cap is reached, a
// person raises the cap and it completes; a follow-up run reaches its cap and is stopped.
func recordBudget(t *testing.T) []golden {
	rec := newRecording(t, scriptedModel{turns: []llm.Response{
		say("Writing it.", [2]string{"write", `{"path":"cap.txt","content":"one\n"}`}),
		say("", [2]string{"exec", `{"command":"cat cap.txt"}`}),
		say("cap.txt holds one line."),
	}})
	ctx := context.Background()
	// 170 tokens for the first call, 370 for the second: the cap is reached after two.
	run := rec.start(agent.StartRequest{Prompt: "Write cap.txt and show it.", MaxRunTokens: 300})
	rec.drive(ctx, run.ID, journal.RunAwaitingApproval)
	waiting := rec.history("budget-waiting", "A run waiting at its token cap for a person (never answered).", run.SessionID)
	rec.answer(run.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "golden", Raise: &approval.Raise{Tokens: 10_000}}
	})
	rec.drive(ctx, run.ID, journal.RunCompleted)
	rec.final(run.ID)
	next := rec.start(agent.StartRequest{SessionID: run.SessionID, Prompt: "Write cap.txt and show it.", MaxRunTokens: 100})
	rec.drive(ctx, next.ID, journal.RunAwaitingApproval)
	rec.answer(next.ID, func(req approval.Request) approval.Answer {
		return approval.Answer{Kind: approval.Reject, ActionHash: req.ActionHash, By: "golden", Message: "enough"}
	})
	rec.drive(ctx, next.ID, journal.RunFailed)
	return []golden{waiting, rec.history("budget", "A run raised at its token cap and completed; a follow-up stopped at its cap.", run.SessionID)}
}

// recordImported: a run exported as a JSON bundle and imported through trace.Import.
func recordImported(t *testing.T) []golden {
	rec := newRecording(t, scriptedModel{turns: []llm.Response{
		say("Reading first.", [2]string{"glob", `{"pattern":"*"}`}),
		say("", [2]string{"write", `{"path":"hello.txt","content":"hello\n"}`}),
		say("hello.txt is written."),
	}})
	ctx := context.Background()
	run := rec.start(agent.StartRequest{Prompt: "Say hello in a file."})
	rec.drive(ctx, run.ID, journal.RunCompleted)
	rec.final(run.ID)
	b, err := trace.LoadSession(ctx, rec.j, run.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := trace.Export(&file, b, trace.FormatJSON, trace.Options{}); err != nil {
		t.Fatal(err)
	}
	imp, err := trace.Import(ctx, &file, trace.Named(rec.j, "hello.trace.json"))
	if err != nil || len(imp.Runs) != 1 {
		t.Fatalf("Import() = %+v, %v; want one run", imp, err)
	}
	rec.sent[imp.Runs[0].ID], rec.ended[imp.Runs[0].ID] = rec.sent[run.ID], rec.ended[run.ID]
	return []golden{rec.history("imported", "A run exported as a JSON bundle and imported (read-only) through trace.Import.", imp.Session.ID)}
}

// childJob is what TestGoldenChild drives in a process of its own.
type childJob struct {
	DB       string `json:"db"`
	Run      string `json:"run"`
	BaseURL  string `json:"base_url"`
	Requests string `json:"requests"`
}

// recordSubagents: a lead agent that delegates two tasks in one turn to helpers (one in the
// shared workspace, one in a copy whose change comes back as a diff), driven at once.
func recordSubagents(t *testing.T) []golden {
	const lead, one, two = "Delegate the notes.", "Write one.txt.", "Write two.txt."
	rec := newRecording(t, scriptedModel{turns: []llm.Response{}, byPrompt: map[string][]llm.Response{
		lead: {
			say("Two helpers at once.", [2]string{"task", `{"agent":"helper","prompt":"Write one.txt."}`},
				[2]string{"task", `{"agent":"helper","prompt":"Write two.txt.","isolation":"copy"}`}),
			say("one.txt is written; two.txt waits in the helper's copy."),
		},
		one: {say("", [2]string{"write", `{"path":"one.txt","content":"one\n"}`}), say("one.txt written.")},
		two: {say("", [2]string{"write", `{"path":"two.txt","content":"two\n"}`}), say("two.txt written.")},
	}})
	defs := map[string]agent.Definition{}
	for _, d := range agent.Builtin() {
		defs[d.ID] = d
	}
	defs["lead"] = agent.Definition{ID: "lead", System: "You delegate.", Tools: []string{"read", "write", "edit"}, MaxSteps: 10, MaxTokens: 2000, Subagents: []string{"helper"}}
	defs["helper"] = agent.Definition{ID: "helper", System: "You help.", Tools: []string{"read", "write"}, MaxSteps: 10, MaxTokens: 2000}
	rec.r.SetAgents(defs)
	ctx := context.Background()
	run := rec.start(agent.StartRequest{Agent: "lead", Prompt: lead})
	rec.drive(ctx, run.ID, journal.RunCompleted)
	rec.final(run.ID)
	// The drive sent the lead's and the helpers' requests: each run keeps those of its prompt.
	kids, err := rec.j.Children(ctx, run.ID)
	if err != nil || len(kids) != 2 {
		t.Fatalf("Children(%s) = %d, %v", run.ID, len(kids), err)
	}
	all := rec.sent[run.ID]
	rec.sent = map[string][]llm.Request{}
	for _, r := range append([]journal.Run{run}, kids...) {
		for _, req := range all {
			if _, prompt := turnOf(req); prompt == r.Prompt {
				rec.sent[r.ID] = append(rec.sent[r.ID], req)
			}
		}
		if r.ID != run.ID {
			rec.final(r.ID)
		}
	}
	return []golden{rec.history("subagents", "A lead run that starts two helpers in one turn (one in a copy of the workspace), driven at once; each helper is its own run linked to the lead's task step.", run.SessionID)}
}

// recordKilled: a run whose process is killed (SIGKILL) during a model call, then resumed
// by another: the journal keeps the resume, and the call cut off is made again.
func recordKilled(t *testing.T) []golden {
	turns := []llm.Response{
		say("Writing the file.", [2]string{"write", `{"path":"hello.txt","content":"hi there\n"}`}),
		say("", [2]string{"exec", `{"command":"cat hello.txt; echo ran >> effects.log"}`}),
		say("Done: hello.txt says hi."),
	}
	hung := make(chan struct{})
	var once sync.Once
	script := llmtest.AnthropicModel(scriptedModel{turns: turns}, 16)
	srv := llmtest.NewAnthropicServer(t, func(n int, r llmtest.Request) llmtest.Reply {
		req, err := llmtest.DecodeAnthropicRequest(r.Body)
		if k, _ := turnOf(req); err == nil && k == 2 {
			first := false
			once.Do(func() { first = true })
			if first { // the third call hangs until the process making it is killed
				close(hung)
				return llmtest.Reply{Hang: true}
			}
		}
		return script(n, r)
	})
	rec := newRecording(t, scriptedModel{})
	rec.models = &liveModels{provider: "anthropic", name: "claude-golden-1", model: anthropicClient(srv.BaseURL)}
	rec.r = goldenRunner(rec.j, rec.models, rec.dir)
	run := rec.start(agent.StartRequest{Prompt: "Say hi in a file."})

	job := childJob{DB: filepath.Join(rec.dir, "corral.db"), Run: run.ID, BaseURL: srv.BaseURL, Requests: filepath.Join(rec.dir, "child-requests.jsonl")}
	killChildWhen(t, job, hung, "its third model call")
	if got, err := rec.j.Run(context.Background(), run.ID); err != nil || got.Status != journal.RunRunning {
		t.Fatalf("killed run = %s, %v; want it left running", got.Status, err)
	}
	rec.sent[run.ID] = readRequests(t, job.Requests)
	rec.drive(context.Background(), run.ID, journal.RunCompleted)
	rec.final(run.ID)
	return []golden{rec.history("killed", "A run killed (SIGKILL) during its third model call and resumed by another process; the call is made again (attempt 2).", run.SessionID)}
}

// killChildWhen drives job's run in a child process (TestGoldenChild) and kills it
// (SIGKILL) once hung is closed, when the child has reached what; the child ending first
// fails the test.
func killChildWhen(t *testing.T, job childJob, hung <-chan struct{}, what string) {
	t.Helper()
	blob, _ := json.Marshal(job)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGoldenChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(blob))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-hung:
	case err := <-exited:
		t.Fatalf("child exited before %s: %v\n%s", what, err, out.String())
	case <-ctx.Done():
		t.Fatalf("child did not reach %s", what)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
}

func readRequests(t *testing.T, path string) []llm.Request {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []llm.Request
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var req llm.Request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, req)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenChild drives one run for recordKilled in a process of its own, which the
// recorder kills part way. It does nothing in a normal test run.
func TestGoldenChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("a child process of TestRecordGoldens")
	}
	var job childJob
	if err := json.Unmarshal([]byte(raw), &job); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(context.Background(), job.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f, err := os.Create(job.Requests)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	models := &liveModels{provider: "anthropic", name: "claude-golden-1", model: anthropicClient(job.BaseURL), file: f}
	r := goldenRunner(j, models, filepath.Dir(job.DB))
	got, err := r.Drive(context.Background(), job.Run)
	t.Fatalf("Drive(%s) = %s, %v; want to be killed before it ends", job.Run, got.Status, err)
}
