package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/view"
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
			v.login(view.LoginRequest{Name: name.Text, Mode: mode.Selected})
		}
	}, v.win)
}

// login starts a login off the UI goroutine, the engine opening the
// browser, and shows its URL (to copy when no browser opens) and, for the
// manual flow, a box for the pasted code.
func (v *accountsView) login(req view.LoginRequest) {
	v.status.SetText("Starting login…")
	req.OpenBrowser = true // the URL is shown whatever happens
	v.background(func() {
		start, err := v.core.StartLogin(context.Background(), req)
		fyne.Do(func() {
			if err != nil {
				v.status.SetText("login: " + err.Error())
				return
			}
			v.status.SetText("")
			v.showLogin(start)
		})
	})
}

func (v *accountsView) showLogin(l view.LoginStart) {
	url := widget.NewEntry()
	url.SetText(l.AuthorizeURL)
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
		code := paste.Text
		v.background(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if !submit {
				_ = v.core.CancelLogin(ctx, l.SessionID)
				return
			}
			_, _ = v.core.CompleteLogin(ctx, l.SessionID, code) // the outcome arrives through WaitLogin below
		})
	}, v.win)
	d.Show()
	v.background(func() {
		st, err := client.WaitLogin(context.Background(), v.core, l.SessionID)
		if err == nil && st.Error != "" {
			err = loginError(st.Error)
		}
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

// loginError is why a login failed, as the engine said it.
type loginError string

func (e loginError) Error() string { return string(e) }
