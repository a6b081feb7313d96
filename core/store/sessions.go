package store

import (
	"context"
	"fmt"
	"time"
)

// Why a session started (Session.StartReason).
const (
	StartFirst     = "first"     // the first session since the proxy started
	StartExpired   = "expired"   // the previous session had run its course
	StartFailover  = "failover"  // the proxy failed over to this account
	StartResumed   = "resumed"   // an account went back to a session that an interruption had ended
	StartContinued = "continued" // a session begun before a restart goes on
)

// Why a session ended (Session.EndReason).
const (
	EndExpired    = "expired"     // it ran for the whole session duration
	EndRateLimit  = "rate_limit"  // the account was rate-limited (429)
	EndNeedsLogin = "needs_login" // the account's credential was refused
	EndFailover   = "failover"    // the proxy failed over to another account (overload, network, ...)
	EndPause      = "pause"       // the account was paused
	EndRemoved    = "removed"     // the account was removed
	EndOther      = "unavailable" // another account took over while this one could not serve
)

// Session is one period during which an account was the active one: the
// history behind "session duration effectiveness" (SPEC §8). It is keyed by
// account and start. Writing it with a zero End records (or updates) an open
// session: its requests and expiry change, an already ended session is left
// alone. Writing it with an End ends it, once: a session already ended keeps
// its first end.
type Session struct {
	AccountID   string
	AccountName string
	Start       time.Time
	Expires     time.Time // when it ends if nothing ends it first (start + session duration)
	End         time.Time // zero while open
	Requests    int64
	StartReason string
	EndReason   string // "" while open
}

func (Session) isRecord() {}

const sessionColumns = `account_id, account_name, start, expires, finish, requests, start_reason, end_reason`

const sessionOpenSQL = `INSERT INTO sessions (` + sessionColumns + `) VALUES (?, ?, ?, ?, 0, ?, ?, '')
	ON CONFLICT (account_id, start) DO UPDATE SET
		account_name = excluded.account_name, expires = excluded.expires, requests = excluded.requests
	WHERE finish = 0`

const sessionEndSQL = `INSERT INTO sessions (` + sessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (account_id, start) DO UPDATE SET
		account_name = excluded.account_name, expires = excluded.expires, finish = excluded.finish,
		requests = excluded.requests, end_reason = excluded.end_reason
	WHERE finish = 0`

// sessionWrite returns the statement and arguments that store s.
func sessionWrite(s *Session) (string, []any) {
	if s.End.IsZero() {
		return sessionOpenSQL, []any{s.AccountID, s.AccountName, millis(s.Start), millis(s.Expires), s.Requests, s.StartReason}
	}
	return sessionEndSQL, []any{s.AccountID, s.AccountName, millis(s.Start), millis(s.Expires), millis(s.End),
		s.Requests, s.StartReason, s.EndReason}
}

// Sessions returns the sessions that started in [since, until), oldest
// first, as recorded (an open session has a zero End even if it has
// expired since). A zero until means no upper bound.
func (db *DB) Sessions(ctx context.Context, since, until time.Time) ([]Session, error) {
	lo, hi := window(since, until)
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE start >= ? AND start < ? ORDER BY start, account_id`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("reading sessions: %w", err)
	}
	defer rows.Close()
	var list []Session
	for rows.Next() {
		var s Session
		var start, expires, end int64
		if err := rows.Scan(&s.AccountID, &s.AccountName, &start, &expires, &end, &s.Requests,
			&s.StartReason, &s.EndReason); err != nil {
			return nil, fmt.Errorf("reading sessions: %w", err)
		}
		s.Start, s.Expires, s.End = fromMillis(start), fromMillis(expires), fromMillis(end)
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading sessions: %w", err)
	}
	return list, nil
}
