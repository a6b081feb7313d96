package core_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/platform/filestore"
	"github.com/claudeflare/claudeflare/platform/lock"
)

// openCore makes a core over home as the program does (file store, the real
// cross-process lock) and closes it at the test's end; log gets its lines.
func openCore(t *testing.T, home string, log *bytes.Buffer) *core.Core {
	t.Helper()
	c, err := core.New(context.Background(), core.Options{
		Home: home, Lookup: env{}.lookup, Version: "test", LockFile: lock.Exclusive,
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		Log:       slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	return c
}

// At start, secrets whose account is gone (what a removal killed between its
// two steps leaves) are removed; the secrets of existing accounts, the
// client key and entries that are not account secrets stay.
func TestStartRemovesOrphanedSecrets(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	fs := filestore.New(filepath.Join(home, "credentials.json"))
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &accounts.Service{DB: db, Creds: fs}
	ctx := context.Background()
	kept, err := svc.AddAPIKey(ctx, "kept", "sk-ant-api03-kept", 0)
	if err != nil {
		t.Fatal(err)
	}
	orphan := accounts.NewID()
	for id, s := range map[string]creds.Secret{
		orphan:           {APIKey: "sk-ant-api03-orphan"},
		core.ClientKeyID: {APIKey: "cfk-client"},
		"not-an-account": {APIKey: "sk-ant-api03-other"},
	} {
		if err := fs.Set(ctx, id, s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var log bytes.Buffer
	openCore(t, home, &log)
	ids, err := fs.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := []string{kept.ID, core.ClientKeyID, "not-an-account"}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("secrets after the start = %v, want %v (the orphan %s gone, nothing else)", ids, want, orphan)
	}
	if !strings.Contains(log.String(), "removed secrets of accounts that no longer exist") || strings.Contains(log.String(), "sk-ant") {
		t.Errorf("log: %s", log.String())
	}
}

// At start, temporary files left by a write killed before its rename are
// removed: at once for files written under a lock (taken, so no write in
// flight is disturbed), after ten minutes for the others. Anything else is
// left alone.
func TestStartRemovesLeftoverTempFiles(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	put := func(name string, age time.Duration) {
		path := filepath.Join(home, name)
		if err := os.WriteFile(path, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	put("config.json.lock", 0)
	put("credentials.json.lock", 0)
	tests := []struct {
		name string
		age  time.Duration
		gone bool
	}{
		{".config.json.tmp-1234567", 0, true},       // its lock exists
		{".credentials.json.tmp-7654321", 0, true},  // its lock exists
		{".api-token.tmp-111", time.Hour, true},     // no lock, old
		{".api-token.tmp-222", time.Second, false},  // no lock, maybe a write in flight
		{"notes.tmp", time.Hour, false},             // not a temporary file of ours
		{".config.json.tmp-not-digits", 0, false},   // not os.CreateTemp's pattern
		{"config.json.tmp-1", time.Hour, false},     // no leading dot: not ours
		{".claudeflare.db.tmp-99", time.Hour, true}, // any target, once old
	}
	for _, tt := range tests {
		put(tt.name, tt.age)
	}
	var log bytes.Buffer
	openCore(t, home, &log)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(home, tt.name))
		if gone := os.IsNotExist(err); gone != tt.gone {
			t.Errorf("%s: removed %v, want %v", tt.name, gone, tt.gone)
		}
	}
	if !strings.Contains(log.String(), "count=4") {
		t.Errorf("log does not count 4 removed files: %s", log.String())
	}
}

// Names that differ only in case, from an older database, are kept and
// said at start.
func TestStartWarnsAboutCaseTwins(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	// store.InsertAccount refuses the second one, as it must; an older
	// Claudeflare did not, which an account renamed under the table stands for.
	svc := &accounts.Service{DB: db, Creds: filestore.New(filepath.Join(home, "credentials.json"))}
	if _, err := svc.AddAPIKey(context.Background(), "Bob", "sk-ant-api03-1", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAPIKey(context.Background(), "bobby", "sk-ant-api03-2", 0); err != nil {
		t.Fatal(err)
	}
	db.Close()
	renameUnderTheTable(t, filepath.Join(home, "claudeflare.db"), "bobby", "bob")

	var log bytes.Buffer
	c := openCore(t, home, &log)
	if n := len(c.Views()); n != 2 {
		t.Errorf("%d accounts after the start, want both twins kept", n)
	}
	if !strings.Contains(log.String(), "accounts whose names differ only in case") || !strings.Contains(log.String(), `names="Bob, bob"`) {
		t.Errorf("log: %s", log.String())
	}
}

// renameUnderTheTable renames an account straight in the database, as an
// older Claudeflare could (the driver is the one package store registers).
func renameUnderTheTable(t *testing.T, dbPath, from, to string) {
	t.Helper()
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE accounts SET name = ? WHERE name = ?`, to, from); err != nil {
		t.Fatal(err)
	}
}

// An account being created (its secret stored, its row not yet inserted,
// under the store's lock, as Service.Create does in another process) is not
// taken for an orphan by a start meanwhile: the clean-up waits for the lock.
func TestStartCleanUpWaitsForACreationInFlight(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	fs := filestore.New(filepath.Join(home, "credentials.json"))
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	id := accounts.NewID()
	locked, release, err := fs.LockStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Set(locked, id, creds.Secret{APIKey: "sk-ant-api03-inflight"}); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() {
		c, err := core.New(ctx, core.Options{
			Home: home, Lookup: env{}.lookup, Version: "test", LockFile: lock.Exclusive,
			OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		})
		if err == nil {
			err = c.Shutdown(ctx)
		}
		started <- err
	}()
	// Give the start every chance to clean up too early, then finish the
	// creation and let it go.
	time.Sleep(200 * time.Millisecond)
	if err := db.InsertAccount(locked, account.Account{ID: id, Name: "inflight", Kind: account.KindAPIKey}); err != nil {
		t.Fatal(err)
	}
	release()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Get(ctx, id); err != nil {
		t.Errorf("the secret of an account created during the start was removed: %v", err)
	}
}
