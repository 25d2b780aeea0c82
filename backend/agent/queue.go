package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
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

// inheritSessionSandbox makes a follow-up run in a session whose container is shared
// (docker, session scope) ask for that same container: what the request leaves empty comes
// from the session's last such run, not from the settings, which may have changed since.
// A request that names other values gets a new container (the old one is replaced).
func (r *Runner) inheritSessionSandbox(ctx context.Context, req *StartRequest) error {
	if req.SessionID == "" || (req.Sandbox != "" && req.Sandbox != "docker") ||
		(req.Container.Scope != "" && req.Container.Scope != "session") {
		return nil
	}
	prev, ok, err := r.sessionContainer(ctx, req.SessionID)
	if err != nil || !ok {
		return err
	}
	req.Sandbox = "docker"
	c := &req.Container
	c.Scope = "session"
	if c.Image == "" {
		c.Image = prev.Image
	}
	if c.Network == "" {
		c.Network = prev.Network
	}
	if c.Memory == 0 {
		c.Memory = prev.Memory
	}
	if c.CPUs == 0 {
		c.CPUs = prev.CPUs
	}
	if c.IdleSeconds == 0 {
		c.IdleSeconds = prev.IdleSeconds
	}
	return nil
}

// sessionContainer returns the container spec of the session's last run that shared a
// container with the session (docker, session scope).
func (r *Runner) sessionContainer(ctx context.Context, sessionID string) (ContainerSpec, bool, error) {
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return ContainerSpec{}, false, fmt.Errorf("agent: session %s sandbox: %w", sessionID, err)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Sandbox != "docker" {
			continue // only a docker run's configuration can name a session container
		}
		first, err := r.config.Journal.GetStep(ctx, runs[i].ID, 1)
		if errors.Is(err, journal.ErrNotFound) {
			continue
		}
		if err != nil {
			return ContainerSpec{}, false, fmt.Errorf("agent: session %s sandbox: %w", sessionID, err)
		}
		if first.Kind != record.KindConfig {
			continue
		}
		cfg, err := record.DecodeConfig(first.Output)
		if err != nil {
			continue // a record this Corral cannot read says nothing about the container
		}
		if cfg.Sandbox == "docker" && cfg.Container.Scope == "session" {
			return cfg.Container, true, nil
		}
	}
	return ContainerSpec{}, false, nil
}

// sessionEgress returns the egress policy of the session's last run whose configuration
// this Corral reads ("" when none set one) and the net(...) allow rules it recorded at the
// session's scope (its --allow-host hosts, and those it inherited).
func (r *Runner) sessionEgress(ctx context.Context, sessionID string) (string, []string, error) {
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return "", nil, fmt.Errorf("agent: session %s network: %w", sessionID, err)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		steps, err := r.config.Journal.Steps(ctx, runs[i].ID)
		if err != nil {
			return "", nil, fmt.Errorf("agent: session %s network: %w", sessionID, err)
		}
		if len(steps) == 0 || steps[0].Kind != record.KindConfig {
			continue
		}
		cfg, err := record.DecodeConfig(steps[0].Output)
		if err != nil {
			continue
		}
		var hosts []string
		for _, rs := range cfg.Rules {
			if rs.Scope != approval.SessionScope(sessionID) {
				continue
			}
			for _, rule := range rs.Lists.Allow {
				if h, ok := strings.CutPrefix(rule, "net("); ok {
					hosts = append(hosts, strings.TrimSuffix(h, ")"))
				}
			}
		}
		return cfg.Egress, hosts, nil
	}
	return "", nil, nil
}
