package keychain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/claudeflare/claudeflare/core/creds"
)

// probeValue is what Probe stores; it is no secret.
const probeValue = `{"probe":true}`

// Probe checks that the keychain works by storing, reading back and deleting
// a throwaway item (user "probe-<random>"). Call it before a login so that a
// missing or locked keychain is reported before the user goes through the
// browser. Its error wraps creds.ErrUnavailable and names the remedies.
func (k *Keychain) Probe(ctx context.Context) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	user := "probe-" + hex.EncodeToString(b[:])

	if err := k.call(ctx, func(be Backend) error { return be.Set(Service, user, probeValue) }); err != nil {
		return fmt.Errorf("checking the keychain: storing a test item: %w", unavailableUnlessCtx(err))
	}
	var got string
	err := k.call(ctx, func(be Backend) (err error) {
		got, err = be.Get(Service, user)
		return err
	})
	if err == nil && got != probeValue {
		err = errors.New("it returned a different value than was stored")
	}
	// Delete even when the read failed, so no probe item is left behind.
	delErr := k.call(ctx, func(be Backend) error { return be.Delete(Service, user) })
	if err != nil {
		return fmt.Errorf("checking the keychain: reading a test item back: %w", unavailableUnlessCtx(err))
	}
	if delErr != nil {
		return fmt.Errorf("checking the keychain: deleting a test item: %w", unavailableUnlessCtx(delErr))
	}
	return nil
}

// unavailableUnlessCtx maps any failure of a probe step to
// creds.ErrUnavailable (a missing item too: Probe has just stored it), except
// the caller's own cancellation, which is returned as it is.
func unavailableUnlessCtx(err error) error {
	if errors.Is(err, creds.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return creds.UnavailableError(err)
}
