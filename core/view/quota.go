package view

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// QuotaLine is an account's quota windows on one line, the five-hour and
// weekly ones first, e.g. "5h 83% (resets 14:20) · 7d 41% (resets Fri 09:00)";
// "-" when no answer has reported any (API-key accounts). A window past its
// reset reads 0 % until the next answer says more (Limits). The command
// line and the tray both show it.
func QuotaLine(cur map[string]Limit, now time.Time, loc *time.Location) string {
	if len(cur) == 0 {
		return "-"
	}
	names := make([]string, 0, len(cur))
	for name := range cur {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := windowRank(a), windowRank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(names))
	for _, name := range names {
		w := cur[name]
		part := fmt.Sprintf("%s %d%%", WindowLabel(name), int(math.Round(w.Utilization*100)))
		if w.ResetsAt != nil && w.ResetsAt.After(now) {
			part += " (resets " + resetText(*w.ResetsAt, now, loc) + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " · ")
}

func windowRank(name string) int {
	switch name {
	case account.WindowFiveHour:
		return 0
	case account.WindowSevenDay:
		return 1
	}
	return 2
}

// WindowLabel is a window's name as Anthropic's headers spell it: 5h, 7d, 7d_oi.
func WindowLabel(name string) string {
	switch name {
	case account.WindowFiveHour:
		return "5h"
	case account.WindowSevenDay:
		return "7d"
	}
	return name
}

// resetText is a reset time as a user reads it: the clock time within a
// day, else the weekday too.
func resetText(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Sub(now) < 20*time.Hour {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}
