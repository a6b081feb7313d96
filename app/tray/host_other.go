//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

// On macOS and Windows the tray is the system's own: always there.

func sessionBus() bool { return true }
func trayHost() bool   { return true }
