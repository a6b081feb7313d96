// Package pool keeps the live set of accounts for a running proxy: their
// runtime state, their credentials (loaded once, off the request path) and
// the session strategy applied to them. Every method is safe for concurrent
// use; the request path takes one short mutex and never waits on disk,
// keychain or network.
package pool

import (
	"github.com/claudeflare/claudeflare/core/clock"
	"net/http"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/store"
)

// Recorder takes state changes to persist; it must never block (store.Writer).
type Recorder interface {
	Enqueue(store.Record) bool
}

// Candidate is an account the proxy may send one request on, with a copy of
// its credential.
type Candidate struct {
	ID     string
	Name   string
	Kind   account.Kind
	Secret creds.Secret
}

// Pool is the live account set.
type Pool struct {
	rec Recorder
	bus *events.Bus

	mu       sync.Mutex
	accounts []*account.Account // kept in priority/creation order
	secrets  map[string]creds.Secret
	active   string // id of the account that served last

	history session.History
	now     clock.Clock // for Load; the wall clock if nil
}

// New returns an empty pool that persists through rec and announces through bus.
func New(rec Recorder, bus *events.Bus) *Pool {
	return &Pool{rec: rec, bus: bus, secrets: make(map[string]creds.Secret)}
}

// Len is the number of configured accounts, available or not.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.accounts)
}

// Pick returns the candidates for one request, in strategy order. Accounts
// whose credential could not be loaded are left out: they cannot serve.
func (p *Pool) Pick(now time.Time, sessionDuration time.Duration) []Candidate {
	p.mu.Lock()
	defer p.mu.Unlock()
	order := session.Select(p.accounts, now, sessionDuration)
	out := make([]Candidate, 0, len(order))
	for _, a := range order {
		s, ok := p.secrets[a.ID]
		if !ok {
			continue
		}
		out = append(out, Candidate{ID: a.ID, Name: a.Name, Kind: a.Kind, Secret: s})
	}
	return out
}

// Route is how a request reached the account that served it.
type Route struct {
	// From names the account the request left (the strategy's first
	// choice, which could not serve it); "" when the first choice served.
	From string
	// Hop: From failed for this request only (a request-scoped 429, a
	// broken connection), so the session stays with From: the account that
	// served does not start a session or become the active one.
	Hop bool
}

// Served records that id's answer went to the client: its session starts now
// if it had none, or if a failover made it the active account, and its
// counters move. A hop moves only the counters.
func (p *Pool) Served(id string, now time.Time, sessionDuration time.Duration, route Route) {
	p.mu.Lock()
	a := p.find(id)
	if a == nil {
		p.mu.Unlock()
		return
	}
	if route.Hop {
		a.TotalRequests++
		a.LastUsed = now
		st := stateOf(a)
		p.mu.Unlock()
		p.rec.Enqueue(st)
		return
	}
	failedOverFrom := route.From
	started := false
	previous := p.active
	if session.NeedsNew(a, now, sessionDuration) || (failedOverFrom != "" && previous != id) {
		a.SessionStart = now
		a.SessionRequests = 0
		started = true
	}
	p.active = id
	a.SessionRequests++
	a.TotalRequests++
	a.LastUsed = now
	st := stateOf(a)
	name := a.Name
	var prevName string
	if prev := p.find(previous); prev != nil && previous != id {
		prevName = prev.Name
	}
	reason := ""
	if started {
		switch {
		case failedOverFrom != "":
			reason = session.StartFailover
		case previous == "":
			reason = session.StartFirst
		default:
			reason = session.StartExpired
		}
	}
	history := p.history.Served(a, now, sessionDuration, reason, failedOverFrom)
	p.mu.Unlock()

	p.rec.Enqueue(st)
	p.persist(history...)
	if started {
		p.bus.Publish(&events.SessionStarted{At: now, AccountID: id, Account: name, Previous: prevName, Reason: reason})
	}
}

// persist writes session periods and announces those that ended.
func (p *Pool) persist(periods ...session.Period) {
	for _, r := range periods {
		p.rec.Enqueue(store.Session{Period: r})
		if !r.End.IsZero() {
			p.bus.Publish(&events.SessionEnded{At: r.End, AccountID: r.AccountID, Account: r.AccountName, Start: r.Start,
				Requests: r.Requests, Reason: r.EndReason})
		}
	}
}

// RateLimited takes id out of rotation until the given time; it ends id's
// session period if id is the active account. limitHeaders are the 429's
// anthropic-ratelimit-unified-* headers (nil for API-key traffic), kept to
// replay when every account is spent. A 429 for an account already limited
// (requests that were in flight when the limit began) extends the limit if
// it reaches further but is not a new occurrence: no event, so a storm of
// concurrent 429s counts once in the statistics and notifications.
func (p *Pool) RateLimited(id string, now, until time.Time, limitHeaders http.Header) {
	p.update(id, now, session.EndRateLimit,
		func(a *account.Account) bool {
			occurrence := extendUntil(&a.RateLimitedUntil, now, until)
			if limitHeaders != nil && (occurrence || a.RateLimitedUntil.Equal(until)) {
				a.LimitHeaders = limitHeaders // the headers of the limit that ends last
			}
			return occurrence
		},
		func(a *account.Account) events.Event {
			return &events.RateLimited{At: now, AccountID: a.ID, Account: a.Name, Until: a.RateLimitedUntil}
		})
}

