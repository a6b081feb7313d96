// Package assets embeds the app's icons.
package assets

import _ "embed"

// Tray icons by health, and the application icon (PNG: Linux trays show no SVG).
var (
	//go:embed tray-ok.png
	TrayOK []byte
	//go:embed tray-warn.png
	TrayWarn []byte // the active account has used 80 % of a quota window
	//go:embed tray-limited.png
	TrayLimited []byte
	//go:embed tray-down.png
	TrayDown []byte
	//go:embed icon.png
	Icon []byte
)
