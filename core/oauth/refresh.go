package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/claudeflare/claudeflare/core/clock"
	"log/slog"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/proxy"
)

// Refresh timing (docs/DESIGN.md, "Logging in and tokens").
const (
	// RefreshAhead: a token expiring within this is refreshed before use.
	RefreshAhead = 5 * time.Minute
	// RefreshBackoff: after a failed refresh (other than invalid_grant) the
	// account's token is not refreshed again for this long.
	RefreshBackoff = 60 * time.Second
	// refreshTimeout bounds one call to the token endpoint.
	refreshTimeout = 30 * time.Second
)

// ErrBackingOff: a recent refresh of this account failed; no new attempt
// is made until the back-off ends. The proxy fails over.
var ErrBackingOff = errors.New("token refresh is backing off after a failure")

// TokenSource keeps OAuth access tokens fresh for the proxy (it implements
// proxy.TokenSource). Refreshes are single-flight per account: requests
// that need one while it runs wait for it and share its outcome. A refresh
// runs to its end even if the request that started it goes away, so a
// rotated refresh token is never lost half-way. The new refresh token is
// saved to the credential store before the new access token is used.
type TokenSource struct {
	Pool   *pool.Pool
	Creds  creds.Store
	Client *TokenClient
	Now    clock.Clock // the wall clock if nil
	Log    *slog.Logger

	mu    sync.Mutex
	state map[string]*tokenState
}

var _ proxy.TokenSource = (*TokenSource)(nil)

// tokenState is what the source knows of one account. Refresh tokens are
// kept only as fingerprints.
type tokenState struct {
	latest  creds.Secret      // the newest secret this source made
	retired map[[32]byte]bool // refresh tokens this source has spent
	flight  *flight           // the refresh running now, if any
	failed  [32]byte          // the refresh token whose refresh failed…
	until   time.Time         // …and the end of its back-off
	refused map[[32]byte]bool // refresh tokens refused with invalid_grant
}

// flight is one refresh; done is closed once secret and err are set.
type flight struct {
	done   chan struct{}
	secret creds.Secret
	err    error
}

