//go:build !nogui

package main

import (
	"io"
	"os"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/claudeflare/claudeflare/app"
	"github.com/claudeflare/claudeflare/app/tray"
	"github.com/claudeflare/claudeflare/cli"
	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
)

// runTray runs the tray process: fyne.io/systray, no Fyne app, so no GL
// driver (docs/DESIGN.md, "The tray and its windows").
func runTray(c *core.Core, o cli.TrayOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	toggles := make([]tray.Toggle, len(o.Toggles))
	for i, t := range o.Toggles {
		toggles[i] = tray.Toggle{Label: t.Label, On: t.On, Set: t.Set}
	}
	return tray.Run(tray.Options{Core: c, Show: o.Show, Log: o.Log, Toggles: toggles,
		Windows: &tray.Windows{Command: tray.SelfCommand(exe, os.Stderr)}})
}

// runUI runs the window process: the only place Fyne's cgo driver starts.
func runUI(api client.API, names []string, commands io.Reader, acks io.Writer) error {
	return app.Run(fyneapp.NewWithID(app.ID), api, names, commands, acks)
}

var (
	trayFunc cli.TrayFunc = runTray
	uiFunc   cli.UIFunc   = runUI
)
