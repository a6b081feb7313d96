package session

import (
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// History records each period an account was the active one, from the
// moment it took over to the moment it stopped, and why, so that session
// effectiveness is measured rather than guessed. At most one period is open
// at a time: the active account's. Its owner (the pool) calls it under its
// own lock and persists the periods it returns without waiting on the
// database.
//
// A period ends when:
//   - its session expires: noticed when the next session starts (it ends at
//     its expiry, not when noticed; statistics also count an open period as
//     ended once its expiry has passed);
//   - the account's limit is reached or its credential is refused;
//   - another account takes over because this one could not serve;
//   - the account is paused or removed;
//   - another account takes over for any other reason ("unavailable").
type History struct {
	open  *open
	ended map[string]time.Time // by account: the SessionStart of its last ended period
}

// open is the open period.
type open struct {
	id, name      string
	start         time.Time // when this account took over: the record's key with id
	strategyStart time.Time // the account's SessionStart that the period belongs to
	expires       time.Time
	requests      int64
	startReason   string
}

func (o *open) period(end time.Time, reason string) Period {
	return Period{AccountID: o.id, AccountName: o.name, Start: o.start, Expires: o.expires, End: end,
		Requests: o.requests, StartReason: o.startReason, EndReason: reason}
}

// end closes the open period with reason at now, or at its expiry if that
// came first.
func (h *History) end(now time.Time, reason string) Period {
	o := h.open
	h.open = nil
	if h.ended == nil {
		h.ended = map[string]time.Time{}
	}
	h.ended[o.id] = o.strategyStart
	end := now
	if !o.expires.IsZero() && !now.Before(o.expires) {
		end, reason = o.expires, EndExpired
	}
	if end.Before(o.start) {
		end = o.start
	}
	return o.period(end, reason)
}

// EndOf ends the open period if it is id's, and returns it.
func (h *History) EndOf(id string, now time.Time, reason string) (Period, bool) {
	if h.open == nil || h.open.id != id {
		return Period{}, false
	}
	return h.end(now, reason), true
}

// EndIfOut ends the open period when its account was removed (find returns
// nil) or paused.
func (h *History) EndIfOut(now time.Time, find func(id string) *account.Account) (Period, bool) {
	if h.open == nil {
		return Period{}, false
	}
	switch a := find(h.open.id); {
	case a == nil:
		return h.end(now, EndRemoved), true
	case a.Paused:
		return h.end(now, EndPause), true
	}
	return Period{}, false
}

// Served keeps the history when a served a request: it ends the open period
// if another account took over or a new session started, opens one for a
// if none is open, and counts the request. startReason is set when a's
// session started now; failedOverFrom names the account the request left.
// It returns the periods to persist: an ended one, if any, and a's open one.
func (h *History) Served(a *account.Account, now time.Time, sessionDuration time.Duration, startReason, failedOverFrom string) []Period {
	var out []Period
	if o := h.open; o != nil && (o.id != a.ID || startReason != "") {
		o.expires = o.strategyStart.Add(sessionDuration)
		reason := EndOther
		switch {
		case o.id == a.ID:
			reason = EndExpired
		case failedOverFrom != "":
			reason = EndFailover
		}
		out = append(out, h.end(now, reason))
	}
	if h.open == nil {
		o := &open{id: a.ID, start: now, strategyStart: a.SessionStart, startReason: startReason}
		if startReason == "" {
			if last, ok := h.ended[a.ID]; ok && last.Equal(a.SessionStart) {
				// Back to a session an interruption ended: a new period.
				o.startReason = StartResumed
			} else {
				// A session begun before this process started goes on.
				o.start, o.startReason, o.requests = a.SessionStart, StartContinued, a.SessionRequests-1
			}
		}
		h.open = o
	}
	o := h.open
	o.name = a.Name
	o.requests++
	o.expires = a.SessionStart.Add(sessionDuration)
	return append(out, o.period(time.Time{}, ""))
}
