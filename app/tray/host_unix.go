//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"os"

	"github.com/godbus/dbus/v5"
)

// Where the tray can live (docs/DESIGN.md, "The tray and its windows"). On
// Linux and the BSDs a tray icon is a StatusNotifierItem on the session
// bus: without a bus fyne.io/systray cannot start (and panics on quit), and
// without a StatusNotifierWatcher nobody shows the icon.

// sessionBus reports whether there is a session bus to connect to.
func sessionBus() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	conn, err := dbus.SessionBus()
	return err == nil && conn.Connected()
}

// trayHost reports whether a StatusNotifierWatcher is on the session bus
// with a host registered, i.e. whether an icon would be seen now.
func trayHost() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owned); err != nil || !owned {
		return false
	}
	v, err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		GetProperty("org.kde.StatusNotifierWatcher.IsStatusNotifierHostRegistered")
	if err != nil {
		return true // a watcher that does not say: trust it
	}
	registered, ok := v.Value().(bool)
	return !ok || registered
}
