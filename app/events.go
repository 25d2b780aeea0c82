package app

import (
	"context"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/bus"
)

// The event catalog: every event the backend sends the UI. The frontend mirrors it once, in
// frontend/src/lib/events.ts.
const (
	// EventRuns carries a batch ([]agent.Event, oldest first) of run events: run.*, model.*,
	// tool.*, text.delta, thinking.delta. Batches are flushed every flushEvery; consecutive
	// text (or thinking) deltas of a step are merged into one.
	EventRuns = "corral:runs"
	// EventSessions carries one SessionEvent: a session renamed or deleted (must deliver).
	EventSessions = "corral:sessions"
	// EventJournal carries nothing: the journal file changed, perhaps by another process
	// (`corral run` in a terminal). The UI reloads the session list, and the trace of a live
	// run on screen that this process is not driving. At most one per journalEvery; also sent
	// when this process's queue of runs changed (a prompt queued, started or dropped).
	EventJournal = "corral:journal"
)

// journalEvery is how often the journal is checked for commits by other processes.
const journalEvery = 2 * time.Second

// flushEvery is how often run events are sent to the UI: often enough to feel live, rarely
// enough that a fast token stream does not flood the webview.
const flushEvery = 75 * time.Millisecond

// Emitter delivers a named event to the UI: the Wails runtime in the window, server-sent
// events in `corral serve`.
type Emitter interface {
	Emit(name string, data any)
}

// pumpEvents forwards run events from the bus to emit in batches until ctx ends.
func pumpEvents(ctx context.Context, b *bus.Bus[agent.Event], emit Emitter) {
	sub := b.Subscribe(ctx, 0)
	defer sub.Close()
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	var batch []agent.Event
	for {
		select {
		case ev, ok := <-sub.C():
			if !ok {
				if len(batch) > 0 {
					emit.Emit(EventRuns, batch)
				}
				return
			}
			batch = appendMerged(batch, ev)
		case <-tick.C:
			if len(batch) > 0 {
				emit.Emit(EventRuns, batch)
				batch = nil
			}
		case <-ctx.Done():
			return
		}
	}
}

// appendMerged appends ev, merging a text delta into the previous one of the same step.
func appendMerged(batch []agent.Event, ev agent.Event) []agent.Event {
	if n := len(batch); n > 0 && (ev.Type == agent.EventTextDelta || ev.Type == agent.EventThinkingDelta) {
		last := &batch[n-1]
		if last.Type == ev.Type && last.RunID == ev.RunID && last.Seq == ev.Seq {
			last.Text += ev.Text
			return batch
		}
	}
	return append(batch, ev)
}
