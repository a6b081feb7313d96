package view

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

// The quota windows as users read them (docs/DESIGN.md, "Quota windows"):
// one order, one short name and one reset phrase for every place that
// shows them (the command line, the tray menu, the accounts window).

// QuotaLine is an account's quota windows on one line, the five-hour and
// weekly ones first, e.g. "5h 83% (resets 14:20) · 7d 41% (resets Fri 09:00)";
// "-" when no answer has reported any (API-key accounts). A window past its
// reset reads 0 % until the next answer says more (Limits). The command
// line and the tray both show it.
func QuotaLine(cur map[string]Limit, now time.Time, loc *time.Location) string {
	if len(cur) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(cur))
	for _, w := range LimitsInOrder(cur) {
		part := fmt.Sprintf("%s %d%%", WindowLabel(w.Name), int(math.Round(w.Utilization*100)))
		if w.ResetsAt != nil && w.ResetsAt.After(now) {
			part += " (resets " + resetText(*w.ResetsAt, now, loc) + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " · ")
}

// NamedLimit is a quota window with its name (a key of Account.Limits).
type NamedLimit struct {
	Name string
	Limit
}

// LimitsInOrder lists limits five-hour first, then weekly, then the others
// (model windows such as 7d_oi) by name: the order people compare them in.
func LimitsInOrder(limits map[string]Limit) []NamedLimit {
	out := make([]NamedLimit, 0, len(limits))
	for name, l := range limits {
		out = append(out, NamedLimit{name, l})
	}
	slices.SortFunc(out, func(a, b NamedLimit) int {
		return cmp.Or(cmp.Compare(windowRank(a.Name), windowRank(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	return out
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

// Resets says when a window resets as the accounts window's bars say it: a
// countdown within a day ("in 2h05m", by Remaining) and a day and time in
// loc beyond ("Fri 09:00"; "Jan 2 09:00" a week or more away); "" when it
// has passed or is unknown. One line of many windows (QuotaLine) reads
// clock times instead, which are shorter.
func Resets(at *time.Time, now time.Time, loc *time.Location) string {
	if at == nil || !at.After(now) {
		return ""
	}
	switch d := at.Sub(now); {
	case d < 24*time.Hour:
		return "in " + Remaining(d)
	case d < 6*24*time.Hour:
		return at.In(loc).Format("Mon 15:04")
	}
	return at.In(loc).Format("Jan 2 15:04")
}
