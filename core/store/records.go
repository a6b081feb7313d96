package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// An account state is a full snapshot: within a batch only the latest
	// one per account needs writing (the proxy sends one per request).
	latest := make(map[string]int)
	for i, rec := range recs {
		switch r := rec.(type) {
		case AccountState:
			latest[r.ID] = i
		case *AccountState:
			if r != nil {
				latest[r.ID] = i
			}
		}
	}
	for i, rec := range recs {
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
			if latest[r.ID] == i {
				err = exec(&stateStmt, accountStateSQL, accountStateArgs(&r))
			}
		case *AccountState:
			if r != nil && latest[r.ID] == i {
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
