// Package core is Claudeflare's engine: configuration, accounts, the
// session-strategy proxy, the API and the request log, wired together. It
// imports no UI toolkit; the tray app and the command line drive it through
// the methods of Core.
package core

import (
	"context"
	"errors"
	"github.com/claudeflare/claudeflare/core/clock"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/api"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/metrics"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/proxy"
	"github.com/claudeflare/claudeflare/core/server"
	"github.com/claudeflare/claudeflare/core/store"
)

// Options wires a Core.
type Options struct {
	Home      string                                 // the home folder (config.json, claudeflare.db)
	Lookup    func(string) (string, bool)            // the environment (os.LookupEnv)
	Overrides map[string]string                      // command-line config overrides, e.g. serve --port
	OpenCreds func(kind string) (creds.Store, error) // "keychain" or "file"
	Version   string
	Log       *slog.Logger
	Transport http.RoundTripper // upstream transport; proxy.NewTransport() if nil
	Now       clock.Clock       // the one clock of the engine: the wall clock if nil
	// OpenBrowser opens login pages (platform/browser.Open); nil opens none.
	OpenBrowser func(url string) error
	// APIToken reads, or makes at the first start, the local API token
	// every /api/ request and /metrics must carry (docs/DESIGN.md, "The
	// local API token"; platform/apitoken.Ensure); New calls it once the
	// database has opened. APITokenPath is where the token is, named in
	// refusals. With no APIToken, the API refuses every request but /health.
	APIToken     func(context.Context) (string, error)
	APITokenPath string
	// LockFile takes the cross-process lock of a shared file
	// (platform/lock.Exclusive): every change of config.json holds it, so the
	// app and the CLI never overwrite each other's keys. nil: changes are
	// ordered within this process only (tests).
	LockFile config.Locker
}

// Core is a running (or ready to run) Claudeflare engine.
type Core struct {
	opts     Options
	log      *slog.Logger
	cfg      *config.Manager
	db       *store.DB
	writer   *store.Writer
	metrics  *metrics.Metrics
	bus      *events.Bus
	pool     *pool.Pool
	accounts *accounts.Service
	proxy    *proxy.Proxy
	handler  http.Handler
	tokens   *oauth.TokenSource
	logins   *oauth.Logins

	credMu   sync.RWMutex
	creds    creds.Store
	reloadMu sync.Mutex // orders reloads of the accounts into the pool

	clientKey clientKeyCache
	listener  listener

	stop    context.CancelFunc
	bg      sync.WaitGroup
	started bool
}

// ConfigPath, DBPath: the files in the home folder.
func ConfigPath(home string) string { return filepath.Join(home, "config.json") }
func DBPath(home string) string     { return filepath.Join(home, "claudeflare.db") }

// New loads the configuration (a bad one is an error naming file, key and
// rule), opens the database and the credential store and loads the accounts.
// Nothing listens until Start.
func New(ctx context.Context, opts Options) (*Core, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = clock.Real
	}
	var cfgOpts []config.Option
	if opts.LockFile != nil {
		cfgOpts = append(cfgOpts, config.WithLock(opts.LockFile))
	}
	cfg, err := config.NewManager(ConfigPath(opts.Home), opts.Lookup, opts.Overrides, cfgOpts...)
	if err != nil {
		return nil, err
	}
	endpoints, err := oauth.EndpointsFromEnv(opts.Lookup)
	if err != nil {
		return nil, err
	}
	c := &Core{opts: opts, log: opts.Log, cfg: cfg, bus: events.NewBus()}
	if err := c.openCreds(cfg.Get().CredentialStore); err != nil {
		return nil, err
	}
	c.db, err = store.Open(DBPath(opts.Home))
	if err != nil {
		return nil, err
	}
	token := ""
	if opts.APIToken != nil {
		if token, err = opts.APIToken(ctx); err != nil {
			c.db.Close()
			return nil, err
		}
	}
	c.writer = store.NewWriter(c.db, store.WriterOptions{OnError: func(err error) {
		c.bus.Publish(&events.RequestLogFailed{At: c.opts.Now(), Error: err.Error()})
	}})
	c.initMetrics()
	// Every change is announced once on the bus; these turn it into rows,
	// counters and log lines, in this order, on the publisher's goroutine.
	c.bus.Sink(journal.Sink(c.writer))
	c.bus.Sink(c.metrics.Observe)
	c.bus.Sink(c.logEvent)
	c.pool = pool.New(c.writer, c.bus)
	c.pool.SetNow(opts.Now)
	c.accounts = &accounts.Service{DB: c.db, Creds: credsProxy{c}, Now: opts.Now}
	c.initOAuth(endpoints)
	c.proxy = proxy.New(proxy.Options{
		Pool: c.pool, Config: cfg.Get, Bus: c.bus,
		Transport: opts.Transport, Tokens: c.tokens, Now: opts.Now, Log: c.log,
	})
	c.handler = server.New(server.Options{
		Config: cfg.Get, ClientKey: c.clientKey.get, APIToken: token, APITokenPath: opts.APITokenPath,
		Proxy: c.proxy, API: api.New(api.Deps{API: c, Metrics: c.metrics.Handler()}),
	})
	c.cleanUp(ctx)
	if err := c.reload(ctx); err != nil {
		c.writer.Close(ctx)
		c.db.Close()
		return nil, err
	}
	return c, nil
}

