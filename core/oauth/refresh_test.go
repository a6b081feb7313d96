package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func TestRefreshAheadOfExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, 4*time.Minute) // inside the 5-minute margin

	if status, by := e.post(); status != http.StatusOK || by != "work" {
		t.Fatalf("request: %d by %q", status, by)
	}
	if n := e.fake.RefreshCount(); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
	s := e.secret(a.ID)
	if s.RefreshToken == old.RefreshToken || s.AccessToken == old.AccessToken {
		t.Fatal("the refreshed tokens were not saved")
	}
	if e.messagesWith(s.AccessToken) != 1 || e.messagesWith(old.AccessToken) != 0 {
		t.Error("the request did not go out with the new access token")
	}
	if d := s.ExpiresAt.Sub(e.clock.Now()); d < 59*time.Minute {
		t.Errorf("new expiry %v from now", d)
	}

	// Far from expiry now: no more refreshes.
	for range 3 {
		e.post()
	}
	if n := e.fake.RefreshCount(); n != 1 {
		t.Errorf("refreshes = %d after more requests, want 1", n)
	}
}

func TestUnauthorizedRefreshesAndRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	_, old := e.oauthAccount("work", 0, time.Hour)
	e.fake.ExpireAccessToken(old.AccessToken) // upstream disagrees with our expiry

	if status, by := e.post(); status != http.StatusOK || by != "work" {
		t.Fatalf("request: %d by %q", status, by)
	}
	if n := e.fake.RefreshCount(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	if n := e.messagesWith(old.AccessToken); n != 1 {
		t.Errorf("requests with the old token = %d, want 1 (then the retry)", n)
	}
}

func TestConcurrentRequestsShareOneRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	_, old := e.oauthAccount("work", 0, -time.Minute)
	e.fake.ExpireAccessToken(old.AccessToken)
	e.fake.SetTokenDelay(200 * time.Millisecond) // all 50 arrive while the refresh runs

	const n = 50
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Go(func() {
			status, _ := e.post()
			codes <- status
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("a request got %d", c)
		}
	}
	if got := e.fake.RefreshCount(); got != 1 {
		t.Errorf("RefreshCount = %d, want 1", got)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("token endpoint calls = %d, want 1", got)
	}
	if got := e.messagesWith(old.AccessToken); got != 0 {
		t.Errorf("%d requests went out with the expired token", got)
	}
}

func TestRefusedRefreshNeedsLoginAndFailsOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	_, old := e.oauthAccount("work", 0, -time.Minute)
	e.apiKeyAccount("spare", 1)
	e.fake.ExpireAccessToken(old.AccessToken)
	e.fake.RevokeRefreshTokens()

	if status, by := e.post(); status != http.StatusOK || by != "spare" {
		t.Fatalf("request: %d by %q, want 200 by spare", status, by)
	}
	if st := e.status("work"); st != account.StatusNeedsLogin {
		t.Errorf("work is %s, want needs_login", st)
	}
	calls := e.fake.TokenRequests()
	e.post()
	if got := e.fake.TokenRequests(); got != calls {
		t.Errorf("a refused refresh token was tried again (%d → %d calls)", calls, got)
	}
}

func TestRefreshFailureBacksOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, -time.Minute)
	e.apiKeyAccount("spare", 1)
	e.fake.ExpireAccessToken(old.AccessToken)
	e.fake.FailRefresh(http.StatusInternalServerError, 1)

	// The request fails over; one refresh was tried, and the 401 did not try again.
	if status, by := e.post(); status != http.StatusOK || by != "spare" {
		t.Fatalf("request: %d by %q, want 200 by spare", status, by)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Fatalf("token endpoint calls = %d, want 1", got)
	}
	if st := e.status("work"); st == account.StatusNeedsLogin {
		t.Error("a 500 from the token endpoint marked the account needs_login")
	}

	c := pool.Candidate{ID: a.ID, Name: a.Name, Kind: account.KindOAuth, Secret: old}
	e.clock.Add(59 * time.Second)
	if _, err := e.ts.Fresh(context.Background(), c); !errors.Is(err, oauth.ErrBackingOff) {
		t.Errorf("Fresh during the back-off: err = %v, want ErrBackingOff", err)
	}
	if _, err := e.ts.Refresh(context.Background(), c, old); !errors.Is(err, oauth.ErrBackingOff) {
		t.Errorf("Refresh during the back-off: err = %v, want ErrBackingOff", err)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Fatalf("token endpoint called during the back-off (%d calls)", got)
	}

	e.clock.Add(2 * time.Second)
	s, err := e.ts.Fresh(context.Background(), c)
	if err != nil {
		t.Fatalf("Fresh after the back-off: %v", err)
	}
	if s.AccessToken == old.AccessToken || e.secret(a.ID).RefreshToken != s.RefreshToken {
		t.Error("the refresh after the back-off did not give and save new tokens")
	}
}

func TestRefreshNotUsedWhenItCannotBeSaved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, -time.Minute)
	e.creds.setFail(true)

	c := pool.Candidate{ID: a.ID, Name: a.Name, Kind: account.KindOAuth, Secret: old}
	s, err := e.ts.Fresh(context.Background(), c)
	if err == nil || s.AccessToken != "" {
		t.Fatalf("Fresh = %v, %v; want an error and no token", s.AccessToken != "", err)
	}
	if !errors.Is(err, creds.ErrUnavailable) || errors.Is(err, proxy.ErrNeedsLogin) {
		t.Errorf("err = %v", err)
	}
	for _, tok := range []string{old.AccessToken, old.RefreshToken} {
		if strings.Contains(err.Error(), tok) {
			t.Error("the error reveals a token")
		}
	}
	if got := e.pool.Pick(time.Now(), time.Hour); len(got) != 1 || got[0].Secret.AccessToken != old.AccessToken {
		t.Error("the unsaved token reached the pool")
	}
}

func TestStaleCandidateGetsTheNewToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, time.Minute)
	c := pool.Candidate{ID: a.ID, Name: a.Name, Kind: account.KindOAuth, Secret: old}

	first, err := e.ts.Fresh(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// A request that picked the account before the refresh still holds the old copy.
	again, err := e.ts.Fresh(context.Background(), c)
	if err != nil || again.AccessToken != first.AccessToken {
		t.Fatalf("stale candidate: err %v, same token %v", err, again.AccessToken == first.AccessToken)
	}
	// A 401 on a token someone already replaced does not refresh again.
	if s, err := e.ts.Refresh(context.Background(), c, old); err != nil || s.AccessToken != first.AccessToken {
		t.Fatalf("Refresh of a replaced token: err %v", err)
	}
	if n := e.fake.RefreshCount(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
}

func TestRefreshErrorsNameNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, -time.Minute)
	c := pool.Candidate{ID: a.ID, Name: a.Name, Kind: account.KindOAuth, Secret: old}
	e.fake.RevokeRefreshTokens()
	_, err := e.ts.Fresh(context.Background(), c)
	if !errors.Is(err, proxy.ErrNeedsLogin) || !oauth.InvalidGrant(err) {
		t.Fatalf("err = %v, want needs login from invalid_grant", err)
	}
	if !strings.Contains(err.Error(), fakeanthropic.MsgRefreshInvalid) {
		t.Errorf("err = %v, want the endpoint's description", err)
	}
	if strings.Contains(err.Error(), old.RefreshToken) || strings.Contains(err.Error(), old.AccessToken) {
		t.Error("the error reveals a token")
	}
}

func TestNoRefreshTokenNeedsLogin(t *testing.T) {
	t.Parallel()
	ts := &oauth.TokenSource{}
	c := pool.Candidate{ID: "x", Name: "x", Kind: account.KindOAuth, Secret: creds.Secret{AccessToken: "a"}}
	if _, err := ts.Refresh(context.Background(), c, c.Secret); !errors.Is(err, proxy.ErrNeedsLogin) {
		t.Errorf("err = %v", err)
	}
	// A token of unknown expiry is used as it is.
	if s, err := ts.Fresh(context.Background(), c); err != nil || s.AccessToken != "a" {
		t.Errorf("Fresh = %v, %v", s.AccessToken, err)
	}
}

