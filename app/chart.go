package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Charts are drawn with Fyne's canvas rectangles: no well-kept chart library
// targets Fyne v2.7, and stacked bars need only arithmetic (BarHeights).

// palette colours accounts in the order of the stats.
var palette = []color.NRGBA{
	{0xE8, 0x6A, 0x1C, 0xff}, {0x3B, 0x82, 0xF6, 0xff}, {0x10, 0xB9, 0x81, 0xff},
	{0xA8, 0x55, 0xF7, 0xff}, {0xEF, 0x44, 0x44, 0xff}, {0xEA, 0xB3, 0x08, 0xff},
}

// AccountColor is account i's colour in every chart.
func AccountColor(i int) color.NRGBA { return palette[i%len(palette)] }

// BarHeights scales stacked values (series[account][bucket]) to fractions
// of the tallest bucket: out[account][bucket] is the height of that
// account's segment, 0…1.
func BarHeights(series [][]int64) [][]float64 {
	var tallest int64
	for b := range bucketCount(series) {
		var sum int64
		for _, s := range series {
			sum += s[b]
		}
		tallest = max(tallest, sum)
	}
	out := make([][]float64, len(series))
	for a, s := range series {
		out[a] = make([]float64, len(s))
		for b, v := range s {
			if tallest > 0 {
				out[a][b] = float64(v) / float64(tallest)
			}
		}
	}
	return out
}

func bucketCount(series [][]int64) int {
	if len(series) == 0 {
		return 0
	}
	return len(series[0])
}

// stackedBars is a chart of series[account][bucket], stacked per bucket.
type stackedBars struct {
	heights [][]float64
	rects   [][]*canvas.Rectangle
}

// eventColors: rate-limit events, failovers.
var eventColors = []color.NRGBA{{0xEF, 0x44, 0x44, 0xff}, {0xEA, 0xB3, 0x08, 0xff}}

func newStackedBars(series [][]int64) fyne.CanvasObject {
	colors := make([]color.NRGBA, len(series))
	for i := range colors {
		colors[i] = AccountColor(i)
	}
	return newStackedBarsColored(series, colors)
}

func newStackedBarsColored(series [][]int64, colors []color.NRGBA) fyne.CanvasObject {
	sb := &stackedBars{heights: BarHeights(series)}
	var objs []fyne.CanvasObject
	for a, hs := range sb.heights {
		row := make([]*canvas.Rectangle, len(hs))
		for b := range hs {
			row[b] = canvas.NewRectangle(colors[a])
			objs = append(objs, row[b])
		}
		sb.rects = append(sb.rects, row)
	}
	bg := canvas.NewRectangle(color.NRGBA{0x80, 0x80, 0x80, 0x20})
	return container.NewStack(bg, container.New(sb, objs...))
}

// Layout places every segment; it is the chart's drawing.
func (sb *stackedBars) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	n := 0
	if len(sb.heights) > 0 {
		n = len(sb.heights[0])
	}
	if n == 0 {
		return
	}
	slot := size.Width / float32(n)
	gap := min(slot*0.2, 4)
	for b := range n {
		y := size.Height
		for a := range sb.heights {
			h := float32(sb.heights[a][b]) * size.Height
			r := sb.rects[a][b]
			r.Move(fyne.NewPos(float32(b)*slot+gap/2, y-h))
			r.Resize(fyne.NewSize(slot-gap, h))
			y -= h
		}
	}
}

// MinSize keeps charts readable.
func (sb *stackedBars) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(300, 120) }

// shareBar is one horizontal bar of an account's share (0…1).
func shareBar(share float64, c color.NRGBA) fyne.CanvasObject {
	r := canvas.NewRectangle(c)
	return container.New(&fraction{share}, r)
}

type fraction struct{ f float64 }

func (l *fraction) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 2))
		o.Resize(fyne.NewSize(float32(l.f)*size.Width, size.Height-4))
	}
}

func (l *fraction) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(160, 18) }
