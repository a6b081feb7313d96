package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

func TestAutomaticLoginClaude(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	var notified []string
	e.svc.OnAccount = func(a account.Account) { notified = append(notified, a.Name) }
	var opened string
	e.svc.Open = func(u string) error { opened = u; return nil }

	l := e.start(oauth.Request{Name: "work", Priority: 3})
	if l.Manual || l.Fallback != "" {
		t.Fatalf("Manual = %v, Fallback = %q; want the loopback flow", l.Manual, l.Fallback)
	}
	if err := l.OpenBrowser(); err != nil || opened != l.URL {
		t.Fatalf("OpenBrowser: err %v, opened %q", err, opened)
	}
	cb := redirectURI(t, l)
	if !strings.HasPrefix(cb, "http://localhost:") || !strings.HasSuffix(cb, "/callback") {
		t.Fatalf("redirect_uri = %q", cb)
	}
	if st, _, _ := l.Status(); st != oauth.StatePending {
		t.Fatalf("Status before the browser = %s", st)
	}

	start := time.Now()
	status, page := browse(t, l.URL)
	if status != http.StatusOK || !strings.Contains(page, "You may close this window") {
		t.Fatalf("browser got %d:\n%s", status, page)
	}
	a, err := wait(t, l)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if a.Name != "work" || a.Kind != account.KindOAuth || a.Mode != "claude" || a.Priority != 3 {
		t.Errorf("account = %+v", a)
	}
	s := e.secret(a.ID)
	if !strings.HasPrefix(s.AccessToken, fakeanthropic.AccessTokenPrefix) || !strings.HasPrefix(s.RefreshToken, fakeanthropic.RefreshTokenPrefix) {
		t.Errorf("stored secret lacks tokens")
	}
	if exp := s.ExpiresAt.Sub(start); exp < 59*time.Minute || exp > 61*time.Minute {
		t.Errorf("ExpiresAt is %v from now, want about an hour", exp)
	}
	if st, got, _ := l.Status(); st != oauth.StateDone || got.ID != a.ID {
		t.Errorf("Status = %s, %+v", st, got)
	}
	if len(notified) != 1 {
		t.Errorf("OnAccount calls = %v", notified)
	}
	// The listener is closed once the login is over.
	host := strings.TrimSuffix(strings.TrimPrefix(cb, "http://"), "/callback")
	if c, err := net.DialTimeout("tcp", strings.Replace(host, "localhost", "127.0.0.1", 1), time.Second); err == nil {
		c.Close()
		t.Error("the callback listener is still open")
	}
	if !strings.Contains(fmt.Sprint(s), "redacted") || strings.Contains(fmt.Sprintf("%v %+v", s, a), s.AccessToken) {
		t.Error("secret printed in clear")
	}
}

func TestManualLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	l := e.start(oauth.Request{Name: "paste me", Manual: true})
	if !l.Manual || redirectURI(t, l) != oauth.ManualRedirectURI {
		t.Fatalf("Manual = %v, redirect_uri = %q", l.Manual, redirectURI(t, l))
	}
	code := manualCode(t, l.URL)

	if _, err := l.Complete(context.Background(), "not a code"); !errors.Is(err, oauth.ErrBadCode) {
		t.Fatalf("bad paste: err = %v, want ErrBadCode", err)
	}
	if st, _, _ := l.Status(); st != oauth.StatePending {
		t.Fatalf("a bad paste ended the login: %s", st)
	}
	a, err := l.Complete(context.Background(), "  "+code+"\n")
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if a.Kind != account.KindOAuth || e.secret(a.ID).RefreshToken == "" {
		t.Errorf("account %+v", a)
	}
	if _, err := l.Complete(context.Background(), code); !errors.Is(err, oauth.ErrFinished) {
		t.Errorf("second Complete: err = %v, want ErrFinished", err)
	}
}

func TestConsoleLoginCreatesAPIKeyAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	l := e.start(oauth.Request{Name: "console", Mode: "console"})
	browse(t, l.URL)
	a, err := wait(t, l)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if a.Kind != account.KindAPIKey || a.Mode != "console" {
		t.Errorf("account = %+v, want an API-key account of mode console", a)
	}
	s := e.secret(a.ID)
	if !strings.HasPrefix(s.APIKey, fakeanthropic.APIKeyPrefix) || s.AccessToken != "" || s.RefreshToken != "" {
		t.Errorf("stored secret is not just an API key")
	}
	var sawCreate bool
	for _, r := range e.fake.Requests() {
		if r.Path == oauth.CreateAPIKeyPath && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+fakeanthropic.AccessTokenPrefix) {
			sawCreate = true
		}
	}
	if !sawCreate {
		t.Error("create_api_key was not called with the access token")
	}
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  func(t *testing.T, e *env) error
		want error
		page bool // the browser must see the failure page
	}{
		{
			name: "wrong state on the callback",
			run: func(t *testing.T, e *env) error {
				l := e.start(oauth.Request{Name: "a"})
				status, page := browse(t, redirectURI(t, l)+"?code=abc&state=forged")
				if status != http.StatusBadRequest || !strings.Contains(page, "Login failed") {
					t.Errorf("browser got %d: %s", status, page)
				}
				_, err := wait(t, l)
				return err
			},
			want: oauth.ErrStateMismatch,
		},
		{
			name: "wrong state pasted",
			run: func(t *testing.T, e *env) error {
				l := e.start(oauth.Request{Name: "a", Manual: true})
				code, _, _ := strings.Cut(manualCode(t, l.URL), "#")
				_, err := l.Complete(context.Background(), code+"#forged")
				return err
			},
			want: oauth.ErrStateMismatch,
		},
		{
			name: "reused code",
			run: func(t *testing.T, e *env) error {
				l := e.start(oauth.Request{Name: "a", Manual: true})
				pasted := manualCode(t, l.URL)
				code, state, _ := strings.Cut(pasted, "#")
				// Someone else redeems the code first (the fake consumes it on any exchange).
				tc := &oauth.TokenClient{URL: e.fake.TokenURL()}
				if _, err := tc.Exchange(context.Background(), code, state, oauth.ManualRedirectURI, "wrong-verifier"); err == nil {
					t.Fatal("exchange with a wrong verifier succeeded")
				}
				_, err := l.Complete(context.Background(), pasted)
				if !oauth.InvalidGrant(err) {
					t.Errorf("err = %v, want invalid_grant", err)
				}
				return err
			},
		},
		{
			name: "denied",
			run: func(t *testing.T, e *env) error {
				e.fake.DenyNextAuthorize()
				l := e.start(oauth.Request{Name: "a"})
				_, page := browse(t, l.URL)
				if !strings.Contains(page, "access_denied") {
					t.Errorf("browser page does not say why: %s", page)
				}
				_, err := wait(t, l)
				return err
			},
			want: oauth.ErrDenied,
		},
		{
			name: "timed out",
			run: func(t *testing.T, e *env) error {
				e.svc.Timeout = 50 * time.Millisecond
				l := e.start(oauth.Request{Name: "a"})
				_, err := wait(t, l)
				// The listener is gone: a late browser cannot reach it.
				if resp, herr := http.Get(redirectURI(t, l) + "?code=x&state=y"); herr == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						t.Error("late callback answered 200")
					}
				}
				return err
			},
			want: oauth.ErrTimedOut,
		},
		{
			name: "cancelled",
			run: func(t *testing.T, e *env) error {
				l := e.start(oauth.Request{Name: "a", Manual: true})
				l.Cancel()
				_, err := wait(t, l)
				return err
			},
			want: oauth.ErrCancelled,
		},
		{
			name: "token endpoint down",
			run: func(t *testing.T, e *env) error {
				e.svc.Endpoints.TokenURL = "http://127.0.0.1:1/v1/oauth/token"
				l := e.start(oauth.Request{Name: "a"})
				browse(t, l.URL)
				_, err := wait(t, l)
				return err
			},
			want: oauth.ErrUpstream,
		},
		{
			name: "create_api_key fails",
			run: func(t *testing.T, e *env) error {
				e.svc.UpstreamURL = func() string { return "http://127.0.0.1:1" }
				l := e.start(oauth.Request{Name: "a", Mode: "console"})
				browse(t, l.URL)
				_, err := wait(t, l)
				return err
			},
			want: oauth.ErrUpstream,
		},
		{
			name: "credential store refuses",
			run: func(t *testing.T, e *env) error {
				e.creds.setFail(true)
				l := e.start(oauth.Request{Name: "a"})
				browse(t, l.URL)
				_, err := wait(t, l)
				return err
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fakeanthropic.Options{})
			err := tc.run(t, e)
			if err == nil {
				t.Fatal("the login succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			e.assertNothingLeft()
		})
	}
}

