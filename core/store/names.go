package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/claudeflare/claudeflare/core/account"
)

// Account names are unique ignoring case (docs/DESIGN.md, "Account names"): Bob, bob and BOB cannot
// coexist. The name column's UNIQUE constraint is case-sensitive, and
// changing it would take a migration that rebuilds the table; so the rule is
// checked here, inside the transaction of every write of a name. An older
// database may already hold names that differ only in case: they are kept
// as they are (each still works under its exact name, and can be renamed or
// removed), and no new such name is accepted. Names hold ASCII only
// (account.ValidateName), so SQLite's NOCASE folding is exact for them.

// checkNameFree fails with ErrNameTaken when an account other than exceptID
// has name, ignoring case. Run it inside the transaction that writes name.
func checkNameFree(ctx context.Context, tx *sql.Tx, name, exceptID string) error {
	var other string
	err := tx.QueryRowContext(ctx, `SELECT name FROM accounts WHERE name = ? COLLATE NOCASE AND id <> ?
		ORDER BY name = ? DESC LIMIT 1`, name, exceptID, name).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("checking the name %q: %w", name, err)
	case other == name:
		return fmt.Errorf("%w: an account named %q already exists", ErrNameTaken, name)
	default:
		return fmt.Errorf("%w: an account named %q already exists, and names are unique ignoring case", ErrNameTaken, other)
	}
}

// writeNamed runs write in one write transaction, after checking that no
// account other than exceptID ("" for a new one) has name, ignoring case.
// Write transactions begin IMMEDIATE (see Open): the write lock is held
// from the check on, so no other connection or process can take the name
// in between.
func (db *DB) writeNamed(ctx context.Context, name, exceptID string, write func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := checkNameFree(ctx, tx, name, exceptID); err != nil {
		return err
	}
	if err := write(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// AccountsNamedFold returns the accounts whose name is name ignoring case,
// in creation order: one at most, but an older database may hold several.
func (db *DB) AccountsNamedFold(ctx context.Context, name string) ([]account.Account, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ? COLLATE NOCASE
		ORDER BY created_at, rowid`, name)
	if err != nil {
		return nil, fmt.Errorf("reading accounts named %q: %w", name, err)
	}
	defer rows.Close()
	var list []account.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("reading accounts named %q: %w", name, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading accounts named %q: %w", name, err)
	}
	return list, nil
}
