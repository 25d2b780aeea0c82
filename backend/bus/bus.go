// Package bus is an in-process publish/subscribe broker for run events, between the agent
// (which publishes) and the window, `corral serve` and `corral run --json` (which subscribe).
//
// Every event is either must-deliver (a step finished, an approval requested: a subscriber
// sees all of them, in order, however slow it is) or lossy (token deltas, progress: dropped
// for a subscriber that has fallen behind, never blocking the publisher). Publish never
// blocks. The bus knows nothing about what the events mean.
package bus

import (
	"context"
	"sync"
)

// DefaultLossyBacklog is how many queued events a subscriber may have before lossy events
// are dropped for it.
const DefaultLossyBacklog = 256

// Bus fans events of type T out to subscribers. The zero value is not usable; call New.
type Bus[T any] struct {
	mu     sync.Mutex
	subs   map[*Subscription[T]]struct{}
	closed bool
}

// New returns an empty bus.
func New[T any]() *Bus[T] {
	return &Bus[T]{subs: map[*Subscription[T]]struct{}{}}
}

// Subscription receives events published after it was made, until its context ends or
// Close is called. Read them from C.
type Subscription[T any] struct {
	bus     *Bus[T]
	backlog int
	out     chan T
	done    chan struct{}
	quit    chan struct{} // closed by Close: abandon queued events
	once    sync.Once

	mu      sync.Mutex
	wake    chan struct{} // 1-buffered: "the queue is non-empty"
	queue   []T
	dropped uint64
	stopped bool
}

// Subscribe starts a subscription that ends with ctx. backlog bounds the queue for lossy
// events (DefaultLossyBacklog if <= 0); must-deliver events are always queued.
func (b *Bus[T]) Subscribe(ctx context.Context, backlog int) *Subscription[T] {
	if backlog <= 0 {
		backlog = DefaultLossyBacklog
	}
	s := &Subscription[T]{bus: b, backlog: backlog, out: make(chan T), done: make(chan struct{}), quit: make(chan struct{}), wake: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.closed {
		s.stopped = true
		close(s.out)
		close(s.done)
		b.mu.Unlock()
		return s
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.pump(ctx)
	return s
}

// Publish queues ev for every subscriber. A lossy event is skipped for subscribers whose
// backlog is full. Publish never blocks on a subscriber.
func (b *Bus[T]) Publish(ev T, lossy bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.push(ev, lossy)
	}
}

// Close ends every subscription; their channels close after the queued events are read.
// Close is idempotent.
func (b *Bus[T]) Close() {
	b.mu.Lock()
	b.closed = true
	subs := b.subs
	b.subs = map[*Subscription[T]]struct{}{}
	b.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

// C returns the channel of events. It is closed when the subscription ends.
func (s *Subscription[T]) C() <-chan T { return s.out }

// Dropped returns how many lossy events this subscriber missed by falling behind.
func (s *Subscription[T]) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close ends the subscription: events still queued are discarded and C is closed.
// It is idempotent and waits for the subscription's goroutine to exit.
func (s *Subscription[T]) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.once.Do(func() { close(s.quit) })
	s.stop()
	<-s.done
}

func (s *Subscription[T]) push(ev T, lossy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if lossy && len(s.queue) >= s.backlog {
		s.dropped++
		return
	}
	s.queue = append(s.queue, ev)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription[T]) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// pump moves queued events to the output channel; it owns out and done.
func (s *Subscription[T]) pump(ctx context.Context) {
	defer close(s.done)
	defer close(s.out)
	defer func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
	}()
	var batch []T
	for {
		s.mu.Lock()
		batch, s.queue = s.queue, batch[:0]
		stopped := s.stopped
		s.mu.Unlock()
		if len(batch) == 0 {
			if stopped {
				return
			}
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return
			case <-s.quit:
				return
			}
		}
		for _, ev := range batch {
			select {
			case s.out <- ev:
			case <-ctx.Done():
				return
			case <-s.quit:
				return
			}
		}
	}
}
