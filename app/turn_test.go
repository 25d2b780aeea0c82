package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// turnModel asks for four file changes in one turn (two edits of a.txt), then ends; it
// keeps the requests it received.
type turnModel struct {
	mu   sync.Mutex
	reqs []llm.Request
}

func (m *turnModel) Stream(_ context.Context, req llm.Request, _ func(llm.Event)) (llm.Response, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	m.mu.Unlock()
	if len(req.Messages) > 1 {
		return llm.Response{ID: "msg_2", Model: "turn", Content: []llm.Block{llm.TextBlock("done")}, StopReason: llm.StopEndTurn}, nil
	}
	return llm.Response{ID: "msg_1", Model: "turn", StopReason: llm.StopToolUse, Content: []llm.Block{
		llm.NewToolUse("toolu_1", "edit", `{"path":"a.txt","old_string":"one","new_string":"two"}`),
		llm.NewToolUse("toolu_2", "edit", `{"path":"a.txt","old_string":"two","new_string":"three"}`),
		llm.NewToolUse("toolu_3", "write", `{"path":"b.txt","content":"bee\n"}`),
		llm.NewToolUse("toolu_4", "edit", `{"path":"c.txt","old_string":"sea","new_string":"see"}`),
	}}, nil
}

func (m *turnModel) last() llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reqs[len(m.reqs)-1]
}

type turnModels struct{ m *turnModel }

func (turnModels) Resolve(string, string) (string, string)    { return "demo", "turn" }
func (t turnModels) Model(agent.RunConfig) (llm.Model, error) { return t.m, nil }

// TestAnswerTurn: the window reviews a turn's four file changes in one dialog; the answers
// kept for the later calls are used as the run reaches them, and one kept for another
// action hash leaves its call asking again.
func TestAnswerTurn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := openJournal(t, dir)
	b := bus.New[agent.Event]()
	model := &turnModel{}
	runner := agent.New(agent.Config{
		Journal: j, Bus: b, Agents: map[string]agent.Definition{"coder": agent.Builtin()[0]}, Models: turnModels{model},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{})
		},
		Tools: tool.Builtin(), DataDir: dir, // no Approver: the window asks
	})
	sub := b.Subscribe(t.Context(), 0)
	t.Cleanup(sub.Close)
	a := New(Config{Journal: j, Runner: runner, Bus: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	stop := sync.OnceFunc(a.Start(context.Background(), make(nameEmitter, 64)))
	t.Cleanup(stop)
	waitFor := func(typ agent.EventType) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case ev := <-sub.C():
				if ev.Type == typ {
					return
				}
			case <-timeout:
				t.Fatalf("no %s event", typ)
			}
		}
	}

	ws := t.TempDir()
	for name, text := range map[string]string{"a.txt": "one\n", "c.txt": "sea\n"} {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run, err := a.Runs.Start(StartRequest{Prompt: "change them", Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(agent.EventRunSuspended)
	turn, err := a.Runs.Turn(run.ID)
	if err != nil || len(turn.Calls) != 4 {
		t.Fatalf("Runs.Turn() = %+v, %v; want the four calls", turn, err)
	}
	if err := a.Runs.AnswerTurn(run.ID, turn.ModelSeq, nil); !errors.Is(err, ErrNoAnswers) {
		t.Errorf("AnswerTurn(no answers) = %v, want ErrNoAnswers", err)
	}
	hash := func(i int) string { return turn.Calls[i].Request.ActionHash }
	answers := []approval.Answer{
		{Kind: approval.Approve, ActionHash: hash(0), By: "window"},
		{Kind: approval.Approve, ActionHash: hash(1), By: "window"},
		{Kind: approval.Reject, ActionHash: hash(2), Message: "no b.txt please", By: "window"},
		{Kind: approval.Approve, ActionHash: "not-" + hash(3), By: "window"}, // another action
	}
	if err := a.Runs.AnswerTurn(run.ID, turn.ModelSeq, answers); err != nil {
		t.Fatalf("AnswerTurn() = %v", err)
	}
	waitFor(agent.EventRunSuspended)
	pending, err := a.Runs.Approvals()
	if err != nil || len(pending) != 1 || pending[0].Request.ActionHash != hash(3) {
		t.Fatalf("Approvals() = %+v, %v; want the edit of c.txt asking again", pending, err)
	}
	if err := a.Runs.Answer(run.ID, approval.Answer{Kind: approval.Approve, ActionHash: hash(3), By: "window"}); err != nil {
		t.Fatal(err)
	}
	waitFor(agent.EventRunCompleted)
	for name, want := range map[string]string{"a.txt": "three\n", "c.txt": "see\n"} {
		if got, _ := os.ReadFile(filepath.Join(ws, name)); string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	msgs := model.last().Messages
	results := msgs[len(msgs)-1].Content
	if len(results) != 4 || !results[2].IsError || !strings.Contains(results[2].Content, "no b.txt please") || results[1].IsError {
		t.Errorf("the model's next request has results %+v; want four, the write denied with the message", results)
	}
	stop() // waits for the drive to end
	a.Runs.mu.Lock()
	left := len(a.Runs.kept)
	a.Runs.mu.Unlock()
	if left != 0 {
		t.Errorf("kept answers after the run = %d runs' worth, want none", left)
	}
}
