package pool_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// recorder keeps what the pool asks to persist.
type recorder struct {
	mu   sync.Mutex
	recs []store.Record
}

func (r *recorder) Enqueue(rec store.Record) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return true
}

func (r *recorder) events(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if e, ok := rec.(*store.Event); ok && e.Kind == kind {
			n++
		}
	}
	return n
}

// secrets is an in-memory credential store that can fail on demand.
type secrets struct {
	m    map[string]creds.Secret
	fail bool
}

func (s *secrets) Get(_ context.Context, id string) (creds.Secret, error) {
	if s.fail {
		return creds.Secret{}, creds.UnavailableError(errors.New("locked"))
	}
	v, ok := s.m[id]
	if !ok {
		return v, creds.ErrNotFound
	}
	return v, nil
}
func (s *secrets) Set(_ context.Context, id string, v creds.Secret) error { s.m[id] = v; return nil }
func (s *secrets) Delete(_ context.Context, id string) error              { delete(s.m, id); return nil }
func (s *secrets) Describe() string                                       { return "memory" }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// recordingBus is a bus whose events reach rec as the request log's rows,
// as in the running app.
func recordingBus(rec *recorder) *events.Bus {
	bus := events.NewBus()
	bus.Sink(journal.Sink(rec))
	return bus
}

const dur = 5 * time.Hour

