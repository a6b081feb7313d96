package keychain

import (
	"context"
	"fmt"
	"strings"

	"github.com/claudeflare/claudeflare/core/creds"
)

// call runs f against the backend in a goroutine and waits for it, for the
// timeout or for ctx, whichever comes first. Running out of time returns
// creds.ErrUnavailable ("keychain did not answer within 5s"); a cancelled or
// expired ctx of the caller returns ctx's error. A call that never returns
// keeps holding the slot, so later calls time out instead of piling up
// goroutines at a hung keychain.
func (k *Keychain) call(ctx context.Context, f func(Backend) error) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	k.once.Do(func() { k.slot = make(chan struct{}, 1) })
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	backend := k.Backend
	if backend == nil {
		backend = GoKeyring{}
	}

	errTimeout := creds.UnavailableError(fmt.Errorf("keychain did not answer within %s", timeout))
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimeout)
	defer cancel()

	select {
	case k.slot <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-k.slot }()
		done <- f(backend)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// redact replaces err by a neutral error if its text contains any of the
// secrets, so that an error message never carries a token or key.
func redact(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return fmt.Errorf("keychain error of type %T (message withheld: it contained the secret)", err)
		}
	}
	return err
}
