package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// gateModel answers each prompt once the test opens its gate, so runs stay in progress for
// as long as the test needs; started receives each prompt as its model call begins.
type gateModel struct {
	mu      sync.Mutex
	gates   map[string]chan struct{}
	started chan string
}

func (g *gateModel) gate(prompt string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates[prompt] == nil {
		g.gates[prompt] = make(chan struct{})
	}
	return g.gates[prompt]
}

func (g *gateModel) Stream(ctx context.Context, req llm.Request, _ func(llm.Event)) (llm.Response, error) {
	last := req.Messages[len(req.Messages)-1]
	prompt := last.Content[len(last.Content)-1].Text
	g.started <- prompt
	select {
	case <-g.gate(prompt):
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	return llm.Response{ID: "msg", Model: "gate", Content: []llm.Block{llm.TextBlock("done: " + prompt)}, StopReason: llm.StopEndTurn}, nil
}

type gateModels struct{ m *gateModel }

func (gateModels) Resolve(string, string) (string, string)    { return "demo", "gate" }
func (g gateModels) Model(agent.RunConfig) (llm.Model, error) { return g.m, nil }

// TestRunsQueue: runs of different sessions go on at once up to the limit (then wait for a
// slot), and a prompt sent to a busy session is queued behind its run and goes when it ends.
// newGateApp starts the app on a gate model with a limit of maxRuns runs at once; sub
// receives run events; stop stops the app (call it once).
func newGateApp(t *testing.T, maxRuns int) (*App, *gateModel, *journal.Journal, *bus.Subscription[agent.Event], func()) {
	t.Helper()
	dir := t.TempDir()
	if err := config.SaveSettings(dir, config.Settings{Sandbox: config.Sandbox{MaxRuns: maxRuns}}); err != nil {
		t.Fatal(err)
	}
	a, model, sub, stop := gateAppOn(t, dir, openJournal(t, dir))
	return a, model, a.Runs.journal, sub, stop
}

// gateAppOn is newGateApp on a data directory and journal of the caller's (a second app on
// the same ones is a restarted app).
func gateAppOn(t *testing.T, dir string, j *journal.Journal) (*App, *gateModel, *bus.Subscription[agent.Event], func()) {
	t.Helper()
	b := bus.New[agent.Event]()
	model := &gateModel{gates: map[string]chan struct{}{}, started: make(chan string, 16)}
	runner := agent.New(agent.Config{
		Journal: j, Bus: b, Agents: map[string]agent.Definition{"coder": agent.Builtin()[0]}, Models: gateModels{model},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
			return local.New(run.Workspace, local.Options{})
		},
		Tools: tool.Builtin(), DataDir: dir, Approver: approveAll{},
	})
	// Completions are must-deliver events: tests wait for them, not for a clock.
	sub := b.Subscribe(t.Context(), 0)
	t.Cleanup(sub.Close)
	a := New(Config{Journal: j, Runner: runner, Bus: b, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Settings: SettingsConfig{DataDir: dir}})
	return a, model, sub, a.Start(context.Background(), make(nameEmitter, 64))
}

// TestWaitingRunsCancelledOnStop: a run still waiting for a slot when the app stops is
// recorded cancelled (resumable), not left pending to hold its session.
func TestWaitingRunsCancelledOnStop(t *testing.T) {
	t.Parallel()
	a, model, j, _, stop := newGateApp(t, 1)
	first, err := a.Runs.Start(StartRequest{Prompt: "first", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	<-model.started
	second, err := a.Runs.Start(StartRequest{Prompt: "second", Workspace: t.TempDir()})
	if err != nil || second.Queue == "" {
		t.Fatalf("Runs.Start(second) at the limit = %+v, %v; want it waiting for a slot", second, err)
	}
	stop()
	for _, id := range []string{first.ID, second.ID} {
		if run, err := j.Run(context.Background(), id); err != nil || run.Status != journal.RunCancelled {
			t.Errorf("run %s after stop = %s, %v; want cancelled", id, run.Status, err)
		}
	}
}

// TestCancelStrandedPending: a pending run nobody drives (its process ended before driving
// it) can be cancelled, which frees its session.
func TestCancelStrandedPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r_stranded", SessionID: "s", Status: journal.RunPending}); err != nil {
		t.Fatal(err)
	}
	r := &Runs{journal: j, active: map[string]context.CancelFunc{}}
	if err := r.Cancel("r_stranded"); err != nil {
		t.Fatalf("Cancel(stranded pending run) = %v", err)
	}
	if _, busy, err := j.SessionInUse(ctx, "s"); err != nil || busy {
		t.Errorf("SessionInUse(s) after the cancel = %v, %v; want free", busy, err)
	}
}

