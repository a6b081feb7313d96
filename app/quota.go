package app

import (
	"fmt"
	"math"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

// QuotaBar is one quota window of an account as the accounts window draws
// it (docs/DESIGN.md, "Quota windows"): its short name, how much of the bar
// is filled (0…1), how worried to look, and the words beside it.
type QuotaBar struct {
	Label string  // "5h", "7d", "7d_oi"
	Fill  float64 // the fraction used, 1 at most
	Level Level
	Text  string // "83% · resets in 2h05m", "104%, spent · resets Fri 09:00"
}

// Level is how close a window is to its limit.
type Level int

const (
	LevelOK    Level = iota // under account.WarnAt
	LevelWarn               // from WarnAt, the first threshold users are told about
	LevelHigh               // from NearlySpentAt: a session there soon ends in a switch
	LevelSpent              // at or past the limit (or refused as such)
)

// QuotaBars are an account's quota windows at now, five-hour and weekly
// first. Use over the limit fills the bar and says "spent"; a window whose
// reset has passed since the engine reported it shows as unused, as the
// engine would count it (view.Limits).
func QuotaBars(limits map[string]view.Limit, now time.Time, loc *time.Location) []QuotaBar {
	var out []QuotaBar
	for _, w := range view.LimitsInOrder(limits) {
		u, status := w.Utilization, w.Status
		if w.ResetsAt != nil && !now.Before(*w.ResetsAt) {
			u, status = 0, "allowed"
		}
		b := QuotaBar{Label: view.WindowLabel(w.Name), Fill: min(1, max(0, u))}
		switch {
		case u >= 1 || status == "rejected":
			b.Level = LevelSpent
		case u >= account.NearlySpentAt:
			b.Level = LevelHigh
		case u >= account.WarnAt:
			b.Level = LevelWarn
		}
		b.Text = fmt.Sprintf("%d%%", int(math.Round(u*100)))
		if b.Level == LevelSpent {
			b.Fill = 1
			b.Text += ", spent"
		}
		if r := view.Resets(w.ResetsAt, now, loc); r != "" {
			b.Text += " · resets " + r
		}
		out = append(out, b)
	}
	return out
}
