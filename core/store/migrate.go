package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are the schema changes, oldest first. The schema version of a
// database is the number of them applied; each runs in its own transaction
// together with the version bump. Never edit or reorder a released entry:
// append a new one.
var migrations = []string{
	// 1: accounts, the settings version, requests, events.
	`
CREATE TABLE accounts (
	id                 TEXT PRIMARY KEY,
	name               TEXT NOT NULL UNIQUE,
	kind               TEXT NOT NULL,
	mode               TEXT NOT NULL DEFAULT '',
	priority           INTEGER NOT NULL DEFAULT 0,
	paused             INTEGER NOT NULL DEFAULT 0,
	created_at         INTEGER NOT NULL,
	cred_version       INTEGER NOT NULL DEFAULT 0,
	needs_login        INTEGER NOT NULL DEFAULT 0,
	rate_limited_until INTEGER NOT NULL DEFAULT 0,
	cooldown_until     INTEGER NOT NULL DEFAULT 0,
	session_start      INTEGER NOT NULL DEFAULT 0,
	session_requests   INTEGER NOT NULL DEFAULT 0,
	total_requests     INTEGER NOT NULL DEFAULT 0,
	last_used          INTEGER NOT NULL DEFAULT 0,
	token_expires_at   INTEGER NOT NULL DEFAULT 0,
	utilization        REAL NOT NULL DEFAULT -1
);

CREATE TABLE settings_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO settings_version (id, version) VALUES (1, 0);

CREATE TRIGGER accounts_inserted AFTER INSERT ON accounts
BEGIN
	UPDATE settings_version SET version = version + 1;
END;

CREATE TRIGGER accounts_deleted AFTER DELETE ON accounts
BEGIN
	UPDATE settings_version SET version = version + 1;
END;

-- Only a real change of a setting counts: the proxy rewrites needs_login
-- with its runtime state, mostly unchanged.
CREATE TRIGGER accounts_settings_updated
AFTER UPDATE OF name, priority, paused, needs_login, cred_version ON accounts
WHEN OLD.name IS NOT NEW.name OR OLD.priority IS NOT NEW.priority OR OLD.paused IS NOT NEW.paused
	OR OLD.needs_login IS NOT NEW.needs_login OR OLD.cred_version IS NOT NEW.cred_version
BEGIN
	UPDATE settings_version SET version = version + 1;
END;

-- account_id has no foreign key: rows outlive their account and keep its name.
CREATE TABLE requests (
	id                    TEXT NOT NULL,
	start                 INTEGER NOT NULL,
	method                TEXT NOT NULL,
	path                  TEXT NOT NULL,
	account_id            TEXT NOT NULL DEFAULT '',
	account_name          TEXT NOT NULL DEFAULT '',
	status                INTEGER NOT NULL,
	duration_us           INTEGER NOT NULL DEFAULT 0,
	ttfb_us               INTEGER NOT NULL DEFAULT 0,
	failovers             INTEGER NOT NULL DEFAULT 0,
	model                 TEXT NOT NULL DEFAULT '',
	input_tokens          INTEGER NOT NULL DEFAULT 0,
	output_tokens         INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
	cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
	streamed              INTEGER NOT NULL DEFAULT 0,
	error                 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX requests_start ON requests (start);
CREATE INDEX requests_account_start ON requests (account_id, start);

CREATE TABLE events (
	at           INTEGER NOT NULL,
	account_id   TEXT NOT NULL DEFAULT '',
	account_name TEXT NOT NULL DEFAULT '',
	kind         TEXT NOT NULL,
	until        INTEGER NOT NULL DEFAULT 0,
	detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_at ON events (at);
`,
	// 2: the stats rollups and the session history (stats_schema.go).
	migrationStats,
	// 3: every quota window of an account, and the unified headers of the
	// 429 that last limited it (both JSON; quota.go). The utilization
	// column of version 1 is no longer read.
	`
ALTER TABLE accounts ADD COLUMN quota TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN limit_headers TEXT NOT NULL DEFAULT '';
`,
	// 4: no settings version: a running app no longer polls the accounts
	// to notice other processes' changes, which go through its API
	// (docs/DESIGN.md, "The typed surface").
	`
DROP TRIGGER accounts_inserted;
DROP TRIGGER accounts_deleted;
DROP TRIGGER accounts_settings_updated;
DROP TABLE settings_version;
`,
}

// migrate brings the database up to len(list). Each step re-reads the
// version inside its (immediate) transaction, so two processes opening the
// same new file at once apply each migration exactly once.
func migrate(ctx context.Context, db *sql.DB, list []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	v, err := readVersion(ctx, db)
	if err != nil {
		return err
	}
	for target := v + 1; target <= len(list); target++ {
		if err := migrateStep(ctx, db, list, target); err != nil {
			return err
		}
	}
	// A database newer than this program is refused, never modified. Read
	// again: another process may have migrated it meanwhile.
	if v, err = readVersion(ctx, db); err != nil {
		return err
	}
	if v > len(list) {
		return fmt.Errorf("schema version %d is newer than this program knows (%d): upgrade claudeflare", v, len(list))
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx have in common for reading.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

func migrateStep(ctx context.Context, db *sql.DB, list []string, target int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating schema to version %d: %w", target, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	v, err := readVersion(ctx, tx)
	if err != nil {
		return err
	}
	if v >= target {
		return tx.Commit()
	}
	if v != target-1 {
		return fmt.Errorf("migrating schema to version %d: database is at version %d", target, v)
	}
	if _, err := tx.ExecContext(ctx, list[target-1]); err != nil {
		return fmt.Errorf("migrating schema to version %d: %w", target, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("migrating schema to version %d: %w", target, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, target); err != nil {
		return fmt.Errorf("migrating schema to version %d: %w", target, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating schema to version %d: %w", target, err)
	}
	return nil
}

// rollback ends a failed transaction; "already done" is not an error.
func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rolling back: %w", err)
	}
	return nil
}

// schemaVersion is the number of migrations applied to the database.
func (db *DB) schemaVersion(ctx context.Context) (int, error) { return readVersion(ctx, db.r) }
