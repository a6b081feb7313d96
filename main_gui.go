//go:build !nogui

package main

import (
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/claudeflare/claudeflare/app"
	"github.com/claudeflare/claudeflare/core"
)

// tray runs the Fyne tray app: the only place the cgo driver is imported.
func tray(c *core.Core) error {
	return app.Run(fyneapp.NewWithID(app.ID), c)
}