func fingerprint(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func (t *TokenSource) now() time.Time {
	return t.Now.Now()
}

func (t *TokenSource) log() *slog.Logger {
	if t.Log != nil {
		return t.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Fresh returns c's access token, refreshed first when it expires within
// RefreshAhead. A token with no known expiry is used as it is.
func (t *TokenSource) Fresh(ctx context.Context, c pool.Candidate) (creds.Secret, error) {
	s := t.current(c)
	if s.ExpiresAt.IsZero() || t.now().Add(RefreshAhead).Before(s.ExpiresAt) {
		return s, nil
	}
	return t.refresh(ctx, c, s)
}

// Refresh replaces rejected, an access token upstream refused. If another
// request has replaced it already, that newer token is returned.
func (t *TokenSource) Refresh(ctx context.Context, c pool.Candidate, rejected creds.Secret) (creds.Secret, error) {
	s := t.current(c)
	if s.AccessToken != rejected.AccessToken {
		return s, nil
	}
	return t.refresh(ctx, c, s)
}

// current is c's secret, or the newer one this source made from it: the
// candidate may be a copy taken before a refresh finished.
func (t *TokenSource) current(c pool.Candidate) creds.Secret {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state[c.ID]
	if st != nil && st.latest.AccessToken != "" && st.retired[fingerprint(c.Secret.RefreshToken)] {
		return st.latest
	}
	return c.Secret
}

func (t *TokenSource) stateLocked(id string) *tokenState {
	if t.state == nil {
		t.state = make(map[string]*tokenState)
	}
	st := t.state[id]
	if st == nil {
		st = &tokenState{retired: map[[32]byte]bool{}, refused: map[[32]byte]bool{}}
		t.state[id] = st
	}
	return st
}

// refresh joins the running refresh of c's account or starts one from s.
func (t *TokenSource) refresh(ctx context.Context, c pool.Candidate, s creds.Secret) (creds.Secret, error) {
	if s.RefreshToken == "" {
		return creds.Secret{}, fmt.Errorf("%w: account %q has no refresh token", proxy.ErrNeedsLogin, c.Name)
	}
	fp := fingerprint(s.RefreshToken)
	t.mu.Lock()
	st := t.stateLocked(c.ID)
	f := st.flight
	if f == nil {
		switch {
		case st.refused[fp]:
			t.mu.Unlock()
			return creds.Secret{}, fmt.Errorf("%w: the refresh token of %q was refused", proxy.ErrNeedsLogin, c.Name)
		case st.failed == fp && t.now().Before(st.until):
			until := st.until
			t.mu.Unlock()
			return creds.Secret{}, fmt.Errorf("%w: account %q, until %s", ErrBackingOff, c.Name, until.UTC().Format(time.RFC3339))
		}
		f = &flight{done: make(chan struct{})}
		st.flight = f
		go t.run(c, s, st, f)
	}
	t.mu.Unlock()
	select {
	case <-f.done:
		return f.secret, f.err
	case <-ctx.Done():
		return creds.Secret{}, ctx.Err()
	}
}

// run does one refresh and settles its flight.
func (t *TokenSource) run(c pool.Candidate, old creds.Secret, st *tokenState, f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	log := t.log().With("account", c.Name)
	oldFP := fingerprint(old.RefreshToken)

	tokens, err := t.Client.Refresh(ctx, old.RefreshToken)
	now := t.now()
	var fresh creds.Secret
	switch {
	case InvalidGrant(err):
		log.Warn("oauth: refresh refused; the account needs a new login", "err", err)
		err = fmt.Errorf("%w: refreshing the token of %q: %w", proxy.ErrNeedsLogin, c.Name, err)
	case err != nil:
		log.Warn("oauth: refresh failed; backing off", "err", err, "backoff", RefreshBackoff)
		err = fmt.Errorf("refreshing the token of %q: %w", c.Name, err)
	default:
		fresh = tokens.Secret(now)
		if fresh.RefreshToken == "" {
			fresh.RefreshToken = old.RefreshToken // not rotated: keep using the old one
		}
		// The account may have been removed, or logged in again, while the
		// token endpoint answered: saving then would write a deleted secret
		// back, or overwrite the new login with tokens of the old one. The
		// check and the save hold the store's cross-process lock, so that a
		// removal or a login in another process cannot land between them.
		lerr := creds.Locked(ctx, t.Creds, func(ctx context.Context) error {
			if stored, gerr := t.Creds.Get(ctx, c.ID); errors.Is(gerr, creds.ErrNotFound) {
				log.Info("oauth: account removed during the refresh; dropping the new token")
				err = fmt.Errorf("%w: account %q was removed", proxy.ErrNeedsLogin, c.Name)
				fresh = creds.Secret{}
				return nil
			} else if gerr == nil && stored.RefreshToken != old.RefreshToken {
				log.Info("oauth: account logged in again during the refresh; keeping the new login")
				fresh = stored
				t.Pool.SetSecret(c.ID, fresh)
				return nil
			}
			// The new refresh token is saved before the new access token is used:
			// a token that only lived in memory would be lost with the process.
			if serr := t.Creds.Set(ctx, c.ID, fresh); serr != nil {
				return serr
			}
			t.Pool.SetSecret(c.ID, fresh)
			t.Pool.SetTokenExpiry(c.ID, fresh.ExpiresAt)
			log.Info("oauth: token refreshed", "expires_at", fresh.ExpiresAt.UTC().Format(time.RFC3339))
			return nil
		})
		if lerr != nil {
			log.Error("oauth: refreshed token could not be saved; not using it", "err", lerr)
			err = fmt.Errorf("saving the refreshed token of %q: %w", c.Name, lerr)
			fresh = creds.Secret{}
		}
	}

	t.mu.Lock()
	switch {
	case err == nil:
		st.latest = fresh
		if fingerprint(fresh.RefreshToken) != oldFP {
			boundedAdd(st.retired, oldFP)
		}
	case errors.Is(err, proxy.ErrNeedsLogin):
		boundedAdd(st.refused, oldFP)
	default:
		st.failed, st.until = oldFP, now.Add(RefreshBackoff)
	}
	st.flight = nil
	f.secret, f.err = fresh, err
	close(f.done)
	t.mu.Unlock()
}

// boundedAdd adds fp to set, forgetting the older entries of a set grown
// large: only recent tokens can still be in flight.
func boundedAdd(set map[[32]byte]bool, fp [32]byte) {
	if len(set) >= 64 {
		clear(set)
	}
	set[fp] = true
}
