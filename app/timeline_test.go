package app

import (
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestTimelineLanes(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	until := since.Add(10 * time.Hour)
	at := func(h float64) *time.Time { t := since.Add(time.Duration(h * float64(time.Hour))); return &t }
	spans := []view.SessionSpan{
		{Account: "home", Start: *at(-2), End: at(1), Requests: 3, EndReason: session.EndExpired}, // began before the window
		{Account: "work", Start: *at(1), End: at(4), Requests: 9, EndReason: session.EndRateLimit},
		{Account: "spare", Start: *at(4), End: at(5), Requests: 1, EndReason: session.EndPause}, // not in the stats' order
		{Account: "home", Start: *at(5), Requests: 2},                                           // open
		{Account: "gone", Start: *at(-5), End: at(-1), EndReason: session.EndRemoved},           // before the window
	}
	lanes := TimelineLanes(spans, []string{"work", "home"}, since, until)
	var names []string
	for _, l := range lanes {
		names = append(names, l.Account)
	}
	if !slices.Equal(names, []string{"work", "home", "spare"}) {
		t.Fatalf("lanes %v", names)
	}
	if lanes[0].Color != 0 || lanes[1].Color != 1 || lanes[2].Color != 2 {
		t.Errorf("colours %d %d %d", lanes[0].Color, lanes[1].Color, lanes[2].Color)
	}
	home := lanes[1].Bars
	want := []SessionBar{
		{Span: Span{0, 0.1}, Requests: 3, EndReason: session.EndExpired},
		{Span: Span{0.5, 1}, Open: true, Requests: 2},
	}
	if !slices.Equal(home, want) {
		t.Errorf("home's bars %+v, want %+v", home, want)
	}
	if w := lanes[0].Bars; len(w) != 1 || w[0].Span != (Span{0.1, 0.4}) || w[0].EndReason != session.EndRateLimit {
		t.Errorf("work's bars %+v", w)
	}
	got := SwitchReasons(lanes)
	if wantR := []ReasonCount{{session.EndExpired, 1}, {session.EndRateLimit, 1}, {session.EndPause, 1}}; !slices.Equal(got, wantR) {
		t.Errorf("reasons %v, want %v", got, wantR)
	}
	if TimelineLanes(nil, nil, since, until) != nil {
		t.Error("lanes without sessions")
	}
}

func TestReasonText(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		session.EndExpired: "session time up", session.EndRateLimit: "limit reached", session.EndNeedsLogin: "login needed",
		session.EndPause: "paused", session.EndFailover: "failed over", session.EndOther: "could not serve",
		session.EndRemoved: "removed", "brand_new": "brand new",
	} {
		if got := ReasonText(code); got != want {
			t.Errorf("ReasonText(%q) = %q, want %q", code, got, want)
		}
	}
	lanes := []Lane{{Bars: []SessionBar{{EndReason: "zeta"}, {EndReason: "alpha"}, {EndReason: session.EndFailover}, {Open: true}}}}
	if got := SwitchReasons(lanes); !slices.Equal(got, []ReasonCount{{session.EndFailover, 1}, {"alpha", 1}, {"zeta", 1}}) {
		t.Errorf("unknown reasons last by name: %v", got)
	}
}

func TestSessionSummary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		s    view.Sessions
		want string
	}{
		{"none", view.Sessions{}, "Sessions: none started in this window"},
		{"both open", view.Sessions{Count: 2, Open: 2, OpenLengthSeconds: 3000, OpenRequests: 5},
			"Sessions: 2 started: 2 open for 25m on average so far"},
		{"one of each", view.Sessions{Count: 2, Ended: 1, Open: 1, AvgLengthSeconds: 2400, AvgRequests: 2.5, OpenLengthSeconds: 1500},
			"Sessions: 2 started: 1 ended (average 40m, 2.5 requests), 1 open for 25m so far"},
		{"all ended", view.Sessions{Count: 3, Ended: 3, AvgLengthSeconds: 4810, AvgRequests: 4, EndedByRateLimit: 1},
			"Sessions: 3 started: 3 ended (average 1h20m, 4 requests), 1 by a rate limit"},
		{"short", view.Sessions{Count: 1, Ended: 1, AvgLengthSeconds: 42, AvgRequests: 1},
			"Sessions: 1 started: 1 ended (average 42s, 1 request)"},
	} {
		if got := SessionSummary(tt.s); got != tt.want {
			t.Errorf("%s: %q\n want %q", tt.name, got, tt.want)
		}
	}
}
