// Package strategy implements the session strategy of SPEC §3: one account at
// a time, kept for a whole session, with ordered failover candidates.
package strategy

import (
	"sort"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// Name is the only strategy Claudeflare offers.
const Name = "session"

// Select returns the available accounts in the order the proxy should try
// them: the first serves the request, the rest are failover candidates. It
// is pure: it never changes the accounts. Whether the first one's session has
// to start now is reported by NeedsNewSession.
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
		if a.SessionActive(now, sessionDuration) && (first < 0 || a.SessionStart.After(avail[first].SessionStart)) {
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

// NeedsNewSession reports whether routing to a starts a new session for it.
func NeedsNewSession(a *account.Account, now time.Time, sessionDuration time.Duration) bool {
	return !a.SessionActive(now, sessionDuration)
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
