package app

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/session"
	"github.com/claudeflare/claudeflare/core/view"
)

// The session timeline of the usage window (docs/DESIGN.md, "Sessions and
// their history"): one lane per account, a bar for each session, a mark
// where each ended and why. Computed here, drawn by timelineChart.

// Lane is one account's row of the timeline.
type Lane struct {
	Account string
	Color   int // the account's colour index (AccountColor), as in the other charts
	Bars    []SessionBar
}

// SessionBar is one session on its lane: From and To are fractions of the
// window (clamped to it), Open a session still running (drawn to the
// window's end), EndReason why it ended ("" while open).
type SessionBar struct {
	Span
	Open      bool
	Requests  int64
	EndReason string
}

// TimelineLanes lays the sessions of a window out on lanes: accounts in
// the order of order (the stats' accounts, so that colours match the other
// charts), then any other account in the order its first session appears.
// Only accounts with a session in the window get a lane.
func TimelineLanes(spans []view.SessionSpan, order []string, since, until time.Time) []Lane {
	idx := map[string]int{}
	var lanes []Lane
	extra := 0
	lane := func(name string) *Lane {
		if i, ok := idx[name]; ok {
			return &lanes[i]
		}
		color := slices.Index(order, name)
		if color < 0 {
			color = len(order) + extra
			extra++
		}
		idx[name] = len(lanes)
		lanes = append(lanes, Lane{Account: name, Color: color})
		return &lanes[len(lanes)-1]
	}
	for _, s := range spans {
		end := until
		if s.End != nil {
			end = *s.End
		}
		if !end.After(since) || !s.Start.Before(until) {
			continue
		}
		l := lane(s.Account)
		l.Bars = append(l.Bars, SessionBar{Span: Span{placeOn(s.Start, since, until), placeOn(end, since, until)},
			Open: s.End == nil, Requests: s.Requests, EndReason: s.EndReason})
	}
	slices.SortStableFunc(lanes, func(a, b Lane) int { return a.Color - b.Color })
	return lanes
}

// reasons are the ends of a session in the words the timeline's legend
// uses, in the legend's order.
var reasons = []struct{ code, words string }{
	{session.EndExpired, "session time up"},
	{session.EndRateLimit, "limit reached"},
	{session.EndNeedsLogin, "login needed"},
	{session.EndPause, "paused"},
	{session.EndFailover, "failed over"},
	{session.EndOther, "could not serve"},
	{session.EndRemoved, "removed"},
}

// ReasonText is why a session ended, in words a user understands: "session
// time up", "limit reached", "login needed", "paused", "failed over",
// "could not serve", "removed"; an unknown code with its underscores as
// spaces.
func ReasonText(code string) string {
	for _, r := range reasons {
		if r.code == code {
			return r.words
		}
	}
	return strings.ReplaceAll(code, "_", " ")
}

// ReasonCount is how many sessions on a timeline ended for one reason.
type ReasonCount struct {
	Reason string // the code (session.End…)
	Count  int
}

// SwitchReasons counts the ended sessions of lanes by reason, in the
// legend's order, unknown codes last by name.
func SwitchReasons(lanes []Lane) []ReasonCount {
	counts := map[string]int{}
	for _, l := range lanes {
		for _, b := range l.Bars {
			if !b.Open && b.EndReason != "" {
				counts[b.EndReason]++
			}
		}
	}
	var out []ReasonCount
	for _, r := range reasons {
		if n := counts[r.code]; n > 0 {
			out = append(out, ReasonCount{r.code, n})
			delete(counts, r.code)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, ReasonCount{code, counts[code]})
	}
	return out
}

// SessionSummary says what the sessions that started in the window did,
// counting the open ones apart: "2 started: 1 ended (average 40m, 2.5
// requests), 1 open for 25m so far". An average over ended sessions only,
// so a running session never reads as one of length zero.
func SessionSummary(s view.Sessions) string {
	if s.Count == 0 {
		return "Sessions: none started in this window"
	}
	var parts []string
	if s.Ended > 0 {
		p := fmt.Sprintf("%d ended (average %s, %s)", s.Ended, lengthText(s.AvgLengthSeconds), requestsText(s.AvgRequests))
		if s.EndedByRateLimit > 0 {
			p += fmt.Sprintf(", %d by a rate limit", s.EndedByRateLimit)
		}
		parts = append(parts, p)
	}
	if s.Open == 1 {
		parts = append(parts, fmt.Sprintf("1 open for %s so far", lengthText(s.OpenLengthSeconds)))
	} else if s.Open > 1 {
		parts = append(parts, fmt.Sprintf("%d open for %s on average so far", s.Open, lengthText(s.OpenLengthSeconds/float64(s.Open))))
	}
	return fmt.Sprintf("Sessions: %d started: %s", s.Count, strings.Join(parts, ", "))
}

// lengthText is a session length in minutes from a minute on ("40m",
// "1h20m"), in seconds below.
func lengthText(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	if d >= time.Minute {
		d = d.Round(time.Minute)
	}
	return view.Length(d)
}

func requestsText(avg float64) string {
	if avg == 1 {
		return "1 request"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", avg), ".0") + " requests"
}
