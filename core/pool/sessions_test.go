package pool_test

import (
	"context"
	"github.com/claudeflare/claudeflare/core/session"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/journal"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// dbRecorder writes each record at once to a real database, so the tests
// see the session history as the store keeps it.
type dbRecorder struct {
	t  *testing.T
	db *store.DB
}

func (r dbRecorder) Enqueue(rec store.Record) bool {
	if err := r.db.Write(context.Background(), []store.Record{rec}); err != nil {
		r.t.Errorf("writing %T: %v", rec, err)
	}
	return true
}

type historyHarness struct {
	t    *testing.T
	db   *store.DB
	pool *pool.Pool
	sec  *secrets
	list []account.Account
	now  time.Time // what the pool's own clock says (Load)
}

func newHistory(t *testing.T, list ...account.Account) *historyHarness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "claudeflare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &historyHarness{t: t, db: db, sec: &secrets{m: map[string]creds.Secret{}}, list: list}
	bus := events.NewBus()
	bus.Sink(journal.Sink(dbRecorder{t, db}))
	h.pool = pool.New(dbRecorder{t, db}, bus)
	h.pool.SetNow(func() time.Time { return h.now })
	for _, a := range list {
		h.sec.m[a.ID] = creds.Secret{APIKey: "key-" + a.Name}
	}
	h.load()
	return h
}

func acct(name string, i int) account.Account {
	return account.Account{ID: "id-" + name, Name: name, Kind: account.KindAPIKey,
		CreatedAt: t0.Add(time.Duration(i) * time.Second)}
}

func (h *historyHarness) load() { h.pool.Load(context.Background(), h.list, h.sec, nil) }

