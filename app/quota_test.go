package app

import (
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
)

func TestQuotaBars(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("UTC+2", 2*3600)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // Wednesday 14:00 in loc
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	got := QuotaBars(map[string]view.Limit{
		"seven_day": {Utilization: 0.41, ResetsAt: at(43 * time.Hour), Status: "allowed"},
		"five_hour": {Utilization: 0.834, ResetsAt: at(2*time.Hour + 5*time.Minute + 20*time.Second), Status: "allowed_warning"},
		"7d_oi":     {Utilization: 1.04, ResetsAt: at(3 * time.Hour), Status: "rejected"},
		"7d_opus":   {Utilization: 0.97, ResetsAt: at(-time.Minute), Status: "allowed_warning"}, // reset since
		"7d_sonnet": {Utilization: 0.96},
		"7d_x":      {Utilization: 0.2, Status: "rejected"},
	}, now, loc)
	want := []QuotaBar{
		{Label: "5h", Fill: 0.834, Level: LevelWarn, Text: "83% · resets in 2h05m"},
		{Label: "7d", Fill: 0.41, Level: LevelOK, Text: "41% · resets Fri 09:00"},
		{Label: "7d_oi", Fill: 1, Level: LevelSpent, Text: "104%, spent · resets in 3h00m"},
		{Label: "7d_opus", Fill: 0, Level: LevelOK, Text: "0%"},
		{Label: "7d_sonnet", Fill: 0.96, Level: LevelHigh, Text: "96%"},
		{Label: "7d_x", Fill: 1, Level: LevelSpent, Text: "20%, spent"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if QuotaBars(nil, now, loc) != nil {
		t.Error("bars without windows")
	}
}
