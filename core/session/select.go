// Package session owns the session strategy (docs/DESIGN.md, "The session
// strategy"): which account serves, when a session starts and ends, and why.
// One account at a time is kept for a whole session, with ordered
// candidates behind it. Everything here is pure or, for History, guarded by
// its owner's lock (the pool's); nothing waits on disk or network.
package session

import (
	"sort"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// StrategyName is the only strategy Claudeflare offers.
const StrategyName = "session"

// Select returns the available accounts in the order the proxy should try
// them: the first serves the request, the rest are candidates. It is pure:
// it never changes the accounts. Whether the first one's session has to
// start now is reported by NeedsNew.
//
//  1. Among available accounts with an unexpired session, the one whose
//     session started last comes first.
//  2. Otherwise the available account with the lowest priority number comes
//     first; among equal priorities an account with room comes before a
//     nearly spent one (a quota window at 95 % or more, not yet reset: a
//     session started there would soon end in a forced switch), then the one
//     whose last session started longest ago (never used first, then
//     creation order), so equal accounts take turns.
//  3. The other available accounts follow by priority, then creation.
//
// Unavailable accounts are never returned; an empty result means none can serve.
func Select(accounts []*account.Account, now time.Time, sessionDuration time.Duration) []*account.Account {
	avail := make([]*account.Account, 0, len(accounts))
	for _, a := range accounts {
		if a.Available(now) {
			avail = append(avail, a)
		}
	}
	if len(avail) == 0 {
		return avail
	}
	sort.SliceStable(avail, func(i, j int) bool { return inOrder(avail[i], avail[j]) })

	first := -1
	for i, a := range avail {
		if Running(a, now, sessionDuration) && (first < 0 || a.SessionStart.After(avail[first].SessionStart)) {
			first = i
		}
	}
	if first < 0 {
		first = 0
		for i, a := range avail[1:] {
			if a.Priority != avail[0].Priority {
				break
			}
			if startsBefore(a, avail[first], now) {
				first = i + 1
			}
		}
	}
	if first > 0 {
		chosen := avail[first]
		copy(avail[1:first+1], avail[:first])
		avail[0] = chosen
	}
	return avail
}

// NeedsNew reports whether routing to a starts a new session for it.
func NeedsNew(a *account.Account, now time.Time, sessionDuration time.Duration) bool {
	return !Running(a, now, sessionDuration)
}

// Running reports whether a's session is unexpired at now.
func Running(a *account.Account, now time.Time, duration time.Duration) bool {
	return !a.SessionStart.IsZero() && now.Sub(a.SessionStart) < duration
}

// ExpiresAt is when a's current session ends, or zero with no session.
func ExpiresAt(a *account.Account, duration time.Duration) time.Time {
	if a.SessionStart.IsZero() {
		return time.Time{}
	}
	return a.SessionStart.Add(duration)
}

// Order sorts accounts in place by priority, then creation time: the order
// users see when nothing else applies.
func Order(accounts []*account.Account) {
	sort.SliceStable(accounts, func(i, j int) bool { return inOrder(accounts[i], accounts[j]) })
}

func inOrder(a, b *account.Account) bool {
	if a.Priority != b.Priority {
		return a.Priority < b.Priority
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// startsBefore: of two accounts of equal priority, which should start the
// next session: one with room before a nearly spent one, then the one whose
// last session started earlier.
func startsBefore(a, b *account.Account, now time.Time) bool {
	if as, bs := a.Quota.NearlySpent(now), b.Quota.NearlySpent(now); as != bs {
		return bs
	}
	return startedEarlier(a, b)
}

// startedEarlier: never used sorts before used; otherwise the older session start.
func startedEarlier(a, b *account.Account) bool {
	switch {
	case a.SessionStart.IsZero():
		return !b.SessionStart.IsZero()
	case b.SessionStart.IsZero():
		return false
	default:
		return a.SessionStart.Before(b.SessionStart)
	}
}
