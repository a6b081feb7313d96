package tray

import "time"

// How often the menu is rebuilt (docs/DESIGN.md, "The tray and its
// windows"): a change shows within a second, a storm of changes (a request
// is an event) costs one rebuild a second, and with nothing happening the
// menu is redrawn every 30 s so that its countdowns ("3h12m left") stay
// current. Between rebuilds nothing in the tray wakes.
const (
	MinRebuildGap = time.Second
	RefreshEvery  = 30 * time.Second
)

// NextRebuild is when the menu is rebuilt next, given when it was last
// rebuilt and whether something changed since. A time before now means now.
func NextRebuild(last time.Time, changed bool) time.Time {
	if changed {
		return last.Add(MinRebuildGap)
	}
	return last.Add(RefreshEvery)
}
