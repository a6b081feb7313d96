//go:build nogui

package main

import "github.com/claudeflare/claudeflare/cli"

// tray is absent from headless builds (go build -tags nogui).
var tray cli.TrayFunc
