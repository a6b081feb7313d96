//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

import "fyne.io/systray"

// runSystray shows the tray until quit is closed. On macOS and Windows
// systray runs the native event loop on the main thread (the caller's:
// systray locks it at init) and calls ready when the icon is up.
func runSystray(ready func(), quit <-chan struct{}) {
	go func() {
		<-quit
		systray.Quit()
	}()
	systray.Run(ready, nil)
}
