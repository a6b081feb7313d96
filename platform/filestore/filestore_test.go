package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

var secret = creds.Secret{
	AccessToken:  "sk-ant-oat01-file-access",
	RefreshToken: "sk-ant-ort01-file-refresh",
	ExpiresAt:    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
}

func newStore(t *testing.T) *FileStore {
	t.Helper()
	return New(filepath.Join(t.TempDir(), "home", "credentials.json"))
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	if _, err := s.Get(ctx, "a"); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("Get on a missing file: err = %v, want creds.ErrNotFound", err)
	}
	if err := s.Set(ctx, "a", secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	other := creds.Secret{APIKey: "sk-ant-api03-b"}
	if err := s.Set(ctx, "b", other); err != nil {
		t.Fatalf("Set b: %v", err)
	}
	got, err := s.Get(ctx, "a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.AccessToken != secret.AccessToken || got.RefreshToken != secret.RefreshToken || !got.ExpiresAt.Equal(secret.ExpiresAt) {
		t.Errorf("Get returned a different secret (access token %q)", got.AccessToken)
	}
	// A second store over the same file (another process) sees the same data.
	if got, err := New(s.Path()).Get(ctx, "b"); err != nil || got.APIKey != other.APIKey {
		t.Errorf("Get b from a fresh store = %q, %v", got.APIKey, err)
	}

	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, creds.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want creds.ErrNotFound", err)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, creds.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want creds.ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "b"); err != nil {
		t.Errorf("Get b after deleting a: %v", err)
	}
}

func TestMode0600(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("unix modes")
	}
	s := newStore(t)
	// A pre-existing file with a loose mode is replaced by a 0600 one.
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "a", secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	info, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", info.Mode().Perm())
	}
	// No temporary files are left behind; the lock file is private too.
	entries, err := os.ReadDir(filepath.Dir(s.Path()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "credentials.json credentials.json.lock" {
		t.Errorf("folder holds %q, want only credentials.json and its lock", names)
	}
	if info, err := os.Stat(s.LockPath()); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v; want mode 0600", info, err)
	}
}

func TestConcurrentSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.Set(ctx, fmt.Sprintf("acct-%d", i), creds.Secret{APIKey: fmt.Sprintf("key-%d", i)}); err != nil {
				t.Errorf("Set %d: %v", i, err)
			}
		})
		wg.Go(func() { _, _ = s.Get(ctx, "acct-0") })
	}
	wg.Wait()
	for i := range n {
		got, err := s.Get(ctx, fmt.Sprintf("acct-%d", i))
		if err != nil || got.APIKey != fmt.Sprintf("key-%d", i) {
			t.Errorf("acct-%d = %q, %v: an update was lost", i, got.APIKey, err)
		}
	}
}

// Writes go through the file, not a cached copy: what another process wrote
// in between is kept.
func TestSetKeepsOtherWritersEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	other := New(s.Path())
	if err := s.Set(ctx, "a", secret); err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, "b", secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "c", secret); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Get(ctx, id); err != nil {
			t.Errorf("Get %s: %v", id, err)
		}
	}
}

func TestCorruptFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		contents string
		want     string
	}{
		{"not json", `{"a": {"api_key": "sk-ant-api03-leak"`, "syntax error"},
		{"wrong shape", `["sk-ant-api03-leak"]`, "expected an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newStore(t)
			if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Path(), []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: want an error", op)
				}
				msg := err.Error()
				for _, want := range []string{s.Path(), "not valid", tt.want, "fix or remove it"} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: err = %q, want it to contain %q", op, msg, want)
					}
				}
				if strings.Contains(msg, "sk-ant-api03-leak") {
					t.Errorf("%s: error quotes the file's secrets: %q", op, msg)
				}
				if errors.Is(err, creds.ErrNotFound) {
					t.Errorf("%s: a corrupt file must not look like a missing entry", op)
				}
			}
			_, err := s.Get(ctx, "a")
			check("Get", err)
			check("Set", s.Set(ctx, "b", secret))
			check("Delete", s.Delete(ctx, "a"))

			data, err := os.ReadFile(s.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, []byte(tt.contents)) {
				t.Errorf("corrupt file was overwritten: now %q", data)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newStore(t)
	if err := s.Set(ctx, "a", secret); !errors.Is(err, context.Canceled) {
		t.Errorf("Set: err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(s.Path()); err == nil {
		t.Error("Set with a cancelled context wrote the file")
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	s := New("/x/credentials.json")
	want := "file /x/credentials.json (secrets stored in plain text; opt-in)"
	if got := s.Describe(); got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
