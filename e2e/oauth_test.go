package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// loginSandbox is a sandbox whose claudeflare processes log in against the
// fake (CLAUDEFLARE_AUTHORIZE_URL, CLAUDEFLARE_TOKEN_URL), on a callback port
// of their own (CLAUDEFLARE_OAUTH_CALLBACK_PORT, so these tests run in
// parallel), with a "browser": an xdg-open first on PATH that fetches the URL
// with curl, following the redirect to the loopback callback. The real
// pkg/browser runs it.
type loginSandbox struct {
	*sandbox
	bin  string // the folder of the xdg-open script
	page string // where the script saves the last page the "browser" showed
}

func newLoginSandbox(t *testing.T, opts fakeanthropic.Options) *loginSandbox {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pkg/browser runs xdg-open only on Linux")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is needed to play the browser")
	}
	ls := &loginSandbox{sandbox: newSandbox(t, opts), bin: t.TempDir()}
	ls.page = filepath.Join(ls.bin, "page.html")
	script := fmt.Sprintf("#!/bin/sh\nexec %q -sSL --max-time 20 -o %q \"$1\"\n", curl, ls.page)
	if err := os.WriteFile(filepath.Join(ls.bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return ls
}

// loginEnv is the sandbox's environment plus the login settings.
func (ls *loginSandbox) loginEnv(t *testing.T) []string {
	return append(ls.env(),
		"CLAUDEFLARE_AUTHORIZE_URL="+ls.Fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL="+ls.Fake.TokenURL(),
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT="+strconv.Itoa(testkit.FreePort(t)),
		"PATH="+ls.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
}

// login runs `claudeflare args…` (a login command) with the login environment.
func (ls *loginSandbox) login(t *testing.T, args ...string) cliResult {
	t.Helper()
	res, err := execCLI(t.Context(), ls.loginEnv(t), "", args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("claudeflare %s: %s", strings.Join(args, " "), res)
	}
	if !strings.Contains(res.Stdout, "If no browser opens, visit:\n\n  "+ls.Fake.AuthorizeURL()+"?") {
		t.Errorf("the login did not show the URL:\n%s", res)
	}
	testkit.Eventually(t, 5*time.Second, "the browser shows the login page", func() error {
		b, err := os.ReadFile(ls.page)
		if err != nil || !bytes.Contains(b, []byte("You may close this window")) {
			return fmt.Errorf("page %q, %v", b, err)
		}
		return nil
	})
	_ = os.Remove(ls.page)
	return res
}

// serveLogin starts `claudeflare serve` with the login environment (so it
// refreshes at the fake), like sandbox.serve.
func (ls *loginSandbox) serveLogin(t *testing.T) *instance {
	t.Helper()
	port := testkit.FreePort(t)
	ls.setConfigKeys(t, map[string]any{"port": port})
	in := &instance{
		sandbox: ls.sandbox, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}), port: port,
		client: ls.userClient(),
	}
	in.cmd = exec.Command(binary, "serve")
	in.cmd.Env = ls.loginEnv(t)
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		in.err = in.cmd.Wait()
		close(in.done)
	}()
	t.Cleanup(func() {
		in.client.CloseIdleConnections()
		if err := in.stop(); err != nil {
			t.Errorf("claudeflare serve did not shut down cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("--- serve stdout:\n%s--- serve stderr:\n%s", in.stdout, in.stderr)
		}
	})
	if err := in.waitHealthy(t.Context(), in.URL()); err != nil {
		t.Fatal(err)
	}
	return in
}

