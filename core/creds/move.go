package creds

import (
	"context"
	"errors"
	"fmt"
)

// Move carries the secrets of ids from one store to another, as when the
// user switches credential_store: every secret is copied first, and only
// once all are in to are they deleted from from, so a failure half-way
// leaves every secret readable where it was. An id with no secret in from
// is skipped (already moved, or never stored). Errors name the id and the
// stores, never a secret.
func Move(ctx context.Context, from, to Store, ids []string) (moved int, err error) {
	var copied []string
	for _, id := range ids {
		s, err := from.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("moving credentials from %s to %s: reading %q: %w", from.Describe(), to.Describe(), id, err)
		}
		if err := to.Set(ctx, id, s); err != nil {
			return 0, fmt.Errorf("moving credentials from %s to %s: writing %q: %w (nothing was deleted from %s)", from.Describe(), to.Describe(), id, err, from.Describe())
		}
		copied = append(copied, id)
	}
	var errs []error
	for _, id := range copied {
		if err := from.Delete(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("%q: %w", id, err))
		}
	}
	if len(errs) > 0 {
		return len(copied), fmt.Errorf("moved credentials to %s, but copies are left in %s: %w", to.Describe(), from.Describe(), errors.Join(errs...))
	}
	return len(copied), nil
}
