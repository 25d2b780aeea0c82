package docker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a container may sit unused before the
// Reaper removes it.
const DefaultIdleTimeout = time.Hour

// ReaperOptions configures a Reaper.
type ReaperOptions struct {
	// IdleTimeout is how long a container may go without a command
	// (DefaultIdleTimeout when zero).
	IdleTimeout time.Duration
	// Interval is how often the Reaper looks (IdleTimeout/4, at most a
	// minute, when zero).
	Interval time.Duration
}

// Reaper removes a Manager's idle containers in the background and, when it
// starts, the orphans of earlier processes. A reaped container's box stays:
// the next command recreates the container (re-running the setup command).
type Reaper struct {
	m        *Manager
	idle     time.Duration
	interval time.Duration

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	lastErr error

	// Test hooks: tick replaces the ticker; reaped receives each pass's
	// removed container names.
	tick   <-chan time.Time
	reaped chan<- []string
}

// NewReaper returns a stopped Reaper for m.
func (m *Manager) NewReaper(opts ReaperOptions) *Reaper {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Interval <= 0 {
		opts.Interval = min(opts.IdleTimeout/4, time.Minute)
	}
	return &Reaper{m: m, idle: opts.IdleTimeout, interval: max(opts.Interval, time.Millisecond)}
}

// Start removes orphaned containers and idle session containers whose watchdog did not
// remove them (RemoveIdleSessions), then looks for idle ones every
// interval until Stop or until ctx ends. It returns at once; starting a
// started Reaper does nothing.
func (r *Reaper) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return nil
	}
	ctx, r.cancel = context.WithCancel(ctx)
	done := make(chan struct{})
	r.done = done
	tick := r.tick
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(r.interval)
		tick = ticker.C
	}
	go func() {
		// done, not r.done: a Stop before this goroutine runs has already cleared r.done.
		defer close(done)
		if ticker != nil {
			defer ticker.Stop()
		}
		_, err := r.m.RemoveOrphans(ctx)
		_, idleErr := r.m.RemoveIdleSessions(ctx)
		r.setErr(errors.Join(err, idleErr))
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
				names, err := r.Reap(ctx)
				r.setErr(err)
				if r.reaped != nil {
					select {
					case r.reaped <- names:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return nil
}

// Stop stops the Reaper and waits for it. It is idempotent.
func (r *Reaper) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel, r.done = nil, nil
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Err returns the error of the last pass, nil if it went well.
func (r *Reaper) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

func (r *Reaper) setErr(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	r.mu.Lock()
	r.lastErr = err
	r.mu.Unlock()
}

// Reap removes, once, the Manager's containers that ran no command for the
// idle timeout and run none now; a container that outlives its process is left to its
// watchdog. It returns their names.
func (r *Reaper) Reap(ctx context.Context) ([]string, error) {
	cutoff := r.m.now().Add(-r.idle)
	var names []string
	var errs []error
	for _, b := range r.m.boxList() {
		name, err := b.reapIfIdle(ctx, cutoff)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if name == "" {
			continue
		}
		names = append(names, name)
		r.m.mu.Lock()
		if b.users <= 0 && r.m.boxes[b.key] == b {
			delete(r.m.boxes, b.key)
		}
		r.m.mu.Unlock()
	}
	slices.Sort(names)
	return names, errors.Join(errs...)
}
