package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
)

// secretShapes match credentials by their look, whoever they belong to:
// Anthropic's prefixes (the captured answers in internal/fakeanthropic/testdata) and the client key's, each followed by
// secret material.
var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`sk-ant-(api03|oat01|ort01)-[A-Za-z0-9_-]{10,}`),
	regexp.MustCompile(`cfk-[A-Za-z0-9_-]{10,}`),
}

// keyedTransport plays a remote client that holds the client key: the key
// goes in place of the helpers' dummy key, or as x-api-key on a request that
// carries no credential, so that every helper works against a serve with
// allow_remote; any other credential is sent as it is. It keeps a copy of
// every answer, headers and body, as the client read it.
type keyedTransport struct {
	key  string
	next http.RoundTripper

	mu      sync.Mutex
	answers []*answer
}

// answer is one response as a client of serve saw it.
type answer struct {
	what   string // method, path and status
	header http.Header
	body   syncBuffer
}

func (k *keyedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	switch {
	case req.Header.Get("x-api-key") == clientKey:
		req.Header.Set("x-api-key", k.key)
	case req.Header.Get("x-api-key") == "" && req.Header.Get("Authorization") == "":
		req.Header.Set("x-api-key", k.key)
	}
	resp, err := k.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	a := &answer{what: fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), resp.StatusCode), header: resp.Header.Clone()}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, &a.body), resp.Body}
	k.mu.Lock()
	k.answers = append(k.answers, a)
	k.mu.Unlock()
	return resp, nil
}

func (k *keyedTransport) CloseIdleConnections() {
	if c, ok := k.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// texts returns every answer so far, by what it answered.
func (k *keyedTransport) texts() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for i, a := range k.answers {
		var h strings.Builder
		_ = a.header.Write(&h)
		out[fmt.Sprintf("answer %d (%s)", i, a.what)] = h.String() + "\n" + a.body.String()
	}
	return out
}

// rawEvents is GET /api/events kept byte for byte: subscribe's parsed events
// would hide anything outside event and data lines.
type rawEvents struct {
	buf    syncBuffer
	cancel context.CancelFunc
	done   chan struct{}
}

// subscribeRaw opens GET /api/events; every event published after it returns is kept.
func (in *instance) subscribeRaw(t *testing.T) *rawEvents {
	t.Helper()
	resp, _, cancel := in.openEvents(t)
	ev := &rawEvents{cancel: cancel, done: make(chan struct{})}
	t.Cleanup(ev.close)
	go func() {
		defer close(ev.done)
		defer resp.Body.Close()
		_, _ = io.Copy(&ev.buf, resp.Body)
	}()
	return ev
}

// waitFor waits until an event of each name has arrived.
func (ev *rawEvents) waitFor(t *testing.T, names ...string) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, "events on /api/events", func() error {
		for _, n := range names {
			if !strings.Contains(ev.buf.String(), "event: "+n+"\n") {
				return fmt.Errorf("no %s event yet", n)
			}
		}
		return nil
	})
}

// close ends the stream and returns once every byte read is kept.
func (ev *rawEvents) close() {
	ev.cancel()
	<-ev.done
}

