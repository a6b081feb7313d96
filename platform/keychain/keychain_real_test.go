package keychain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

// realEnv, set to 1, runs the tests against the real OS keychain instead of
// go-keyring's mock. .ci/with-keyring.sh sets it inside a throwaway session
// bus with a fresh, unlocked gnome-keyring.
const realEnv = "CLAUDEFLARE_TEST_REAL_KEYCHAIN"

func requireRealKeychain(t *testing.T) {
	t.Helper()
	if os.Getenv(realEnv) != "1" {
		t.Skip("no Secret Service: run under .ci/with-keyring.sh (e.g. `bash .ci/with-keyring.sh go test -run Real ./platform/keychain/`), which sets " + realEnv + "=1")
	}
}

func TestRealKeychainRoundTrip(t *testing.T) {
	requireRealKeychain(t)
	ctx := context.Background()
	k := &Keychain{Timeout: 15 * time.Second}

	var b [8]byte
	_, _ = rand.Read(b[:])
	id := "test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { _ = k.Delete(context.Background(), id) })

	if _, err := k.Get(ctx, id); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("Get before Set: err = %v, want creds.ErrNotFound", err)
	}
	if err := k.Set(ctx, id, testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := k.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !sameSecret(got, testSecret) {
		t.Fatalf("Get returned a different secret (access token %q, want %q)", got.AccessToken, testSecret.AccessToken)
	}

	over := creds.Secret{APIKey: "sk-ant-api03-overwritten"}
	if err := k.Set(ctx, id, over); err != nil {
		t.Fatalf("Set (overwrite): %v", err)
	}
	if got, err := k.Get(ctx, id); err != nil || !sameSecret(got, over) {
		t.Fatalf("Get after overwrite = %q, %v; want %q", got.APIKey, err, over.APIKey)
	}

	if err := k.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Get(ctx, id); !errors.Is(err, creds.ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want creds.ErrNotFound", err)
	}
}

func TestRealKeychainProbe(t *testing.T) {
	requireRealKeychain(t)
	if err := (&Keychain{Timeout: 15 * time.Second}).Probe(context.Background()); err != nil {
		t.Fatalf("Probe: %v", err)
	}
}

// TestRealKeychainHangs: the real Secret Service stops answering (its
// daemon is stopped with SIGSTOP, as a keychain waiting on an unlock prompt
// nobody sees). Calls return a clear error after the timeout instead of
// hanging, later calls do not pile up behind the hung one, and once the
// daemon answers again the keychain works.
func TestRealKeychainHangs(t *testing.T) {
	requireRealKeychain(t)
	pid, err := strconv.Atoi(os.Getenv("CLAUDEFLARE_TEST_KEYRING_PID"))
	if err != nil {
		t.Skip("CLAUDEFLARE_TEST_KEYRING_PID (set by .ci/with-keyring.sh) names no daemon to stop")
	}
	ctx := context.Background()
	k := &Keychain{Timeout: time.Second}
	if err := k.Probe(ctx); err != nil {
		t.Fatalf("Probe before the hang: %v", err)
	}
	if err := pauseProcess(pid); err != nil {
		t.Fatalf("stopping the keyring daemon: %v", err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := resumeProcess(pid); err != nil {
				t.Fatalf("resuming the keyring daemon: %v", err)
			}
		}
	}
	defer resume()

	for i, call := range []func() error{
		func() error { _, err := k.Get(ctx, "hung-id"); return err },
		func() error { return k.Set(ctx, "hung-id", testSecret) },
	} {
		err := call()
		if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 1s") {
			t.Errorf("call %d to a hung keychain: %v, want an unavailable error naming the timeout", i, err)
		}
		if err != nil && strings.Contains(err.Error(), testSecret.AccessToken) {
			t.Errorf("call %d: the error carries the secret", i)
		}
	}

	resume()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := k.Probe(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keychain did not come back after the daemon resumed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = k.Delete(ctx, "hung-id")
}
