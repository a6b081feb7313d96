package app

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core/view"
)

// StatsSource is what the usage window reads: the Stats verb of the typed
// surface (docs/DESIGN.md, "The typed surface").
type StatsSource interface {
	Stats(ctx context.Context, window time.Duration) (view.Stats, error)
}

// Windows offered by the usage window.
var usageWindows = []string{"1h", "24h", "7d", "30d"}

// UsageSummary is the figures lines of the usage window.
func UsageSummary(s view.Stats) []string {
	t := s.Total
	return []string{
		fmt.Sprintf("%d requests, %d errors, %d input / %d output tokens (%d cache read), about $%.2f (estimate)",
			t.Requests, t.Errors, t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CostUSDEstimate),
		fmt.Sprintf("Failovers: %d (%.1f%% of requests) · rate-limit events: %d", s.Failovers.Count, s.Failovers.Rate*100, s.RateLimitEvents),
		SessionSummary(s.Sessions),
		fmt.Sprintf("Latency: first byte p50 %.0f ms, p99 %.0f ms · total p50 %.0f ms, p99 %.0f ms",
			s.Latency.TTFBMs.P50, s.Latency.TTFBMs.P99, s.Latency.DurationMs.P50, s.Latency.DurationMs.P99),
	}
}

type usageView struct {
	src        StatsSource
	background func(func())
	body       *fyne.Container
	root       fyne.CanvasObject
	window     string
	loc        *time.Location // of the time axes
}

func newUsageView(src StatsSource, background func(func())) *usageView {
	v := &usageView{src: src, background: background, body: container.NewVBox(), window: "24h", loc: time.Local}
	pick := widget.NewRadioGroup(usageWindows, func(w string) {
		if w != "" && w != v.window {
			v.window = w
			v.load()
		}
	})
	pick.Horizontal = true
	pick.SetSelected(v.window)
	v.root = container.NewBorder(pick, nil, nil, nil, container.NewVScroll(v.body))
	v.load()
	return v
}

// load computes the stats off the UI goroutine, then draws them.
func (v *usageView) load() {
	window := v.window
	v.background(func() {
		d, _ := view.ParseWindow(window)
		st, err := v.src.Stats(context.Background(), d)
		fyne.Do(func() {
			if err != nil {
				v.body.RemoveAll()
				v.body.Add(widget.NewLabel("Could not read the request log: " + err.Error()))
				return
			}
			v.draw(st)
		})
	})
}

func (v *usageView) draw(s view.Stats) {
	v.body.RemoveAll()
	for _, line := range UsageSummary(s) {
		v.body.Add(widget.NewLabel(line))
	}
	var requests, tokens [][]int64
	var order []string
	legend := container.NewHBox()
	for i, a := range s.Series.Accounts {
		requests = append(requests, a.Requests)
		sum := make([]int64, len(a.InputTokens))
		for b := range sum {
			sum[b] = a.InputTokens[b] + a.OutputTokens[b]
		}
		tokens = append(tokens, sum)
		order = append(order, a.Account)
		legend.Add(container.NewHBox(swatch(AccountColor(i)), widget.NewLabel(a.Account)))
	}
	colors := make([]color.NRGBA, len(requests))
	for i := range colors {
		colors[i] = AccountColor(i)
	}
	since, until, loc := s.Since, s.Until, v.loc
	bucket := time.Duration(s.Series.BucketSeconds) * time.Second
	per := s.Series.Bucket
	v.body.Add(legend)
	v.body.Add(heading("Requests per " + per))
	v.body.Add(newTimeChart(requests, colors, s.Series.Starts, bucket, since, until, loc))
	v.body.Add(heading("Tokens (input + output) per " + per))
	v.body.Add(newTimeChart(tokens, colors, s.Series.Starts, bucket, since, until, loc))

	v.body.Add(heading("Sessions: which account was active when, and why each session ended"))
	lanes := TimelineLanes(s.Timeline, order, since, until)
	if len(lanes) == 0 {
		v.body.Add(widget.NewLabel("No session in this window."))
	} else {
		v.body.Add(newTimelineChart(lanes, since, until, loc))
		v.body.Add(timelineLegend(lanes))
	}

	rl, fo := s.Series.RateLimits, s.Series.Failovers
	if len(rl) != len(s.Series.Starts) || len(fo) != len(s.Series.Starts) { // not counted: draw none
		rl, fo = make([]int64, len(s.Series.Starts)), make([]int64, len(s.Series.Starts))
	}
	eventLegend := container.NewHBox()
	for i, name := range []string{"rate-limit events", "failovers"} {
		eventLegend.Add(container.NewHBox(swatch(eventColors[i]), widget.NewLabel(name)))
	}
	v.body.Add(heading("Rate-limit events and failovers per " + per))
	v.body.Add(eventLegend)
	v.body.Add(newTimeChart([][]int64{rl, fo}, eventColors, s.Series.Starts, bucket, since, until, loc))

	shares := widget.NewForm()
	for i, a := range s.Accounts {
		shares.Append(a.Account, container.NewBorder(nil, nil, nil,
			widget.NewLabel(fmt.Sprintf("%.0f%% · %d limits", a.Share*100, a.RateLimitEvents)), shareBar(a.Share, AccountColor(i))))
	}
	v.body.Add(heading("Share of requests and rate-limit events"))
	v.body.Add(shares)
}

func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// timelineLegend says what the marks mean, with how many of each the
// window holds, and what an outlined bar is.
func timelineLegend(lanes []Lane) fyne.CanvasObject {
	legend := container.NewGridWithColumns(3)
	for _, r := range SwitchReasons(lanes) {
		legend.Add(container.NewHBox(swatch(ReasonColor(r.Reason)), widget.NewLabel(fmt.Sprintf("%s (%d)", ReasonText(r.Reason), r.Count))))
	}
	if slices.ContainsFunc(lanes, func(l Lane) bool { return slices.ContainsFunc(l.Bars, func(b SessionBar) bool { return b.Open }) }) {
		open := canvas.NewRectangle(color.Transparent)
		open.StrokeColor, open.StrokeWidth = theme.Color(theme.ColorNameForeground), 1
		open.SetMinSize(fyne.NewSize(12, 12))
		legend.Add(container.NewHBox(container.NewCenter(open), widget.NewLabel("outlined: still open")))
	}
	return legend
}