// TestRefreshFailsThenRecovers: the token endpoint fails once (a 500) while
// the only account's token has expired. That request cannot be served, but
// the account is not sent to log in again; after the back-off the refresh
// succeeds and the account serves with the new token.
func TestRefreshFailsThenRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.withProxy()
	a, old := e.oauthAccount("work", 0, -time.Minute)
	e.fake.ExpireAccessToken(old.AccessToken)
	e.fake.FailRefresh(http.StatusInternalServerError, 1)

	if status, _ := e.post(); status != http.StatusUnauthorized {
		t.Fatalf("with the refresh failing: %d, want the upstream's 401 for the expired token", status)
	}
	if st := e.status("work"); st == account.StatusNeedsLogin {
		t.Fatal("a failing token endpoint sent the account to log in again")
	}
	e.post() // during the back-off: no second call to a failing endpoint
	if got := e.fake.TokenRequests(); got != 1 {
		t.Fatalf("token endpoint called %d times during the back-off, want 1", got)
	}

	e.clock.Add(61 * time.Second)
	if status, by := e.post(); status != http.StatusOK || by != "work" {
		t.Fatalf("after the back-off: %d by %q, want 200 by work", status, by)
	}
	fresh := e.secret(a.ID)
	if fresh.AccessToken == old.AccessToken || e.messagesWith(fresh.AccessToken) != 1 {
		t.Error("the account did not serve with the refreshed token")
	}
}

// TestRefreshRacingRemovalOrNewLogin: the account is removed, or logged in
// again, while the token endpoint is answering. The refresh must not write
// the removed secret back, nor overwrite the new login with the old grant's
// tokens.
func TestRefreshRacingRemovalOrNewLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []string{"removed", "logged in again"} {
		t.Run(tc, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fakeanthropic.Options{})
			e.withProxy()
			a, old := e.oauthAccount("work", 0, time.Minute) // due for a refresh
			e.fake.SetTokenDelay(300 * time.Millisecond)
			c := pool.Candidate{ID: a.ID, Name: a.Name, Kind: account.KindOAuth, Secret: old}
			type result struct {
				s   creds.Secret
				err error
			}
			done := make(chan result, 1)
			go func() {
				s, err := e.ts.Fresh(context.Background(), c)
				done <- result{s, err}
			}()
			for deadline := time.Now().Add(5 * time.Second); e.fake.TokenRequests() == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the refresh never reached the token endpoint")
				}
			}
			var relogin creds.Secret
			if tc == "removed" {
				if err := e.accounts.Remove(context.Background(), "work"); err != nil {
					t.Fatal(err)
				}
			} else {
				access, refresh := e.fake.IssueTokens()
				relogin = creds.Secret{AccessToken: access, RefreshToken: refresh, ExpiresAt: time.Now().Add(time.Hour)}
				if err := e.creds.Set(context.Background(), a.ID, relogin); err != nil {
					t.Fatal(err)
				}
			}
			r := <-done
			stored, err := e.creds.Get(context.Background(), a.ID)
			switch tc {
			case "removed":
				if !errors.Is(err, creds.ErrNotFound) {
					t.Errorf("the removed account's secret is back in the store (err %v)", err)
				}
				if r.err == nil {
					t.Error("Fresh for a removed account succeeded")
				}
			default:
				if err != nil || stored.RefreshToken != relogin.RefreshToken {
					t.Errorf("the new login's tokens were overwritten by the refresh (err %v)", err)
				}
				if r.err != nil || r.s.AccessToken != relogin.AccessToken {
					t.Errorf("Fresh = %v; want the new login's token", r.err)
				}
			}
		})
	}
}
