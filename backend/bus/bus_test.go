package bus

import (
	"context"
	"testing"
)

type ev struct {
	n     int
	lossy bool
}

func drain[T any](s *Subscription[T]) []T {
	var got []T
	for e := range s.C() {
		got = append(got, e)
	}
	return got
}

func TestMustDeliverSurvivesSlowSubscriber(t *testing.T) {
	t.Parallel()
	b := New[ev]()
	s := b.Subscribe(context.Background(), 4)
	const n = 1000
	for i := range n {
		b.Publish(ev{n: i}, false) // nobody reads yet: all must stay queued
		b.Publish(ev{n: -i, lossy: true}, true)
	}
	b.Close()
	got := drain(s)
	var must []int
	lossy := 0
	for _, e := range got {
		if e.lossy {
			lossy++
			continue
		}
		must = append(must, e.n)
	}
	if len(must) != n {
		t.Fatalf("subscriber got %d must-deliver events, want %d", len(must), n)
	}
	for i, v := range must {
		if v != i {
			t.Fatalf("must-deliver event %d = %d, want %d (order kept)", i, v, i)
		}
	}
	if lossy == n || s.Dropped() == 0 || uint64(lossy)+s.Dropped() != n {
		t.Errorf("lossy delivered %d, dropped %d; want some dropped for a subscriber that fell behind, and delivered+dropped = %d", lossy, s.Dropped(), n)
	}
}

func TestFastSubscriberGetsEverything(t *testing.T) {
	t.Parallel()
	b := New[ev]()
	s := b.Subscribe(context.Background(), 0)
	got := make(chan []ev)
	go func() { got <- drain(s) }()
	for i := range 100 {
		b.Publish(ev{n: i, lossy: true}, true)
	}
	b.Close()
	if evs := <-got; len(evs)+int(s.Dropped()) != 100 || len(evs) == 0 {
		t.Errorf("fast subscriber got %d lossy events and dropped %d, want all 100 accounted for", len(evs), s.Dropped())
	}
}

func TestSubscriptionsAreIndependent(t *testing.T) {
	t.Parallel()
	b := New[ev]()
	a := b.Subscribe(context.Background(), 0)
	c := b.Subscribe(context.Background(), 0)
	b.Publish(ev{n: 1}, false)
	a.Close() // a never reads; closing it must not block and must not affect c
	b.Publish(ev{n: 2}, false)
	b.Close()
	if got := drain(c); len(got) != 2 || got[0].n != 1 || got[1].n != 2 {
		t.Errorf("second subscriber got %+v, want events 1 and 2", got)
	}
	if got := drain(a); len(got) != 0 {
		t.Errorf("closed subscriber still delivered %+v", got)
	}
}

func TestContextEndsSubscription(t *testing.T) {
	t.Parallel()
	b := New[ev]()
	ctx, cancel := context.WithCancel(context.Background())
	s := b.Subscribe(ctx, 0)
	b.Publish(ev{n: 1}, false)
	cancel()
	for range s.C() { // must terminate
	}
	b.Publish(ev{n: 2}, false) // publishing after the subscriber left must not block
	s.Close()                  // idempotent after the context ended
	s.Close()
	b.Close()
	b.Close()
}

func TestSubscribeAfterClose(t *testing.T) {
	t.Parallel()
	b := New[ev]()
	b.Close()
	s := b.Subscribe(context.Background(), 0)
	if _, ok := <-s.C(); ok {
		t.Error("subscription on a closed bus delivered an event, want a closed channel")
	}
	s.Close()
}

// BenchmarkPublishSlowSubscriber measures Publish with one subscriber that reads slowly
// (it does a little work per event) and one that never reads lossy traffic in time.
func BenchmarkPublishSlowSubscriber(b *testing.B) {
	bus := New[ev]()
	slow := bus.Subscribe(context.Background(), 0)
	done := make(chan int)
	go func() {
		n, sink := 0, 0
		for e := range slow.C() {
			for i := 0; i < 200; i++ { // simulated per-event work
				sink += i ^ e.n
			}
			n++
		}
		_ = sink
		done <- n
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bus.Publish(ev{n: i, lossy: i%10 != 0}, i%10 != 0) // 1 in 10 must-deliver, like steps among deltas
	}
	b.StopTimer()
	bus.Close()
	delivered := <-done
	b.ReportMetric(float64(slow.Dropped())/float64(b.N)*100, "%dropped")
	b.ReportMetric(float64(delivered), "delivered")
}
