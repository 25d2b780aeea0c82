package trace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
	"github.com/corral-dev/corral/backend/trace"
)

// turn is one scripted model turn: text and tool calls ({name, input JSON}).
type turn struct {
	text  string
	calls [][2]string
}

// scriptModel answers by turn (assistant messages since the prompt), like
// the agent's own tests; a turn past the script is an error.
type scriptModel struct {
	turns []turn
}

func (m *scriptModel) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	k := trace.Turn(req.Messages)
	if k >= len(m.turns) {
		return llm.Response{}, errors.New("script exhausted")
	}
	t := m.turns[k]
	resp := llm.Response{StopReason: llm.StopEndTurn, Model: req.Model, ID: fmt.Sprintf("msg_%d", k),
		Usage: llm.Usage{InputTokens: 100 + int64(k), OutputTokens: 10, CacheReadTokens: 50}}
	if t.text != "" {
		resp.Content = append(resp.Content, llm.TextBlock(t.text))
	}
	for i, c := range t.calls {
		resp.Content = append(resp.Content, llm.NewToolUse(fmt.Sprintf("toolu_%d_%d", k, i), c[0], c[1]))
		resp.StopReason = llm.StopToolUse
	}
	return resp, nil
}

// approveAll answers every approval request with approve, as a terminal
// run with --approve all would.
type approveAll struct{}

func (approveAll) Approve(_ context.Context, _ journal.Run, req approval.Request) (approval.Answer, error) {
	return approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}, nil
}

type fixedModels struct{ m llm.Model }

func (f fixedModels) Resolve(p, model string) (string, string) {
	if model == "" {
		model = "script-1"
	}
	return "script", model
}
func (f fixedModels) Model(agent.RunConfig) (llm.Model, error) { return f.m, nil }

// openJournal opens a fresh journal in a temp dir.
func openJournal(t testing.TB) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func newRunner(j *journal.Journal, model llm.Model) *agent.Runner {
	defs := map[string]agent.Definition{}
	for _, d := range agent.Builtin() {
		defs[d.ID] = d
	}
	return agent.New(agent.Config{
		Journal: j,
		Agents:  defs,
		Prices:  agent.Prices{"script-*": {Input: 3, Output: 15, CacheRead: 0.3}},
		Models:  fixedModels{model},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{})
		},
		Tools:    tool.Builtin(),
		Approver: approveAll{},
	})
}

var (
	// helloScript writes a file, runs a command that fails, calls an unknown
	// tool, and finishes.
	helloScript = []turn{
		{text: "Writing the file.", calls: [][2]string{{"write", `{"path":"hello.txt","content":"hi <there> & \"you\"\n"}`}}},
		{calls: [][2]string{{"exec", `{"command":"cat hello.txt; exit 3"}`}, {"nosuch", `{}`}}},
		{text: "Done: hello.txt says hi."},
	}
	// failScript runs out of turns: the second model call fails and pauses the run.
	failScript = []turn{
		{text: "Looking.", calls: [][2]string{{"glob", `{"pattern":"*"}`}}},
	}
)

// recordRun drives a run of script through the agent on j and returns it.
func recordRun(t testing.TB, j *journal.Journal, script []turn, prompt string) journal.Run {
	t.Helper()
	r := newRunner(j, &scriptModel{turns: script})
	ctx := context.Background()
	run, err := r.Start(ctx, agent.StartRequest{Prompt: prompt, Workspace: t.TempDir()})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	got, _ := r.Drive(ctx, run.ID) // a failing model call pauses the run, which is what it records
	if got.Status != journal.RunCompleted && got.Status != journal.RunPaused {
		t.Fatalf("Drive() left the run %s", got.Status)
	}
	return got
}

// cancelOn is a model that cancels a drive as its call number n (from 1)
// returns, so the run stops between steps, as a kill can cut it.
type cancelOn struct {
	m      llm.Model
	n      int
	calls  int
	cancel context.CancelFunc
}

func (c *cancelOn) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	resp, err := c.m.Stream(ctx, req, onEvent)
	if c.calls++; c.calls == c.n {
		c.cancel()
	}
	return resp, err
}

// recordResumedRun drives a run of script that is cancelled after its second
// model call, then resumes it to the end: a run with one resume.
func recordResumedRun(t testing.TB, j *journal.Journal, script []turn, prompt string) journal.Run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRunner(j, &cancelOn{m: &scriptModel{turns: script}, n: 2, cancel: cancel})
	run, err := r.Start(ctx, agent.StartRequest{Prompt: prompt, Workspace: t.TempDir()})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunCancelled {
		t.Fatalf("Drive() = %s, want cancelled", got.Status)
	}
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive(resume) = %s, %v; want completed", got.Status, err)
	}
	return got
}

