package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func tableNames(t *testing.T, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) []string {
	t.Helper()
	rows, err := q.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func TestMigrateFromEmptyAndReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.db")
	want := "accounts events events_at " +
		"events_kind_at latency_hours request_hours requests requests_account_start requests_start schema_version " +
		"sessions sessions_start stats_rebuild"

	for i := range 3 {
		db, err := Open(path)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		if v, err := db.schemaVersion(t.Context()); err != nil || v != len(migrations) {
			t.Errorf("open #%d: schema version %d, %v; want %d", i, v, err, len(migrations))
		}
		if got := strings.Join(tableNames(t, db.r), " "); got != want {
			t.Errorf("open #%d: schema has\n%s\nwant\n%s", i, got, want)
		}
		if i == 0 {
			if err := db.InsertAccount(t.Context(), testAccount("a1", "alice", 0, base)); err != nil {
				t.Fatal(err)
			}
		} else {
			list, err := db.Accounts(t.Context())
			if err != nil || len(list) != 1 || list[0].Name != "alice" {
				t.Errorf("open #%d: accounts %v, %v", i, list, err)
			}
		}
		var n int
		db.r.QueryRow(`SELECT COUNT(*) FROM schema_version`).Scan(&n)
		if n != 1 {
			t.Errorf("open #%d: %d schema_version rows", i, n)
		}
		db.Close()
	}
}

func TestMigrateStepIsAtomic(t *testing.T) {
	t.Parallel()
	raw, err := sql.Open("sqlite", dsnPath(filepath.Join(t.TempDir(), "m.db"))+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := t.Context()

	broken := []string{
		`CREATE TABLE a (x INTEGER)`,
		`CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1)`,
	}
	err = migrate(ctx, raw, broken)
	if err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("migrate with a broken step: %v", err)
	}
	if v, _ := readVersion(ctx, raw); v != 1 {
		t.Errorf("version %d after a failed step 2, want 1", v)
	}
	if got := strings.Join(tableNames(t, raw), " "); got != "a schema_version" {
		t.Errorf("tables after a failed step: %s", got)
	}

	fixed := []string{broken[0], `CREATE TABLE b (x INTEGER)`}
	if err := migrate(ctx, raw, fixed); err != nil {
		t.Fatal(err)
	}
	if v, _ := readVersion(ctx, raw); v != 2 {
		t.Errorf("version %d, want 2", v)
	}
	// A program that knows fewer migrations refuses the database.
	err = migrate(ctx, raw, fixed[:1])
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("migrate with an older program: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	if _, err := db.w.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(db.Path())
	if err == nil {
		db2.Close()
		t.Fatal("Open succeeded on a newer schema")
	}
	if !strings.Contains(err.Error(), db.Path()) || !strings.Contains(err.Error(), "upgrade claudeflare") {
		t.Errorf("error %q should name the file and say to upgrade", err)
	}
}

// Two processes (here: two DBs) opening the same new file at once both get
// a fully migrated database, each migration applied once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.db")
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(path) })
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("open #%d: %v", i, errs[i])
		}
		defer db.Close()
	}
	if v, err := dbs[0].schemaVersion(t.Context()); err != nil || v != len(migrations) {
		t.Errorf("schema version %d, %v", v, err)
	}
}
