package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// Manager holds the live configuration of a running process: it applies changes made through
// Patch or, with Watch, by anyone who writes config.json (the CLI, a text editor), and tells
// subscribers about them.
type Manager struct {
	path      string
	lookup    func(string) (string, bool)
	overrides map[string]string
	opts      []Option

	cur atomic.Pointer[state]

	// mu serialises changes: reading the file, readying (Prepare) and
	// saving. notify serialises the subscriber calls that follow, in the
	// order of the changes; it is taken before mu is let go, so that
	// subscribers never run under mu and never out of order.
	mu     sync.Mutex
	notify sync.Mutex

	subsMu    sync.Mutex
	subs      []subscriber
	nextID    int
	preparers []func(old, new Config) error
}

type state struct {
	cfg Config
	src Sources
}

type subscriber struct {
	id int
	fn func(old, new Config)
}

// NewManager loads the configuration as Load does; a bad configuration is an error, with which
// the caller exits non-zero or which it shows. opts apply to every Patch (WithLock).
func NewManager(path string, lookup func(string) (string, bool), overrides map[string]string, opts ...Option) (*Manager, error) {
	c, src, err := Load(path, lookup, overrides)
	if err != nil {
		return nil, err
	}
	m := &Manager{path: path, lookup: lookup, overrides: maps.Clone(overrides), opts: opts}
	m.cur.Store(&state{c, src})
	return m, nil
}

// Get returns the current configuration. It takes no lock: call it on every request.
func (m *Manager) Get() Config { return m.cur.Load().cfg }

// Sources returns where each current value came from.
func (m *Manager) Sources() Sources { return maps.Clone(m.cur.Load().src) }

// Path returns the path of config.json.
func (m *Manager) Path() string { return m.path }

// Subscribe registers fn to be called with the old and new configuration after every change.
// Calls never overlap: they come one at a time, in the order of the changes and, for one
// change, in the order of subscription, on the goroutine that made the change (Patch's caller
// or Watch's), after the manager's lock is let go (Get already returns the new configuration).
// fn should return quickly, hand long work (moving secrets, draining an old listener) to a
// goroutine, and must not call Patch. The returned function unsubscribes fn.
func (m *Manager) Subscribe(fn func(old, new Config)) (unsubscribe func()) {
	m.subsMu.Lock()
	id := m.nextID
	m.nextID++
	m.subs = append(m.subs, subscriber{id, fn})
	m.subsMu.Unlock()
	return func() {
		m.subsMu.Lock()
		defer m.subsMu.Unlock()
		m.subs = slices.DeleteFunc(m.subs, func(s subscriber) bool { return s.id == id })
	}
}

// Prepare registers fn to ready a change before it is saved or applied:
// it gets the running and the new configuration, and an error refuses the
// change (Patch returns a *RefusedError and writes nothing; a hand edit is
// reported as Watch reports a bad file, and the running configuration
// stays). fn runs under the manager's lock: it must be quick (binding a
// socket is; moving secrets is not).
func (m *Manager) Prepare(fn func(old, new Config) error) {
	m.subsMu.Lock()
	m.preparers = append(m.preparers, fn)
	m.subsMu.Unlock()
}

func (m *Manager) prepare(old, c Config) error {
	if old == c {
		return nil
	}
	m.subsMu.Lock()
	preps := slices.Clone(m.preparers)
	m.subsMu.Unlock()
	for _, fn := range preps {
		if err := fn(old, c); err != nil {
			return err
		}
	}
	return nil
}

// Patch changes config.json as the package-level Patch does and applies the result at once:
// the change was readied (Prepare) before it was saved, and subscribers have been called when
// it returns. Its errors are those of Patch, and *RefusedError.
func (m *Manager) Patch(patch map[string]json.RawMessage) (Config, error) {
	m.mu.Lock()
	old := m.Get()
	opts := append(slices.Clone(m.opts), WithCheck(func(c Config) error { return m.prepare(old, c) }))
	c, src, err := Patch(m.path, patch, m.lookup, m.overrides, opts...)
	if err != nil {
		m.mu.Unlock()
		return Config{}, err
	}
	m.apply(c, src)
	return c, nil
}

// reload loads config.json again and applies it; a bad file, or a change that cannot be
// readied, changes nothing and is returned.
func (m *Manager) reload() error {
	m.mu.Lock()
	c, src, err := Load(m.path, m.lookup, m.overrides)
	if err == nil {
		if perr := m.prepare(m.Get(), c); perr != nil {
			err = fmt.Errorf("%s: %w", m.path, perr)
		}
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	m.apply(c, src)
	return nil
}

// apply makes c current and, if it differs from the old configuration, calls the
// subscribers. It is called with m.mu held and lets it go before the subscribers run.
func (m *Manager) apply(c Config, src Sources) {
	old := m.cur.Swap(&state{c, src})
	m.notify.Lock()
	m.mu.Unlock()
	defer m.notify.Unlock()
	if old.cfg == c {
		return
	}
	m.subsMu.Lock()
	subs := slices.Clone(m.subs)
	m.subsMu.Unlock()
	for _, s := range subs {
		s.fn(old.cfg, c)
	}
}