func (h *historyHarness) sessions() []store.Session {
	h.t.Helper()
	got, err := h.db.Sessions(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

func (h *historyHarness) want(want ...store.Session) {
	h.t.Helper()
	if got := h.sessions(); !reflect.DeepEqual(got, want) {
		h.t.Errorf("sessions:\n got %+v\nwant %+v", got, want)
	}
}

func sess(name string, start, expires, end time.Time, requests int64, startReason, endReason string) store.Session {
	return store.Session{Period: session.Period{AccountID: "id-" + name, AccountName: name, Start: start, Expires: expires, End: end,
		Requests: requests, StartReason: startReason, EndReason: endReason}}
}

var never time.Time

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestHistoryFirstSessionAndExpiry(t *testing.T) {
	t.Parallel()
	h := newHistory(t, acct("a", 0), acct("b", 1))
	h.pool.Served("id-a", at(0), dur, pool.Route{})
	h.pool.Served("id-a", at(time.Minute), dur, pool.Route{})
	h.want(sess("a", at(0), at(dur), never, 2, session.StartFirst, ""))

	// The session ran its course; the next request starts a new one (on b,
	// which has never had one) and the old one ends at its expiry.
	h.pool.Served("id-b", at(dur+time.Hour), dur, pool.Route{})
	h.want(
		sess("a", at(0), at(dur), at(dur), 2, session.StartFirst, session.EndExpired),
		sess("b", at(dur+time.Hour), at(2*dur+time.Hour), never, 1, session.StartExpired, ""),
	)
	// The same account again after expiry: one ends, one starts.
	h.pool.Served("id-b", at(3*dur), dur, pool.Route{})
	h.want(
		sess("a", at(0), at(dur), at(dur), 2, session.StartFirst, session.EndExpired),
		sess("b", at(dur+time.Hour), at(2*dur+time.Hour), at(2*dur+time.Hour), 1, session.StartExpired, session.EndExpired),
		sess("b", at(3*dur), at(4*dur), never, 1, session.StartExpired, ""),
	)
}

func TestHistoryRateLimitAndFailover(t *testing.T) {
	t.Parallel()
	h := newHistory(t, acct("a", 0), acct("b", 1), acct("c", 2))
	h.pool.Served("id-a", at(0), dur, pool.Route{})
	h.pool.Served("id-a", at(time.Minute), dur, pool.Route{})
	// a is rate-limited: its period ends then; the failover starts b's.
	h.pool.RateLimited("id-a", at(2*time.Minute), at(time.Hour), nil)
	h.pool.Served("id-b", at(2*time.Minute), dur, pool.Route{From: "a"})
	// b is overloaded (a cooldown ends nothing by itself); c takes over.
	h.pool.Cooldown("id-b", at(3*time.Minute), at(3*time.Minute+30*time.Second))
	h.pool.Served("id-c", at(3*time.Minute), dur, pool.Route{From: "b"})
	h.want(
		sess("a", at(0), at(dur), at(2*time.Minute), 2, session.StartFirst, session.EndRateLimit),
		sess("b", at(2*time.Minute), at(2*time.Minute+dur), at(3*time.Minute), 1, session.StartFailover, session.EndFailover),
		sess("c", at(3*time.Minute), at(3*time.Minute+dur), never, 1, session.StartFailover, ""),
	)
	// Measured from the recorded data: one session ended early by a rate limit.
	st, err := h.db.Stats(context.Background(), at(0), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Sessions; s.Started != 3 || s.Ended != 2 || s.EndedByRateLimit() != 1 || s.EndReasons[session.EndFailover] != 1 {
		t.Errorf("stats sessions %+v", s)
	}
}

func TestHistoryNeedsLoginPauseRemoveAndOther(t *testing.T) {
	t.Parallel()
	h := newHistory(t, acct("a", 0), acct("b", 1), acct("c", 2))
	h.pool.Served("id-a", at(0), dur, pool.Route{})
	h.pool.NeedsLogin("id-a", at(time.Minute))
	h.pool.Served("id-b", at(time.Minute), dur, pool.Route{From: "a"})
	// b is paused from the command line.
	h.list[1].Paused = true
	h.now = at(2 * time.Minute)
	h.load()
	h.pool.Served("id-c", at(3*time.Minute), dur, pool.Route{})
	// c is removed.
	h.list = h.list[:2]
	h.now = at(4 * time.Minute)
	h.load()
	h.want(
		sess("a", at(0), at(dur), at(time.Minute), 1, session.StartFirst, session.EndNeedsLogin),
		sess("b", at(time.Minute), at(time.Minute+dur), at(2*time.Minute), 1, session.StartFailover, session.EndPause),
		sess("c", at(3*time.Minute), at(3*time.Minute+dur), at(4*time.Minute), 1, session.StartExpired, session.EndRemoved),
	)
	// Another account serving while the open one is just unavailable
	// (here: in a cooldown, no failover in this request) ends it too.
	h2 := newHistory(t, acct("a", 0), acct("b", 1))
	h2.pool.Served("id-a", at(0), dur, pool.Route{})
	h2.pool.Cooldown("id-a", at(time.Minute), at(2*time.Minute))
	h2.pool.Served("id-b", at(time.Minute), dur, pool.Route{})
	h2.want(
		sess("a", at(0), at(dur), at(time.Minute), 1, session.StartFirst, session.EndOther),
		sess("b", at(time.Minute), at(time.Minute+dur), never, 1, session.StartExpired, ""),
	)
}

func TestHistoryLimitAfterExpiryEndsAtExpiry(t *testing.T) {
	t.Parallel()
	h := newHistory(t, acct("a", 0))
	h.pool.Served("id-a", at(0), dur, pool.Route{})
	h.pool.RateLimited("id-a", at(dur+time.Hour), at(dur+2*time.Hour), nil)
	h.want(sess("a", at(0), at(dur), at(dur), 1, session.StartFirst, session.EndExpired))
}

func TestHistoryResumedAndContinued(t *testing.T) {
	t.Parallel()
	h := newHistory(t, acct("a", 0), acct("b", 1))
	h.pool.Served("id-a", at(0), dur, pool.Route{})
	h.pool.RateLimited("id-a", at(time.Minute), at(time.Hour), nil)
	h.pool.Served("id-b", at(time.Minute), dur, pool.Route{From: "a"})
	h.list[1].Paused = true
	h.now = at(2 * time.Hour)
	h.load()
	// a's limit is over and its session is unexpired: it goes on with it,
	// a new period in the history.
	h.pool.Served("id-a", at(2*time.Hour), dur, pool.Route{})
	h.want(
		sess("a", at(0), at(dur), at(time.Minute), 1, session.StartFirst, session.EndRateLimit),
		sess("b", at(time.Minute), at(time.Minute+dur), at(2*time.Hour), 1, session.StartFailover, session.EndPause),
		sess("a", at(2*time.Hour), at(dur), never, 1, session.StartResumed, ""),
	)

	// After a restart, a session begun before it goes on under the same record.
	h2 := newHistory(t)
	a := acct("a", 0)
	a.SessionStart, a.SessionRequests = at(-time.Hour), 10
	h2.list = []account.Account{a}
	h2.sec.m[a.ID] = creds.Secret{APIKey: "k"}
	h2.load()
	dbRecorder{t, h2.db}.Enqueue(sess("a", at(-time.Hour), at(-time.Hour+dur), never, 10, session.StartFirst, ""))
	h2.pool.Served("id-a", at(0), dur, pool.Route{})
	h2.want(sess("a", at(-time.Hour), at(-time.Hour+dur), never, 11, session.StartFirst, ""))
}
