package keychain

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

var testSecret = creds.Secret{
	AccessToken:  "sk-ant-oat01-test-access",
	RefreshToken: "sk-ant-ort01-test-refresh",
	ExpiresAt:    time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
}

// These tests use the zero Keychain, i.e. go-keyring's package functions,
// which TestMain has switched to keyring.MockInit's store. That store is not
// safe for concurrent use, so they do not run in parallel.

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := New()
	if err := k.Set(ctx, "acct-1", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := k.Get(ctx, "acct-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !sameSecret(got, testSecret) {
		t.Errorf("Get returned a different secret (access token %q, want %q)", got.AccessToken, testSecret.AccessToken)
	}
	over := creds.Secret{APIKey: "sk-ant-api03-other"}
	if err := k.Set(ctx, "acct-1", over); err != nil {
		t.Fatalf("Set (overwrite): %v", err)
	}
	if got, _ := k.Get(ctx, "acct-1"); !sameSecret(got, over) {
		t.Errorf("after overwrite Get = %q, want %q", got.APIKey, over.APIKey)
	}
	if err := k.Delete(ctx, "acct-1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Get(ctx, "acct-1"); !errors.Is(err, creds.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want creds.ErrNotFound", err)
	}
	if err := k.Delete(ctx, "acct-1"); !errors.Is(err, creds.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want creds.ErrNotFound", err)
	}
}

func TestProbe(t *testing.T) {
	if err := New().Probe(context.Background()); err != nil {
		t.Fatalf("Probe: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	if d := New().Describe(); !strings.HasPrefix(d, "OS keychain") {
		t.Errorf("Describe = %q", d)
	}
}

func TestBackendErrorsMapToUnavailable(t *testing.T) {
	t.Parallel()
	dbusErr := errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	tests := []struct {
		name string
		run  func(k *Keychain) error
	}{
		{"get", func(k *Keychain) error { _, err := k.Get(context.Background(), "a"); return err }},
		{"set", func(k *Keychain) error { return k.Set(context.Background(), "a", testSecret) }},
		{"delete", func(k *Keychain) error { return k.Delete(context.Background(), "a") }},
		{"probe", func(k *Keychain) error { return k.Probe(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := &Keychain{Backend: &fakeBackend{err: dbusErr}}
			err := tt.run(k)
			if !errors.Is(err, creds.ErrUnavailable) {
				t.Fatalf("err = %v, want creds.ErrUnavailable", err)
			}
			for _, want := range []string{"org.freedesktop.secrets", "credential_store file"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to mention %q", err, want)
				}
			}
		})
	}
}

func TestErrorNeverCarriesTheSecret(t *testing.T) {
	t.Parallel()
	// A backend whose error echoes the value it was given.
	k := &Keychain{Backend: echoBackend{}}
	err := k.Set(context.Background(), "a", testSecret)
	if err == nil {
		t.Fatal("Set: want an error")
	}
	for _, s := range []string{testSecret.AccessToken, testSecret.RefreshToken} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error reveals the secret: %v", err)
		}
	}
	if !errors.Is(err, creds.ErrUnavailable) {
		t.Errorf("err = %v, want creds.ErrUnavailable", err)
	}
}

// echoBackend fails every Set with an error that quotes the value.
type echoBackend struct{}

func (echoBackend) Get(string, string) (string, error) { return "", errors.New("unused") }
func (echoBackend) Delete(string, string) error        { return errors.New("unused") }
func (echoBackend) Set(service, user, password string) error {
	return errors.New("cannot store " + password)
}

func TestCorruptItem(t *testing.T) {
	t.Parallel()
	fb := &fakeBackend{items: map[string]string{Service + "/a": "not json sk-ant-secret"}}
	_, err := (&Keychain{Backend: fb}).Get(context.Background(), "a")
	if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("err = %v, want 'not valid JSON'", err)
	}
	if strings.Contains(err.Error(), "sk-ant-secret") {
		t.Fatalf("error reveals the stored value: %v", err)
	}
}

func TestProbeDetectsWrongReadBack(t *testing.T) {
	t.Parallel()
	err := (&Keychain{Backend: liarBackend{}}).Probe(context.Background())
	if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "different value") {
		t.Fatalf("err = %v, want unavailable with 'different value'", err)
	}
}

// liarBackend accepts every call but reads back something else.
type liarBackend struct{}

func (liarBackend) Set(string, string, string) error   { return nil }
func (liarBackend) Get(string, string) (string, error) { return "something else", nil }
func (liarBackend) Delete(string, string) error        { return nil }

func sameSecret(a, b creds.Secret) bool {
	return a.APIKey == b.APIKey && a.AccessToken == b.AccessToken &&
		a.RefreshToken == b.RefreshToken && a.ExpiresAt.Equal(b.ExpiresAt)
}