// TestCancelReachesSubagentDrive: cancelling a parent run cancels the drive of a subagent
// below it that the window drives on its own (after its approval), even when the parent
// itself is not being driven.
func TestCancelReachesSubagentDrive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	for _, run := range []journal.Run{
		{ID: "r_parent", SessionID: "s", Status: journal.RunPaused},
		{ID: "r_child", SessionID: "s", Status: journal.RunRunning, ParentRunID: "r_parent", ParentSeq: 3},
		{ID: "r_grandchild", SessionID: "s", Status: journal.RunRunning, ParentRunID: "r_child", ParentSeq: 2},
		{ID: "r_other", SessionID: "s", Status: journal.RunRunning},
	} {
		if _, err := j.CreateRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	cancelled := map[string]bool{}
	r := &Runs{journal: j, active: map[string]context.CancelFunc{}}
	for _, id := range []string{"r_grandchild", "r_other"} {
		r.active[id] = func() { cancelled[id] = true }
	}
	if err := r.Cancel("r_parent"); err != nil {
		t.Fatalf("Cancel(parent) = %v", err)
	}
	if !cancelled["r_grandchild"] || cancelled["r_other"] {
		t.Errorf("cancelled %v, want the grandchild's drive and not the other run's", cancelled)
	}
}

func TestRunsQueue(t *testing.T) {
	t.Parallel()
	a, model, j, sub, stop := newGateApp(t, 2)
	t.Cleanup(stop)

	waitStarted := func(want string) {
		t.Helper()
		select {
		case got := <-model.started:
			if got != want {
				t.Fatalf("model call for %q began, want %q", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("model call for %q never began", want)
		}
	}
	noneStarted := func(what string) {
		t.Helper()
		select {
		case got := <-model.started:
			t.Fatalf("%s: model call for %q began", what, got)
		default:
		}
	}
	start := func(session, prompt string) RunView {
		t.Helper()
		v, err := a.Runs.Start(StartRequest{SessionID: session, Prompt: prompt, Workspace: func() string {
			if session == "" {
				return t.TempDir()
			}
			return ""
		}()})
		if err != nil {
			t.Fatalf("Runs.Start(%q) = %v", prompt, err)
		}
		return v
	}
	status := func(id string) (RunView, bool) {
		t.Helper()
		sessions, err := a.Runs.Sessions()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions {
			for _, r := range s.Runs {
				if r.ID == id {
					return r, true
				}
			}
		}
		return RunView{}, false
	}

	one := start("", "one")
	waitStarted("one")
	two := start("", "two")
	waitStarted("two")
	three := start("", "three") // beyond the limit of 2: recorded, waits for a slot
	if v, _ := status(three.ID); v.Status != "pending" || !strings.Contains(v.Queue, "2 runs at once") {
		t.Errorf("third run = %s %q, want pending, waiting for a slot", v.Status, v.Queue)
	}
	followUp := start(one.SessionID, "one again") // the session is busy: queued, not recorded
	if followUp.Status != StatusQueued || !strings.Contains(followUp.Queue, one.ID) {
		t.Errorf("follow-up in a busy session = %s %q, want queued behind %s", followUp.Status, followUp.Queue, one.ID)
	}
	if v, ok := status(followUp.ID); !ok || v.Status != StatusQueued {
		t.Errorf("Sessions() lists the follow-up as %+v, %v; want it queued in its session", v, ok)
	}
	noneStarted("at the limit")

	close(model.gate("two")) // a slot frees: the third goes
	waitStarted("three")
	noneStarted("the follow-up's session is still busy")
	close(model.gate("one")) // the session is free: its follow-up goes, built after "one"
	waitStarted("one again")
	close(model.gate("three"))
	close(model.gate("one again"))

	completed := 0
	timeout := time.After(30 * time.Second)
	for completed < 2 {
		select {
		case ev := <-sub.C():
			if ev.Type == agent.EventRunCompleted && ev.SessionID == one.SessionID {
				completed++
			}
		case <-timeout:
			t.Fatalf("%d runs of the first session completed, want both", completed)
		}
	}
	runs, err := j.Runs(context.Background(), journal.RunFilter{SessionID: one.SessionID})
	if err != nil || len(runs) != 2 || runs[0].ID != one.ID || runs[1].Prompt != "one again" || runs[1].Status != journal.RunCompleted {
		t.Fatalf("runs of the first session = %+v, %v, want one, then its follow-up, completed", runs, err)
	}
	if _, ok := status(followUp.ID); ok {
		t.Errorf("Sessions() still lists the queued entry %s after it ran", followUp.ID)
	}
	// A queued prompt can be dropped before it goes.
	blocker := start("", "blocker")
	waitStarted("blocker")
	dropped := start(blocker.SessionID, "never")
	if err := a.Runs.Cancel(dropped.ID); err != nil {
		t.Errorf("Runs.Cancel(queued) = %v", err)
	}
	if _, ok := status(dropped.ID); ok {
		t.Errorf("Sessions() lists %s after its cancel", dropped.ID)
	}
	close(model.gate("blocker"))
	_ = two
}

// TestResumeWhileSessionBusy: resuming a run is refused while another run of its session
// is in progress, naming that run; the run is left as it was.
func TestResumeWhileSessionBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t, "")
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s", Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	for id, st := range map[string]journal.RunStatus{"r_old": journal.RunCancelled, "r_new": journal.RunAwaitingApproval} {
		if _, err := j.CreateRun(ctx, journal.Run{ID: id, SessionID: "s", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	r := &Runs{journal: j, active: map[string]context.CancelFunc{}}
	err := r.Resume("r_old")
	if !errors.Is(err, journal.ErrSessionInUse) || !strings.Contains(err.Error(), "r_new") {
		t.Errorf("Resume(r_old) while r_new awaits approval = %v, want ErrSessionInUse naming r_new", err)
	}
	if run, _ := j.Run(ctx, "r_old"); run.Status != journal.RunCancelled {
		t.Errorf("r_old after a refused resume is %s, want cancelled", run.Status)
	}
}

// TestSessionContainerView: the run header's container line for a session whose container
// outlives Corral: running with its idle time, nothing for a session without one, and gone
// after stop now (needs a Docker engine and the test image: make docker-deps).
func TestSessionContainerView(t *testing.T) {
	t.Parallel()
	const image = "corral-test/busybox:latest"
	if out, err := exec.Command("docker", "image", "inspect", image).CombinedOutput(); err != nil {
		t.Skipf("no Docker engine or test image %s (make docker-deps): %s", image, out)
	}
	ctx := context.Background()
	m, err := docker.New(ctx, docker.Options{})
	if err != nil {
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	session := fmt.Sprintf("ses_view_%d", time.Now().UnixNano())
	sb, err := m.Sandbox(ctx, docker.Spec{Scope: docker.ScopeSession, SessionID: session, Workspace: t.TempDir(),
		Config: docker.Config{Image: image}, IdleTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	c := &Containers{connect: func(context.Context) (ContainerManager, error) { return m, nil }}
	v, err := c.Session(session)
	if err != nil || !v.Available || !v.Running || v.ID != sb.ContainerID() || v.IdleTimeoutSeconds != 3600 || v.IdleSeconds >= 3600 {
		t.Fatalf("Session(%s) = %+v, %v; want its container running, idle under its hour", session, v, err)
	}
	if v, err := c.Session(session + "_other"); err != nil || !v.Available || v.Running {
		t.Errorf("Session(another) = %+v, %v; want no container", v, err)
	}
	if err := c.Remove(v.ID); err != nil {
		t.Fatalf("Remove(%s) = %v", v.ID, err)
	}
	if v, err := c.Session(session); err != nil || v.Running {
		t.Errorf("Session(%s) after stop now = %+v, %v; want no container", session, v, err)
	}
}

// TestQueuedPromptSurvivesRestart: a prompt queued behind a busy session is kept in the
// journal, so an app started after this one stopped finds it, records its run once the
// session is free (taking it off the journal's queue) and drives it.
func TestQueuedPromptSurvivesRestart(t *testing.T) {
	t.Parallel()
	a, model, j, _, stop := newGateApp(t, 2)
	first, err := a.Runs.Start(StartRequest{Prompt: "first", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	<-model.started
	queued, err := a.Runs.Start(StartRequest{SessionID: first.SessionID, Prompt: "second"})
	if err != nil || queued.Status != StatusQueued {
		t.Fatalf("Runs.Start(second) in a busy session = %+v, %v; want it queued", queued, err)
	}
	stop() // the app exits: the first run is cancelled, the queued prompt stays
	kept, err := j.QueuedPrompts(t.Context())
	if err != nil || len(kept) != 1 || kept[0].ID != queued.ID || kept[0].SessionID != first.SessionID {
		t.Fatalf("QueuedPrompts() after stop = %+v, %v; want the queued prompt", kept, err)
	}

	// A new app on the same data directory and journal.
	_, model2, sub, stop2 := gateAppOn(t, a.Runs.dataDir, j)
	t.Cleanup(stop2)
	if got := <-model2.started; got != "second" {
		t.Fatalf("the restarted app drove %q, want the queued prompt", got)
	}
	close(model2.gate("second"))
	for ev := range sub.C() {
		if ev.Type == agent.EventRunCompleted {
			break
		}
	}
	if kept, err := j.QueuedPrompts(t.Context()); err != nil || len(kept) != 0 {
		t.Errorf("QueuedPrompts() after its run = %+v, %v; want none", kept, err)
	}
	runs, err := j.Runs(t.Context(), journal.RunFilter{SessionID: first.SessionID})
	if err != nil || len(runs) != 2 || runs[1].Prompt != "second" || runs[1].Status != journal.RunCompleted {
		t.Fatalf("session runs = %+v, %v; want first, then second completed", runs, err)
	}
}
