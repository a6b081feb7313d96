package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNamesUniqueIgnoringCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		add     string // a second account's name, after "Bob"
		rename  string // then "Bob" renamed to this ("" for none)
		wantErr string // "" for success
	}{
		{name: "lower case on add", add: "bob", wantErr: `an account named "Bob" already exists, and names are unique ignoring case`},
		{name: "upper case on add", add: "BOB", wantErr: `an account named "Bob" already exists, and names are unique ignoring case`},
		{name: "exact on add", add: "Bob", wantErr: `an account named "Bob" already exists`},
		{name: "other name on add", add: "Bobby"},
		{name: "rename onto another's name in other case", add: "alice", rename: "ALICE", wantErr: `an account named "alice" already exists, and names are unique ignoring case`},
		{name: "rename changing only the case", add: "alice", rename: "bOB"},
		{name: "rename to itself", add: "alice", rename: "Bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			ctx := t.Context()
			if err := db.InsertAccount(ctx, testAccount("id-bob", "Bob", 0, base)); err != nil {
				t.Fatal(err)
			}
			err := db.InsertAccount(ctx, testAccount("id-2", tt.add, 0, base.Add(time.Second)))
			if tt.rename != "" {
				if err != nil {
					t.Fatal(err)
				}
				_, err = db.UpdateAccountSettings(ctx, "id-bob", AccountSettings{Name: ptr(tt.rename), Priority: ptr(9)})
			}
			before := []string{"Bob", tt.add}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrNameTaken saying %q", err, tt.wantErr)
			}
			// Nothing changed: the refused add left no row, the refused
			// rename changed neither the name nor the priority.
			list := mustAccounts(t, db)
			if tt.rename == "" {
				before = before[:1]
			}
			if got := strings.Join(names(list), ","); got != strings.Join(before, ",") || list[0].Priority != 0 {
				t.Errorf("accounts %s (priority %d) after a refused change, want %v unchanged", got, list[0].Priority, before)
			}
		})
	}
}

// An older database may hold names that differ only in case (the column's
// UNIQUE is case-sensitive, and there is no migration): they are kept and
// keep working, and no new one is accepted.
func TestExistingCaseDuplicatesAreKept(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ctx := t.Context()
	for i, name := range []string{"Bob", "bob"} {
		a := testAccount(fmt.Sprintf("id-%d", i), name, 0, base.Add(time.Duration(i)*time.Second))
		// As an older Claudeflare wrote them: straight into the table.
		if _, err := db.w.ExecContext(ctx, `INSERT INTO accounts (id, name, kind, mode, created_at) VALUES (?, ?, ?, ?, ?)`,
			a.ID, a.Name, string(a.Kind), a.Mode, millis(a.CreatedAt)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.AccountsNamedFold(ctx, "BOB"); err != nil || len(got) != 2 || got[0].Name != "Bob" || got[1].Name != "bob" {
		t.Fatalf("AccountsNamedFold(BOB) = %v, %v; want Bob then bob", names(got), err)
	}
	if _, err := db.UpdateAccountSettings(ctx, "id-1", AccountSettings{Priority: ptr(3), Paused: ptr(true)}); err != nil {
		t.Errorf("changing a duplicate's priority: %v", err)
	}
	if err := db.InsertAccount(ctx, testAccount("id-new", "BOB", 0, base)); !errors.Is(err, ErrNameTaken) {
		t.Errorf("a third Bob: err = %v, want ErrNameTaken", err)
	}
	if _, err := db.UpdateAccountSettings(ctx, "id-1", AccountSettings{Name: ptr("BOB")}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("renaming bob to BOB beside Bob: err = %v, want ErrNameTaken", err)
	}
	if a, err := db.UpdateAccountSettings(ctx, "id-1", AccountSettings{Name: ptr("robert")}); err != nil || a.Name != "robert" {
		t.Errorf("renaming a duplicate away: %+v, %v", a.Name, err)
	}
}

// Two processes adding "Carol" and "carol" at once: exactly one wins each
// round, because the check and the insert share one write transaction.
// Two handles on one file stand for the two processes (separate
// connections, as separate processes have).
func TestConcurrentAddsOfOneNameInTwoCases(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	for round := range 20 {
		var won atomic.Int32
		var wg sync.WaitGroup
		for i, name := range []string{"Carol", "carol"} {
			wg.Go(func() {
				a := testAccount(fmt.Sprintf("r%d-%d", round, i), fmt.Sprintf("%s-%d", name, round), 0, base)
				switch err := dbs[i].InsertAccount(t.Context(), a); {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, ErrNameTaken):
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("round %d: %d of the two adds succeeded, want exactly 1", round, won.Load())
		}
	}
}
