package events

import (
	"testing"
	"time"
)

func TestPublishReachesEverySubscriber(t *testing.T) {
	t.Parallel()
	b := NewBus()
	c1, cancel1 := b.Subscribe(4)
	c2, cancel2 := b.Subscribe(4)
	defer cancel1()
	defer cancel2()
	b.Publish(Event{Type: Failover, Data: map[string]string{"from": "a"}})
	for i, c := range []<-chan Event{c1, c2} {
		e := <-c
		if e.Type != Failover || e.At.IsZero() {
			t.Errorf("subscriber %d got %+v", i, e)
		}
	}
}

func TestSlowSubscriberLosesEventsWithoutBlocking(t *testing.T) {
	t.Parallel()
	b := NewBus()
	_, cancel := b.Subscribe(1) // never read
	defer cancel()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			b.Publish(Event{Type: Request})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a subscriber that never reads")
	}
	if got := b.Dropped(); got != 999 {
		t.Fatalf("Dropped = %d, want 999", got)
	}
}

func TestCancelClosesAndStopsDelivery(t *testing.T) {
	t.Parallel()
	b := NewBus()
	c, cancel := b.Subscribe(1)
	cancel()
	cancel() // idempotent
	if _, ok := <-c; ok {
		t.Fatal("channel still open after cancel")
	}
	b.Publish(Event{Type: Request}) // must not panic on the closed channel
}
