package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core/oauth"
)

// startLogin asks for a name and mode, then runs a browser login.
func (v *accountsView) startLoginDialog() {
	name := widget.NewEntry()
	mode := widget.NewRadioGroup([]string{"claude", "console"}, nil)
	mode.SetSelected("claude")
	mode.Horizontal = true
	items := []*widget.FormItem{
		widget.NewFormItem("Name", name),
		widget.NewFormItem("Plan", mode),
	}
	items[1].HintText = "claude: Pro and Max plans; console: creates an API key"
	dialog.ShowForm("Log in a Claude account", "Open browser", "Cancel", items, func(ok bool) {
		if ok {
			v.login(oauth.Request{Name: name.Text, Mode: mode.Selected})
		}
	}, v.win)
}

// login starts a login off the UI goroutine and shows its URL (to copy when
// no browser opens) and, for the manual flow, a box for the pasted code.
func (v *accountsView) login(req oauth.Request) {
	v.status.SetText("Starting login…")
	v.background(func() {
		_, l, err := v.core.Logins().Start(context.Background(), req)
		if err == nil {
			_ = l.OpenBrowser() // the URL is shown whatever happens
		}
		fyne.Do(func() {
			if err != nil {
				v.status.SetText("login: " + err.Error())
				return
			}
			v.status.SetText("")
			v.showLogin(l)
		})
	})
}

func (v *accountsView) showLogin(l *oauth.Login) {
	url := widget.NewEntry()
	url.SetText(l.URL)
	msg := "Approve the login in your browser; this closes by itself. If no browser opened, copy the address:"
	paste := widget.NewEntry()
	paste.SetPlaceHolder("code#state")
	box := container.NewVBox(widget.NewLabel(msg), url)
	if l.Manual {
		if l.Fallback != "" {
			box.Add(widget.NewLabel(l.Fallback))
		}
		box.Add(widget.NewLabel("Then paste the code shown on the page:"))
		box.Add(paste)
	}
	result := widget.NewLabel("")
	box.Add(result)
	d := dialog.NewCustomConfirm("Logging in "+l.Name, "Submit code", "Cancel", box, func(submit bool) {
		if !submit {
			l.Cancel()
			return
		}
		code := paste.Text
		v.background(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = l.Complete(ctx, code) // the outcome arrives through Done below
		})
	}, v.win)
	d.Show()
	v.background(func() {
		<-l.Done()
		_, _, err := l.Status()
		fyne.Do(func() {
			d.Hide()
			if err != nil {
				v.status.SetText("login of " + l.Name + " failed: " + err.Error())
			} else {
				v.status.SetText(l.Name + " is logged in and live.")
			}
			v.refresh()
		})
	})
}
