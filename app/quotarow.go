package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// levelColors fill a quota bar by how close it is to its limit.
var levelColors = map[Level]color.NRGBA{
	LevelOK:    {0x3B, 0x82, 0xF6, 0xff},
	LevelWarn:  {0xEA, 0xB3, 0x08, 0xff},
	LevelHigh:  {0xF9, 0x73, 0x16, 0xff},
	LevelSpent: {0xEF, 0x44, 0x44, 0xff},
}

// Measures of a quota row: its label column, its bar.
const (
	quotaLabelW = 64
	quotaBarW   = 220
	quotaBarH   = 10
	quotaRowH   = 24
)

// quotaRow draws one QuotaBar: "5h  [██████░░░]  83% · resets in 2h05m".
type quotaRow struct {
	bar              QuotaBar
	label, text      *canvas.Text
	track, fill, cap *canvas.Rectangle
}

func newQuotaRow(b QuotaBar) fyne.CanvasObject {
	r := &quotaRow{bar: b, label: caption(b.Label, fyne.TextAlignTrailing), text: caption(b.Text, fyne.TextAlignLeading),
		track: canvas.NewRectangle(color.NRGBA{0x80, 0x80, 0x80, 0x40}), fill: canvas.NewRectangle(levelColors[b.Level])}
	r.label.TextStyle.Bold = true
	// The figures are what the row is read for: at the text's size, not a caption's.
	r.label.TextSize, r.text.TextSize = theme.Size(theme.SizeNameText), theme.Size(theme.SizeNameText)
	objs := []fyne.CanvasObject{r.label, r.track, r.fill, r.text}
	if b.Level == LevelSpent {
		// Past the limit: a bright end cap marks the bar as overfull.
		r.cap = canvas.NewRectangle(color.NRGBA{0xff, 0xff, 0xff, 0xff})
		r.text.TextStyle.Bold = true
		objs = append(objs, r.cap)
	}
	return container.New(r, objs...)
}

func (r *quotaRow) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	th := r.label.MinSize().Height
	mid := size.Height / 2
	r.label.Move(fyne.NewPos(0, mid-th/2))
	r.label.Resize(fyne.NewSize(quotaLabelW-8, th))
	x := float32(quotaLabelW)
	r.track.Move(fyne.NewPos(x, mid-quotaBarH/2))
	r.track.Resize(fyne.NewSize(quotaBarW, quotaBarH))
	r.fill.Move(r.track.Position())
	r.fill.Resize(fyne.NewSize(float32(r.bar.Fill)*quotaBarW, quotaBarH))
	if r.cap != nil {
		r.cap.Move(fyne.NewPos(x+quotaBarW-3, mid-quotaBarH/2-3))
		r.cap.Resize(fyne.NewSize(3, quotaBarH+6))
	}
	r.text.Move(fyne.NewPos(x+quotaBarW+10, mid-th/2))
	r.text.Resize(fyne.NewSize(max(size.Width-x-quotaBarW-10, r.text.MinSize().Width), th))
}

func (r *quotaRow) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(quotaLabelW+quotaBarW+10+r.text.MinSize().Width, quotaRowH)
}
