package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/internal/testkit"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

const msgBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
const streamBody = `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`

// harness is a proxy in front of an upstream (the fake Anthropic API unless
// a test supplies its own), with real SQLite, a real credential file and a
// live config.
type harness struct {
	t      *testing.T
	fake   *fakeanthropic.Server
	db     *store.DB
	writer *store.Writer
	pool   *pool.Pool
	bus    *events.Bus
	creds  creds.Store
	cfg    atomic.Pointer[config.Config]
	proxy  *proxy.Proxy
	srv    *httptest.Server
	seq    int
	// clock is the proxy's and the fake's: real time that a test can move
	// past a reset.
	clock testkit.Clock
}

func newHarness(t *testing.T, upstream string) *harness {
	t.Helper()
	h := &harness{t: t, bus: events.NewBus()}
	if upstream == "" {
		h.fake = fakeanthropic.New(fakeanthropic.Options{Now: h.clock.Now})
		t.Cleanup(h.fake.Close)
		upstream = h.fake.URL
	}
	dir := t.TempDir()
	var err error
	h.db, err = store.Open(filepath.Join(dir, "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	h.writer = store.NewWriter(h.db, store.WriterOptions{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() {
		h.writer.Close(context.Background())
		h.db.Close()
	})
	h.creds = filestore.New(filepath.Join(dir, "credentials.json"))
	cfg := config.Default()
	cfg.UpstreamURL = upstream
	h.cfg.Store(&cfg)
	h.bus.Sink(journal.Sink(h.writer))
	h.pool = pool.New(h.writer, h.bus)
	h.proxy = proxy.New(proxy.Options{
		Pool: h.pool, Config: func() config.Config { return *h.cfg.Load() }, Bus: h.bus,
		Now: h.clock.Now,
	})
	h.srv = httptest.NewServer(h.proxy)
	t.Cleanup(h.srv.Close)
	return h
}

// addAccount stores an account with secret and reloads the pool.
func (h *harness) addAccount(name string, kind account.Kind, secret creds.Secret, opts ...func(*account.Account)) *account.Account {
	h.t.Helper()
	h.seq++
	a := account.Account{ID: "id-" + name, Name: name, Kind: kind, CreatedAt: time.Unix(int64(1000+h.seq), 0)}
	for _, o := range opts {
		o(&a)
	}
	ctx := context.Background()
	if err := h.creds.Set(ctx, a.ID, secret); err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.InsertAccount(ctx, a); err != nil {
		h.t.Fatal(err)
	}
	h.reload()
	return &a
}

// apiKeyAccount adds an account whose key the fake accepts.
func (h *harness) apiKeyAccount(name string, opts ...func(*account.Account)) string {
	key := "sk-ant-api03-" + name + "-key"
	h.fake.AddAPIKey(key)
	h.addAccount(name, account.KindAPIKey, creds.Secret{APIKey: key}, opts...)
	return key
}

func (h *harness) reload() {
	list, err := h.db.Accounts(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	h.pool.Load(context.Background(), list, h.creds, nil)
}

func (h *harness) setConfig(change func(*config.Config)) {
	c := *h.cfg.Load()
	change(&c)
	h.cfg.Store(&c)
}

// post sends body to /v1/messages with the client's dummy credential.
func (h *harness) post(body string, header ...string) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/v1/messages?beta=true", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "client-dummy-key")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// rows flushes the writer and returns the request log, newest first.
func (h *harness) rows() []store.RequestRow {
	h.t.Helper()
	if err := h.writer.Flush(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	rows, err := h.db.LatestRequests(context.Background(), 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return rows
}

func (h *harness) view(name string) pool.View {
	h.t.Helper()
	for _, v := range h.pool.Views(h.clock.Now(), h.cfg.Load().SessionDuration()) {
		if v.Name == name {
			return v
		}
	}
	h.t.Fatalf("no account %q", name)
	return pool.View{}
}

// mustServe sends a message that must be answered 200 by account name.
func (h *harness) mustServe(t *testing.T, name string) {
	t.Helper()
	resp, body := h.post(msgBody)
	if resp.StatusCode != http.StatusOK || served(resp) != name {
		t.Fatalf("%d from %q (%s), want 200 from %s", resp.StatusCode, served(resp), body, name)
	}
}

func served(resp *http.Response) string { return resp.Header.Get(proxy.AccountHeader) }