// Start listens on the configured address and starts the background work:
// config file watching and live re-binding on port or host changes. It
// reads the accounts again first: a process that takes the single-instance
// lock between New and Start (docs/DESIGN.md, "The typed surface") then
// misses no change another process made before it held the lock; from
// then on they change accounts through the API.
func (c *Core) Start(ctx context.Context) error {
	if err := c.reload(ctx); err != nil {
		return err
	}
	cfg := c.cfg.Get()
	if cfg.AllowRemote {
		if err := c.clientKey.load(ctx, c.credStore()); err != nil {
			return err
		}
	}
	if err := c.listener.bind(cfg.Addr(), c.handler, c.log); err != nil {
		return err
	}
	bgctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = stop
	c.started = true
	c.cfg.Prepare(c.prepareConfig)
	c.cfg.Subscribe(c.onConfigChange)
	c.background(func() {
		c.cfg.Watch(bgctx, func(err error) {
			c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(),
				Error: "config.json changed but is not valid; keeping the running configuration: " + err.Error()})
		})
	})
	c.background(func() { c.retain(bgctx) })
	return nil
}

func (c *Core) background(f func()) {
	c.bg.Add(1)
	go func() { defer c.bg.Done(); f() }()
}

// Shutdown stops listening, lets requests in flight finish (until ctx ends),
// then flushes the request log and closes the database.
func (c *Core) Shutdown(ctx context.Context) error {
	c.logins.CancelAll()
	var errs []error
	if c.started {
		c.proxy.CutUploads() // answers in flight finish; uploads end now, as 499 rows
		errs = append(errs, c.listener.shutdown(ctx))
		c.stop()
		c.bg.Wait()
	}
	errs = append(errs, c.writer.Close(ctx), c.db.Close())
	return errors.Join(errs...)
}

// Addr is the address the proxy listens on ("127.0.0.1:8080"), or "" before Start.
func (c *Core) Addr() string { return c.listener.addr() }

// Handler is the whole HTTP surface (proxy and API), for tests and embedding.
func (c *Core) Handler() http.Handler { return c.handler }

// ConfigManager is the live configuration manager: its Get is the running
// configuration, its Subscribe follows changes. Change it through
// PatchConfig.
func (c *Core) ConfigManager() *config.Manager { return c.cfg }

// Events is the bus the tray and /api/events listen to.
func (c *Core) Events() *events.Bus { return c.bus }

// Views lists the accounts in strategy order with their status.
func (c *Core) Views() []pool.View {
	return c.pool.Views(c.opts.Now(), c.cfg.Get().SessionDuration())
}

// DB is the request log and account database.
func (c *Core) DB() *store.DB { return c.db }

// Writer is the asynchronous request-log writer.
func (c *Core) Writer() *store.Writer { return c.writer }
