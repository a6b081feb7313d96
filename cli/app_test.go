package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/apitoken"
	"github.com/claudeflare/claudeflare/platform/filestore"
	"github.com/claudeflare/claudeflare/platform/lock"
)

// startApp runs an engine on home as the tray and serve do (the token, the
// lock recording its address), in this process, until the test ends.
func startApp(t *testing.T, home string, fake *fakeanthropic.Server, vars map[string]string) *core.Core {
	t.Helper()
	return startAppOpening(t, home, fake, vars, nil)
}

// startAppOpening is startApp whose engine opens login pages with open.
func startAppOpening(t *testing.T, home string, fake *fakeanthropic.Server, vars map[string]string, open func(string) error) *core.Core {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "config.json"), fmt.Appendf(nil, `{"port": %d}`, testkit.FreePort(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CLAUDEFLARE_UPSTREAM_URL": fake.URL, "CLAUDEFLARE_CREDENTIAL_STORE": "file"}
	for k, v := range vars {
		env[k] = v
	}
	c, err := core.New(context.Background(), core.Options{
		Home: home, Version: "test", Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		APIToken:    func(ctx context.Context) (string, error) { return apitoken.Ensure(ctx, home) },
		LockFile:    lock.Exclusive,
		OpenBrowser: open,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	holdLock(t, home, "http://"+c.Addr())
	return c
}

func proxyRequest(t *testing.T, c *core.Core) string {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+c.Addr()+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Claudeflare-Account")
}

// TestCommandsUseTheRunningApp: while an app runs, every command is a
// client of its API: what it changes is live in the app when the command
// returns (the app polls nothing), and what it shows is the app's state.
func TestCommandsUseTheRunningApp(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	c := startApp(t, home, fake, nil)
	ctx := context.Background()
	cli := func(stdin string, args ...string) run {
		t.Helper()
		r := runCLI(t, home, stdin, nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
		return r
	}

	key := fake.IssueAPIKey()
	cli(key+"\n", "accounts", "add", "work", "--api-key-stdin", "--priority", "3")
	if list, _ := c.Accounts(ctx); len(list) != 1 || list[0].Name != "work" || list[0].Priority != 3 {
		t.Fatalf("the app's accounts right after `accounts add`: %+v", list)
	}
	if got := proxyRequest(t, c); got != "work" {
		t.Fatalf("served by %q right after `accounts add`", got)
	}
	var list []struct {
		Name          string `json:"name"`
		Status        string `json:"status"`
		TotalRequests int64  `json:"total_requests"`
	}
	if err := json.Unmarshal([]byte(cli("", "accounts", "list", "--json").stdout), &list); err != nil ||
		len(list) != 1 || list[0].Status != "active" || list[0].TotalRequests != 1 {
		t.Fatalf("accounts list right after a request: %+v, %v; want work active with 1 request", list, err)
	}
	cli("", "accounts", "pause", "work")
	if list, _ := c.Accounts(ctx); list[0].Status != "paused" {
		t.Errorf("after `accounts pause`: %s", list[0].Status)
	}
	cli("", "accounts", "resume", "work")
	if list, _ := c.Accounts(ctx); list[0].Paused {
		t.Error("still paused after `accounts resume`")
	}
	if r := cli("", "config", "set", "session_duration_ms", "600000"); !strings.Contains(r.stdout, "applies it now") {
		t.Errorf("config set: %s", r.stdout)
	}
	if got := c.ConfigManager().Get().SessionDurationMS; got != 600000 {
		t.Errorf("the app's session_duration_ms after `config set`: %d", got)
	}
	// The app's own view, its environment's sources included.
	if r := cli("", "config", "show"); !strings.Contains(r.stdout, "CLAUDEFLARE_UPSTREAM_URL") && !strings.Contains(r.stdout, "env") {
		t.Errorf("config show: %s", r.stdout)
	}
	if err := c.Writer().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Total struct{ Requests int64 } `json:"total"`
	}
	if err := json.Unmarshal([]byte(cli("", "stats", "--json").stdout), &st); err != nil || st.Total.Requests != 1 {
		t.Errorf("stats: %+v, %v", st, err)
	}
	if r := runCLI(t, home, "", nil, "accounts", "pause", "ghost"); r.code != 1 || !strings.Contains(r.stderr, `no account named "ghost"`) {
		t.Errorf("pause ghost: %+v; want the app's message as it is", r)
	}
	cli("", "accounts", "remove", "work")
	if list, _ := c.Accounts(ctx); len(list) != 0 {
		t.Errorf("after `accounts remove`: %+v", list)
	}
}

// TestCommandsFollowAMovedApp: the app (run as the tray runs it) records
// its new address in the lock when its listener moves, and the next
// command finds it there.
func TestCommandsFollowAMovedApp(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "config.json"), fmt.Appendf(nil, `{"port": %d}`, testkit.FreePort(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CLAUDEFLARE_HOME": home, "CLAUDEFLARE_CREDENTIAL_STORE": "file", "CLAUDEFLARE_UPSTREAM_URL": fake.URL}
	started, quit, exited := make(chan *core.Core), make(chan struct{}), make(chan int)
	go func() {
		exited <- Run(&Env{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Stdout: io.Discard, Stderr: io.Discard,
			Tray: func(c *core.Core, _ TrayOptions) error { started <- c; <-quit; return nil }})
	}()
	c := <-started
	moved := testkit.FreePort(t)
	if r := runCLI(t, home, "", vars, "config", "set", "port", fmt.Sprint(moved)); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if want := fmt.Sprintf("127.0.0.1:%d", moved); c.Addr() != want {
		t.Fatalf("the app listens on %s, want %s", c.Addr(), want)
	}
	if info := lock.Read(filepath.Join(home, "claudeflare.lock")); info.Address != "http://"+c.Addr() {
		t.Errorf("the lock records %q, want the new address", info.Address)
	}
	if r := runCLI(t, home, "sk-ant-api03-m\n", vars, "accounts", "add", "m", "--api-key-stdin"); r.code != 0 {
		t.Fatalf("a command after the move: %+v", r)
	}
	if list, _ := c.Accounts(context.Background()); len(list) != 1 {
		t.Errorf("the moved app has %d accounts, want the one just added", len(list))
	}
	close(quit)
	if code := <-exited; code != 0 {
		t.Errorf("the app exited %d", code)
	}
	if info, held, _ := lock.Probe(filepath.Join(home, "claudeflare.lock")); held || info.Address != "" {
		t.Errorf("after quitting: the lock is held %v, records %q", held, info.Address)
	}
}

// TestStaleLockIsAnError: a held lock whose app does not answer is
// reported, and nothing is written; a lock left by a crashed app (not
// held) is no app: the commands work offline.
func TestStaleLockIsAnError(t *testing.T) {
	t.Parallel()
	t.Run("held, nobody answers", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		holdLock(t, home, fmt.Sprintf("http://127.0.0.1:%d", testkit.FreePort(t)))
		start := time.Now()
		r := runCLI(t, home, "sk-ant-api03-x\n", nil, "accounts", "add", "x", "--api-key-stdin")
		if r.code != 1 || !strings.Contains(r.stderr, "does not answer at http://127.0.0.1:") ||
			!strings.Contains(r.stderr, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(r.stderr, "nothing was changed") {
			t.Fatalf("%+v; want an error naming the address and the pid", r)
		}
		if d := time.Since(start); d < appWait {
			t.Errorf("gave up after %s, want a wait of %s for an app that is starting", d, appWait)
		}
		if _, err := os.Stat(filepath.Join(home, "claudeflare.db")); !os.IsNotExist(err) {
			t.Errorf("the database was opened beside a silent app: %v", err)
		}
	})
	t.Run("left by a crash", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		dead := fmt.Sprintf(`{"pid": 999999, "address": "http://127.0.0.1:%d"}`, testkit.FreePort(t))
		if err := os.WriteFile(filepath.Join(home, "claudeflare.lock"), []byte(dead), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, home, "sk-ant-api03-x\n", nil, "accounts", "add", "x", "--api-key-stdin"); r.code != 0 {
			t.Fatalf("%+v", r)
		}
		if r := runCLI(t, home, "", nil, "accounts", "list"); r.code != 0 || !strings.Contains(r.stdout, "x") {
			t.Fatalf("%+v", r)
		}
	})
}

// TestRemoteAppGetsTheClientKey: with allow_remote the app wants the
// client key on every request; the commands send it.
func TestRemoteAppGetsTheClientKey(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	vars := map[string]string{"CLAUDEFLARE_ALLOW_REMOTE": "true"}
	c := startApp(t, home, fake, vars)
	if r := runCLI(t, home, "sk-ant-api03-r\n", vars, "accounts", "add", "r", "--api-key-stdin"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if list, _ := c.Accounts(context.Background()); len(list) != 1 {
		t.Fatalf("the app has %d accounts, want the one just added", len(list))
	}
}

// TestAPITokenCommand prints the token the app checks, making it first.
func TestAPITokenCommand(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := runCLI(t, home, "", nil, "api-token")
	tok, err := apitoken.Read(home)
	if r.code != 0 || err != nil || r.stdout != tok+"\n" {
		t.Fatalf("%+v (file: %q, %v)", r, tok, err)
	}
	if again := runCLI(t, home, "", nil, "api-token"); again.stdout != r.stdout {
		t.Error("the token changed between runs")
	}
	if r := runCLI(t, home, "", nil, "api-token", "extra"); r.code != 2 {
		t.Errorf("api-token extra: %+v", r)
	}
}

// TestLoginsThroughTheRunningApp: while an app runs, a browser login is the
// app's (its callback, its browser opener): the command shows the URL and
// waits, and a pasted code goes to the app.
func TestLoginsThroughTheRunningApp(t *testing.T) {
	t.Parallel()
	r := newLoginRig(t)
	vars := map[string]string{
		"CLAUDEFLARE_AUTHORIZE_URL": r.fake.AuthorizeURL(), "CLAUDEFLARE_TOKEN_URL": r.fake.TokenURL(),
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}
	var appOpens func(string) error // set per login below; the app calls it
	opened := make(chan string, 4)
	c := startAppOpening(t, r.home, r.fake, vars, func(u string) error { opened <- u; return appOpens(u) })
	notHere := func(string) error { t.Error("the command opened a browser while the app runs"); return nil }

	appOpens = browserFollows
	res := r.run(nil, notHere, "accounts", "add", "max", "--priority", "2")
	if res.code != 0 || !strings.Contains(res.stdout, `Added Claude account "max" (priority 2)`) ||
		!strings.Contains(res.stdout, "If no browser opens, visit:\n\n  "+r.fake.AuthorizeURL()+"?") {
		t.Fatalf("accounts add through the app: %+v", res)
	}
	if u := <-opened; !strings.HasPrefix(u, r.fake.AuthorizeURL()+"?") {
		t.Errorf("the app opened %q", u)
	}
	if list, _ := c.Accounts(context.Background()); len(list) != 1 || list[0].Kind != "oauth" || list[0].Status != "available" {
		t.Fatalf("the app's accounts after the login: %+v", list)
	}

	stdin, paste := paster(t, "not-a-code")
	appOpens = paste
	res = r.run(stdin, notHere, "accounts", "login", "max", "--manual")
	if res.code != 0 || !strings.Contains(res.stdout, `Logged "max" in again; the running Claudeflare uses the new credentials now`) ||
		strings.Count(res.stdout, "Paste it here") < 2 {
		t.Fatalf("accounts login --manual through the app: %+v", res)
	}
	if got := r.fake.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}
