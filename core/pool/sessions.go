package pool

import (
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/store"
)

// The session history (store.Session) records each period an account was
// the active one, from the moment it took over to the moment it stopped,
// and why it stopped, so that session effectiveness is measured rather than
// guessed. At most one period is open at a time: the active account's. It
// is written through the Recorder like everything else, never waiting on
// the database.
//
// A period ends when:
//   - its session expires: noticed when the next session starts (it ends at
//     its expiry, not when noticed; Stats also counts an open period as
//     ended once its expiry has passed);
//   - the account is rate-limited (429) or refused (needs a new login);
//   - the proxy fails over to another account (overload, network error, …);
//   - the account is paused or removed;
//   - another account takes over for any other reason ("unavailable").

// period is the open session record.
type period struct {
	id, name      string
	start         time.Time // when this account took over: the record's key with id
	strategyStart time.Time // the account's SessionStart that the period belongs to
	expires       time.Time
	requests      int64
	startReason   string
}

func (o *period) record(end time.Time, reason string) store.Session {
	return store.Session{AccountID: o.id, AccountName: o.name, Start: o.start, Expires: o.expires, End: end,
		Requests: o.requests, StartReason: o.startReason, EndReason: reason}
}

// SetNow replaces the clock the pool uses where its callers pass no time
// (Load); time.Now by default. Call it before use.
func (p *Pool) SetNow(now func() time.Time) { p.now = now }

func (p *Pool) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// endPeriod closes the open period with reason at now, or at its expiry if
// that came first. p.mu must be held.
func (p *Pool) endPeriod(now time.Time, reason string) store.Record {
	o := p.open
	p.open = nil
	if p.ended == nil {
		p.ended = map[string]time.Time{}
	}
	p.ended[o.id] = o.strategyStart
	end := now
	if !o.expires.IsZero() && !now.Before(o.expires) {
		end, reason = o.expires, store.EndExpired
	}
	if end.Before(o.start) {
		end = o.start
	}
	return o.record(end, reason)
}

// endPeriodOf ends the open period if it is id's. p.mu must be held.
func (p *Pool) endPeriodOf(id string, now time.Time, reason string) store.Record {
	if p.open == nil || p.open.id != id {
		return nil
	}
	return p.endPeriod(now, reason)
}

// endPeriodIfOut ends the open period when its account was removed or
// paused (after Load). p.mu must be held.
func (p *Pool) endPeriodIfOut() store.Record {
	if p.open == nil {
		return nil
	}
	switch a := p.find(p.open.id); {
	case a == nil:
		return p.endPeriod(p.clock(), store.EndRemoved)
	case a.Paused:
		return p.endPeriod(p.clock(), store.EndPause)
	}
	return nil
}

// servedPeriod keeps the history when a served a request: it ends the open
// period if another account took over or a new session started, opens one
// for a if none is open, and counts the request. startReason is set when a's
// session started now. p.mu must be held.
func (p *Pool) servedPeriod(a *account.Account, now time.Time, sessionDuration time.Duration, startReason, failedOverFrom string) []store.Record {
	var recs []store.Record
	if o := p.open; o != nil && (o.id != a.ID || startReason != "") {
		o.expires = o.strategyStart.Add(sessionDuration)
		reason := store.EndOther
		switch {
		case o.id == a.ID:
			reason = store.EndExpired
		case failedOverFrom != "":
			reason = store.EndFailover
		}
		recs = append(recs, p.endPeriod(now, reason))
	}
	if p.open == nil {
		o := &period{id: a.ID, start: now, strategyStart: a.SessionStart, startReason: startReason}
		if startReason == "" {
			if last, ok := p.ended[a.ID]; ok && last.Equal(a.SessionStart) {
				// Back to a session an interruption ended: a new period.
				o.startReason = store.StartResumed
			} else {
				// A session begun before this process started goes on.
				o.start, o.startReason, o.requests = a.SessionStart, store.StartContinued, a.SessionRequests-1
			}
		}
		p.open = o
	}
	o := p.open
	o.name = a.Name
	o.requests++
	o.expires = a.SessionStart.Add(sessionDuration)
	return append(recs, o.record(time.Time{}, ""))
}
