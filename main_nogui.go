//go:build nogui

package main

import "github.com/claudeflare/claudeflare/cli"

// Headless builds (go build -tags nogui) have neither the tray nor windows.
var (
	trayFunc cli.TrayFunc
	uiFunc   cli.UIFunc
)
