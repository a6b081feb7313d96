package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

const msgBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// flakyStore is a credential store whose Set can be made to fail.
type flakyStore struct {
	creds.Store
	mu      sync.Mutex
	failSet bool
}

func (f *flakyStore) Set(ctx context.Context, id string, s creds.Secret) error {
	f.mu.Lock()
	fail := f.failSet
	f.mu.Unlock()
	if fail {
		return creds.UnavailableError(errors.New("keychain is locked"))
	}
	return f.Store.Set(ctx, id, s)
}

func (f *flakyStore) setFail(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failSet = v
}

// env is a fake Anthropic, a real database and credential file, the login
// service and, on demand, a proxy refreshing through a TokenSource.
type env struct {
	t        *testing.T
	fake     *fakeanthropic.Server
	dir      string
	db       *store.DB
	writer   *store.Writer
	creds    *flakyStore
	accounts *accounts.Service
	svc      *oauth.Service
	pool     *pool.Pool
	ts       *oauth.TokenSource
	srv      *httptest.Server
	clock    *clock
}

func newEnv(t *testing.T, opts fakeanthropic.Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Now()}}
	e.fake = fakeanthropic.New(opts)
	t.Cleanup(e.fake.Close)
	var err error
	e.db, err = store.Open(filepath.Join(e.dir, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	e.writer = store.NewWriter(e.db, store.WriterOptions{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() {
		e.writer.Close(context.Background())
		e.db.Close()
	})
	e.creds = &flakyStore{Store: filestore.New(filepath.Join(e.dir, "credentials.json"))}
	e.accounts = &accounts.Service{DB: e.db, Creds: e.creds}
	port := 0
	e.svc = &oauth.Service{
		Accounts: e.accounts,
		Endpoints: oauth.Endpoints{
			AuthorizeURL: e.fake.AuthorizeURL(), TokenURL: e.fake.TokenURL(), CallbackPort: &port,
		},
		UpstreamURL: func() string { return e.fake.URL },
		Timeout:     time.Minute,
	}
	return e
}

// start starts a login, failing the test on error; it is cancelled at the end of the test.
func (e *env) start(req oauth.Request) *oauth.Login {
	e.t.Helper()
	l, err := e.svc.Start(context.Background(), req)
	if err != nil {
		e.t.Fatalf("Start(%+v): %v", req, err)
	}
	e.t.Cleanup(l.Cancel)
	return l
}

// browse plays a browser: it opens u and follows redirects (to the loopback
// callback, in the automatic flow) and returns the last page.
func browse(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("browsing %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// manualCode opens a manual-flow authorize URL and returns the code#state the page shows.
func manualCode(t *testing.T, u string) string {
	t.Helper()
	_, page := browse(t, u)
	code, err := fakeanthropic.ManualCode([]byte(page))
	if err != nil {
		t.Fatalf("manual authorize page: %v", err)
	}
	return code
}

// wait waits for a login's end.
func wait(t *testing.T, l *oauth.Login) (account.Account, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := l.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("login did not end")
	}
	return a, err
}

// redirectURI is the redirect_uri of a login's authorize URL.
func redirectURI(t *testing.T, l *oauth.Login) string {
	t.Helper()
	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("redirect_uri")
}

// secret reads an account's stored secret.
func (e *env) secret(id string) creds.Secret {
	e.t.Helper()
	s, err := e.creds.Get(context.Background(), id)
	if err != nil {
		e.t.Fatalf("reading secret of %s: %v", id, err)
	}
	return s
}

// assertNothingLeft checks that no account and no secret exist at all.
func (e *env) assertNothingLeft() {
	e.t.Helper()
	list, err := e.db.Accounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	if len(list) != 0 {
		e.t.Errorf("accounts left behind: %+v", list)
	}
	b, err := os.ReadFile(filepath.Join(e.dir, "credentials.json"))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	if len(m) != 0 {
		e.t.Errorf("secrets left behind for %d account(s)", len(m))
	}
}

// withProxy starts a proxy in front of the fake that refreshes through a
// TokenSource on the env's clock.
func (e *env) withProxy() {
	e.t.Helper()
	bus := events.NewBus()
	bus.Sink(journal.Sink(e.writer))
	e.pool = pool.New(e.writer, bus)
	e.ts = &oauth.TokenSource{
		Pool: e.pool, Creds: e.creds, Now: e.clock.Now,
		Client: &oauth.TokenClient{URL: e.fake.TokenURL()},
	}
	cfg := config.Default()
	cfg.UpstreamURL = e.fake.URL
	p := proxy.New(proxy.Options{
		Pool: e.pool, Config: func() config.Config { return cfg }, Bus: bus, Tokens: e.ts, Now: e.clock.Now,
	})
	e.srv = httptest.NewServer(p)
	e.t.Cleanup(e.srv.Close)
}

// oauthAccount adds an OAuth account with tokens the fake issued; its
// stored expiry is expiresIn from the env's clock.
func (e *env) oauthAccount(name string, priority int, expiresIn time.Duration) (account.Account, creds.Secret) {
	e.t.Helper()
	access, refresh := e.fake.IssueTokens()
	s := creds.Secret{AccessToken: access, RefreshToken: refresh, ExpiresAt: e.clock.Now().Add(expiresIn)}
	a, err := e.accounts.Create(context.Background(),
		account.Account{Name: name, Kind: account.KindOAuth, Mode: "claude", Priority: priority}, s)
	if err != nil {
		e.t.Fatal(err)
	}
	e.reload()
	return a, s
}

// apiKeyAccount adds an API-key account the fake accepts.
func (e *env) apiKeyAccount(name string, priority int) {
	e.t.Helper()
	key := e.fake.IssueAPIKey()
	if _, err := e.accounts.AddAPIKey(context.Background(), name, key, priority); err != nil {
		e.t.Fatal(err)
	}
	e.reload()
}

func (e *env) reload() {
	e.t.Helper()
	if e.pool == nil {
		return
	}
	list, err := e.db.Accounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	e.pool.Load(context.Background(), list, e.creds, nil)
}

// post sends one request through the proxy and returns the status and the serving account.
func (e *env) post() (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/messages", strings.NewReader(msgBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("X-Api-Key", "client-dummy")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get(proxy.AccountHeader)
}

// status is an account's status in the pool.
func (e *env) status(name string) account.Status {
	e.t.Helper()
	for _, v := range e.pool.Views(time.Now(), time.Hour) {
		if v.Name == name {
			return v.Status
		}
	}
	e.t.Fatalf("no account %q", name)
	return ""
}

// messagesWith counts the /v1/messages requests the fake saw with credential.
func (e *env) messagesWith(credential string) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/v1/messages" && r.Credential == credential {
			n++
		}
	}
	return n
}
