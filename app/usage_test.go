package app

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestBarHeights(t *testing.T) {
	t.Parallel()
	series := [][]int64{{1, 0, 2}, {3, 0, 2}}
	if Tallest(series) != 4 || Tallest(nil) != 0 {
		t.Errorf("tallest %d", Tallest(series))
	}
	got := BarHeights(series, 8)
	want := [][]float64{{0.125, 0, 0.25}, {0.375, 0, 0.25}}
	for a := range want {
		for b := range want[a] {
			if got[a][b] != want[a][b] {
				t.Fatalf("%v, want %v", got, want)
			}
		}
	}
	if h := BarHeights([][]int64{{0, 0}}, 1); h[0][0] != 0 {
		t.Errorf("all-zero series: %v", h)
	}
	if h := BarHeights(nil, 1); len(h) != 0 {
		t.Errorf("nil: %v", h)
	}
}

func TestUsageSummary(t *testing.T) {
	t.Parallel()
	var s view.Stats
	s.Total.Requests, s.Total.Errors, s.Total.CostUSDEstimate = 10, 1, 1.234
	s.Failovers.Count, s.Failovers.Rate, s.RateLimitEvents = 2, 0.2, 3
	s.Sessions = view.Sessions{Count: 4, Ended: 3, Open: 1, AvgLengthSeconds: 5400, AvgRequests: 2.5, EndedByRateLimit: 1, OpenLengthSeconds: 600}
	lines := strings.Join(UsageSummary(s), "\n")
	for _, want := range []string{"10 requests, 1 errors", "$1.23 (estimate)", "Failovers: 2 (20.0% of requests)", "rate-limit events: 3",
		"Sessions: 4 started: 3 ended (average 1h30m, 2.5 requests), 1 by a rate limit, 1 open for 10m so far"} {
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

// statsOnly answers Stats with a fixed view: the drawing of the usage
// window from the view types directly.
type statsOnly struct{ s view.Stats }

func (s statsOnly) Stats(context.Context, time.Duration) (view.Stats, error) { return s.s, nil }

// dayOfStats is a 24-hour window ending Wednesday 14:07:30 at UTC+2, in
// hourly buckets: two accounts' requests and tokens, and a timeline of
// five sessions, the last one open.
func dayOfStats() view.Stats {
	until := time.Date(2026, 11, 25, 12, 7, 30, 0, time.UTC)
	since := until.Add(-24 * time.Hour)
	at := func(h float64) *time.Time { t := since.Add(time.Duration(h * float64(time.Hour))); return &t }
	s := view.Stats{Window: "24h", Since: since, Until: until,
		Accounts: []view.AccountStats{{Account: "work", Share: 0.6}, {Account: "home", Share: 0.4}}}
	s.Total.Requests = 50
	s.Sessions = view.Sessions{Count: 5, Ended: 4, Open: 1, AvgLengthSeconds: 3*3600 + 45*60, AvgRequests: 2.5, EndedByRateLimit: 1, OpenLengthSeconds: 1500}
	s.Series = view.Series{Bucket: "1h", BucketSeconds: 3600}
	first := since.Truncate(time.Hour)
	work, home := view.SeriesAccount{Account: "work"}, view.SeriesAccount{Account: "home"}
	for i := range 25 {
		s.Series.Starts = append(s.Series.Starts, first.Add(time.Duration(i)*time.Hour))
		work.Requests, work.InputTokens, work.OutputTokens = append(work.Requests, int64(i%4)), append(work.InputTokens, int64(100*i)), append(work.OutputTokens, 12)
		home.Requests, home.InputTokens, home.OutputTokens = append(home.Requests, int64(i%3)), append(home.InputTokens, 50), append(home.OutputTokens, 12)
	}
	work.InputTokens[20] = 3300 // the tallest: 3300 + 12 + 50 + 12 = 3374 tokens
	s.Series.Accounts = []view.SeriesAccount{work, home}
	s.Timeline = []view.SessionSpan{
		{Account: "work", Start: *at(-1), End: at(4), EndReason: session.EndExpired, Requests: 4},
		{Account: "home", Start: *at(4), End: at(7), EndReason: session.EndRateLimit, Requests: 3},
		{Account: "work", Start: *at(7), End: at(9), EndReason: session.EndPause, Requests: 2},
		{Account: "spare", Start: *at(9), End: at(14), EndReason: session.EndExpired, Requests: 1},
		{Account: "home", Start: *at(23.5), Requests: 2},
	}
	return s
}

// TestUsageWindowDrawsAxesAndTimeline: the charts have time labels in
// local time and round value labels, the timeline a lane per account with
// a bar per session and a mark per ended one, its legend the reasons in
// words, and the session figures count the open one apart.
func TestUsageWindowDrawsAxesAndTimeline(t *testing.T) {
	test.NewTempApp(t)
	v := newUsageView(statsOnly{dayOfStats()}, func(f func()) { f() })
	v.loc = time.FixedZone("UTC+2", 2*3600)
	v.load()
	w := test.NewTempWindow(t, v.root)
	w.Resize(fyne.NewSize(800, 1400))

	all := texts(v.body)
	for _, want := range []string{
		"Sessions: 5 started: 4 ended (average 3h45m, 2.5 requests), 1 by a rate limit, 1 open for 25m so far",
		// Time labels, every 4 hours, midnight naming its day; the same under each chart.
		"16:00", "20:00", "Wed 25", "04:00", "08:00", "12:00",
		// Requests: tallest bucket 3 + 2 = 5 → gridlines 0, 2, 4, 6; tokens up to 3374 → 0, 1k … 4k.
		"0", "2", "4", "6", "1k", "2k", "3k", "4k",
		// The timeline's lanes and legend.
		"work", "home", "spare",
		"session time up (2)", "limit reached (1)", "paused (1)", "outlined: still open",
	} {
		if count(all, want) == 0 {
			t.Errorf("no %q in:\n%s", want, strings.Join(all, "\n"))
		}
	}
	if n := count(all, "Wed 25"); n != 4 {
		t.Errorf("%d time axes, want 4 (requests, tokens, timeline, events)", n)
	}
	if slices.ContainsFunc(all, func(s string) bool { return strings.Contains(s, "average 0s") }) {
		t.Error("an average of zero")
	}

	charts := layoutsOf[*timelineChart](v.body)
	if len(charts) != 1 {
		t.Fatalf("%d timelines", len(charts))
	}
	tl := charts[0]
	var lanes []string
	for i, l := range tl.lanes {
		lanes = append(lanes, l.Account)
		if len(tl.bars[i]) != len(l.Bars) {
			t.Errorf("%s: %d bars drawn of %d", l.Account, len(tl.bars[i]), len(l.Bars))
		}
	}
	if !slices.Equal(lanes, []string{"work", "home", "spare"}) {
		t.Errorf("lanes %v", lanes)
	}
	size := layoutsOfContainer(v.body, tl).Size()
	right := size.Width - rightPad
	home := tl.bars[1]
	if len(home) != 2 || tl.marks[1][1] != nil || tl.marks[1][0] == nil {
		t.Fatalf("home's bars %d, marks %v", len(home), tl.marks[1])
	}
	if end := home[1].Position().X + home[1].Size().Width; end < right-0.5 || end > right+0.5 {
		t.Errorf("the open session ends at %v, want the window's end %v", end, right)
	}
	// work's first session (from before the window) starts at the plot's left edge, ends at 4/24.
	first := tl.bars[0][0]
	if x := first.Position().X; x != gutter {
		t.Errorf("a session from before the window starts at %v", x)
	}
	if got, want := first.Size().Width, (right-gutter)*4/24; got < want-0.5 || got > want+0.5 {
		t.Errorf("work's first session is %v wide, want %v", got, want)
	}
	if m := tl.marks[1][0]; m.FillColor != ReasonColor(session.EndRateLimit) {
		t.Errorf("the limit's mark is %v", m.FillColor)
	}
}

// layoutsOfContainer finds the container laid out by l under o.
func layoutsOfContainer(o fyne.CanvasObject, l fyne.Layout) *fyne.Container {
	switch w := o.(type) {
	case *fyne.Container:
		if w.Layout == l {
			return w
		}
		for _, c := range w.Objects {
			if f := layoutsOfContainer(c, l); f != nil {
				return f
			}
		}
	}
	return nil
}
