package app

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
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

// UsageSummary is the figures line of the usage window.
func UsageSummary(s view.Stats) []string {
	t := s.Total
	avg := time.Duration(s.Sessions.AvgLengthSeconds * float64(time.Second)).Round(time.Minute)
	return []string{
		fmt.Sprintf("%d requests, %d errors, %d input / %d output tokens (%d cache read), about $%.2f (estimate)",
			t.Requests, t.Errors, t.InputTokens, t.OutputTokens, t.CacheReadTokens, t.CostUSDEstimate),
		fmt.Sprintf("Failovers: %d (%.1f%% of requests) · rate-limit events: %d", s.Failovers.Count, s.Failovers.Rate*100, s.RateLimitEvents),
		fmt.Sprintf("Sessions: %d started, average %s and %.1f requests, %d ended early by a rate limit",
			s.Sessions.Count, avg, s.Sessions.AvgRequests, s.Sessions.EndedByRateLimit),
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
}

func newUsageView(src StatsSource, background func(func())) *usageView {
	v := &usageView{src: src, background: background, body: container.NewVBox(), window: "24h"}
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
	legend := container.NewHBox()
	shares := widget.NewForm()
	for i, a := range s.Series.Accounts {
		requests = append(requests, a.Requests)
		sum := make([]int64, len(a.InputTokens))
		for b := range sum {
			sum[b] = a.InputTokens[b] + a.OutputTokens[b]
		}
		tokens = append(tokens, sum)
		sw := canvas.NewRectangle(AccountColor(i))
		sw.SetMinSize(fyne.NewSize(12, 12))
		legend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(a.Account)))
	}
	for i, a := range s.Accounts {
		shares.Append(a.Account, container.NewBorder(nil, nil, nil,
			widget.NewLabel(fmt.Sprintf("%.0f%% · %d limits", a.Share*100, a.RateLimitEvents)), shareBar(a.Share, AccountColor(i))))
	}
	bucket := s.Series.Bucket
	v.body.Add(legend)
	v.body.Add(widget.NewLabelWithStyle("Requests per "+bucket, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.body.Add(newStackedBars(requests))
	v.body.Add(widget.NewLabelWithStyle("Tokens (input + output) per "+bucket, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.body.Add(newStackedBars(tokens))
	rl, fo := s.Series.RateLimits, s.Series.Failovers
	if len(rl) != len(s.Series.Starts) || len(fo) != len(s.Series.Starts) { // not counted: draw none
		rl, fo = make([]int64, len(s.Series.Starts)), make([]int64, len(s.Series.Starts))
	}
	eventLegend := container.NewHBox()
	for i, name := range []string{"rate-limit events", "failovers"} {
		sw := canvas.NewRectangle(eventColors[i])
		sw.SetMinSize(fyne.NewSize(12, 12))
		eventLegend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(name)))
	}
	v.body.Add(widget.NewLabelWithStyle("Rate-limit events and failovers per "+bucket, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.body.Add(eventLegend)
	v.body.Add(newStackedBarsColored([][]int64{rl, fo}, eventColors))
	v.body.Add(widget.NewLabelWithStyle("Share of requests and rate-limit events", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.body.Add(shares)
}
