package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

const token = "client-test-token"

// rig is a real engine's HTTP API on loopback, and a client of it.
type rig struct {
	core *core.Core
	srv  *httptest.Server
	fake *fakeanthropic.Server
	api  *client.HTTP
}

func newRig(t *testing.T) *rig {
	t.Helper()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	home := t.TempDir()
	env := map[string]string{
		"CLAUDEFLARE_UPSTREAM_URL": fake.URL, "CLAUDEFLARE_AUTHORIZE_URL": fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL": fake.TokenURL(), "CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0", "PORT": "9999",
	}
	c, err := core.New(context.Background(), core.Options{
		Home: home, Version: "test", Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		APIToken:    func(context.Context) (string, error) { return token, nil },
		OpenBrowser: func(u string) error { go follow(u); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = c.Shutdown(context.Background())
	})
	return &rig{core: c, srv: srv, fake: fake, api: &client.HTTP{Base: func() string { return srv.URL }, Token: token}}
}

// follow plays a browser on a login page and returns it.
func follow(u string) []byte {
	resp, err := http.Get(u)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// TestHTTPVerbs: every verb over the HTTP API does what the engine's own
// does, with the view types.
func TestHTTPVerbs(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	api := r.api

	if h, err := api.Status(ctx); err != nil || h.Status != "ok" || h.Strategy != "session" || h.Version != "test" {
		t.Fatalf("Status = %+v, %v", h, err)
	}
	a, err := api.AddAPIKey(ctx, "work", r.fake.IssueAPIKey(), 5)
	if err != nil || a.Name != "work" || a.Kind != "api_key" || a.Priority != 5 || a.ID == "" {
		t.Fatalf("AddAPIKey = %+v, %v", a, err)
	}
	name, prio := "work two", 6
	if a, err = api.UpdateAccount(ctx, "work", view.AccountPatch{Name: &name, Priority: &prio}); err != nil || a.Name != name || a.Priority != 6 {
		t.Fatalf("UpdateAccount = %+v, %v", a, err)
	}
	if a, err = api.Pause(ctx, name); err != nil || !a.Paused {
		t.Fatalf("Pause (a name with a space) = %+v, %v", a, err)
	}
	if a, err = api.Resume(ctx, name); err != nil || a.Paused {
		t.Fatalf("Resume = %+v, %v", a, err)
	}
	list, err := api.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].Name != name {
		t.Fatalf("Accounts = %+v, %v", list, err)
	}
	if h, _ := api.Status(ctx); h.Accounts != 1 || h.Available != 1 {
		t.Errorf("Status after adding: %+v", h)
	}

	cfg, err := api.Config(ctx)
	if err != nil || cfg.LBStrategy != "session" || cfg.Port != 9999 || cfg.Sources["port"] != "env" || cfg.Sources["session_duration_ms"] != "default" {
		t.Fatalf("Config = %+v, %v", cfg, err)
	}
	if cfg, err = api.PatchConfig(ctx, map[string]json.RawMessage{"session_duration_ms": json.RawMessage("600000")}); err != nil ||
		cfg.SessionDurationMS != 600000 || cfg.Sources["session_duration_ms"] != "file" {
		t.Fatalf("PatchConfig = %+v, %v", cfg, err)
	}

	if st, err := api.Stats(ctx, 90*time.Minute); err != nil || st.Window != "1h30m0s" || len(st.Series.RateLimits) != len(st.Series.Starts) {
		t.Errorf("Stats(90m) = window %q, %v", st.Window, err)
	}
	if rows, err := api.Requests(ctx, 5); err != nil || len(rows) != 0 {
		t.Errorf("Requests = %+v, %v", rows, err)
	}

	start, err := api.StartLogin(ctx, view.LoginRequest{Name: "max", OpenBrowser: true})
	if err != nil || start.SessionID == "" || !strings.HasPrefix(start.AuthorizeURL, r.fake.AuthorizeURL()+"?") || start.Mode != "claude" {
		t.Fatalf("StartLogin = %+v, %v", start, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	st, err := client.WaitLogin(wctx, api, start.SessionID)
	if err != nil || st.State != view.LoginDone || st.Account == nil || st.Account.Name != "max" {
		t.Fatalf("WaitLogin (polling) = %+v, %v", st, err)
	}
	manual, err := api.StartLogin(ctx, view.LoginRequest{Name: "pasted", Manual: true})
	if err != nil || !manual.Manual {
		t.Fatalf("StartLogin manual = %+v, %v", manual, err)
	}
	code, err := fakeanthropic.ManualCode(follow(manual.AuthorizeURL))
	if err != nil {
		t.Fatal(err)
	}
	if a, err = api.CompleteLogin(ctx, manual.SessionID, code); err != nil || a.Name != "pasted" || a.Kind != "oauth" {
		t.Fatalf("CompleteLogin = %+v, %v", a, err)
	}
	gone, err := api.StartLogin(ctx, view.LoginRequest{Name: "never", Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.CancelLogin(ctx, gone.SessionID); err != nil {
		t.Fatal(err)
	}
	if st, err := api.LoginStatus(ctx, gone.SessionID); err != nil || st.State != view.LoginFailed {
		t.Errorf("LoginStatus after CancelLogin = %+v, %v", st, err)
	}

	if err := api.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
	if list, _ := r.core.Accounts(ctx); len(list) != 2 {
		t.Errorf("the engine has %d accounts, want max and pasted", len(list))
	}
}

// TestHTTPRefusals: a refusal is an *client.Error with the API's status and
// message as it is, so callers tell 400, 404 and 409 apart.
func TestHTTPRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := context.Background()
	api := r.api
	if _, err := api.AddAPIKey(ctx, "taken", "sk-ant-api03-taken", 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		status int
		says   string
	}{
		{"bad name", func() error { _, err := api.AddAPIKey(ctx, "a/b", "sk-ant-api03-x", 0); return err }, 400, "name"},
		{"taken", func() error { _, err := api.AddAPIKey(ctx, "Taken", "sk-ant-api03-x", 0); return err }, 409, "already exists"},
		{"unknown account", func() error { _, err := api.Pause(ctx, "ghost"); return err }, 404, `no account named "ghost"`},
		{"nothing to change", func() error { _, err := api.UpdateAccount(ctx, "taken", view.AccountPatch{}); return err }, 400, "nothing to change"},
		{"remove unknown", func() error { return api.Remove(ctx, "ghost") }, 404, "ghost"},
		{"key set by the environment", func() error {
			_, err := api.PatchConfig(ctx, map[string]json.RawMessage{"port": json.RawMessage("1234")})
			return err
		}, 409, "PORT"},
		{"bad value", func() error {
			_, err := api.PatchConfig(ctx, map[string]json.RawMessage{"session_duration_ms": json.RawMessage("5")})
			return err
		}, 400, "session_duration_ms"},
		{"requests limit", func() error { _, err := api.Requests(ctx, 0); return err }, 400, "limit"},
		{"unknown login", func() error { _, err := api.LoginStatus(ctx, "nope"); return err }, 404, "session id"},
		{"cancel unknown login", func() error { return api.CancelLogin(ctx, "nope") }, 404, "session id"},
		{"bad paste", func() error { _, err := api.CompleteLogin(ctx, "nope", "x#y"); return err }, 404, "session id"},
		{"no token", func() error {
			_, err := (&client.HTTP{Base: api.Base}).Accounts(ctx)
			return err
		}, 401, "api-token"},
		{"wrong token", func() error {
			_, err := (&client.HTTP{Base: api.Base, Token: "wrong"}).Accounts(ctx)
			return err
		}, 401, "local API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			ce, ok := errors.AsType[*client.Error](err)
			if !ok || ce.Status != tt.status || !strings.Contains(ce.Message, tt.says) || ce.Error() != ce.Message {
				t.Fatalf("err = %v (%T), want a *client.Error %d saying %q", err, err, tt.status, tt.says)
			}
			if client.StatusOf(err) != tt.status {
				t.Errorf("StatusOf = %d", client.StatusOf(err))
			}
		})
	}
}

// TestHTTPSubscribe: the events arrive typed; the channel closes when the
// stream ends, and when ctx does.
func TestHTTPSubscribe(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := r.api.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.core.AddAPIKey(context.Background(), "work", "sk-ant-api03-w", 0); err != nil {
		t.Fatal(err)
	}
	select {
	case e, ok := <-ch:
		ac, isChange := e.(*events.AccountChanged)
		if !ok || !isChange || ac.Account != "work" || ac.State != events.AccountAdded || ac.At.IsZero() {
			t.Fatalf("event %#v, want work added", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	cancel()
	drain(t, ch, "after ctx ended")

	ch, err = r.api.Subscribe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r.srv.CloseClientConnections() // the engine stopped, or moved
	drain(t, ch, "after the stream ended")

	if _, err := (&client.HTTP{Base: r.api.Base}).Subscribe(context.Background()); client.StatusOf(err) != 401 {
		t.Errorf("Subscribe without the token: %v, want 401", err)
	}
}

func drain(t *testing.T, ch <-chan events.Event, when string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("the channel is still open %s", when)
		}
	}
}

// TestHTTPFollowsBaseAndTimesOut: the base URL is asked per request (a
// listener that moved); an engine that does not answer is an error after
// the timeout, not a hang.
func TestHTTPFollowsBaseAndTimesOut(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { <-req.Context().Done() }))
	defer hung.Close()
	defer hung.CloseClientConnections()
	base := r.srv.URL
	api := &client.HTTP{Base: func() string { return base }, Token: token, Timeout: 200 * time.Millisecond}
	if _, err := api.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	base = hung.URL
	start := time.Now()
	_, err := api.Accounts(context.Background())
	if err == nil || client.StatusOf(err) != 0 || !strings.Contains(err.Error(), hung.URL) {
		t.Errorf("a hung engine: %v, want an error naming its address", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %s, want about the 200ms timeout", d)
	}
	if _, err := api.Subscribe(context.Background()); err == nil {
		t.Error("Subscribe to a hung engine succeeded")
	}
	if strings.Contains(err.Error(), token) {
		t.Error("the error shows the token")
	}
}
