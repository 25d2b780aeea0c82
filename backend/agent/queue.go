package agent

import (
	"context"
	"errors"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// ErrSessionInUse means the session already has a run in progress (pending, running, or
// waiting for an approval): a session runs one run at a time, in any process. It is
// journal.ErrSessionInUse; errors.As finds the *journal.SessionInUseError naming the run.
var ErrSessionInUse = journal.ErrSessionInUse

// DefaultWaitPoll is how often StartWhenFree looks at a busy session again.
const DefaultWaitPoll = 500 * time.Millisecond

// StartWhenFree starts req like Start, but while its session has a run in progress it
// waits for that run to end (finish, fail, be cancelled or interrupted) and tries again,
// until ctx ends. onWait, if not nil, is called with the run it waits for each time that
// run changes. The session may be busy because of another process: the journal is looked
// at again every poll (DefaultWaitPoll when zero), since no event crosses processes.
func (r *Runner) StartWhenFree(ctx context.Context, req StartRequest, poll time.Duration, onWait func(journal.Run)) (journal.Run, error) {
	if poll <= 0 {
		poll = DefaultWaitPoll
	}
	var t *time.Ticker
	var waited string
	for {
		run, err := r.Start(ctx, req)
		var busy *journal.SessionInUseError
		if !errors.As(err, &busy) {
			return run, err
		}
		if busy.Run.ID != waited && onWait != nil {
			onWait(busy.Run)
		}
		waited = busy.Run.ID
		if t == nil {
			t = time.NewTicker(poll)
			defer t.Stop()
		}
		select {
		case <-ctx.Done():
			return journal.Run{}, context.Cause(ctx)
		case <-t.C:
		}
	}
}
