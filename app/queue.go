package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/journal"
)

// Runs of different sessions go on at once, up to a limit (the settings' max_runs); a
// session runs one run at a time (the journal refuses a second, in any process). Beyond
// either, a run waits here, in this process:
//
//   - a prompt sent to a busy session is queued as a request (RunView status "queued"): its
//     run is recorded only when the session is free, so it is built from the whole
//     conversation before it;
//   - a recorded run beyond the limit stays pending until a drive ends (RunView.Queue says
//     why).
//
// The queue moves on whenever a drive here ends and whenever the journal changed (another
// process's run ended). Queued requests are durable: each is kept in the journal
// (journal.QueuedPrompt) until its run is recorded, which takes it off in the same
// transaction, so a restarted app finds them again (loadQueue). Runs waiting for a slot are
// recorded cancelled when the app stops (cancelWaiting).

// queuedRun is a prompt waiting for its session to be free.
type queuedRun struct {
	id     string
	req    agent.StartRequest
	at     time.Time
	behind journal.Run // the run in progress it waits for
}

// limit is how many runs this app drives at once.
func (r *Runs) limit() int {
	if r.dataDir == "" {
		return config.DefaultMaxRuns
	}
	s, err := config.LoadSettings(r.dataDir)
	if err != nil || s.Sandbox.MaxRuns <= 0 {
		return config.DefaultMaxRuns
	}
	return s.Sandbox.MaxRuns
}

// start records a run for req and drives it, or queues req behind its session's run in
// progress.
func (r *Runs) start(req agent.StartRequest) (RunView, error) {
	run, err := r.runner.Start(context.Background(), req)
	var busy *journal.SessionInUseError
	if errors.As(err, &busy) {
		return r.enqueue(req, busy.Run)
	}
	if err != nil {
		return RunView{}, err
	}
	if err := r.drive(run.ID); err != nil {
		return RunView{}, err
	}
	v := NewRunView(run)
	v.Queue = r.waitReason(run.ID)
	return v, nil
}

func (r *Runs) enqueue(req agent.StartRequest, behind journal.Run) (RunView, error) {
	q := &queuedRun{id: journal.NewID("queued"), req: req, at: time.Now().UTC(), behind: behind}
	if r.journal != nil {
		blob, err := json.Marshal(req)
		if err != nil {
			return RunView{}, fmt.Errorf("queue the prompt: %w", err)
		}
		kept, err := r.journal.Enqueue(context.Background(), journal.QueuedPrompt{ID: q.id, SessionID: req.SessionID, Request: blob})
		if err != nil {
			return RunView{}, fmt.Errorf("queue the prompt: %w", err)
		}
		q.at = kept.CreatedAt.UTC()
	}
	r.mu.Lock()
	r.queue = append(r.queue, q)
	emit := r.emit
	r.mu.Unlock()
	if emit != nil {
		emit.Emit(EventJournal, struct{}{})
	}
	return q.view(), nil
}

// loadQueue reads the prompts an earlier app left queued (journal.QueuedPrompt) into the
// queue, each behind its session's run in progress; pump then moves them on.
func (r *Runs) loadQueue(ctx context.Context) error {
	kept, err := r.journal.QueuedPrompts(ctx)
	if err != nil {
		return err
	}
	var qs []*queuedRun
	for _, k := range kept {
		var req agent.StartRequest
		if err := json.Unmarshal(k.Request, &req); err != nil {
			return fmt.Errorf("queued prompt %s: %w", k.ID, err)
		}
		behind, _, err := r.journal.SessionInUse(ctx, k.SessionID)
		if err != nil {
			return err
		}
		qs = append(qs, &queuedRun{id: k.ID, req: req, at: k.CreatedAt.UTC(), behind: behind})
	}
	r.mu.Lock()
	r.queue = append(qs, r.queue...)
	r.mu.Unlock()
	return nil
}

// view shows a queued request as the sidebar lists runs.
func (q *queuedRun) view() RunView {
	agentID := q.req.Agent
	if agentID == "" {
		agentID = agent.DefaultAgentID
	}
	return RunView{ID: q.id, SessionID: q.req.SessionID, Agent: agentID, Prompt: q.req.Prompt, Status: StatusQueued,
		Sandbox: q.req.Sandbox, CreatedAt: q.at, UpdatedAt: q.at, Usage: journal.Usage{},
		Queue: fmt.Sprintf("queued behind %s (%s): one run at a time per session", q.behind.ID, q.behind.Status)}
}

