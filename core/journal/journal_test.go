package journal

import (
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/store"
)

type queue []store.Record

func (q *queue) Enqueue(r store.Record) bool { *q = append(*q, r); return true }

func TestRecordOfEachEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	row := &store.RequestRow{ID: "r1", Start: at}
	tests := []struct {
		e    events.Event
		kind string // the events table's kind, "" for no row there
		row  bool   // the request row
	}{
		{&events.Request{Row: row}, "", true},
		{&events.Failover{At: at, AccountID: "id-a", From: "a", Reason: "rate limited"}, store.EventFailover, false},
		{&events.Hop{At: at, AccountID: "id-a", From: "a", Reason: "request-scoped 429"}, store.EventHop, false},
		{&events.RateLimited{At: at, AccountID: "id-a", Account: "a", Until: at.Add(time.Hour)}, store.EventRateLimited, false},
		{&events.SessionStarted{At: at, AccountID: "id-b", Account: "b", Reason: "failover"}, store.EventSessionStarted, false},
		{&events.AccountChanged{At: at, AccountID: "id-a", Account: "a", State: events.AccountNeedsLogin}, store.EventNeedsLogin, false},
		{&events.AccountChanged{At: at, AccountID: "id-a", Account: "a", State: events.AccountCooldown, Until: at.Add(time.Minute)}, store.EventCooldown, false},
		{&events.AccountChanged{At: at, Account: "a", State: events.AccountAdded}, "", false},
		{&events.QuotaCrossed{At: at, Account: "a"}, "", false},
		{&events.SessionEnded{At: at, Account: "a"}, "", false}, // the pool persists the period itself
		{&events.ConfigChanged{At: at}, "", false},
		{&events.RequestLogFailed{At: at}, "", false},
	}
	for _, tt := range tests {
		var q queue
		Sink(&q)(tt.e)
		switch {
		case tt.row:
			if len(q) != 1 || q[0] != store.Record(row) {
				t.Errorf("%T: %v, want the request's own row", tt.e, q)
			}
		case tt.kind != "":
			ev, ok := q[0].(*store.Event)
			if len(q) != 1 || !ok || ev.Kind != tt.kind || !ev.At.Equal(at) || ev.AccountName == "" {
				t.Errorf("%T: %+v, want one %s event row", tt.e, q, tt.kind)
			}
		default:
			if len(q) != 0 {
				t.Errorf("%T: %v, want no row", tt.e, q)
			}
		}
	}
}