// storedSecret is an entry of credentials.json.
type storedSecret struct {
	APIKey       string `json:"api_key"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// secretOf reads the stored secret of account name from credentials.json.
func (ls *loginSandbox) secretOf(t *testing.T, name string) storedSecret {
	t.Helper()
	res := ls.mustCLI(t, "", "accounts", "list", "--json")
	var list []accountJSON
	if err := json.Unmarshal([]byte(res.Stdout), &list); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(ls.Home, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]storedSecret
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Name == name {
			return all[a.ID]
		}
	}
	t.Fatalf("no account %q", name)
	return storedSecret{}
}

// lastMessage is the last /v1/messages request the fake received.
func lastMessage(t *testing.T, fake *fakeanthropic.Server) fakeanthropic.Seen {
	t.Helper()
	seen := seenMessages(fake)
	if len(seen) == 0 {
		t.Fatal("no request reached the fake")
	}
	return seen[len(seen)-1]
}

// TestOAuthLoginAndRefresh: `accounts add` logs in through the real browser
// opener and the loopback callback; serve sends Bearer tokens with the oauth
// beta, refreshes an expired token and saves the rotated refresh token.
// TestNoSecretEverShown (secrets_test.go) checks that none of these tokens,
// before or after the refresh, shows up anywhere but credentials.json.
func TestOAuthLoginAndRefresh(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	res := ls.login(t, "accounts", "add", "max")
	if !strings.Contains(res.Stdout, `Added Claude account "max"`) {
		t.Errorf("accounts add: %s", res)
	}
	first := ls.secretOf(t, "max")
	if !strings.HasPrefix(first.AccessToken, fakeanthropic.AccessTokenPrefix) || !strings.HasPrefix(first.RefreshToken, fakeanthropic.RefreshTokenPrefix) {
		t.Fatal("the login stored no tokens")
	}

	in := ls.serveLogin(t)
	in.mustServeFrom(t, "max")
	msg := lastMessage(t, ls.Fake)
	if msg.Header.Get("Authorization") != "Bearer "+first.AccessToken || !fakeanthropic.HasBeta(msg.Header, fakeanthropic.OAuthBeta) {
		t.Errorf("upstream request: Bearer of the login %v, anthropic-beta %q",
			msg.Header.Get("Authorization") == "Bearer "+first.AccessToken, msg.Header.Get("anthropic-beta"))
	}
	if n := ls.Fake.RefreshCount(); n != 0 {
		t.Errorf("refreshed %d times before the token expired", n)
	}

	ls.Fake.ExpireAccessToken(first.AccessToken)
	in.mustServeFrom(t, "max")
	in.mustServeFrom(t, "max")
	if n := ls.Fake.RefreshCount(); n != 1 {
		t.Errorf("RefreshCount = %d, want 1", n)
	}
	second := ls.secretOf(t, "max")
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("the rotated tokens were not saved")
	}
	if got := lastMessage(t, ls.Fake).Credential; got != second.AccessToken {
		t.Error("the last request did not use the saved new access token")
	}
}

// TestOAuthReloginAfterRefusedRefresh: a refused refresh marks the account
// needs_login and requests fail over; `accounts login` brings it back in the
// running serve within a second.
func TestOAuthReloginAfterRefusedRefresh(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	ls.login(t, "accounts", "add", "max")
	ls.addAccount(t, "spare")
	ls.mustCLI(t, "", "config", "set", "session_duration_ms", "60000")
	in := ls.serveLogin(t)
	in.mustServeFrom(t, "max")

	ls.Fake.RevokeRefreshTokens()
	ls.Fake.ExpireAccessToken(ls.secretOf(t, "max").AccessToken)
	in.mustServeFrom(t, "spare")
	accts, _ := in.accounts(t)
	checkStatus(t, accts, "max", "needs_login")

	res := ls.login(t, "accounts", "login", "max")
	if !strings.Contains(res.Stdout, `Logged "max" in again`) {
		t.Errorf("accounts login: %s", res)
	}
	testkit.Eventually(t, liveDeadline, "max logged in again in the running serve", func() error {
		accts, _ := in.accounts(t)
		if s := accts["max"].Status; s == "needs_login" {
			return fmt.Errorf("max is %s", s)
		}
		return nil
	})
	ls.mustCLI(t, "", "accounts", "pause", "spare")
	testkit.Eventually(t, liveDeadline, "spare paused", func() error {
		accts, _ := in.accounts(t)
		if !accts["spare"].Paused {
			return errors.New("spare not paused yet")
		}
		return nil
	})
	in.mustServeFrom(t, "max")
	if got := lastMessage(t, ls.Fake).Credential; got != ls.secretOf(t, "max").AccessToken {
		t.Error("max did not serve with its new login's token")
	}
}

// TestOAuthConsoleLogin: a console login ends as an API-key account.
func TestOAuthConsoleLogin(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	res := ls.login(t, "accounts", "add", "team", "--mode", "console", "--priority", "2")
	if !strings.Contains(res.Stdout, `Added console account "team"`) {
		t.Errorf("accounts add: %s", res)
	}
	key := ls.secretOf(t, "team").APIKey
	if !strings.HasPrefix(key, fakeanthropic.APIKeyPrefix) {
		t.Fatal("no API key stored")
	}
	in := ls.serveLogin(t)
	accts, _ := in.accounts(t)
	if a := accts["team"]; a.Kind != "api_key" || a.Priority != 2 {
		t.Errorf("team: %+v", a)
	}
	in.mustServeFrom(t, "team")
	if got := lastMessage(t, ls.Fake); got.Header.Get("x-api-key") != key {
		t.Error("team did not serve with its API key")
	}
}
