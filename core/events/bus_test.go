package events

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

func TestPublishReachesEverySubscriber(t *testing.T) {
	t.Parallel()
	b := NewBus()
	c1, cancel1 := b.Subscribe(4)
	c2, cancel2 := b.Subscribe(4)
	defer cancel1()
	defer cancel2()
	b.Publish(&Failover{At: time.Now(), From: "a"})
	for i, c := range []<-chan Event{c1, c2} {
		e, ok := (<-c).(*Failover)
		if !ok || e.From != "a" || e.When().IsZero() {
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
			b.Publish(&Hop{})
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
	b.Publish(&Hop{}) // must not panic on the closed channel
}

func TestSinksSeeEveryEventInOrderBeforeSubscribers(t *testing.T) {
	t.Parallel()
	b := NewBus()
	_, cancel := b.Subscribe(0) // full at once: it loses everything
	defer cancel()
	var got []Kind
	b.Sink(func(e Event) { got = append(got, e.Kind()) })
	for _, e := range []Event{&Hop{}, &Failover{}, &RateLimited{}} {
		b.Publish(e)
	}
	if len(got) != 3 || got[0] != KindHop || got[2] != KindRateLimited {
		t.Errorf("the sink saw %v: a sink is never dropped", got)
	}
	if b.Dropped() != 3 {
		t.Errorf("Dropped = %d, want 3 (the subscriber's)", b.Dropped())
	}
}

// TestEnvelopeRoundTrip: every kind goes through /api/events' JSON and back
// as the same typed event.
func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	all := []Event{
		&Request{Row: &store.RequestRow{Start: at, ID: "r1", Path: "/v1/messages", AccountName: "work", Status: 200,
			Duration: 1500 * time.Millisecond, Failovers: 1, Model: "claude-sonnet-4-5", InputTokens: 10, OutputTokens: 12, Streamed: true}},
		&Hop{At: at, AccountID: "id-a", From: "a", To: "b", Reason: "request-scoped 429", Path: "/v1/messages"},
		&Failover{At: at, AccountID: "id-a", From: "a", To: "b", Reason: "rate limited (429, five_hour)", Path: "/v1/messages"},
		&RateLimited{At: at, AccountID: "id-a", Account: "a", Until: at.Add(time.Hour)},
		&SessionStarted{At: at, AccountID: "id-b", Account: "b", Previous: "a", Reason: "failover"},
		&SessionEnded{At: at, AccountID: "id-a", Account: "a", Start: at.Add(-time.Hour), Requests: 7, Reason: "rate_limit"},
		&QuotaCrossed{At: at, Account: "a", Window: "five_hour", Threshold: 0.95, Utilization: 0.96, ResetsAt: at.Add(time.Hour)},
		&AccountChanged{At: at, AccountID: "id-a", Account: "a", State: AccountCooldown, Until: at.Add(time.Minute)},
		&ConfigChanged{At: at, Error: "port 80: permission denied"},
		&RequestLogFailed{At: at, Error: "disk full"},
	}
	for _, e := range all {
		b, err := json.Marshal(Wrap(e))
		if err != nil {
			t.Fatalf("%T: %v", e, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("round trip of %s:\n got %#v\nwant %#v", b, got, e)
		}
	}
	if _, err := Decode([]byte(`{"type":"from_the_future","data":{}}`)); err == nil {
		t.Error("an unknown kind decoded")
	}
}
