// Package journal turns events into the request log's records: it is the
// request log's sink of the event bus (docs/DESIGN.md, "Events"). It runs on
// the publisher's goroutine and never waits: the writer only queues.
package journal

import (
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/store"
)

// Enqueuer takes records to write without waiting (store.Writer).
type Enqueuer interface {
	Enqueue(store.Record) bool
}

// Sink returns the bus sink that writes each event's record through w.
func Sink(w Enqueuer) func(events.Event) {
	return func(e events.Event) {
		if r := Record(e); r != nil {
			w.Enqueue(r)
		}
	}
}

// Record is what the request log keeps of an event: the request's row, or a
// row of the events table (rate limits, failovers, hops, session starts,
// refused logins, cooldowns); nil for the rest.
func Record(e events.Event) store.Record {
	switch e := e.(type) {
	case *events.Request:
		return e.Row
	case *events.Failover:
		return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.From, Kind: store.EventFailover, Detail: e.Reason}
	case *events.Hop:
		return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.From, Kind: store.EventHop, Detail: e.Reason}
	case *events.RateLimited:
		return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.Account, Kind: store.EventRateLimited, Until: e.Until}
	case *events.SessionStarted:
		return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.Account, Kind: store.EventSessionStarted, Detail: e.Reason}
	case *events.AccountChanged:
		switch e.State {
		case events.AccountNeedsLogin:
			return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.Account, Kind: store.EventNeedsLogin}
		case events.AccountCooldown:
			return &store.Event{At: e.At, AccountID: e.AccountID, AccountName: e.Account, Kind: store.EventCooldown, Until: e.Until}
		}
	}
	return nil
}
