package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

const msgBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// newCore makes, without starting it, a core in home in front of the fake
// upstream; config.json gets a free port unless it exists. Secrets go to
// credentials.json whatever the store kind, unless openCreds is given.
func newCore(t *testing.T, fake *fakeanthropic.Server, home string, openCreds func(kind string) (creds.Store, error)) *core.Core {
	t.Helper()
	if _, err := os.Stat(filepath.Join(home, "config.json")); os.IsNotExist(err) {
		writeFile(t, filepath.Join(home, "config.json"), fmt.Sprintf(`{"port": %d}`, testkit.FreePort(t)))
	}
	if openCreds == nil {
		openCreds = func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil }
	}
	c, err := core.New(context.Background(), core.Options{
		Home: home, Lookup: env{"CLAUDEFLARE_UPSTREAM_URL": fake.URL}.lookup, Version: "test", OpenCreds: openCreds,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startCore runs a core on a free port in front of the fake upstream and
// shuts it down at the test's end.
func startCore(t *testing.T, fake *fakeanthropic.Server, home string) *core.Core {
	t.Helper()
	c := newCore(t, fake, home, nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return c
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, addr string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/messages", strings.NewReader(msgBody))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestBadConfigIsRefusedNamingFileAndKey(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	path := filepath.Join(home, "config.json")
	writeFile(t, path, `{"session_duration_ms": 5}`)
	_, err := core.New(context.Background(), core.Options{Home: home, Lookup: env{}.lookup,
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "c.json")), nil }})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "session_duration_ms") {
		t.Fatalf("err = %v; want it to name %s and session_duration_ms", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"session_duration_ms": 5}` {
		t.Errorf("bad config was rewritten: %s", b)
	}
}

func TestRemoteHostNeedsAllowRemote(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.json"), `{"host": "0.0.0.0"}`)
	_, err := core.New(context.Background(), core.Options{Home: home, Lookup: env{}.lookup,
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "c.json")), nil }})
	if err == nil || !strings.Contains(err.Error(), "allow_remote") {
		t.Fatalf("err = %v; want a refusal naming allow_remote", err)
	}
}

// TestPortChangeRebindsWithoutDroppingRequests: a request in flight on the
// old port finishes after the listener moved to the new one.
func TestPortChangeRebindsWithoutDroppingRequests(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	c := startCore(t, fake, home)
	fake.AddAPIKey("sk-ant-api03-slow")
	if _, err := c.AddAPIKey(context.Background(), "slow", "sk-ant-api03-slow", 0); err != nil {
		t.Fatal(err)
	}
	fake.SetBehavior("sk-ant-api03-slow", fakeanthropic.Behavior{Delay: 500 * time.Millisecond, Times: 1})
	oldAddr := c.Addr()
	inflight := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+oldAddr+"/v1/messages", strings.NewReader(msgBody))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	testkit.WaitFor(t, "the request to reach upstream", func() bool { return len(fake.Requests()) == 1 })

	newPort := testkit.FreePort(t)
	if _, err := c.ConfigManager().Patch(map[string]json.RawMessage{"port": json.RawMessage(strconv.Itoa(newPort))}); err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:" + strconv.Itoa(newPort); c.Addr() != want {
		t.Fatalf("Addr = %s, want %s", c.Addr(), want)
	}
	if resp := post(t, c.Addr()); resp.StatusCode != 200 {
		t.Errorf("new port answered %d", resp.StatusCode)
	}
	if got := <-inflight; got != 200 {
		t.Fatalf("request in flight on the old port ended with %d", got)
	}
	testkit.WaitFor(t, "the old port to close", func() bool {
		conn, err := net.DialTimeout("tcp", oldAddr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
}

func TestHandEditOfConfigAppliesLive(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	c := startCore(t, fake, home)
	port := c.ConfigManager().Get().Port
	writeFile(t, filepath.Join(home, "config.json"), fmt.Sprintf(`{"port": %d, "session_duration_ms": 60000, "my_note": "kept"}`, port))
	testkit.WaitFor(t, "the new session duration", func() bool { return c.ConfigManager().Get().SessionDurationMS == 60000 })
	if src := c.ConfigManager().Sources()["session_duration_ms"]; src != "file" {
		t.Errorf("source %q, want file", src)
	}
	// A broken edit is reported and the running config is kept.
	writeFile(t, filepath.Join(home, "config.json"), `{"session_duration_ms": "soon"}`)
	time.Sleep(300 * time.Millisecond) // give the watcher time to (wrongly) apply it
	if got := c.ConfigManager().Get().SessionDurationMS; got != 60000 {
		t.Errorf("an invalid edit replaced the running value: %d", got)
	}
}

func TestShutdownFlushesTheRequestLog(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	c := newCore(t, fake, home, nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	const n = 20
	for range n {
		post(t, c.Addr())
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.LatestRequests(context.Background(), 100)
	if err != nil || len(rows) != n {
		t.Fatalf("%d rows after shutdown (err %v), want %d", len(rows), err, n)
	}
}

// TestAccountAddedBeforeStartIsPickedUp: an account the CLI adds between
// New (which loads the accounts) and Start (before which serve and the tray
// take the single-instance lock: from then on the CLI uses the API) still
// reaches the running proxy.
func TestAccountAddedBeforeStartIsPickedUp(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	c := newCore(t, fake, home, nil)
	db, err := store.Open(filepath.Join(home, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &accounts.Service{DB: db, Creds: filestore.New(filepath.Join(home, "credentials.json"))}
	if _, err := svc.AddAPIKey(context.Background(), "early", fake.IssueAPIKey(), 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	testkit.WaitFor(t, "the account added before Start", func() bool { return len(c.Views()) == 1 })
}

// TestSwitchingCredentialStoreMovesSecrets: a live switch of
// credential_store carries the accounts' secrets to the new store (and out
// of the old one), so the accounts keep serving, also after a restart.
func TestSwitchingCredentialStoreMovesSecrets(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config.json"), fmt.Sprintf(`{"port": %d, "credential_store": "keychain"}`, testkit.FreePort(t)))
	storePath := func(kind string) string { return filepath.Join(home, kind+"-store.json") }
	open := func() *core.Core {
		c := newCore(t, fake, home, func(kind string) (creds.Store, error) { return filestore.New(storePath(kind)), nil })
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	key := fake.IssueAPIKey()
	if _, err := c.AddAPIKey(context.Background(), "work", key, 0); err != nil {
		t.Fatal(err)
	}
	if resp := post(t, c.Addr()); resp.Header.Get("X-Claudeflare-Account") != "work" {
		t.Fatalf("before the switch: served by %q", resp.Header.Get("X-Claudeflare-Account"))
	}

	if _, err := c.ConfigManager().Patch(map[string]json.RawMessage{"credential_store": json.RawMessage(`"file"`)}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(storePath("file")); !strings.Contains(string(b), key) {
		t.Error("the new store does not hold the account's key")
	}
	if b, _ := os.ReadFile(storePath("keychain")); strings.Contains(string(b), key) {
		t.Error("the old store still holds the account's key")
	}
	if resp := post(t, c.Addr()); resp.StatusCode != 200 || resp.Header.Get("X-Claudeflare-Account") != "work" {
		t.Fatalf("after the switch: %d from %q", resp.StatusCode, resp.Header.Get("X-Claudeflare-Account"))
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	c = open()
	defer c.Shutdown(context.Background())
	if resp := post(t, c.Addr()); resp.StatusCode != 200 || resp.Header.Get("X-Claudeflare-Account") != "work" {
		t.Fatalf("after a restart: %d from %q, want 200 from work", resp.StatusCode, resp.Header.Get("X-Claudeflare-Account"))
	}
}
