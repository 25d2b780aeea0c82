package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// Runs is the run console's service: sessions, runs and their steps, starting, resuming and
// cancelling runs. Runs it starts are driven in the background; their progress reaches the
// UI as events (see events.go), not as return values.
type Runs struct {
	journal *journal.Journal
	runner  *agent.Runner
	log     *slog.Logger

	// forget stops the workspace panel following a deleted session.
	forget func(sessionID string)
	// journalEvery is how often other processes' commits are looked for (0: journalEvery).
	journalEvery time.Duration

	// dataDir holds settings.json, for the limit on runs at once ("": the default).
	dataDir string

	mu      sync.Mutex
	base    context.Context // ends when the app shuts down
	emit    Emitter
	active  map[string]context.CancelFunc
	running sync.WaitGroup
	// queue holds prompts waiting for their session, waiting the runs recorded beyond the
	// limit (see queue.go); pumpMu lets one pump move them at a time.
	queue   []*queuedRun
	waiting []string
	pumpMu  sync.Mutex
	// kept holds, by run, the answers to a turn's later calls given in one dialog and not
	// used yet (see turn.go).
	kept map[string][]keptAnswer
	// again holds runs answered while the drive that suspended them was still ending.
	again map[string]bool
}

// SessionView is a session as the sidebar shows it.
type SessionView struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Workspace string `json:"workspace"`
	// Origin is "local" or "imported"; an imported session's runs are read-only.
	Origin       string     `json:"origin"`
	ImportedFrom string     `json:"imported_from,omitempty"`
	ImportedAt   *time.Time `json:"imported_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Runs         []RunView  `json:"runs"`
	// ForkedFrom says which run and step the session was forked from (the sidebar's
	// "forked from ...").
	ForkedFrom *ForkView `json:"forked_from,omitempty"`
}

// RunView is a run with its summary.
type RunView struct {
	ID        string        `json:"id"`
	SessionID string        `json:"session_id"`
	Agent     string        `json:"agent"`
	Prompt    string        `json:"prompt"`
	Status    string        `json:"status"`
	Workspace string        `json:"workspace"`
	Sandbox   string        `json:"sandbox"`
	Error     string        `json:"error,omitempty"`
	Steps     int           `json:"steps"`
	Usage     journal.Usage `json:"usage"`
	CostUSD   float64       `json:"cost_usd"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// DriverPID is set while another live Corral process (this pid) drives the run: the
	// window can watch it but not cancel or resume it.
	DriverPID int `json:"driver_pid,omitempty"`
	// Queue says why the run waits: behind its session's run in progress (status
	// "queued": nothing is recorded yet), or for a free slot (pending).
	Queue string `json:"queue,omitempty"`
	// ParentRunID and ParentSeq name the run and step that started this one as a
	// subagent (its task call); empty for a run a person started.
	ParentRunID string `json:"parent_run_id,omitempty"`
	ParentSeq   int    `json:"parent_seq,omitempty"`
}

