package app

import (
	"context"
	"encoding/json"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/view"
)

// SettingsCore is what the settings window needs: the configuration verbs
// of the typed surface (docs/DESIGN.md, "The typed surface").
type SettingsCore interface {
	Config(ctx context.Context) (view.Config, error)
	PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (view.Config, error)
}

// settingsView is the settings window's content: every field with its error
// beside it. Saving validates, writes config.json and applies it at once.
type settingsView struct {
	cfg     SettingsCore
	current view.Config // what the fields were loaded from
	// background runs slow work (the save writes a file and may move the
	// listener) off the UI goroutine; tests run it inline.
	background func(func())

	port, host, hours, minutes, retention *widget.Entry
	strategy                              *widget.Select
	store                                 *widget.RadioGroup
	errs                                  map[string]*widget.Label
	status                                *widget.Label
	root                                  fyne.CanvasObject
}

func newSettingsView(cfg SettingsCore, background func(func())) *settingsView {
	v := &settingsView{cfg: cfg, background: background, errs: map[string]*widget.Label{}}
	v.port, v.host = widget.NewEntry(), widget.NewEntry()
	v.hours, v.minutes, v.retention = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	v.strategy = widget.NewSelect([]string{config.StrategySession}, nil)
	v.store = widget.NewRadioGroup([]string{config.CredentialStoreKeychain, config.CredentialStoreFile}, nil)
	v.store.Horizontal = true
	for _, k := range []string{FieldPort, FieldHost, FieldSession, FieldStrategy, FieldCredentialStore, FieldRetention, ""} {
		l := widget.NewLabel("")
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		v.errs[k] = l
	}
	v.status = widget.NewLabel("")
	reason := widget.NewLabel(StrategyReason)
	reason.Wrapping = fyne.TextWrapWord
	// Entries sized for their numbers: an HBox would shrink them to a digit.
	narrow := func(e *widget.Entry) fyne.CanvasObject {
		return container.NewGridWrap(fyne.NewSize(72, e.MinSize().Height), e)
	}
	duration := container.NewHBox(narrow(v.hours), widget.NewLabel("hours"), narrow(v.minutes), widget.NewLabel("minutes"))
	form := widget.NewForm(
		widget.NewFormItem("Port", container.NewVBox(v.port, v.errs[FieldPort])),
		widget.NewFormItem("Host", container.NewVBox(v.host, v.errs[FieldHost])),
		widget.NewFormItem("Session length", container.NewVBox(duration, v.errs[FieldSession])),
		widget.NewFormItem("Strategy", container.NewVBox(v.strategy, reason, v.errs[FieldStrategy])),
		widget.NewFormItem("Credential store", container.NewVBox(v.store,
			widget.NewLabel("file: credentials.json in the home folder, plain text, mode 0600"), v.errs[FieldCredentialStore])),
		widget.NewFormItem("Keep request log (days)", container.NewVBox(v.retention, v.errs[FieldRetention])),
	)
	save := widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.save)
	save.Importance = widget.HighImportance
	revert := widget.NewButton("Revert", v.load)
	v.root = container.NewVBox(form, v.errs[""], container.NewHBox(save, revert, v.status))
	v.load()
	return v
}

// load shows the running configuration; fields set by the environment are
// read-only. The engine's own process answers from memory.
func (v *settingsView) load() {
	cur, err := v.cfg.Config(context.Background())
	if err != nil {
		v.clearErrors()
		v.errs[""].SetText("reading the configuration: " + err.Error())
		return
	}
	v.current = cur
	f := FormFrom(cur.Config)
	v.port.SetText(f.Port)
	v.host.SetText(f.Host)
	v.hours.SetText(f.Hours)
	v.minutes.SetText(f.Minutes)
	v.retention.SetText(f.RetentionDays)
	v.strategy.SetSelected(f.Strategy)
	v.store.SetSelected(f.CredentialStore)
	locked := Locked(cur.Sources)
	lock := func(key string, w fyne.Disableable) {
		if why := locked[key]; why != "" {
			w.Disable()
			v.errs[key].Importance = widget.MediumImportance
			v.errs[key].SetText(why)
		}
	}
	v.clearErrors()
	lock(FieldPort, v.port)
	lock(FieldHost, v.host)
	lock(FieldSession, v.hours)
	lock(FieldSession, v.minutes)
	lock(FieldStrategy, v.strategy)
	lock(FieldCredentialStore, v.store)
	lock(FieldRetention, v.retention)
}

func (v *settingsView) clearErrors() {
	for _, l := range v.errs {
		l.Importance = widget.DangerImportance
		l.SetText("")
	}
	v.status.SetText("")
}

func (v *settingsView) form() SettingsForm {
	return SettingsForm{
		Port: v.port.Text, Host: v.host.Text, Hours: v.hours.Text, Minutes: v.minutes.Text,
		Strategy: v.strategy.Selected, CredentialStore: v.store.Selected, RetentionDays: v.retention.Text,
	}
}

// save validates every field, then writes and applies the changed keys.
func (v *settingsView) save() {
	v.clearErrors()
	patch, errs := v.form().Patch(v.current.Config, v.current.Sources)
	if len(errs) > 0 {
		v.showErrors(errs)
		return
	}
	if len(patch) == 0 {
		v.status.SetText("Nothing changed.")
		return
	}
	v.status.SetText("Saving…")
	v.background(func() {
		_, err := v.cfg.PatchConfig(context.Background(), patch)
		fyne.Do(func() {
			if err != nil {
				v.status.SetText("")
				v.showErrors(FieldErrors(err))
				return
			}
			v.load()
			v.status.SetText("Saved and applied.")
		})
	})
}

func (v *settingsView) showErrors(errs map[string]string) {
	for key, msg := range errs {
		l, ok := v.errs[key]
		if !ok {
			l = v.errs[""]
			msg = key + ": " + msg
		}
		l.SetText(msg)
	}
}
