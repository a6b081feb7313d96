package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/app/tray"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/view"
)

// accountsView lists every account with its state and offers the actions,
// all through the engine's typed surface (docs/DESIGN.md, "The typed
// surface"): a change is live when its verb returns. Actions touch the
// database and the keychain, so they run in background and the list is
// redrawn on the UI goroutine when they finish.
type accountsView struct {
	core       client.API
	win        fyne.Window
	background func(func())
	list       *fyne.Container
	status     *widget.Label
	root       fyne.CanvasObject
	now        func() time.Time // the clock of the countdowns; loc their time zone
	loc        *time.Location
}

func newAccountsView(c client.API, win fyne.Window, background func(func())) *accountsView {
	v := &accountsView{core: c, win: win, background: background, list: container.NewVBox(), status: widget.NewLabel(""),
		now: time.Now, loc: time.Local}
	login := widget.NewButton("Log in a Claude account…", v.startLoginDialog)
	login.Importance = widget.HighImportance
	add := widget.NewButton("Add API-key account…", v.addAPIKey)
	v.root = container.NewBorder(nil, container.NewHBox(login, add, v.status), nil, nil, container.NewVScroll(v.list))
	v.refresh()
	return v
}

// AccountDetail is the line under an account's name (which it does not
// repeat): its state, the session and rate-limit countdowns, its requests
// and their share of all accounts' requests (0…1).
func AccountDetail(v view.Account, share float64, now time.Time) string {
	s := tray.StateText(v, now)
	if v.SessionExpiresAt != nil {
		s += " · session " + view.Remaining(v.SessionExpiresAt.Sub(now)) + " left"
	}
	if account.Status(v.Status) == account.StatusRateLimited && v.RateLimitedUntil != nil {
		s += " · resets in " + view.Remaining(v.RateLimitedUntil.Sub(now))
	}
	return s + fmt.Sprintf(" · %d requests (%.0f%%)", v.TotalRequests, share*100)
}

// accountCard is an account's block: its name once with its actions on
// that line, its state, a bar for each quota window (docs/DESIGN.md,
// "Quota windows") across the whole width.
func accountCard(a view.Account, actions fyne.CanvasObject, share float64, now time.Time, loc *time.Location) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(a.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	box := container.NewVBox(container.NewBorder(nil, nil, nil, actions, title), widget.NewLabel(AccountDetail(a, share, now)))
	bars := QuotaBars(a.Limits, now, loc)
	for _, b := range bars {
		box.Add(newQuotaRow(b))
	}
	if len(bars) == 0 && account.Kind(a.Kind) == account.KindOAuth {
		note := widget.NewLabel("Quota: shown after the account's next answer")
		note.Importance = widget.LowImportance
		box.Add(note)
	}
	return box
}

func (v *accountsView) refresh() {
	now := v.now()
	v.list.RemoveAll()
	// The engine's own process answers from memory: no wait on the UI goroutine.
	views, err := v.core.Accounts(context.Background())
	if err != nil {
		v.status.SetText("reading the accounts: " + err.Error())
	}
	var all int64
	for _, a := range views {
		all += a.TotalRequests
	}
	if len(views) == 0 {
		v.list.Add(widget.NewLabel("No accounts yet: requests pass through with the client's own credentials."))
	}
	for _, a := range views {
		name := a.Name
		pause := widget.NewButton("Pause", func() {
			v.act("pause "+name, func(ctx context.Context) error {
				_, err := v.core.Pause(ctx, name)
				return err
			})
		})
		if a.Paused {
			pause.SetText("Resume")
			pause.OnTapped = func() {
				v.act("resume "+name, func(ctx context.Context) error {
					_, err := v.core.Resume(ctx, name)
					return err
				})
			}
		}
		remove := widget.NewButton("Remove", func() {
			dialog.ShowConfirm("Remove "+name+"?", "Its credential is deleted from the credential store too.", func(ok bool) {
				if ok {
					v.act("remove "+name, func(ctx context.Context) error { return v.core.Remove(ctx, name) })
				}
			}, v.win)
		})
		prio := widget.NewEntry()
		prio.SetText(strconv.Itoa(a.Priority))
		prio.OnSubmitted = func(s string) {
			p, err := strconv.Atoi(s)
			if err != nil {
				v.status.SetText("priority must be a whole number from 0 to 100")
				return
			}
			v.act("set priority of "+name, func(ctx context.Context) error {
				_, err := v.core.UpdateAccount(ctx, name, view.AccountPatch{Priority: &p})
				return err
			})
		}
		// A fixed width for up to three digits; Center keeps the row's
		// controls at their natural height instead of stretching to the row.
		prioBox := container.NewGridWrap(fyne.NewSize(64, prio.MinSize().Height), prio)
		actions := container.NewHBox(widget.NewLabel("priority"), prioBox, pause, remove)
		if account.Kind(a.Kind) == account.KindOAuth || account.Status(a.Status) == account.StatusNeedsLogin {
			actions.Add(widget.NewButton("Log in again", func() { v.login(view.LoginRequest{Name: name, Relogin: true}) }))
		}
		v.list.Add(accountCard(a, actions, shareOf(a.TotalRequests, all), now, v.loc))
		v.list.Add(widget.NewSeparator())
	}
}

// act runs an account change off the UI goroutine and redraws.
func (v *accountsView) act(what string, f func(context.Context) error) {
	v.status.SetText("Working…")
	v.background(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := f(ctx)
		fyne.Do(func() {
			if err != nil {
				v.status.SetText(what + ": " + err.Error())
			} else {
				v.status.SetText("")
			}
			v.refresh()
		})
	})
}

func (v *accountsView) addAPIKey() {
	name, key := widget.NewEntry(), widget.NewPasswordEntry()
	items := []*widget.FormItem{widget.NewFormItem("Name", name), widget.NewFormItem("API key", key)}
	dialog.ShowForm("Add an API-key account", "Add", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		n, k := name.Text, key.Text
		v.act("add "+n, func(ctx context.Context) error {
			_, err := v.core.AddAPIKey(ctx, n, k, 0)
			return err
		})
	}, v.win)
}

func shareOf(n, all int64) float64 {
	if all == 0 {
		return 0
	}
	return float64(n) / float64(all)
}