// Cooldown takes id out of rotation briefly (a token refresh that failed).
// Its session period goes on unless another account takes over. Like
// RateLimited, a cooldown already running is extended, not counted again.
func (p *Pool) Cooldown(id string, now, until time.Time) {
	p.update(id, now, "",
		func(a *account.Account) bool { return extendUntil(&a.CooldownUntil, now, until) },
		func(a *account.Account) events.Event {
			return &events.AccountChanged{At: now, AccountID: a.ID, Account: a.Name, State: events.AccountCooldown, Until: a.CooldownUntil}
		})
}

// NeedsLogin takes id out of rotation until its credential is replaced; it
// ends id's session period if id is the active account.
func (p *Pool) NeedsLogin(id string, now time.Time) {
	p.update(id, now, session.EndNeedsLogin,
		func(a *account.Account) bool {
			already := a.NeedsLogin
			a.NeedsLogin = true
			return !already
		},
		func(a *account.Account) events.Event {
			return &events.AccountChanged{At: now, AccountID: a.ID, Account: a.Name, State: events.AccountNeedsLogin}
		})
}

// extendUntil moves *end out to until if that is later, never earlier, and
// reports whether this starts a new occurrence (*end had passed by now).
func extendUntil(end *time.Time, now, until time.Time) (occurrence bool) {
	occurrence = !end.After(now)
	if until.After(*end) {
		*end = until
	}
	return occurrence
}

// SetQuota records the quota windows one of id's answers reported and
// announces each threshold a window crossed (once per window period). It
// persists nothing itself: the call that settles the request (Served,
// RateLimited, Persist…) writes the account's state with the new quota.
func (p *Pool) SetQuota(id string, now time.Time, reported account.Quota) {
	if len(reported) == 0 {
		return
	}
	p.mu.Lock()
	a := p.find(id)
	if a == nil {
		p.mu.Unlock()
		return
	}
	var crossed []account.Crossing
	a.Quota, crossed = a.Quota.Merge(reported, now)
	name := a.Name
	p.mu.Unlock()
	for _, c := range crossed {
		p.bus.Publish(&events.QuotaCrossed{At: now, Account: name, Window: c.Window, Threshold: c.Threshold,
			Utilization: c.Reported.Utilization, ResetsAt: timeOrZero(c.Reported.ResetsAt)})
	}
}

// Persist writes id's state as it stands, for a change no other call wrote
// (the quota reported by an answer that was not served).
func (p *Pool) Persist(id string) {
	p.mu.Lock()
	a := p.find(id)
	if a == nil {
		p.mu.Unlock()
		return
	}
	st := stateOf(a)
	p.mu.Unlock()
	p.rec.Enqueue(st)
}

func timeOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// SetTokenExpiry records when id's access token expires (shown, never secret).
func (p *Pool) SetTokenExpiry(id string, exp time.Time) {
	p.mu.Lock()
	if a := p.find(id); a != nil {
		a.TokenExpiresAt = exp
		st := stateOf(a)
		p.mu.Unlock()
		p.rec.Enqueue(st)
		return
	}
	p.mu.Unlock()
}

// SetSecret replaces id's credential in memory (after a refresh or login).
func (p *Pool) SetSecret(id string, s creds.Secret) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets[id] = s
	if a := p.find(id); a != nil && !s.ExpiresAt.IsZero() {
		a.TokenExpiresAt = s.ExpiresAt
	}
}

// update applies change to id's state and persists it. change reports
// whether this is a new occurrence; only then is the event announce makes
// published and the session period ended.
func (p *Pool) update(id string, now time.Time, endReason string, change func(*account.Account) bool,
	announce func(*account.Account) events.Event) {
	p.mu.Lock()
	a := p.find(id)
	if a == nil {
		p.mu.Unlock()
		return
	}
	occurrence := change(a)
	st := stateOf(a)
	var e events.Event
	var ended []session.Period
	if occurrence {
		e = announce(a)
		if endReason != "" {
			if r, ok := p.history.EndOf(id, now, endReason); ok {
				ended = append(ended, r)
			}
		}
	}
	p.mu.Unlock()
	p.rec.Enqueue(st)
	if !occurrence {
		return
	}
	p.bus.Publish(e)
	p.persist(ended...)
}

// SetNow replaces the clock the pool uses where its callers pass no time
// (Load); the wall clock by default. Call it before use.
func (p *Pool) SetNow(now clock.Clock) { p.now = now }

func (p *Pool) clock() time.Time {
	return p.now.Now()
}

func (p *Pool) find(id string) *account.Account {
	for _, a := range p.accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func stateOf(a *account.Account) store.AccountState {
	return store.AccountState{
		ID: a.ID, SessionStart: a.SessionStart, RateLimitedUntil: a.RateLimitedUntil, CooldownUntil: a.CooldownUntil,
		LastUsed: a.LastUsed, TokenExpiresAt: a.TokenExpiresAt, SessionRequests: a.SessionRequests,
		TotalRequests: a.TotalRequests, NeedsLogin: a.NeedsLogin, Quota: a.Quota, LimitHeaders: a.LimitHeaders,
	}
}
