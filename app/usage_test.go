package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestBarHeights(t *testing.T) {
	t.Parallel()
	got := BarHeights([][]int64{{1, 0, 2}, {3, 0, 2}})
	want := [][]float64{{0.25, 0, 0.5}, {0.75, 0, 0.5}}
	for a := range want {
		for b := range want[a] {
			if got[a][b] != want[a][b] {
				t.Fatalf("%v, want %v", got, want)
			}
		}
	}
	if h := BarHeights([][]int64{{0, 0}}); h[0][0] != 0 {
		t.Errorf("all-zero series: %v", h)
	}
	if h := BarHeights(nil); len(h) != 0 {
		t.Errorf("nil: %v", h)
	}
}

func TestUsageSummary(t *testing.T) {
	t.Parallel()
	var s view.Stats
	s.Total.Requests, s.Total.Errors, s.Total.CostUSDEstimate = 10, 1, 1.234
	s.Failovers.Count, s.Failovers.Rate, s.RateLimitEvents = 2, 0.2, 3
	s.Sessions.Count, s.Sessions.AvgLengthSeconds, s.Sessions.AvgRequests, s.Sessions.EndedByRateLimit = 4, 5400, 2.5, 1
	lines := strings.Join(UsageSummary(s), "\n")
	for _, want := range []string{"10 requests, 1 errors", "$1.23 (estimate)", "Failovers: 2 (20.0% of requests)", "rate-limit events: 3",
		"Sessions: 4 started, average 1h30m0s and 2.5 requests, 1 ended early by a rate limit"} {
		if !strings.Contains(lines, want) {
			t.Errorf("summary lacks %q:\n%s", want, lines)
		}
	}
}

// logSource answers Stats from a request log, as the engine does.
type logSource struct{ db *store.DB }

func (d logSource) Stats(ctx context.Context, window time.Duration) (view.Stats, error) {
	return core.ReadStats(ctx, d.db, time.Now(), window)
}

func TestUsageWindowDrawsFromTheLog(t *testing.T) {
	test.NewTempApp(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	db.Write(context.Background(), []store.Record{
		store.RequestRow{ID: "1", Start: now.Add(-time.Minute), AccountName: "x", Status: 200, InputTokens: 5, OutputTokens: 7},
		store.RequestRow{ID: "2", Start: now.Add(-2 * time.Minute), AccountName: "x", Status: 200, InputTokens: 5, OutputTokens: 7},
	})
	v := newUsageView(logSource{db}, func(f func()) { f() })
	test.NewTempWindow(t, v.root)
	first, ok := v.body.Objects[0].(*widget.Label)
	if !ok || !strings.HasPrefix(first.Text, "2 requests") {
		t.Fatalf("first line %v", v.body.Objects[0])
	}
}