func setup(t *testing.T, names ...string) (*pool.Pool, *recorder, *secrets, []account.Account) {
	t.Helper()
	rec := &recorder{}
	sec := &secrets{m: map[string]creds.Secret{}}
	p := pool.New(rec, recordingBus(rec))
	var list []account.Account
	for i, n := range names {
		a := account.Account{ID: "id-" + n, Name: n, Kind: account.KindAPIKey, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		sec.m[a.ID] = creds.Secret{APIKey: "key-" + n}
		list = append(list, a)
	}
	p.Load(context.Background(), list, sec, nil)
	return p, rec, sec, list
}

func names(c []pool.Candidate) []string {
	out := make([]string, len(c))
	for i, x := range c {
		out[i] = x.Name
	}
	return out
}

func TestPickCarriesSecretsInStrategyOrder(t *testing.T) {
	t.Parallel()
	p, _, _, _ := setup(t, "a", "b")
	c := p.Pick(t0, dur)
	if len(c) != 2 || c[0].Name != "a" || c[0].Secret.APIKey != "key-a" || c[1].Name != "b" {
		t.Fatalf("%+v", c)
	}
}

func TestServedStartsSessionsAndCounts(t *testing.T) {
	t.Parallel()
	p, rec, _, _ := setup(t, "a", "b")
	p.Served("id-a", t0, dur, pool.Route{})
	p.Served("id-a", t0.Add(time.Minute), dur, pool.Route{})
	v := p.Views(t0.Add(time.Minute), dur)[0]
	if v.Name != "a" || v.Status != account.StatusActive || !v.SessionStart.Equal(t0) || v.SessionRequests != 2 || v.TotalRequests != 2 {
		t.Fatalf("%+v", v)
	}
	if n := rec.events("session_started"); n != 1 {
		t.Errorf("%d session_started events, want 1", n)
	}
	// Failover to b starts b's session even though a's is unexpired.
	p.Served("id-b", t0.Add(2*time.Minute), dur, pool.Route{From: "a"})
	if c := p.Pick(t0.Add(3*time.Minute), dur); c[0].Name != "b" {
		t.Fatalf("after failover the candidate must be active: %v", names(c))
	}
	if n := rec.events("session_started"); n != 2 {
		t.Errorf("%d session_started events, want 2", n)
	}
}

func TestLimitsTakeAccountsOutUntilTheyPass(t *testing.T) {
	t.Parallel()
	p, rec, _, _ := setup(t, "a", "b", "c")
	p.RateLimited("id-a", t0, t0.Add(time.Hour), nil)
	p.Cooldown("id-b", t0, t0.Add(30*time.Second))
	if c := names(p.Pick(t0, dur)); len(c) != 1 || c[0] != "c" {
		t.Fatalf("%v", c)
	}
	if c := names(p.Pick(t0.Add(31*time.Second), dur)); len(c) != 2 || c[0] != "b" {
		t.Fatalf("after cooldown: %v", c)
	}
	if earliest, _, all := p.EarliestRecovery(t0); all || !earliest.Equal(t0.Add(time.Hour)) {
		t.Errorf("EarliestRecovery = %v, %v", earliest, all)
	}
	p.RateLimited("id-b", t0, t0.Add(2*time.Hour), nil)
	p.RateLimited("id-c", t0, t0.Add(3*time.Hour), nil)
	if earliest, _, all := p.EarliestRecovery(t0); !all || !earliest.Equal(t0.Add(time.Hour)) {
		t.Errorf("EarliestRecovery = %v, %v; want all limited, earliest in 1 h", earliest, all)
	}
	if rec.events("rate_limited") != 3 || rec.events("cooldown") != 1 {
		t.Errorf("events not recorded")
	}
}

func TestLoadMergesSettingsAndKeepsRuntimeState(t *testing.T) {
	t.Parallel()
	p, _, sec, list := setup(t, "a", "b")
	p.Served("id-a", t0, dur, pool.Route{})
	p.NeedsLogin("id-b", t0)
	// Another process renames a, pauses it and logs b in again.
	list[0].Name, list[0].Paused = "renamed", true
	list[1].CredVersion = 1
	sec.m["id-b"] = creds.Secret{APIKey: "new-key-b"}
	p.Load(context.Background(), list, sec, nil)
	views := p.Views(t0, dur)
	byName := map[string]pool.View{}
	for _, v := range views {
		byName[v.Name] = v
	}
	a, b := byName["renamed"], byName["b"]
	if a.Status != account.StatusPaused || a.TotalRequests != 1 || !a.SessionStart.Equal(t0) {
		t.Errorf("a lost its runtime state or settings: %+v", a)
	}
	if b.Status != account.StatusAvailable || b.NeedsLogin {
		t.Errorf("a new credential must clear needs_login: %+v", b)
	}
	if c := p.Pick(t0, dur); len(c) != 1 || c[0].Secret.APIKey != "new-key-b" {
		t.Errorf("new secret not loaded: %+v", c)
	}
	// Removal drops the account and its secret.
	p.Load(context.Background(), list[1:], sec, nil)
	if p.Len() != 1 {
		t.Errorf("Len = %d after removal", p.Len())
	}
}

func TestAccountWithUnreadableSecretCannotServe(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	sec := &secrets{m: map[string]creds.Secret{}, fail: true}
	p := pool.New(rec, recordingBus(rec))
	p.Load(context.Background(), []account.Account{{ID: "x", Name: "x", Kind: account.KindAPIKey}}, sec, nil)
	if c := p.Pick(t0, dur); len(c) != 0 {
		t.Fatalf("picked %v without a credential", names(c))
	}
	if total, avail := p.Summary(t0); total != 1 || avail != 0 {
		t.Errorf("Summary = %d, %d", total, avail)
	}
	sec.fail = false
	sec.m["x"] = creds.Secret{APIKey: "k"}
	p.Load(context.Background(), []account.Account{{ID: "x", Name: "x", Kind: account.KindAPIKey}}, sec, nil)
	if c := p.Pick(t0, dur); len(c) != 1 {
		t.Fatalf("a later load must retry the credential")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	p, _, sec, list := setup(t, "a", "b", "c")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				now := t0.Add(time.Duration(j) * time.Second)
				if c := p.Pick(now, dur); len(c) > 0 {
					p.Served(c[0].ID, now, dur, pool.Route{})
				}
				if j%50 == 0 {
					p.RateLimited(list[i%3].ID, now, now.Add(time.Second), nil)
					p.Load(context.Background(), list, sec, nil)
				}
				p.Views(now, dur)
			}
		}()
	}
	wg.Wait()
}

