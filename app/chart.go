package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// The usage window's charts are drawn with Fyne's canvas (canvas.Line,
// canvas.Rectangle, canvas.Text) from the geometry of axis.go and
// timeline.go. No plotting library fits: fyne-x's charts draw one series
// without axes through an SVG raster, gonum/plot renders a picture in its
// own fonts and colours that the theme cannot reach and the test driver
// cannot read, and the native Fyne chart libraries are not on the module
// proxy. Stacked bars, gridlines and lanes need only arithmetic.

// palette colours accounts in the order of the stats.
var palette = []color.NRGBA{
	{0xE8, 0x6A, 0x1C, 0xff}, {0x3B, 0x82, 0xF6, 0xff}, {0x10, 0xB9, 0x81, 0xff},
	{0xA8, 0x55, 0xF7, 0xff}, {0xEF, 0x44, 0x44, 0xff}, {0xEA, 0xB3, 0x08, 0xff},
}

// AccountColor is account i's colour in every chart.
func AccountColor(i int) color.NRGBA { return palette[i%len(palette)] }

// eventColors: rate-limit events, failovers.
var eventColors = []color.NRGBA{{0xEF, 0x44, 0x44, 0xff}, {0xEA, 0xB3, 0x08, 0xff}}

// Tallest is the largest stacked sum of series[account][bucket] over the buckets.
func Tallest(series [][]int64) int64 {
	var tallest int64
	for b := range bucketCount(series) {
		var sum int64
		for _, s := range series {
			sum += s[b]
		}
		tallest = max(tallest, sum)
	}
	return tallest
}

// BarHeights scales stacked values (series[account][bucket]) to fractions
// of top, the value at the chart's top: out[account][bucket] is the height
// of that account's segment, 0…1.
func BarHeights(series [][]int64, top int64) [][]float64 {
	out := make([][]float64, len(series))
	for a, s := range series {
		out[a] = make([]float64, len(s))
		for b, v := range s {
			if top > 0 {
				out[a][b] = float64(v) / float64(top)
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

// swatch is a legend's colour square.
func swatch(c color.Color) fyne.CanvasObject {
	r := canvas.NewRectangle(c)
	r.SetMinSize(fyne.NewSize(12, 12))
	return container.NewCenter(r)
}

// shareBar is one horizontal bar of an account's share (0…1).
func shareBar(share float64, c color.NRGBA) fyne.CanvasObject {
	r := canvas.NewRectangle(c)
	return container.New(&fraction{f: share, min: fyne.NewSize(160, 18)}, r)
}

// fraction lays its objects out over the leading f of its width.
type fraction struct {
	f   float64
	min fyne.Size
}

func (l *fraction) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 2))
		o.Resize(fyne.NewSize(float32(l.f)*size.Width, size.Height-4))
	}
}

func (l *fraction) MinSize([]fyne.CanvasObject) fyne.Size { return l.min }
