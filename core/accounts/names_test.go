package accounts_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/store"
)

// Bad names and names taken ignoring case are refused on add and on
// rename, with a clear message, and change nothing.
func TestNamesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		add     string  // an add of this name, or
		rename  *string // a rename of "alice" to this
		want    error
		message string
	}{
		{name: "dot", add: ".", want: accounts.ErrInvalid, message: `account name "." is not allowed`},
		{name: "dot dot", add: "..", want: accounts.ErrInvalid, message: `account name ".." is not allowed`},
		{name: "lower-case twin", add: "bob", want: store.ErrNameTaken, message: `an account named "Bob" already exists`},
		{name: "upper-case twin", add: "BOB", want: store.ErrNameTaken, message: `an account named "Bob" already exists`},
		{name: "rename to dot dot", rename: ptr(".."), want: accounts.ErrInvalid, message: `".." is not allowed`},
		{name: "rename onto Bob in other case", rename: ptr("bOB"), want: store.ErrNameTaken, message: `an account named "Bob" already exists, and names are unique ignoring case`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, _, credPath := setup(t)
			ctx := context.Background()
			for _, n := range []string{"Bob", "alice"} {
				if _, err := svc.AddAPIKey(ctx, n, "sk-ant-api03-"+n, 0); err != nil {
					t.Fatal(err)
				}
			}
			secretsBefore, _ := os.ReadFile(credPath)
			var err error
			if tt.rename != nil {
				_, err = svc.Update(ctx, "alice", tt.rename, ptr(5))
			} else {
				_, err = svc.AddAPIKey(ctx, tt.add, "sk-ant-api03-new", 0)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.message)
			}
			list, _ := svc.DB.Accounts(ctx)
			secretsAfter, _ := os.ReadFile(credPath)
			if len(list) != 2 || list[1].Name != "alice" || list[1].Priority != 0 || string(secretsAfter) != string(secretsBefore) {
				t.Errorf("a refused change changed something: %d accounts, secrets changed %v",
					len(list), string(secretsAfter) != string(secretsBefore))
			}
		})
	}
}

func TestRenameChangingOnlyTheCase(t *testing.T) {
	t.Parallel()
	svc, _, _ := setup(t)
	ctx := context.Background()
	a, err := svc.AddAPIKey(ctx, "bob", "sk-ant-api03-b", 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.Update(ctx, "bob", ptr("Bob"), nil)
	if err != nil || u.Name != "Bob" || u.ID != a.ID {
		t.Fatalf("rename bob → Bob = %+v, %v", u.Name, err)
	}
}

// Lookups (pause, resume, remove, login, rename) try the exact name first,
// then accept the one account whose name matches ignoring case; names
// that differ only in case in an older database need the exact name.
func TestLookupByName(t *testing.T) {
	t.Parallel()
	svc, _, _ := setup(t)
	ctx := context.Background()
	work, err := svc.AddAPIKey(ctx, "Work", "sk-ant-api03-w", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Two names differing only in case, as an older Claudeflare allowed.
	raw, err := sql.Open("sqlite", svc.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, n := range []string{"Bob", "bob"} {
		if _, err := raw.ExecContext(ctx, `INSERT INTO accounts (id, name, kind, created_at) VALUES (?, ?, 'api_key', 1)`, "id-"+n, n); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, lookup string
		wantID       string // "" for not found
		message      string
	}{
		{"exact", "Work", work.ID, ""},
		{"other case, one match", "wORK", work.ID, ""},
		{"exact among case twins", "bob", "id-bob", ""},
		{"exact among case twins, other one", "Bob", "id-Bob", ""},
		{"ambiguous", "BOB", "", `no account is named exactly "BOB", and 2 differ from it only in case ("Bob", "bob"): use the exact name`},
		{"unknown", "nobody", "", `no account named "nobody"`},
	}
	for _, tt := range tests {
		a, err := svc.Get(ctx, tt.lookup)
		if tt.wantID != "" {
			if err != nil || a.ID != tt.wantID {
				t.Errorf("%s: Get(%q) = %s, %v; want %s", tt.name, tt.lookup, a.ID, err, tt.wantID)
			}
			continue
		}
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: Get(%q) err = %v, want ErrNotFound saying %q", tt.name, tt.lookup, err, tt.message)
		}
	}
	if _, err := svc.SetPaused(ctx, "work", true); err != nil {
		t.Errorf("pausing Work as work: %v", err)
	}
	if err := svc.Remove(ctx, "WORK"); err != nil {
		t.Errorf("removing Work as WORK: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
