package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Event kinds.
const (
	EventRateLimited    = "rate_limited"    // Until: when the limit resets
	EventCooldown       = "cooldown"        // Until: when the cooldown ends
	EventFailover       = "failover"        // the account itself could not serve: the next candidate was tried and the session moved
	EventHop            = "hop"             // the answer was about this request only: the next candidate was tried, the session stayed
	EventSessionStarted = "session_started" // Detail: why
	EventSessionEnded   = "session_ended"
	EventNeedsLogin     = "needs_login"
)

// Event is something that happened to an account, kept for monitoring
// (docs/DESIGN.md, "Monitoring"). Kind is one of the Event* constants.
type Event struct {
	At          time.Time
	AccountID   string
	AccountName string
	Kind        string
	Until       time.Time // zero when the kind has no end
	Detail      string
}

func (Event) isRecord() {}

const eventColumns = `at, account_id, account_name, kind, until, detail`

const eventInsertSQL = `INSERT INTO events (` + eventColumns + `) VALUES (?, ?, ?, ?, ?, ?)`

func eventArgs(e *Event) []any {
	return []any{millis(e.At), e.AccountID, e.AccountName, e.Kind, millis(e.Until), e.Detail}
}

// Events returns the events in [since, until), oldest first. A zero until
// means no upper bound.
func (db *DB) Events(ctx context.Context, since, until time.Time) ([]Event, error) {
	lo, hi := window(since, until)
	rows, err := db.r.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE at >= ? AND at < ? ORDER BY at, rowid`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	defer rows.Close()
	var list []Event
	for rows.Next() {
		var e Event
		var at, end int64
		if err := rows.Scan(&at, &e.AccountID, &e.AccountName, &e.Kind, &end, &e.Detail); err != nil {
			return nil, fmt.Errorf("reading events: %w", err)
		}
		e.At, e.Until = fromMillis(at), fromMillis(end)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return list, nil
}

// window turns [since, until) into stored milliseconds; a zero until is
// unbounded.
func window(since, until time.Time) (lo, hi int64) {
	lo, hi = millis(since), millis(until)
	if until.IsZero() {
		hi = math.MaxInt64
	}
	return lo, hi
}
