package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// newLoginCore is a core whose logins go to the fake, with a browser that
// follows the authorize page to the loopback callback.
func newLoginCore(t *testing.T, fake *fakeanthropic.Server, extra env) *core.Core {
	t.Helper()
	home := t.TempDir()
	e := env{
		"CLAUDEFLARE_UPSTREAM_URL": fake.URL, "CLAUDEFLARE_AUTHORIZE_URL": fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL": fake.TokenURL(), "CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}
	for k, v := range extra {
		e[k] = v
	}
	c, err := core.New(context.Background(), core.Options{
		Home: home, Lookup: e.lookup, Version: "test",
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		OpenBrowser: func(u string) error { go followPage(u); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c
}

func followPage(u string) string {
	resp, err := http.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestVerbsApplyAtOnce: every account verb is live for the very next
// request, with no reload by the caller.
func TestVerbsApplyAtOnce(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := startCore(t, fake, t.TempDir())
	ctx := context.Background()
	servedBy := func() string { return post(t, c.Addr()).Header.Get("X-Claudeflare-Account") }

	a, err := c.AddAPIKey(ctx, "work", fake.IssueAPIKey(), 3)
	if err != nil || a.Name != "work" || a.Kind != "api_key" || a.Priority != 3 || a.Status != "available" {
		t.Fatalf("AddAPIKey = %+v, %v", a, err)
	}
	if got := servedBy(); got != "work" {
		t.Errorf("after AddAPIKey: served by %q", got)
	}
	name, prio := "Work 2", 7
	if a, err = c.UpdateAccount(ctx, "work", view.AccountPatch{Name: &name, Priority: &prio}); err != nil || a.Name != name || a.Priority != 7 {
		t.Fatalf("UpdateAccount = %+v, %v", a, err)
	}
	if got := servedBy(); got != name {
		t.Errorf("after a rename: served by %q", got)
	}
	if a, err = c.Pause(ctx, name); err != nil || !a.Paused || a.Status != "paused" {
		t.Fatalf("Pause = %+v, %v", a, err)
	}
	if resp := post(t, c.Addr()); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("with the only account paused: %d, want 503", resp.StatusCode)
	}
	if a, err = c.Resume(ctx, name); err != nil || a.Paused {
		t.Fatalf("Resume = %+v, %v", a, err)
	}
	list, err := c.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].Status != "active" || list[0].TotalRequests != 2 {
		t.Fatalf("Accounts = %+v, %v; want work active after 2 requests", list, err)
	}
	if h, err := c.Status(ctx); err != nil || h.Accounts != 1 || h.Available != 1 || h.Status != "ok" || h.Version != "test" {
		t.Errorf("Status = %+v, %v", h, err)
	}
	if err := c.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.Accounts(ctx); len(list) != 0 {
		t.Errorf("after Remove: %+v", list)
	}
	if got := servedBy(); got != "none" {
		t.Errorf("after Remove: served by %q, want none (pass-through)", got)
	}
}

// TestVerbRefusals: each verb refuses with the status the API answers.
func TestVerbRefusals(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := newLoginCore(t, fake, env{"PORT": "9999"})
	ctx := context.Background()
	if _, err := c.AddAPIKey(ctx, "taken", "sk-ant-api03-taken", 0); err != nil {
		t.Fatal(err)
	}
	empty := ""
	tests := []struct {
		name   string
		call   func() error
		status int
	}{
		{"bad name", func() error { _, err := c.AddAPIKey(ctx, "a/b", "sk-ant-api03-x", 0); return err }, 400},
		{"bad priority", func() error { _, err := c.AddAPIKey(ctx, "p", "sk-ant-api03-x", 101); return err }, 400},
		{"name taken ignoring case", func() error { _, err := c.AddAPIKey(ctx, "TAKEN", "sk-ant-api03-x", 0); return err }, 409},
		{"nothing to change", func() error { _, err := c.UpdateAccount(ctx, "taken", view.AccountPatch{}); return err }, 400},
		{"empty new name", func() error { _, err := c.UpdateAccount(ctx, "taken", view.AccountPatch{Name: &empty}); return err }, 400},
		{"update unknown", func() error { _, err := c.UpdateAccount(ctx, "nobody", view.AccountPatch{Name: &empty}); return err }, 400},
		{"pause unknown", func() error { _, err := c.Pause(ctx, "nobody"); return err }, 404},
		{"resume unknown", func() error { _, err := c.Resume(ctx, "nobody"); return err }, 404},
		{"remove unknown", func() error { return c.Remove(ctx, "nobody") }, 404},
		{"empty patch", func() error { _, err := c.PatchConfig(ctx, nil); return err }, 400},
		{"bad value", func() error {
			_, err := c.PatchConfig(ctx, map[string]json.RawMessage{"session_duration_ms": json.RawMessage("5")})
			return err
		}, 400},
		{"key set by the environment", func() error {
			_, err := c.PatchConfig(ctx, map[string]json.RawMessage{"port": json.RawMessage("9000")})
			return err
		}, 409},
		{"requests limit 0", func() error { _, err := c.Requests(ctx, 0); return err }, 400},
		{"requests limit 1001", func() error { _, err := c.Requests(ctx, 1001); return err }, 400},
		{"unknown login", func() error { _, err := c.LoginStatus(ctx, "nope"); return err }, 404},
		{"cancel unknown login", func() error { return c.CancelLogin(ctx, "nope") }, 404},
		{"complete unknown login", func() error { _, err := c.CompleteLogin(ctx, "nope", "a#b"); return err }, 404},
		{"relogin of an unknown account", func() error {
			_, err := c.StartLogin(ctx, view.LoginRequest{Name: "nobody", Relogin: true, Manual: true})
			return err
		}, 404},
		{"login with a bad mode", func() error {
			_, err := c.StartLogin(ctx, view.LoginRequest{Name: "x", Mode: "pro", Manual: true})
			return err
		}, 400},
		{"login for a taken name", func() error {
			_, err := c.StartLogin(ctx, view.LoginRequest{Name: "taken", Manual: true})
			return err
		}, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			ce, ok := errors.AsType[*client.Error](err)
			if !ok || ce.Status != tt.status || ce.Message == "" {
				t.Fatalf("err = %v (%T), want a *client.Error with status %d", err, err, tt.status)
			}
		})
	}
	// In the engine's process the cause stays reachable: the settings
	// window maps a config error to its field.
	_, err := c.PatchConfig(ctx, map[string]json.RawMessage{"session_duration_ms": json.RawMessage("5")})
	if ce, ok := errors.AsType[*config.Error](err); !ok || ce.Key != "session_duration_ms" {
		t.Errorf("PatchConfig error %v does not unwrap to the *config.Error", err)
	}
	if list, _ := c.Accounts(ctx); len(list) != 1 {
		t.Errorf("refusals changed the accounts: %+v", list)
	}
}

// "update unknown" above: an unknown account with a bad new name is the
// bad name (checked first, as the API always has); with a good one, 404.
func TestUpdateUnknownAccount(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := newLoginCore(t, fake, nil)
	name := "fine"
	_, err := c.UpdateAccount(context.Background(), "nobody", view.AccountPatch{Name: &name})
	if client.StatusOf(err) != 404 {
		t.Fatalf("err = %v, want 404", err)
	}
}

// TestLoginVerbs: a browser login and a pasted one, through the verbs.
func TestLoginVerbs(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := newLoginCore(t, fake, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	start, err := c.StartLogin(ctx, view.LoginRequest{Name: "max", OpenBrowser: true})
	if err != nil || start.SessionID == "" || start.Manual || start.Name != "max" || start.Mode != "claude" {
		t.Fatalf("StartLogin = %+v, %v", start, err)
	}
	st, err := client.WaitLogin(ctx, c, start.SessionID)
	if err != nil || st.State != view.LoginDone || st.Account == nil || st.Account.Name != "max" || st.Account.Kind != "oauth" {
		t.Fatalf("WaitLogin = %+v, %v", st, err)
	}
	if list, _ := c.Accounts(ctx); len(list) != 1 || list[0].Status != "available" {
		t.Fatalf("after the login: %+v", list)
	}

	manual, err := c.StartLogin(ctx, view.LoginRequest{Name: "pasted", Manual: true, Priority: 4})
	if err != nil || !manual.Manual {
		t.Fatalf("StartLogin manual = %+v, %v", manual, err)
	}
	if _, err := c.CompleteLogin(ctx, manual.SessionID, "not a code"); client.StatusOf(err) != 400 {
		t.Fatalf("a bad paste: %v, want 400", err)
	}
	code, err := fakeanthropic.ManualCode([]byte(followPage(manual.AuthorizeURL)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.CompleteLogin(ctx, manual.SessionID, code)
	if err != nil || a.Name != "pasted" || a.Priority != 4 || a.Status != "available" {
		t.Fatalf("CompleteLogin = %+v, %v", a, err)
	}
	if st, err := c.LoginStatus(ctx, manual.SessionID); err != nil || st.State != view.LoginDone {
		t.Errorf("LoginStatus after completing = %+v, %v", st, err)
	}

	gone, err := c.StartLogin(ctx, view.LoginRequest{Name: "never", Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelLogin(ctx, gone.SessionID); err != nil {
		t.Fatal(err)
	}
	if st, err := client.WaitLogin(ctx, c, gone.SessionID); err != nil || st.State != view.LoginFailed || st.Error == "" {
		t.Errorf("a cancelled login: %+v, %v", st, err)
	}
}

// TestSubscribeDeliversTypedEventsUntilCancelled.
func TestSubscribeDeliversTypedEventsUntilCancelled(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := newLoginCore(t, fake, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := c.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddAPIKey(context.Background(), "work", "sk-ant-api03-w", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		if ac, ok := e.(*events.AccountChanged); !ok || ac.Account != "work" || ac.State != events.AccountAdded {
			t.Fatalf("first event %#v, want work added", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	cancel()
	for range ch { // closed once ctx ends
	}
}

// TestStatsCarryEventSeries: the rate-limit events and failovers are in
// the series, per bucket.
func TestStatsCarryEventSeries(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := startCore(t, fake, t.TempDir())
	ctx := context.Background()
	keys := []string{fake.IssueAPIKey(), fake.IssueAPIKey()}
	for i, name := range []string{"a", "b"} {
		if _, err := c.AddAPIKey(ctx, name, keys[i], i); err != nil {
			t.Fatal(err)
		}
	}
	fake.SetBehavior(keys[0], fakeanthropic.Behavior{Status: 429, RetryAfter: "600"})
	if resp := post(t, c.Addr()); resp.Header.Get("X-Claudeflare-Account") != "b" {
		t.Fatalf("served by %q, want b after a's 429", resp.Header.Get("X-Claudeflare-Account"))
	}
	if err := c.Writer().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := c.Stats(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(v []int64) (n int64) {
		for _, x := range v {
			n += x
		}
		return n
	}
	if len(st.Series.RateLimits) != len(st.Series.Starts) || sum(st.Series.RateLimits) != 1 || sum(st.Series.Failovers) != 1 {
		t.Errorf("series: %d buckets, rate limits %v, failovers %v; want one of each", len(st.Series.Starts), st.Series.RateLimits, st.Series.Failovers)
	}
	if rows, err := c.Requests(ctx, 10); err != nil || len(rows) != 1 || rows[0].Account != "b" || rows[0].Failovers != 1 {
		t.Errorf("Requests = %+v, %v", rows, err)
	}
}

// TestConcurrentAddsAllReachThePool: changes made at once each reload the
// pool; every account added is in it afterwards (a reload that read the
// database first but loaded last left one out, and nothing polls to catch
// up).
func TestConcurrentAddsAllReachThePool(t *testing.T) {
	t.Parallel()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	defer fake.Close()
	c := newCore(t, fake, t.TempDir(), nil)
	defer c.Shutdown(context.Background())
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := c.AddAPIKey(context.Background(), fmt.Sprintf("acct-%02d", i), fake.IssueAPIKey(), 0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list, err := c.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Errorf("the pool shows %d of the %d accounts added at once", len(list), n)
	}
}
