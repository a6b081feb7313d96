package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// texts lists every text drawn under o, in order: labels, the canvas texts
// of the charts, and what other widgets render.
func texts(o fyne.CanvasObject) (out []string) {
	switch w := o.(type) {
	case *canvas.Text:
		out = append(out, w.Text)
	case *widget.Label:
		out = append(out, w.Text)
	case *fyne.Container:
		for _, c := range w.Objects {
			out = append(out, texts(c)...)
		}
	case *container.Scroll:
		out = append(out, texts(w.Content)...)
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(w).Objects() {
			out = append(out, texts(c)...)
		}
	}
	return out
}

// layoutsOf finds the containers under o laid out by an L (a chart, a
// quota row), in order.
func layoutsOf[L fyne.Layout](o fyne.CanvasObject) (out []L) {
	switch w := o.(type) {
	case *fyne.Container:
		if l, ok := w.Layout.(L); ok {
			out = append(out, l)
		}
		for _, c := range w.Objects {
			out = append(out, layoutsOf[L](c)...)
		}
	case *container.Scroll:
		out = append(out, layoutsOf[L](w.Content)...)
	}
	return out
}

// count is how many of list equal s.
func count(list []string, s string) (n int) {
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