// StatusQueued is the RunView status of a prompt waiting for its session: not a journal
// status, since nothing is recorded yet.
const StatusQueued = "queued"

// waitReason says why a recorded run waits for a slot, "" when it does not.
func (r *Runs) waitReason(runID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.waiting, runID) {
		return ""
	}
	return fmt.Sprintf("waiting for a free slot: %d runs at once (Settings)", r.limit())
}

// queued returns the queued requests' views and the waiting runs' reasons.
func (r *Runs) queued() ([]RunView, map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	views := make([]RunView, len(r.queue))
	for i, q := range r.queue {
		views[i] = q.view()
	}
	reasons := map[string]string{}
	if len(r.waiting) > 0 {
		why := fmt.Sprintf("waiting for a free slot: %d runs at once (Settings)", r.limit())
		for _, id := range r.waiting {
			reasons[id] = why
		}
	}
	return views, reasons
}

// pump moves the queue on: waiting runs get free slots, and queued requests whose session
// is free are recorded and driven, oldest first. One pump runs at a time.
func (r *Runs) pump() {
	r.pumpMu.Lock()
	defer r.pumpMu.Unlock()
	r.mu.Lock()
	if r.base == nil || r.base.Err() != nil {
		r.mu.Unlock()
		return
	}
	limit := r.limit()
	for len(r.waiting) > 0 && len(r.active) < limit {
		id := r.waiting[0]
		r.waiting = r.waiting[1:]
		r.goDrive(id)
	}
	queue := slices.Clone(r.queue)
	emit := r.emit
	r.mu.Unlock()

	changed := false
	for _, q := range queue {
		req := q.req
		if r.journal != nil {
			req.Queued = q.id // recording the run takes the prompt off the journal's queue
		}
		run, err := r.runner.Start(context.Background(), req)
		var busy *journal.SessionInUseError
		if errors.As(err, &busy) {
			r.mu.Lock()
			q.behind = busy.Run
			r.mu.Unlock()
			continue
		}
		r.mu.Lock()
		r.queue = slices.DeleteFunc(r.queue, func(x *queuedRun) bool { return x == q })
		r.mu.Unlock()
		changed = true
		if err != nil && r.journal != nil {
			// It cannot start (its agent is gone, say): it leaves the journal's queue too.
			if _, derr := r.journal.Dequeue(context.Background(), q.id); derr != nil && r.log != nil {
				r.log.Warn("drop a queued prompt", "id", q.id, "err", derr)
			}
		}
		if err == nil {
			err = r.drive(run.ID)
		}
		if err != nil && r.log != nil {
			r.log.Warn("queued run could not start", "session", q.req.SessionID, "prompt", q.req.Prompt, "err", err)
		}
	}
	if changed && emit != nil {
		emit.Emit(EventJournal, struct{}{})
	}
}

// cancelWaiting records the runs still waiting for a slot as cancelled when the app stops,
// so they do not hold their sessions as pending runs nobody drives (Resume goes on with
// them). Queued prompts stay in the journal for the next start (loadQueue).
func (r *Runs) cancelWaiting() {
	r.mu.Lock()
	waiting := r.waiting
	r.waiting, r.queue = nil, nil
	r.mu.Unlock()
	for _, id := range waiting {
		if err := r.journal.SetRunStatus(context.Background(), id, journal.RunCancelled, "cancelled before it began: Corral stopped"); err != nil && r.log != nil {
			r.log.Warn("cancel a waiting run", "run", id, "err", err)
		}
	}
}

// dequeue drops a queued request or a run waiting for a slot (cancelled before it began);
// it reports whether id was one.
func (r *Runs) dequeue(id string) (bool, error) {
	r.mu.Lock()
	n := len(r.queue)
	r.queue = slices.DeleteFunc(r.queue, func(q *queuedRun) bool { return q.id == id })
	dropped := len(r.queue) < n
	waited := slices.Contains(r.waiting, id)
	r.waiting = slices.DeleteFunc(r.waiting, func(w string) bool { return w == id })
	emit := r.emit
	r.mu.Unlock()
	if r.journal != nil && !waited {
		kept, err := r.journal.Dequeue(context.Background(), id)
		if err != nil {
			return dropped, err
		}
		dropped = dropped || kept
	}
	if waited {
		if err := r.journal.SetRunStatus(context.Background(), id, journal.RunCancelled, "cancelled before it began"); err != nil {
			return true, err
		}
		r.pump() // its session may have a queued request
	}
	if (dropped || waited) && emit != nil {
		emit.Emit(EventJournal, struct{}{})
	}
	return dropped || waited, nil
}