// TestNoSecretEverShown: a whole session of use in remote mode (serving,
// streaming, a token refresh, failovers on a 429 and on a refused key,
// accounts added, paused and resumed through the API, a login through the
// API, config changes, requests with wrong client keys) leaves no secret in
// any API answer, event, metric, log line, command output or file but
// credentials.json, where the file credential store keeps them all (docs/DESIGN.md, "Secrets").
// The secrets: the API keys, the OAuth tokens of two logins and those a
// refresh rotated in, and the client key, which only `claudeflare client-key`
// prints and which never goes upstream (docs/DESIGN.md, "Configuration").
func TestNoSecretEverShown(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	// texts: where → what a user or a client could see there.
	texts := map[string]string{}
	// cli runs a command whose output is scanned.
	cli := func(stdin string, args ...string) {
		t.Helper()
		res := ls.mustCLI(t, stdin, args...)
		texts[fmt.Sprintf("claudeflare %s (#%d)", strings.Join(args, " "), len(texts))] = res.Stdout + res.Stderr
	}

	// Before serve: a browser login, two API keys, the client key.
	res := ls.login(t, "accounts", "add", "max")
	texts["claudeflare accounts add max"] = res.Stdout + res.Stderr
	first := ls.secretOf(t, "max")
	if !strings.HasPrefix(first.AccessToken, fakeanthropic.AccessTokenPrefix) || !strings.HasPrefix(first.RefreshToken, fakeanthropic.RefreshTokenPrefix) {
		t.Fatal("the login stored no tokens")
	}
	for _, name := range []string{"a", "b"} {
		ls.Keys[name] = ls.Fake.IssueAPIKey()
		cli(ls.Keys[name]+"\n", "accounts", "add", name, "--api-key-stdin")
	}
	key := strings.TrimSpace(ls.mustCLI(t, "", "client-key").Stdout) // the one place it may be shown
	if !secretShapes[1].MatchString(key) {
		t.Fatalf("client-key printed %d bytes that do not look like a client key", len(key))
	}
	ls.setConfigKeys(t, map[string]any{"allow_remote": true})
	in := ls.serveLogin(t)
	keyed := &keyedTransport{key: key, next: in.client.Transport}
	in.client.Transport = keyed
	events := in.subscribeRaw(t)

	// Serving, plain and streamed, on the OAuth account.
	in.mustServeFrom(t, "max")
	if got := lastMessage(t, ls.Fake).Credential; got != first.AccessToken {
		t.Error("max did not serve with its login's access token")
	}
	r := in.do(t, "POST", "/v1/messages", messagesBody(true), "Content-Type", "application/json", "x-api-key", clientKey)
	if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "max" {
		t.Errorf("a streamed request: %s (account %q), want 200 from max", r, r.Header.Get("x-claudeflare-account"))
	}

	// A refresh on a 401: both tokens rotate.
	ls.Fake.ExpireAccessToken(first.AccessToken)
	in.mustServeFrom(t, "max")
	if n := ls.Fake.RefreshCount(); n != 1 {
		t.Errorf("RefreshCount = %d, want 1", n)
	}
	second := ls.secretOf(t, "max")
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("the refresh did not rotate the tokens")
	}

	// Failover on a 429, then on an API key upstream refuses.
	ls.Fake.SetBehavior(second.AccessToken, fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "600"})
	in.mustServeFrom(t, "a")
	ls.Fake.SetBehavior(ls.Keys["a"], fakeanthropic.Behavior{Status: http.StatusUnauthorized, Message: "invalid x-api-key"})
	in.mustServeFrom(t, "b")
	in.waitForRow(t, "b", 200)

	// An account added, changed, paused and resumed through the API.
	ls.Keys["c"] = ls.Fake.IssueAPIKey()
	for _, step := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/api/accounts", map[string]any{"name": "c", "api_key": ls.Keys["c"], "priority": 5}, 201},
		{"PATCH", "/api/accounts/c", map[string]any{"priority": 4}, 200},
		{"POST", "/api/accounts/c/pause", nil, 200},
		{"POST", "/api/accounts/c/resume", nil, 200},
		{"PATCH", "/api/config", map[string]any{"session_duration_ms": 600000}, 200},
		{"PUT", "/api/config/strategy", map[string]any{"strategy": "session"}, 200},
	} {
		if r := in.do(t, step.method, step.path, step.body); r.Status != step.status {
			t.Errorf("%s %s: %s, want %d", step.method, step.path, r, step.status)
		}
	}
	cli("", "config", "set", "retention_days", "31")

	// A login through the API, the server opening the "browser".
	var start struct {
		SessionID string `json:"session_id"`
	}
	if r := in.do(t, "POST", "/api/oauth/start", map[string]any{"name": "web", "open_browser": true}); r.Status != 200 || json.Unmarshal(r.Body, &start) != nil || start.SessionID == "" {
		t.Fatalf("POST /api/oauth/start: %s", r)
	}
	testkit.Eventually(t, 20*time.Second, "the API login finishes", func() error {
		var st struct{ State, Error string }
		in.getJSON(t, "/api/oauth/"+start.SessionID, &st)
		if st.State != "done" {
			return fmt.Errorf("state %q %s", st.State, st.Error)
		}
		return nil
	})
	web := ls.secretOf(t, "web")
	if web.AccessToken == "" || web.RefreshToken == "" {
		t.Fatal("the API login stored no tokens")
	}

	// Wrong client keys, among them a real secret sent by mistake.
	wrong := make([]byte, 32)
	_, _ = rand.Read(wrong)
	wrongKey := "cfk-" + base64.RawURLEncoding.EncodeToString(wrong)
	for _, h := range [][]string{
		{"x-api-key", wrongKey},
		{"Authorization", "Bearer " + wrongKey},
		{"x-api-key", ls.Keys["b"]},
		{"Authorization", "Bearer " + web.AccessToken},
	} {
		if r := in.do(t, "GET", "/api/accounts", nil, h...); r.Status != 401 {
			t.Errorf("GET /api/accounts with a wrong %s: %d, want 401", h[0], r.Status)
		}
		r := in.do(t, "POST", "/v1/messages", messagesBody(false), "Content-Type", "application/json", h[0], h[1])
		if r.Status != 401 {
			t.Errorf("POST /v1/messages with a wrong %s: %d, want 401", h[0], r.Status)
		}
	}

	events.waitFor(t, "request", "session_started", "failover", "rate_limited", "account_changed", "config_changed")
	for _, path := range []string{
		"/health", "/api/accounts", "/api/requests?limit=1000", "/api/stats", "/api/stats?window=24h",
		"/api/config", "/api/config/strategy", "/api/oauth/" + start.SessionID, "/metrics",
	} {
		if r := in.do(t, "GET", path, nil); r.Status != 200 {
			t.Errorf("GET %s: %s, want 200", path, r)
		}
	}
	events.close()
	texts["GET /api/events"] = events.buf.String()
	for what, text := range keyed.texts() {
		texts[what] = text
	}
	if err := in.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	texts["serve's stdout"] = in.stdout.String()
	texts["serve's stderr"] = in.stderr.String()
	// At debug level serve logs a line per proxied request (5 served here).
	if n := strings.Count(texts["serve's stderr"], "level=DEBUG msg=request "); n < 5 {
		t.Errorf("serve logged %d request lines at debug level, want 5 or more:\n%s", n, texts["serve's stderr"])
	}
	for _, args := range [][]string{{"accounts", "list"}, {"accounts", "list", "--json"}, {"config", "show"}, {"stats"}, {"stats", "--json"}} {
		cli("", args...)
	}

	// Every file of the home folder but credentials.json.
	var files []string
	err := filepath.WalkDir(ls.Home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(path) == "credentials.json" {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(ls.Home, path)
		files = append(files, rel)
		texts[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if dbs, _ := filepath.Glob(filepath.Join(ls.Home, "claudeflare.db*")); len(dbs) == 0 || texts["config.json"] == "" {
		t.Errorf("the home folder lacks config.json or claudeflare.db: %v", files)
	}

	secrets := map[string]string{
		"client key": key, "a's API key": ls.Keys["a"], "b's API key": ls.Keys["b"], "c's API key": ls.Keys["c"],
		"max's first access token": first.AccessToken, "max's first refresh token": first.RefreshToken,
		"max's refreshed access token": second.AccessToken, "max's refreshed refresh token": second.RefreshToken,
		"web's access token": web.AccessToken, "web's refresh token": web.RefreshToken,
	}
	// They are where the user opted to keep them, so that the scan is not vacuous.
	creds, err := os.ReadFile(filepath.Join(ls.Home, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range secrets {
		if !strings.Contains(name, "first") && !strings.Contains(string(creds), s) {
			t.Errorf("credentials.json does not hold %s", name)
		}
	}
	for where, text := range texts {
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %s", where, name)
			}
		}
		for _, re := range secretShapes {
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s shows something shaped like a secret (%s) at byte %d", where, re, loc[0])
			}
		}
	}

	// Upstream saw the accounts' credentials, never a client key.
	for _, s := range ls.Fake.Requests() {
		for h, vv := range s.Header {
			for _, v := range vv {
				if strings.Contains(v, key) || strings.Contains(v, wrongKey) {
					t.Errorf("a client key reached upstream in %s of %s %s", h, s.Method, s.Path)
				}
			}
		}
	}
}