// StepView is one journal step as `corral show --json` lists it. The window reads steps
// from the run's trace (Traces.Trace).
type StepView struct {
	Seq        int             `json:"seq"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Status     string          `json:"status"`
	Idempotent bool            `json:"idempotent"`
	Attempt    int             `json:"attempt"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
	Error      string          `json:"error,omitempty"`
	Usage      journal.Usage   `json:"usage"`
	CostUSD    float64         `json:"cost_usd"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Resolution string          `json:"resolution,omitempty"`
}

// StartRequest is what the prompt box sends.
type StartRequest struct {
	SessionID string `json:"session_id"`
	Agent     string `json:"agent"`
	Prompt    string `json:"prompt"`
	Workspace string `json:"workspace"`
	Provider  string `json:"provider"`
	Model     string `json:"model"`
	Sandbox   string `json:"sandbox"`
	// Scope is, for the docker sandbox, "run" (a container per run) or "session" (one the
	// session's runs share); empty takes the settings' default.
	Scope string `json:"scope,omitempty"`
}

// Sessions lists sessions, most recently active first, each with its runs, the queued
// ones last.
func (r *Runs) Sessions() ([]SessionView, error) {
	views, err := SessionViews(context.Background(), r.journal)
	if err != nil {
		return nil, err
	}
	queued, reasons := r.queued()
	for i := range views {
		s := &views[i]
		for j := range s.Runs {
			s.Runs[j].Queue = reasons[s.Runs[j].ID]
		}
		for _, q := range queued {
			if q.SessionID == s.ID {
				q.Workspace = s.Workspace
				s.Runs = append(s.Runs, q)
			}
		}
	}
	return views, nil
}

// SessionViews lists the journal's sessions, most recently active first, each with its
// runs: what the sidebar shows and what `corral sessions --json` prints.
func SessionViews(ctx context.Context, j *journal.Journal) ([]SessionView, error) {
	sessions, err := j.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := j.Runs(ctx, journal.RunFilter{})
	if err != nil {
		return nil, err
	}
	bySession := map[string][]RunView{}
	for _, run := range runs {
		bySession[run.SessionID] = append(bySession[run.SessionID], NewRunView(run))
	}
	forks, err := forkViews(ctx, j)
	if err != nil {
		return nil, err
	}
	out := make([]SessionView, len(sessions))
	for i, s := range sessions {
		out[i] = NewSessionView(s, bySession[s.ID])
		out[i].ForkedFrom = forks[s.ID]
	}
	return out, nil
}

// NewStepViews converts journal steps.
func NewStepViews(steps []journal.Step) []StepView {
	out := make([]StepView, len(steps))
	for i, s := range steps {
		out[i] = StepView{Seq: s.Seq, Name: s.Name, Kind: s.Kind, Status: string(s.Status), Idempotent: s.Idempotent, Attempt: s.Attempt,
			Input: RawJSON(s.Input), Output: RawJSON(s.Output), Error: s.Error, Usage: s.Usage, CostUSD: s.CostUSD,
			StartedAt: s.StartedAt, Resolution: string(s.Resolution)}
		if !s.FinishedAt.IsZero() {
			f := s.FinishedAt
			out[i].FinishedAt = &f
		}
	}
	return out
}

// Start records a new run and drives it in the background. It returns once the run is
// recorded; events report its progress. In a session with a run in progress the prompt is
// queued behind it (status "queued"), and beyond the limit on runs at once the run waits
// for a slot (Queue says so); see queue.go.
func (r *Runs) Start(req StartRequest) (RunView, error) {
	return r.start(agent.StartRequest{
		SessionID: req.SessionID, Agent: req.Agent, Prompt: req.Prompt, Workspace: req.Workspace,
		Provider: req.Provider, Model: req.Model, Sandbox: req.Sandbox, Container: record.ContainerSpec{Scope: req.Scope},
	})
}

// Resume continues an interrupted, cancelled or suspended run in the background. While
// another run of its session is in progress it is refused, naming that run.
func (r *Runs) Resume(runID string) error {
	ctx := context.Background()
	run, err := r.journal.Run(ctx, runID)
	if err != nil {
		return err
	}
	if inUse, busy, err := r.journal.SessionInUse(ctx, run.SessionID); err != nil {
		return err
	} else if busy && inUse.ID != runID {
		return &journal.SessionInUseError{SessionID: run.SessionID, Run: inUse}
	}
	return r.drive(runID)
}

// Cancel stops a run this app is driving; the run is recorded cancelled and can be resumed.
// A queued prompt is dropped, a run waiting for a slot cancelled before it began.
func (r *Runs) Cancel(runID string) error {
	if ok, err := r.dequeue(runID); ok || err != nil {
		return err
	}
	// A subagent may be driven on its own (the window went on with it after its approval):
	// cancelling its parent cancels that drive too.
	ids := append([]string{runID}, r.descendants(runID)...)
	r.mu.Lock()
	var cancels []context.CancelFunc
	for _, id := range ids {
		if cancel, ok := r.active[id]; ok {
			cancels = append(cancels, cancel)
		}
	}
	r.mu.Unlock()
	if len(cancels) == 0 {
		return r.cancelStranded(runID)
	}
	for _, cancel := range cancels {
		cancel()
	}
	return nil
}

// descendants are the subagent runs below runID, children first; a journal error leaves
// them out (the run itself is still cancelled).
func (r *Runs) descendants(runID string) []string {
	var out []string
	next := []string{runID}
	for len(next) > 0 && len(out) < maxDescendants {
		kids, err := r.journal.Children(context.Background(), next[0])
		next = next[1:]
		if err != nil {
			continue
		}
		for _, k := range kids {
			out = append(out, k.ID)
			next = append(next, k.ID)
		}
	}
	return out
}

// maxDescendants bounds the subagent runs a cancel looks for.
const maxDescendants = 1000

// cancelStranded cancels a pending run nobody drives (its process ended between recording
// and driving it), which would otherwise hold its session for good.
func (r *Runs) cancelStranded(runID string) error {
	ctx := context.Background()
	run, err := r.journal.Run(ctx, runID)
	if err != nil || run.Status != journal.RunPending || run.Elsewhere {
		return fmt.Errorf("run %s is not running here", runID)
	}
	if err := r.journal.SetRunStatus(ctx, runID, journal.RunCancelled, "cancelled before it began"); err != nil {
		return err
	}
	r.pump() // its session may have a queued prompt
	return nil
}

func (r *Runs) drive(runID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base == nil || r.base.Err() != nil {
		return errors.New("the app is shutting down")
	}
	if _, ok := r.active[runID]; ok || slices.Contains(r.waiting, runID) {
		return fmt.Errorf("run %s is already running", runID)
	}
	if len(r.active) >= r.limit() {
		r.waiting = append(r.waiting, runID)
		return nil
	}
	r.goDrive(runID)
	return nil
}

// goDrive drives runID in the background; r.mu is held. When the drive ends the queue
// moves on.
func (r *Runs) goDrive(runID string) {
	ctx, cancel := context.WithCancel(r.base)
	r.active[runID] = cancel
	r.running.Add(1)
	var opts []agent.DriveOption
	if r.hasKept(runID) {
		opts = append(opts, agent.WithApprover(keptApprover{r}))
	}
	go func() {
		defer r.running.Done()
		defer func() {
			r.mu.Lock()
			delete(r.active, runID)
			again := r.again[runID]
			delete(r.again, runID)
			r.mu.Unlock()
			cancel()
			if again {
				if err := r.drive(runID); err != nil {
					r.log.Info("answered run not driven", "run", runID, "err", err)
				}
			}
			r.pump()
		}()
		run, err := r.runner.Drive(ctx, runID, opts...)
		if err != nil {
			r.log.Info("run stopped", "run", runID, "err", err)
		}
		if run.Status != journal.RunAwaitingApproval {
			r.dropKept(runID) // the turn is over (or the run stopped): nothing left to answer
		}
	}()
}

// work lets Runs drive runs in the background, emit session events and watch the journal
// for other processes' commits until stop is called; stop cancels the runs and waits for
// them and for the watcher. (Not Start: that is the bound method that starts one run.)
func (r *Runs) work(ctx context.Context, emit Emitter) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	r.base, r.emit = ctx, emit
	r.mu.Unlock()
	var watcher *journal.CommitWatcher
	if r.journal != nil {
		every := r.journalEvery
		if every <= 0 {
			every = journalEvery
		}
		watcher = r.journal.WatchCommits(every, func() {
			r.pump() // another process's run may have ended: a queued prompt may go
			emit.Emit(EventJournal, struct{}{})
		})
		if err := watcher.Start(ctx); err != nil && r.log != nil {
			r.log.Warn("runs by other processes will show after a reload", "err", err)
		}
	}
	if r.journal != nil {
		if err := r.loadQueue(ctx); err != nil && r.log != nil {
			r.log.Warn("prompts queued before this start are not shown", "err", err)
		}
		r.pump() // a session an earlier app's queued prompt waited for may be free now
	}
	return func() {
		cancel()
		if watcher != nil {
			watcher.Stop()
		}
		r.running.Wait()
		r.cancelWaiting()
	}
}

// NewSessionView converts a journal session with its runs.
func NewSessionView(s journal.Session, runs []RunView) SessionView {
	if runs == nil {
		runs = []RunView{}
	}
	v := SessionView{ID: s.ID, Title: s.Title, Workspace: s.Workspace, Origin: string(s.Origin), ImportedFrom: s.ImportedFrom,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Runs: runs}
	if v.Origin == "" {
		v.Origin = string(journal.OriginLocal)
	}
	if !s.ImportedAt.IsZero() {
		at := s.ImportedAt
		v.ImportedAt = &at
	}
	return v
}

// NewRunView converts a journal run.
func NewRunView(r journal.Run) RunView {
	return RunView{ID: r.ID, SessionID: r.SessionID, Agent: r.Agent, Prompt: r.Prompt, Status: string(r.Status), Workspace: r.Workspace, Sandbox: r.Sandbox,
		Error: r.Error, Steps: r.Steps, Usage: r.Usage, CostUSD: r.CostUSD, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		DriverPID: driverPID(r), ParentRunID: r.ParentRunID, ParentSeq: r.ParentSeq}
}

// driverPID is the pid of the other process that drives r, or 0.
func driverPID(r journal.Run) int {
	if !r.Elsewhere {
		return 0
	}
	return max(r.Driver.PID, 1) // a driver on another machine is still elsewhere
}

// RawJSON passes valid JSON through and quotes anything else as a JSON string, so a step's
// recorded bytes always embed in a JSON view.
func RawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

// PendingApproval is an action a run waits for a person to decide.
type PendingApproval struct {
	RunID   string           `json:"run_id"`
	Seq     int              `json:"seq"`
	Request approval.Request `json:"request"`
}

// Approvals lists every action waiting for a decision, across runs.
func (r *Runs) Approvals() ([]PendingApproval, error) {
	waiting, err := r.runner.Waiting(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]PendingApproval, len(waiting))
	for i, w := range waiting {
		w.Request.Preview = w.Request.Preview.Head(500) // a first screen of a long diff
		out[i] = PendingApproval{RunID: w.Run.ID, Seq: w.Seq, Request: w.Request}
	}
	return out, nil
}

// Spend is a run's spend against its caps and its context use: the run header's gauge.
func (r *Runs) Spend(runID string) (agent.SpendStatus, error) {
	return r.runner.Spend(context.Background(), runID)
}

// Answer records a person's decision on a run's pending action (the first answer wins) and
// continues the run in the background.
func (r *Runs) Answer(runID string, ans approval.Answer) error {
	if _, err := r.runner.Answer(context.Background(), runID, ans); err != nil {
		return err
	}
	return r.driveAnswered(runID)
}

// driveAnswered drives a run just answered. The drive that suspended it may not have ended
// yet (the run's suspension is announced before its drive returns): that drive then drives
// it again when it ends.
func (r *Runs) driveAnswered(runID string) error {
	r.mu.Lock()
	if _, ok := r.active[runID]; ok {
		if r.again == nil {
			r.again = map[string]bool{}
		}
		r.again[runID] = true
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	return r.drive(runID)
}

// Resolve decides about a command a crash cut off in an interrupted run: "rerun" runs it
// again, "skip" tells the model it did not run (with message), "fail" ends the run. After
// rerun or skip the run continues in the background.
func (r *Runs) Resolve(runID, action, message string) error {
	act, err := journal.ParseAction(action)
	if err != nil {
		return err
	}
	if _, err := r.runner.Resolve(context.Background(), runID, act, message); err != nil {
		return err
	}
	if act == journal.ActionFail {
		return nil
	}
	return r.drive(runID)
}
