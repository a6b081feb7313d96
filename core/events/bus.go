// Package events fans out what happens in the proxy (requests, failovers,
// rate limits, sessions, account and config changes) to subscribers such as
// the /api/events stream and the tray. Publishing never blocks: a subscriber
// that does not keep up loses events instead of slowing the proxy.
package events

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event types, as named on the /api/events stream.
const (
	Request        = "request"
	Failover       = "failover"
	RateLimited    = "rate_limited"
	SessionStarted = "session_started"
	AccountChanged = "account_changed"
	ConfigChanged  = "config_changed"
	// RequestLog: request rows could not be written (a full disk, a broken
	// database). Sent once per failure streak; requests still go through.
	RequestLog = "request_log"
	// Hop: one request went to another account for a reason that says
	// nothing about the first (a request-scoped 429, a broken connection);
	// the session stayed.
	Hop = "hop"
	// QuotaCrossed: an account's quota window reached 80 % or 95 %, once
	// per window period and threshold. Data is *QuotaData.
	QuotaCrossed = "quota_crossed"
)

// QuotaData is the Data of a QuotaCrossed event.
type QuotaData struct {
	Account     string    `json:"account"`
	Window      string    `json:"window"`    // five_hour, seven_day, 7d_oi…
	Threshold   float64   `json:"threshold"` // 0.8 or 0.95
	Utilization float64   `json:"utilization"`
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// Event is one thing that happened. Data is a small JSON-encodable value
// that never carries a secret.
type Event struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	Data any       `json:"data,omitempty"`
}

// RequestData is the Data of a Request event: one per proxied request, so
// it is a struct rather than a map, which would cost a dozen allocations.
type RequestData struct {
	ID           string `json:"id"`
	Path         string `json:"path"`
	Account      string `json:"account"`
	Status       int    `json:"status"`
	DurationMS   int64  `json:"duration_ms"`
	Failovers    int    `json:"failovers"`
	Model        string `json:"model"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	Streamed     bool   `json:"streamed"`
}

// Bus is a non-blocking publish/subscribe hub. The zero value is not usable; use NewBus.
type Bus struct {
	mu      sync.RWMutex
	subs    map[*subscription]struct{}
	dropped atomic.Uint64
}

type subscription struct {
	ch chan Event
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: make(map[*subscription]struct{})} }

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

// Publish delivers e to every subscriber with room for it and drops it for the rest.
func (b *Bus) Publish(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	b.mu.RLock()
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
