package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/session"
)

// Session is one session as the store keeps it (session.Period, the
// history behind "session duration effectiveness"): keyed by account and
// start. Writing it with a zero End records (or updates) an open session:
// its requests and expiry change, an already ended session is left alone.
// Writing it with an End ends it, once: a session already ended keeps its
// first end.
type Session struct{ session.Period }

func (Session) isRecord() {}

const sessionColumns = `account_id, account_name, start, expires, finish, requests, start_reason, end_reason`

// scanSession reads a row of sessionColumns; its times stay in Unix
// milliseconds (0: none), for the caller to judge before they become times.
func scanSession(rows *sql.Rows) (s Session, start, expires, end int64, err error) {
	err = rows.Scan(&s.AccountID, &s.AccountName, &start, &expires, &end, &s.Requests, &s.StartReason, &s.EndReason)
	return s, start, expires, end, err
}

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
		s, start, expires, end, err := scanSession(rows)
		if err != nil {
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