// TestLimitStormCountsOnce: the 429s of requests that were in flight when an
// account's limit began are one occurrence: one event, the limit extended
// to the furthest reset, never shortened; a limit after the last one has
// passed is a new occurrence. The same holds for cooldowns and needs_login.
func TestLimitStormCountsOnce(t *testing.T) {
	t.Parallel()
	rec, bus := &recorder{}, events.NewBus()
	bus.Sink(journal.Sink(rec))
	p := pool.New(rec, bus)
	sec := &secrets{m: map[string]creds.Secret{"id-a": {APIKey: "key-a"}, "id-b": {APIKey: "key-b"}}}
	p.Load(context.Background(), []account.Account{
		{ID: "id-a", Name: "a", Kind: account.KindAPIKey, CreatedAt: t0},
		{ID: "id-b", Name: "b", Kind: account.KindAPIKey, CreatedAt: t0.Add(time.Second)},
	}, sec, nil)
	published, cancel := bus.Subscribe(128)
	defer cancel()
	p.Served("id-a", t0, dur, pool.Route{})
	for i := range 20 {
		p.RateLimited("id-a", t0.Add(time.Duration(i)*time.Millisecond), t0.Add(time.Hour+time.Duration(i%3)*time.Minute), nil)
		p.Cooldown("id-b", t0, t0.Add(30*time.Second-time.Duration(i)*time.Second))
		p.NeedsLogin("id-b", t0)
	}
	if n := rec.events("rate_limited"); n != 1 {
		t.Errorf("%d rate_limited events for one storm, want 1", n)
	}
	if n := rec.events("cooldown"); n != 1 {
		t.Errorf("%d cooldown events for one storm, want 1", n)
	}
	if n := rec.events("needs_login"); n != 1 {
		t.Errorf("%d needs_login events, want 1", n)
	}
	views := map[string]pool.View{}
	for _, v := range p.Views(t0, dur) {
		views[v.Name] = v
	}
	if got, want := views["a"].RateLimitedUntil, t0.Add(time.Hour+2*time.Minute); !got.Equal(want) {
		t.Errorf("a limited until %v, want the furthest reset %v", got, want)
	}
	if got, want := views["b"].CooldownUntil, t0.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("b cools down until %v, want %v (never shortened)", got, want)
	}
	limits := 0
	for len(published) > 0 {
		if _, ok := (<-published).(*events.RateLimited); ok {
			limits++
		}
	}
	if limits != 1 {
		t.Errorf("%d rate_limited events published, want 1", limits)
	}

	// After the limit has passed, a 429 is a new occurrence.
	later := t0.Add(3 * time.Hour)
	p.RateLimited("id-a", later, later.Add(time.Hour), nil)
	if n := rec.events("rate_limited"); n != 2 {
		t.Errorf("%d rate_limited events after a second limit, want 2", n)
	}
}

// TestHopServesWithoutMovingTheSession: the account that serves a hopped
// request counts it, but neither starts a session nor becomes the active one.
func TestHopServesWithoutMovingTheSession(t *testing.T) {
	t.Parallel()
	p, rec, _, _ := setup(t, "a", "b")
	p.Served("id-a", t0, dur, pool.Route{})
	p.Served("id-b", t0.Add(time.Minute), dur, pool.Route{From: "a", Hop: true})
	views := map[string]pool.View{}
	for _, v := range p.Views(t0.Add(2*time.Minute), dur) {
		views[v.Name] = v
	}
	if a := views["a"]; a.Status != account.StatusActive || !a.SessionStart.Equal(t0) || a.SessionRequests != 1 {
		t.Errorf("a: %s, session %v, %d requests; want still active in its session", a.Status, a.SessionStart, a.SessionRequests)
	}
	if b := views["b"]; !b.SessionStart.IsZero() || b.TotalRequests != 1 || !b.LastUsed.Equal(t0.Add(time.Minute)) {
		t.Errorf("b: session %v, %d requests, last used %v; want no session, the request counted", b.SessionStart, b.TotalRequests, b.LastUsed)
	}
	if n := rec.events(store.EventSessionStarted); n != 1 {
		t.Errorf("%d session starts, want 1 (a's)", n)
	}
	// The next request goes to a: its session is the one running.
	if c := p.Pick(t0.Add(3*time.Minute), dur); c[0].Name != "a" {
		t.Errorf("next pick %v, want a first", names(c))
	}
}

