//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import "fyne.io/systray"

// runSystray shows the tray until quit is closed. On these systems the tray
// is D-Bus only and needs no event loop of its own: start exports the item
// and the menu before it returns, so ready draws into a tray already on the
// bus (systray.Run's onReady can run before the export and lose the icon).
func runSystray(ready func(), quit <-chan struct{}) {
	start, end := systray.RunWithExternalLoop(nil, nil)
	start()
	ready()
	<-quit
	end()
}
