package accounts_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// flaky wraps a real credential store and fails on demand, as a locked keychain does.
type flaky struct {
	creds.Store
	failGet, failSet, failDelete bool
}

func (f *flaky) Get(ctx context.Context, id string) (creds.Secret, error) {
	if f.failGet {
		return creds.Secret{}, creds.UnavailableError(errors.New("keychain locked"))
	}
	return f.Store.Get(ctx, id)
}

func (f *flaky) Set(ctx context.Context, id string, s creds.Secret) error {
	if f.failSet {
		return creds.UnavailableError(errors.New("keychain locked"))
	}
	return f.Store.Set(ctx, id, s)
}

func (f *flaky) Delete(ctx context.Context, id string) error {
	if f.failDelete {
		return creds.UnavailableError(errors.New("keychain locked"))
	}
	return f.Store.Delete(ctx, id)
}

func setup(t *testing.T) (*accounts.Service, *flaky, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &flaky{Store: filestore.New(filepath.Join(dir, "credentials.json"))}
	return &accounts.Service{DB: db, Creds: f}, f, filepath.Join(dir, "credentials.json")
}

func TestAddAPIKeyStoresSecretOutsideTheDatabase(t *testing.T) {
	t.Parallel()
	svc, f, _ := setup(t)
	ctx := context.Background()
	a, err := svc.AddAPIKey(ctx, "work", "sk-ant-api03-verysecret", 5)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Get(ctx, a.ID)
	if err != nil || s.APIKey != "sk-ant-api03-verysecret" {
		t.Fatalf("secret %v, %v", s.APIKey != "", err)
	}
	raw, _ := os.ReadFile(svc.DB.Path())
	if strings.Contains(string(raw), "verysecret") {
		t.Fatal("the API key reached the database file")
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	svc, _, credPath := setup(t)
	ctx := context.Background()
	if _, err := svc.AddAPIKey(ctx, "taken", "k1", 0); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(credPath)
	tests := []struct {
		name, account, key string
		prio               int
		want               error
	}{
		{"empty name", "", "k", 0, accounts.ErrInvalid},
		{"bad characters", "a/b", "k", 0, accounts.ErrInvalid},
		{"long name", strings.Repeat("n", 65), "k", 0, accounts.ErrInvalid},
		{"priority too high", "p", "k", 101, accounts.ErrInvalid},
		{"negative priority", "p", "k", -1, accounts.ErrInvalid},
		{"empty key", "p", "", 0, accounts.ErrInvalid},
		{"key with spaces", "p", "sk ant", 0, accounts.ErrInvalid},
		{"name taken", "taken", "k2", 0, store.ErrNameTaken},
	}
	for _, tt := range tests {
		_, err := svc.AddAPIKey(ctx, tt.account, tt.key, tt.prio)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.key) && tt.key != "" && len(tt.key) > 2 {
			t.Errorf("%s: the error repeats the key: %v", tt.name, err)
		}
	}
	list, _ := svc.DB.Accounts(ctx)
	after, _ := os.ReadFile(credPath)
	if len(list) != 1 || string(before) != string(after) {
		t.Fatalf("refused adds changed state: %d accounts", len(list))
	}
}

func TestLockedKeychainLeavesNoHalfMadeAccount(t *testing.T) {
	t.Parallel()
	svc, f, _ := setup(t)
	ctx := context.Background()
	f.failSet = true
	_, err := svc.AddAPIKey(ctx, "work", "sk-ant-api03-x", 0)
	if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "credential_store file") {
		t.Fatalf("err = %v; want unavailable naming both remedies", err)
	}
	if list, _ := svc.DB.Accounts(ctx); len(list) != 0 {
		t.Fatal("an account row was left without its secret")
	}
	f.failSet = false
	if _, err := svc.AddAPIKey(ctx, "work", "sk-ant-api03-x", 0); err != nil {
		t.Fatal(err)
	}
	// A locked keychain refuses every call: the removal is refused before
	// anything is deleted, so no secret is left where nothing can list it.
	f.failGet, f.failDelete = true, true
	if err := svc.Remove(ctx, "work"); !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "nothing was removed") {
		t.Fatalf("Remove with a locked keychain: %v", err)
	}
	if _, err := svc.Get(ctx, "work"); err != nil {
		t.Fatal("the account was removed although its secret could not be")
	}
	f.failGet, f.failDelete = false, false
	if err := svc.Remove(ctx, "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, "work"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `"work"`) {
		t.Fatalf("Get after remove: %v", err)
	}
}

// The row goes before the secret (docs/DESIGN.md, "Files that several processes share"): a store that fails between the
// two leaves an orphaned secret (harmless, cleaned at the next start), never
// an account without its secret; the error says what is left where.
func TestRemoveDeletesTheRowFirst(t *testing.T) {
	t.Parallel()
	svc, f, _ := setup(t)
	ctx := context.Background()
	a, err := svc.AddAPIKey(ctx, "work", "sk-ant-api03-x", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.failDelete = true
	err = svc.Remove(ctx, "work")
	if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), `account "work" was removed, but its credential (id `+a.ID+") is left") ||
		strings.Contains(err.Error(), "sk-ant-api03-x") {
		t.Fatalf("Remove with the secret's deletion failing: %v", err)
	}
	if _, err := svc.Get(ctx, "work"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the row outlived a removal whose secret deletion failed: %v", err)
	}
	if _, err := f.Get(ctx, a.ID); err != nil {
		t.Errorf("the orphaned secret: %v (expected still there, for the clean-up)", err)
	}

	// The database refusing the deletion leaves both, as they were.
	b, err := svc.AddAPIKey(ctx, "home", "sk-ant-api03-y", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.failDelete = false
	raw, err := sql.Open("sqlite", svc.DB.Path()) // the driver store registers
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `CREATE TRIGGER refuse BEFORE DELETE ON accounts BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	if err := svc.Remove(ctx, "home"); err == nil {
		t.Fatal("Remove succeeded although the database refused")
	}
	if _, err := f.Get(ctx, b.ID); err != nil {
		t.Errorf("the secret was deleted although its row stays: %v", err)
	}
}

func TestUpdatePauseReplace(t *testing.T) {
	t.Parallel()
	svc, f, _ := setup(t)
	ctx := context.Background()
	a, _ := svc.AddAPIKey(ctx, "a", "k1", 0)
	svc.AddAPIKey(ctx, "b", "k2", 0)
	name, prio := "c", 7
	u, err := svc.Update(ctx, "a", &name, &prio)
	if err != nil || u.Name != "c" || u.Priority != 7 {
		t.Fatalf("%+v %v", u, err)
	}
	taken := "b"
	if _, err := svc.Update(ctx, "c", &taken, nil); !errors.Is(err, store.ErrNameTaken) {
		t.Fatalf("rename onto b: %v", err)
	}
	if _, err := svc.Update(ctx, "nobody", nil, &prio); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if p, err := svc.SetPaused(ctx, "c", true); err != nil || !p.Paused {
		t.Fatalf("pause: %+v %v", p, err)
	}
	r, err := svc.Replace(ctx, "c", creds.Secret{APIKey: "k3"})
	if err != nil || r.CredVersion != a.CredVersion+1 || r.NeedsLogin {
		t.Fatalf("replace: %+v %v", r, err)
	}
	if s, _ := f.Get(ctx, a.ID); s.APIKey != "k3" {
		t.Fatal("replace did not store the new secret")
	}
}