// TestLimitHeadersOfTheFurthestLimitAreKept: the headers replayed when every
// account is spent are those of the limit that ends last; EarliestRecovery
// hands out the earliest account's.
func TestLimitHeadersOfTheFurthestLimitAreKept(t *testing.T) {
	t.Parallel()
	p, _, _, _ := setup(t, "a", "b")
	h := func(claim string) http.Header {
		return http.Header{"Anthropic-Ratelimit-Unified-Representative-Claim": {claim}}
	}
	p.RateLimited("id-a", t0, t0.Add(time.Hour), h("five_hour"))
	p.RateLimited("id-a", t0, t0.Add(48*time.Hour), h("seven_day"))
	p.RateLimited("id-a", t0, t0.Add(2*time.Hour), h("stale")) // an in-flight request's older news
	p.RateLimited("id-b", t0, t0.Add(3*time.Hour), nil)        // API-key traffic has none
	earliest, got, all := p.EarliestRecovery(t0)
	if !all || !earliest.Equal(t0.Add(3*time.Hour)) || got != nil {
		t.Errorf("EarliestRecovery = %v, %v, %v; want b's reset with no headers", earliest, got, all)
	}
	p.RateLimited("id-b", t0, t0.Add(72*time.Hour), nil)
	earliest, got, _ = p.EarliestRecovery(t0)
	if !earliest.Equal(t0.Add(48*time.Hour)) || got.Get("Anthropic-Ratelimit-Unified-Representative-Claim") != "seven_day" {
		t.Errorf("EarliestRecovery = %v, %v; want a's weekly limit with its headers", earliest, got)
	}
}

// TestSetQuotaAnnouncesCrossings: each threshold a window crosses is
// published once, as a typed event, and the quota shows in the views.
func TestSetQuotaAnnouncesCrossings(t *testing.T) {
	t.Parallel()
	rec, bus := &recorder{}, events.NewBus()
	bus.Sink(journal.Sink(rec))
	p := pool.New(rec, bus)
	p.Load(context.Background(), []account.Account{{ID: "id-a", Name: "a", Kind: account.KindOAuth, CreatedAt: t0}},
		&secrets{m: map[string]creds.Secret{"id-a": {AccessToken: "t"}}}, nil)
	published, cancel := bus.Subscribe(16)
	defer cancel()
	reset := t0.Add(2 * time.Hour)
	for i, u := range []float64{0.5, 0.81, 0.9, 0.96, 0.97} {
		p.SetQuota("id-a", t0.Add(time.Duration(i)*time.Minute), account.Quota{account.WindowFiveHour: {Utilization: u, ResetsAt: reset}})
	}
	p.SetQuota("id-a", t0, nil)
	p.SetQuota("no-such-id", t0, account.Quota{account.WindowFiveHour: {Utilization: 1}})
	var got []float64
	for len(published) > 0 {
		if q, ok := (<-published).(*events.QuotaCrossed); ok {
			if q.Account != "a" || q.Window != account.WindowFiveHour || !q.ResetsAt.Equal(reset) {
				t.Errorf("event %+v", q)
			}
			got = append(got, q.Threshold)
		}
	}
	if len(got) != 2 || got[0] != account.WarnAt || got[1] != account.NearlySpentAt {
		t.Errorf("announced %v, want 80 %% then 95 %%, once each", got)
	}
	if v := p.Views(t0, dur)[0]; v.Quota[account.WindowFiveHour].Utilization != 0.97 {
		t.Errorf("view quota %v", v.Quota)
	}
	// Persist writes the state with the quota.
	p.Persist("id-a")
	rec.mu.Lock()
	last := rec.recs[len(rec.recs)-1].(store.AccountState)
	rec.mu.Unlock()
	if last.Quota[account.WindowFiveHour].Utilization != 0.97 {
		t.Errorf("persisted quota %v", last.Quota)
	}
}
