package tray

import (
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

// When the menu is rebuilt (docs/DESIGN.md, "The tray and its windows"): a
// change shows within a second, and a storm of changes (every request is
// an event) costs one rebuild a second. With nothing happening the menu is
// redrawn only when the clock alone changes what it says: when a countdown
// it shows turns ("3h12m left in session" becomes "3h11m": once a minute;
// with under a minute left, every RefreshEvery rather than every second),
// and when an account's state changes by time (a session expires, a rate
// limit or a cooldown ends). A menu with nothing counting down wakes nobody: each
// wake-up of a Go process costs it a burst of its scheduler's own wake-ups.
const (
	MinRebuildGap = time.Second
	RefreshEvery  = 30 * time.Second
)

// NextRebuild is when the menu is rebuilt next, given when it was last
// rebuilt, whether something changed since and when the clock alone asks
// for a redraw (NextRefresh). A time before now means now; the zero time
// means not until something changes.
func NextRebuild(last time.Time, changed bool, refresh time.Time) time.Time {
	if changed {
		return last.Add(MinRebuildGap)
	}
	return refresh
}

// NextRefresh is when the menu drawn at now from the accounts goes stale by
// the clock alone, or zero if it never does: the first turn of a countdown
// it shows or of an account's state.
func NextRefresh(accounts []view.Account, now time.Time) time.Time {
	var next time.Time
	soonest := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, a := range accounts {
		switch account.Status(a.Status) { // the countdowns of BuildMenu
		case account.StatusActive:
			soonest(countdownTurns(deref(a.SessionExpiresAt), now))
		case account.StatusCooldown:
			soonest(countdownTurns(deref(a.CooldownUntil), now))
		}
		soonest(deref(a.SessionExpiresAt))
		soonest(deref(a.RateLimitedUntil))
		soonest(deref(a.CooldownUntil))
		for _, w := range a.Limits { // a window resetting reads 0 % from then on
			soonest(deref(w.ResetsAt))
		}
	}
	return next
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// countdownTurns is when Countdown(deadline - t) next reads differently
// from what it reads at now (zero for a deadline passed): just after the
// whole minutes left drop by one; with under a minute left, RefreshEvery
// later (the deadline itself is a state's turn).
func countdownTurns(deadline, now time.Time) time.Time {
	left := deadline.Sub(now)
	switch {
	case left <= 0:
		return time.Time{}
	case left < time.Minute:
		return now.Add(RefreshEvery)
	}
	// At deadline-m exactly, m minutes are left and still read as m: the
	// turn is a moment later.
	turn := deadline.Add(-left.Truncate(time.Minute)).Add(time.Millisecond)
	if !turn.After(now) {
		turn = turn.Add(time.Minute)
	}
	return turn
}