// memSink keeps what an import wrote, exactly.
type memSink struct {
	mu   sync.Mutex
	runs []trace.History
	sess []journal.Session
}

func (s *memSink) ImportRun(_ context.Context, sess journal.Session, run journal.Run, steps []journal.Step, resumes []journal.Resume) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sess = append(s.sess, sess)
	s.runs = append(s.runs, trace.History{Run: run, Steps: slices.Clone(steps), Resumes: slices.Clone(resumes)})
	return nil
}

// journalSink imports through the journal's existing methods: CreateSession,
// CreateRun, Record for completed steps, Step for failed and cut-off ones and
// ClaimRun for resumes (after the steps: it marks the run running, so the
// run's status is set again last). They stamp the current time, so an import
// through it keeps everything but the times (the journal needs an ImportRun
// method to keep those too).
type journalSink struct{ j *journal.Journal }

// AddRestore makes journalSink a trace.RestoreSink.
func (s journalSink) AddRestore(ctx context.Context, r journal.Restore) (journal.Restore, error) {
	return s.j.AddRestore(ctx, r)
}

func (s journalSink) ImportRun(ctx context.Context, sess journal.Session, run journal.Run, steps []journal.Step, resumes []journal.Resume) error {
	if _, err := s.j.CreateSession(ctx, sess); err != nil && !errors.Is(err, journal.ErrExists) {
		return err
	}
	if _, err := s.j.CreateRun(ctx, run); err != nil {
		return err
	}
	for _, st := range steps {
		spec := journal.StepSpec{Name: st.Name, Kind: st.Kind, Idempotent: st.Idempotent, Input: st.Input}
		switch st.Status {
		case journal.StepCompleted:
			if _, err := s.j.Record(ctx, run.ID, st.Seq, spec, journal.StepResult{Output: st.Output, Usage: st.Usage, CostUSD: st.CostUSD}); err != nil {
				return err
			}
		case journal.StepFailed:
			_, err := s.j.Step(ctx, run.ID, st.Seq, spec, func(context.Context) (journal.StepResult, error) {
				return journal.StepResult{}, errors.New(st.Error)
			})
			if !errors.Is(err, journal.ErrStepFailed) {
				return fmt.Errorf("record failed step %d: %w", st.Seq, err)
			}
		case journal.StepStarted:
			cut, cancel := context.WithCancel(ctx)
			_, err := s.j.Step(cut, run.ID, st.Seq, spec, func(context.Context) (journal.StepResult, error) {
				cancel()
				return journal.StepResult{}, cut.Err()
			})
			cancel()
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("record started step %d: %w", st.Seq, err)
			}
		}
	}
	for _, r := range resumes {
		cur, err := s.j.Run(ctx, run.ID)
		if err != nil {
			return err
		}
		l, _, err := s.j.ClaimRun(ctx, run.ID, cur.Status, &journal.Resume{AfterSeq: r.AfterSeq, Reason: r.Reason}, nil)
		l.Release()
		if err != nil {
			return err
		}
	}
	if len(resumes) > 0 && run.Status != journal.RunRunning {
		return s.j.SetRunStatus(ctx, run.ID, run.Status, run.Error)
	}
	return nil
}

// remapped are the attributes that hold the ids an import changes.
var remapped = []string{"corral.run.id", "corral.session.id", "gen_ai.conversation.id"}

// normalize clears what an import changes on purpose: the run and session
// ids; with times, also every time (for imports that cannot keep them).
func normalize(t trace.Trace, times bool) trace.Trace {
	t.Run.ID, t.Run.SessionID = "", ""
	if times {
		t.Run.CreatedAt, t.Run.UpdatedAt = time.Time{}, time.Time{}
	}
	spans := make([]trace.Span, len(t.Spans))
	for i, s := range t.Spans {
		attrs := make(map[string]any, len(s.Attributes))
		for k, v := range s.Attributes {
			attrs[k] = v
		}
		for _, k := range remapped {
			delete(attrs, k)
		}
		if times {
			s.Start, s.End = time.Time{}, time.Time{}
			delete(attrs, "corral.run.created_at")
			delete(attrs, "corral.run.updated_at")
		}
		s.Attributes = attrs
		spans[i] = s
	}
	t.Spans = spans
	return t
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
