package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Record is something Write and Writer persist: a RequestRow, an
// AccountState, an Event or a Session (or a pointer to one; a nil pointer
// is skipped).
type Record interface{ isRecord() }

// Write stores recs in one transaction: all of them or, on error, none.
func (db *DB) Write(ctx context.Context, recs []Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing %d records: %w", len(recs), err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	// Statements are prepared on first use and closed with the transaction.
	var reqStmt, stateStmt, eventStmt *sql.Stmt
	var roll rollup // the stats rollups of the request rows
	exec := func(stmt **sql.Stmt, query string, args []any) error {
		if *stmt == nil {
			s, err := tx.PrepareContext(ctx, query)
			if err != nil {
				return err
			}
			*stmt = s
		}
		_, err := (*stmt).ExecContext(ctx, args...)
		return err
	}
	// Account states are full snapshots, and an open session's record is
	// overwritten by any later record of that session: within a batch only
	// the latest of each needs writing (the proxy sends both per request).
	latest := make(map[string]int)
	for i, rec := range recs {
		if key := supersedable(rec); key != "" {
			latest[key] = i
		}
	}
	superseded := func(i int, rec Record) bool {
		key := supersedable(rec)
		return key != "" && latest[key] != i
	}
	for i, rec := range recs {
		if superseded(i, rec) {
			continue
		}
		switch r := rec.(type) {
		case RequestRow:
			err = exec(&reqStmt, requestInsertSQL, requestArgs(&r))
			roll.add(&r)
		case *RequestRow:
			if r != nil {
				err = exec(&reqStmt, requestInsertSQL, requestArgs(r))
				roll.add(r)
			}
		case AccountState:
			err = exec(&stateStmt, accountStateSQL, accountStateArgs(&r))
		case *AccountState:
			if r != nil {
				err = exec(&stateStmt, accountStateSQL, accountStateArgs(r))
			}
		case Event:
			err = exec(&eventStmt, eventInsertSQL, eventArgs(&r))
		case *Event:
			if r != nil {
				err = exec(&eventStmt, eventInsertSQL, eventArgs(r))
			}
		case Session:
			err = execSession(ctx, tx, &r)
		case *Session:
			if r != nil {
				err = execSession(ctx, tx, r)
			}
		case nil:
		default:
			err = fmt.Errorf("unknown record type %T", rec)
		}
		if err != nil {
			return fmt.Errorf("writing %d records: %w", len(recs), err)
		}
	}
	if err := roll.flush(ctx, tx); err != nil {
		return fmt.Errorf("writing %d records: %w", len(recs), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writing %d records: %w", len(recs), err)
	}
	return nil
}

// execSession stores one Session; sessions are rare, so the statement is not kept.
func execSession(ctx context.Context, tx *sql.Tx, s *Session) error {
	query, args := sessionWrite(s)
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// supersedable names the thing a record overwrites, when a later record of
// the same thing makes it pointless: an account's state, or an open session
// (any later record of that session replaces it). Ended sessions, rows and
// events are never skipped.
func supersedable(rec Record) string {
	switch r := rec.(type) {
	case AccountState:
		return "a|" + r.ID
	case *AccountState:
		if r != nil {
			return "a|" + r.ID
		}
	case Session:
		return openSessionKey(&r)
	case *Session:
		if r != nil {
			return openSessionKey(r)
		}
	}
	return ""
}

func openSessionKey(s *Session) string {
	if !s.End.IsZero() {
		return ""
	}
	return "s|" + s.AccountID + "|" + strconv.FormatInt(s.Start.UnixNano(), 10)
}
