package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// newTestDB opens a fresh database in a temporary folder, closed at cleanup.
func newTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// base is a fixed instant with whole milliseconds, as the store keeps them.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func TestOpenCreatesPrivateFile(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	if err := db.InsertAccount(t.Context(), testAccount("a1", "alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db.Path(), db.Path() + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

func TestOpenPathNeedingEscapes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "claudeflare.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InsertAccount(t.Context(), testAccount("a1", "alice", 0, base)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if list, err := db.Accounts(t.Context()); err != nil || len(list) != 1 {
		t.Fatalf("reopened: %v, %v", list, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "claudeflare.db") {
			t.Errorf("stray file %q", e.Name())
		}
	}
}

func TestOpenErrorsNameTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing folder", filepath.Join(dir, "nope", "claudeflare.db"), "no such file"},
		{"a folder", dir, "is a directory"},
		{"not a database", garbage, "not a database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.path)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name %s and say %q", err, tt.path, tt.want)
			}
		})
	}
	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestTimeEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		ms   int64
	}{
		{"zero", time.Time{}, 0},
		{"one ms after the epoch", time.UnixMilli(1), 1},
		{"before the epoch", time.UnixMilli(-1500), -1500},
		{"sub-millisecond is truncated", base.Add(999 * time.Microsecond), base.UnixMilli()},
		{"another zone", base.In(time.FixedZone("X", 3600)), base.UnixMilli()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := millis(tt.in)
			if ms != tt.ms {
				t.Fatalf("millis = %d, want %d", ms, tt.ms)
			}
			back := fromMillis(ms)
			if !back.Equal(tt.in.Truncate(time.Millisecond)) || back.IsZero() != tt.in.IsZero() {
				t.Errorf("fromMillis = %v, want %v", back, tt.in)
			}
		})
	}
	if d := fromMicros(micros(1234567 * time.Nanosecond)); d != 1234*time.Microsecond {
		t.Errorf("duration round trip = %v", d)
	}
}

func TestCloseThenUseFails(t *testing.T) {
	t.Parallel()
	db, err := Open(filepath.Join(t.TempDir(), "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.Accounts(ctx); err == nil {
		t.Error("Accounts after Close succeeded")
	}
	if err := db.Write(ctx, []Record{RequestRow{ID: "r"}}); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func testAccount(id, name string, priority int, created time.Time) account.Account {
	return account.Account{ID: id, Name: name, Kind: account.KindOAuth, Mode: "claude", Priority: priority,
		CreatedAt: created}
}
