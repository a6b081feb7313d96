package app

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The geometry of the usage window's charts (docs/DESIGN.md, "Monitoring"),
// kept apart from the widgets so that it is table-tested: where the time
// ticks go and what they say, which round values the gridlines take, where
// each bucket's bar starts and ends. Positions are fractions (0…1) of the
// chart; the widgets only multiply them by their size.

// TimeTick is a labelled instant on a time axis: X is its place between
// the window's start (0) and end (1); Label is in local time.
type TimeTick struct {
	At    time.Time
	X     float64
	Label string
}

// tickSteps are the spacings a time axis may use, each a round one on a
// clock or a calendar.
var tickSteps = []time.Duration{
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// TimeTicks places at most most ticks on [since, until] at the smallest
// round spacing that needs no more, aligned to the clock and calendar of
// loc: every 10 minutes over an hour, every 4 hours over a day, every day
// over a week, every Monday over a month. Ticks within a day read "15:04",
// except at midnight, which names the day ("Thu 26"), as do daily ticks;
// weekly ones read "Nov 23".
func TimeTicks(since, until time.Time, loc *time.Location, most int) []TimeTick {
	span := until.Sub(since)
	if span <= 0 || most < 1 {
		return nil
	}
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if int(span/s) <= most {
			step = s
			break
		}
	}
	var ticks []TimeTick
	for t := firstTick(since, step, loc); !t.After(until); t = nextTick(t, step, loc) {
		ticks = append(ticks, TimeTick{At: t, X: float64(t.Sub(since)) / float64(span), Label: tickLabel(t, step, loc)})
	}
	return ticks
}

// firstTick is the first instant at or after since that lies on step's grid in loc.
func firstTick(since time.Time, step time.Duration, loc *time.Location) time.Time {
	l := since.In(loc)
	var t time.Time
	switch {
	case step < time.Hour:
		m := int(step / time.Minute)
		t = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute()/m*m, 0, 0, loc)
	case step < 24*time.Hour:
		h := int(step / time.Hour)
		t = time.Date(l.Year(), l.Month(), l.Day(), l.Hour()/h*h, 0, 0, 0, loc)
	case step == 7*24*time.Hour:
		back := (int(l.Weekday()) + 6) % 7 // days since Monday
		t = time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc)
	default:
		t = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	for t.Before(since) {
		t = nextTick(t, step, loc)
	}
	return t
}

// nextTick steps on the wall clock of loc, so that ticks stay on round
// hours and midnights across a change of daylight saving time.
func nextTick(t time.Time, step time.Duration, loc *time.Location) time.Time {
	l := t.In(loc)
	if step >= 24*time.Hour {
		return time.Date(l.Year(), l.Month(), l.Day()+int(step/(24*time.Hour)), 0, 0, 0, 0, loc)
	}
	next := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, loc).Add(step)
	if step >= time.Hour {
		// Back onto the grid after an hour lost or gained.
		h := int(step / time.Hour)
		n := next.In(loc)
		next = time.Date(n.Year(), n.Month(), n.Day(), n.Hour()/h*h, 0, 0, 0, loc)
		if !next.After(t) {
			next = time.Date(n.Year(), n.Month(), n.Day(), n.Hour()/h*h+h, 0, 0, 0, loc)
		}
	}
	return next
}

func tickLabel(t time.Time, step time.Duration, loc *time.Location) string {
	l := t.In(loc)
	switch {
	case step >= 7*24*time.Hour:
		return l.Format("Jan 2")
	case step >= 24*time.Hour || (l.Hour() == 0 && l.Minute() == 0):
		return l.Format("Mon 2")
	}
	return l.Format("15:04")
}

// Scale is a value axis: Top is the value at the top of the chart, Lines
// the values of its gridlines, 0 first and Top last.
type Scale struct {
	Top   int64
	Lines []int64
}

// NiceScale is the value axis for values up to highest: at most lines
// intervals, each a round 1, 2 or 5 times a power of ten, the top the
// first gridline at or above highest. Nothing to show (highest ≤ 0) is a
// scale of one line at 0 and a top of 1, so that bars stay at zero.
func NiceScale(highest int64, lines int) Scale {
	if highest <= 0 || lines < 1 {
		return Scale{Top: 1, Lines: []int64{0}}
	}
	step := niceStep(float64(highest) / float64(lines))
	top := (highest + step - 1) / step * step
	s := Scale{Top: top}
	for v := int64(0); v <= top; v += step {
		s.Lines = append(s.Lines, v)
	}
	return s
}

// niceStep is the smallest whole 1, 2 or 5 × 10^k at or above raw.
func niceStep(raw float64) int64 {
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * pow; s >= raw {
			return max(1, int64(math.Round(s)))
		}
	}
	return max(1, int64(math.Round(10*pow)))
}

// ShortCount writes a count in at most four characters, as an axis label:
// 950, 1.2k, 12k, 340k, 3.4M, 12M, 1.5G.
func ShortCount(n int64) string {
	if n < 0 {
		return "-" + ShortCount(-n)
	}
	if n < 1000 {
		return strconv.FormatInt(n, 10)
	}
	v := float64(n)
	for _, unit := range []string{"k", "M", "G", "T"} {
		v /= 1000
		switch {
		case v < 9.95:
			return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + unit
		case v < 999.5:
			return strconv.FormatFloat(v, 'f', 0, 64) + unit
		}
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "T"
}

// Span is a stretch of a chart's width, as fractions from its left.
type Span struct{ From, To float64 }

// BucketSpans places each bucket of a series (starting at starts[i], each
// bucket long; the first and last cut by the window) on the time axis of
// [since, until], so that bars line up with the ticks and the timeline.
func BucketSpans(starts []time.Time, bucket time.Duration, since, until time.Time) []Span {
	out := make([]Span, len(starts))
	for i, s := range starts {
		out[i] = Span{placeOn(s, since, until), placeOn(s.Add(bucket), since, until)}
	}
	return out
}

// placeOn is t's place on [since, until], clamped to 0…1.
func placeOn(t, since, until time.Time) float64 {
	span := until.Sub(since)
	if span <= 0 {
		return 0
	}
	return min(1, max(0, float64(t.Sub(since))/float64(span)))
}
