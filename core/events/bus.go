// Package events carries Claudeflare's state changes from their owners to
// everyone who follows them (docs/DESIGN.md, "Events"). Each change is one
// typed event, published once by the code that owns it. Sinks (the request
// log, the metrics, the log) are called inline and never block; subscribers
// (/api/events streams, the tray) read from a channel, and one that does not
// keep up loses events, counted, instead of slowing the proxy.
package events

import (
	"sync"
	"sync/atomic"
)

// Bus is a non-blocking publish/subscribe hub. The zero value is not usable; use NewBus.
type Bus struct {
	mu      sync.RWMutex
	sinks   []func(Event)
	subs    map[*subscription]struct{}
	dropped atomic.Uint64
}

type subscription struct {
	ch chan Event
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: make(map[*subscription]struct{})} }

// Sink registers fn to be called with every event, on the publisher's
// goroutine, before subscribers get it. fn must return at once and never
// block (the request path publishes): it records, counts or logs.
func (b *Bus) Sink(fn func(Event)) {
	b.mu.Lock()
	b.sinks = append(b.sinks, fn)
	b.mu.Unlock()
}

// Subscribe returns a channel receiving events published from now on, with
// room for buffer events, and a cancel func that closes the channel.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	s := &subscription{ch: make(chan Event, buffer)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			close(s.ch)
			b.mu.Unlock()
		})
	}
}

// Publish hands e to every sink, then delivers it to every subscriber with
// room for it and drops it for the rest.
func (b *Bus) Publish(e Event) {
	b.mu.RLock()
	for _, fn := range b.sinks {
		fn(e)
	}
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
	b.mu.RUnlock()
}

// Dropped counts deliveries lost to full subscribers.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }
