package app

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Every chart of the usage window shares these measures, so that their
// time axes line up one above the other.
const (
	gutter    = 96 // the left column: value labels, or the timeline's account names
	axisSpace = 18 // the time labels under the plot
	topSpace  = 8  // room for the top value label
	rightPad  = 12 // room for the last time label
)

var gridColor = color.NRGBA{0x80, 0x80, 0x80, 0x50}

// caption is a small text in the theme's foreground colour.
func caption(s string, align fyne.TextAlign) *canvas.Text {
	t := canvas.NewText(s, theme.Color(theme.ColorNameForeground))
	t.TextSize = theme.Size(theme.SizeNameCaptionText)
	t.Alignment = align
	return t
}

// timeAxis is the ticks under a chart: a faint vertical line through the
// plot at each, and its label below.
type timeAxis struct {
	ticks  []TimeTick
	lines  []*canvas.Line
	labels []*canvas.Text
}

// mostTicks keeps time labels ("Wed 25", "14:00") apart at the windows' widths.
const mostTicks = 7

func newTimeAxis(since, until time.Time, loc *time.Location) *timeAxis {
	a := &timeAxis{ticks: TimeTicks(since, until, loc, mostTicks)}
	for _, t := range a.ticks {
		l := canvas.NewLine(gridColor)
		l.StrokeWidth = 1
		a.lines = append(a.lines, l)
		a.labels = append(a.labels, caption(t.Label, fyne.TextAlignCenter))
	}
	return a
}

func (a *timeAxis) objects() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for i := range a.ticks {
		out = append(out, a.lines[i], a.labels[i])
	}
	return out
}

// layout places the ticks over a plot from x0, w wide, from top to bottom.
func (a *timeAxis) layout(x0, w, top, bottom, width float32) {
	const labelW = 64
	for i, t := range a.ticks {
		x := x0 + float32(t.X)*w
		a.lines[i].Position1 = fyne.NewPos(x, top)
		a.lines[i].Position2 = fyne.NewPos(x, bottom+3)
		left := min(max(x-labelW/2, 0), width-labelW)
		a.labels[i].Move(fyne.NewPos(left, bottom+2))
		a.labels[i].Resize(fyne.NewSize(labelW, axisSpace))
	}
}

// timeChart is stacked bars of series[account][bucket] on a time axis,
// with a value scale of round gridlines.
type timeChart struct {
	scale   Scale
	spans   []Span
	heights [][]float64
	bg      *canvas.Rectangle
	grid    []*canvas.Line
	values  []*canvas.Text
	rects   [][]*canvas.Rectangle
	axis    *timeAxis
}

// newTimeChart draws series (coloured by colors) whose buckets start at
// starts, each bucket long, over the window [since, until], with time
// labels in loc.
func newTimeChart(series [][]int64, colors []color.NRGBA, starts []time.Time, bucket time.Duration, since, until time.Time, loc *time.Location) fyne.CanvasObject {
	c := &timeChart{scale: NiceScale(Tallest(series), 4), spans: BucketSpans(starts, bucket, since, until),
		bg: canvas.NewRectangle(color.NRGBA{0x80, 0x80, 0x80, 0x18}), axis: newTimeAxis(since, until, loc)}
	c.heights = BarHeights(series, c.scale.Top)
	objs := []fyne.CanvasObject{c.bg}
	for _, v := range c.scale.Lines {
		l := canvas.NewLine(gridColor)
		l.StrokeWidth = 1
		t := caption(ShortCount(v), fyne.TextAlignTrailing)
		c.grid, c.values = append(c.grid, l), append(c.values, t)
		objs = append(objs, l, t)
	}
	objs = append(objs, c.axis.objects()...)
	for a, hs := range c.heights {
		row := make([]*canvas.Rectangle, len(hs))
		for b := range hs {
			row[b] = canvas.NewRectangle(colors[a%len(colors)])
			objs = append(objs, row[b])
		}
		c.rects = append(c.rects, row)
	}
	return container.New(c, objs...)
}

// Layout is the chart's drawing: the geometry's fractions times the size.
func (c *timeChart) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	x0, w := float32(gutter), size.Width-gutter-rightPad
	top, bottom := float32(topSpace), size.Height-axisSpace
	h := bottom - top
	c.bg.Move(fyne.NewPos(x0, top))
	c.bg.Resize(fyne.NewSize(w, h))
	for i, v := range c.scale.Lines {
		y := bottom - float32(float64(v)/float64(c.scale.Top))*h
		c.grid[i].Position1, c.grid[i].Position2 = fyne.NewPos(x0-4, y), fyne.NewPos(x0+w, y)
		th := c.values[i].MinSize().Height
		c.values[i].Move(fyne.NewPos(0, y-th/2))
		c.values[i].Resize(fyne.NewSize(gutter-8, th))
	}
	c.axis.layout(x0, w, top, bottom, size.Width)
	for b, sp := range c.spans {
		bw := float32(sp.To-sp.From) * w
		gap := min(bw*0.15, 2)
		y := bottom
		for a := range c.heights {
			sh := float32(c.heights[a][b]) * h
			r := c.rects[a][b]
			r.Move(fyne.NewPos(x0+float32(sp.From)*w+gap/2, y-sh))
			r.Resize(fyne.NewSize(max(bw-gap, 1), sh))
			y -= sh
		}
	}
}

// MinSize keeps charts readable.
func (c *timeChart) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(gutter+360+rightPad, 140)
}