func TestBusyPortFallsBackToManual(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	e.svc.Endpoints.CallbackPort = &port

	l := e.start(oauth.Request{Name: "fallback"})
	if !l.Manual || !strings.Contains(l.Fallback, fmt.Sprint(port)) {
		t.Fatalf("Manual = %v, Fallback = %q", l.Manual, l.Fallback)
	}
	if got := redirectURI(t, l); got != oauth.ManualRedirectURI {
		t.Fatalf("redirect_uri = %q", got)
	}
	if _, err := l.Complete(context.Background(), manualCode(t, l.URL)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
}

func TestStartRefusesBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	if _, err := e.accounts.AddAPIKey(context.Background(), "taken", "sk-ant-api03-x", 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		req  oauth.Request
		want error
	}{
		{oauth.Request{Name: ""}, accounts.ErrInvalid},
		{oauth.Request{Name: "bad/name"}, accounts.ErrInvalid},
		{oauth.Request{Name: "ok", Mode: "team"}, accounts.ErrInvalid},
		{oauth.Request{Name: "ok", Priority: 101}, accounts.ErrInvalid},
		{oauth.Request{Name: "taken"}, store.ErrNameTaken},
		{oauth.Request{Name: "missing", Relogin: true}, store.ErrNotFound},
		{oauth.Request{Name: "taken", Relogin: true}, accounts.ErrInvalid}, // an API key added by hand
	}
	for _, c := range cases {
		if _, err := e.svc.Start(context.Background(), c.req); !errors.Is(err, c.want) {
			t.Errorf("Start(%+v): err = %v, want %v", c.req, err, c.want)
		}
	}
}

func TestReloginReplacesTheSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	l := e.start(oauth.Request{Name: "work", Manual: true})
	first, err := l.Complete(context.Background(), manualCode(t, l.URL))
	if err != nil {
		t.Fatal(err)
	}
	old := e.secret(first.ID)
	needs := true
	if _, err := e.db.UpdateAccountSettings(context.Background(), first.ID, store.AccountSettings{NeedsLogin: &needs}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.svc.Start(context.Background(), oauth.Request{Name: "work", Mode: "console", Relogin: true}); !errors.Is(err, accounts.ErrInvalid) {
		t.Errorf("relogin in another mode: err = %v", err)
	}
	l = e.start(oauth.Request{Name: "work", Relogin: true})
	browse(t, l.URL)
	again, err := wait(t, l)
	if err != nil {
		t.Fatalf("relogin: %v", err)
	}
	if again.ID != first.ID || again.CredVersion != first.CredVersion+1 || again.NeedsLogin {
		t.Errorf("after relogin: %+v (before: %+v)", again, first)
	}
	if s := e.secret(first.ID); s.RefreshToken == old.RefreshToken || s.AccessToken == old.AccessToken {
		t.Error("the secret was not replaced")
	}
}

func TestCallbackIgnoresOtherPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	l := e.start(oauth.Request{Name: "a"})
	base := strings.TrimSuffix(redirectURI(t, l), "/callback")
	if status, _ := browse(t, base+"/favicon.ico"); status != http.StatusNotFound {
		t.Errorf("favicon: %d", status)
	}
	if st, _, _ := l.Status(); st != oauth.StatePending {
		t.Errorf("a stray request ended the login: %s", st)
	}
}

// lockedKeychain is a store whose Probe fails, like a locked keychain.
type lockedKeychain struct{ *flakyStore }

func (lockedKeychain) Probe(context.Context) error {
	return creds.UnavailableError(errors.New("the keyring is locked"))
}

func TestStartProbesTheCredentialStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeanthropic.Options{})
	e.accounts.Creds = lockedKeychain{e.creds}
	_, err := e.svc.Start(context.Background(), oauth.Request{Name: "a"})
	if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "credential_store file") {
		t.Errorf("err = %v, want the store's error naming the remedies", err)
	}
}
