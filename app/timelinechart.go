package app

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Lane measures of the session timeline.
const (
	laneHeight = 16
	laneGap    = 10
	markWidth  = 4
)

// reasonColors mark why a session ended, in the timeline and its legend.
var reasonColors = map[string]color.NRGBA{
	"expired":     {0xD1, 0xD5, 0xDB, 0xff},
	"rate_limit":  {0xEF, 0x44, 0x44, 0xff},
	"needs_login": {0xEC, 0x48, 0x99, 0xff},
	"pause":       {0x22, 0xD3, 0xEE, 0xff},
	"failover":    {0xFA, 0xCC, 0x15, 0xff},
	"unavailable": {0xF9, 0x73, 0x16, 0xff},
	"removed":     {0x6B, 0x72, 0x80, 0xff},
}

// ReasonColor is the colour of the mark where a session ended for reason.
func ReasonColor(reason string) color.NRGBA {
	if c, ok := reasonColors[reason]; ok {
		return c
	}
	return color.NRGBA{0x9C, 0xA3, 0xAF, 0xff}
}

// timelineChart draws Lanes: each account's name in the gutter, its
// sessions as bars in its colour (an open one outlined, reaching the
// window's end), and at the end of each ended one a mark in the colour of
// its reason.
type timelineChart struct {
	lanes  []Lane
	names  []*canvas.Text
	tracks []*canvas.Rectangle
	bars   [][]*canvas.Rectangle
	marks  [][]*canvas.Rectangle // nil for an open session
	axis   *timeAxis
}

func newTimelineChart(lanes []Lane, since, until time.Time, loc *time.Location) fyne.CanvasObject {
	c := &timelineChart{lanes: lanes, axis: newTimeAxis(since, until, loc)}
	var objs []fyne.CanvasObject
	for _, l := range lanes {
		track := canvas.NewRectangle(color.NRGBA{0x80, 0x80, 0x80, 0x18})
		name := caption(shortName(l.Account, 14), fyne.TextAlignTrailing)
		c.tracks, c.names = append(c.tracks, track), append(c.names, name)
		objs = append(objs, track, name)
	}
	objs = append(objs, c.axis.objects()...)
	var marks []fyne.CanvasObject // drawn over the bars
	for _, l := range lanes {
		var bars, ms []*canvas.Rectangle
		for _, b := range l.Bars {
			r := canvas.NewRectangle(AccountColor(l.Color))
			var m *canvas.Rectangle
			if b.Open {
				fill := AccountColor(l.Color)
				fill.A = 0x90
				r.FillColor = fill
				r.StrokeColor = theme.Color(theme.ColorNameForeground)
				r.StrokeWidth = 1
			} else {
				m = canvas.NewRectangle(ReasonColor(b.EndReason))
				marks = append(marks, m)
			}
			objs = append(objs, r)
			bars, ms = append(bars, r), append(ms, m)
		}
		c.bars, c.marks = append(c.bars, bars), append(c.marks, ms)
	}
	return container.New(c, append(objs, marks...)...)
}

// Layout is the timeline's drawing.
func (c *timelineChart) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	x0, w := float32(gutter), size.Width-gutter-rightPad
	top := float32(topSpace)
	bottom := top + float32(len(c.lanes))*(laneHeight+laneGap)
	for i := range c.lanes {
		y := top + float32(i)*(laneHeight+laneGap) + laneGap/2
		c.tracks[i].Move(fyne.NewPos(x0, y))
		c.tracks[i].Resize(fyne.NewSize(w, laneHeight))
		th := c.names[i].MinSize().Height
		c.names[i].Move(fyne.NewPos(0, y+laneHeight/2-th/2))
		c.names[i].Resize(fyne.NewSize(gutter-8, th))
		for j, b := range c.lanes[i].Bars {
			x := x0 + float32(b.From)*w
			bw := max(float32(b.To-b.From)*w, 2)
			c.bars[i][j].Move(fyne.NewPos(x, y))
			c.bars[i][j].Resize(fyne.NewSize(bw, laneHeight))
			if m := c.marks[i][j]; m != nil {
				m.Move(fyne.NewPos(x+bw-markWidth/2, y-3))
				m.Resize(fyne.NewSize(markWidth, laneHeight+6))
			}
		}
	}
	c.axis.layout(x0, w, top, bottom, size.Width)
}

// MinSize fits every lane and the axis.
func (c *timelineChart) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(gutter+360+rightPad, topSpace+float32(len(c.lanes))*(laneHeight+laneGap)+axisSpace+2)
}

// shortName cuts a name to n characters with an ellipsis, for the gutter.
func shortName(name string, n int) string {
	r := []rune(name)
	if len(r) <= n {
		return name
	}
	return string(r[:n-1]) + "…"
}
