// Package autostart starts Claudeflare when the user logs in (docs/DESIGN.md, "The tray and its windows"), with
// each platform's own mechanism: an XDG autostart entry on Linux and other
// free desktops, a LaunchAgent on macOS, the Run key on Windows.
//
// The formats (Desktop Entry, property list, Windows command line) live in
// files of their own without build tags, so every platform's rendering and
// parsing is tested on any machine; only the few lines that put an entry in
// place are per platform.
package autostart

import (
	"errors"
	"os"
)

// ID is the application id, as in FyneApp.toml and app.ID: the LaunchAgent's
// label. It is repeated here because platform/ must not import the Fyne UI
// (a test checks that it matches FyneApp.toml).
const ID = "com.claudeflare.app"

// Entry is what starts Claudeflare at login.
type Entry struct {
	// Location is where the entry lives: a file, or on Windows the registry
	// value's full name. It is set even when there is no entry.
	Location string
	// Command is the program and its arguments (nil when there is no entry).
	Command []string
	// Disabled: the entry exists, but the desktop has switched it off
	// (Hidden=true or X-GNOME-Autostart-enabled=false in an XDG entry,
	// Disabled in a LaunchAgent).
	Disabled bool
}

// Program is the binary the entry runs ("" if none).
func (e Entry) Program() string {
	if len(e.Command) == 0 {
		return ""
	}
	return e.Command[0]
}

// ProgramExists reports whether the binary the entry runs is still there: an
// entry left behind by a moved or deleted binary starts nothing.
func (e Entry) ProgramExists() bool {
	p := e.Program()
	if p == "" {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// Lookup reads the environment (os.LookupEnv, or a map in tests).
type Lookup func(string) (string, bool)

// Enable writes the login entry that runs command (an absolute binary path
// and its arguments), replacing any earlier one.
func Enable(lookup Lookup, command []string) (Entry, error) {
	if len(command) == 0 || command[0] == "" {
		return Entry{}, errors.New("autostart: no program to start")
	}
	return enable(orEnv(lookup), command)
}

// Disable removes the login entry; removed is false when there was none.
func Disable(lookup Lookup) (e Entry, removed bool, err error) {
	return disable(orEnv(lookup))
}

// Status reads the login entry; on is true when it exists and the desktop
// has not switched it off.
func Status(lookup Lookup) (e Entry, on bool, err error) {
	e, exists, err := status(orEnv(lookup))
	return e, exists && !e.Disabled, err
}

func orEnv(lookup Lookup) Lookup {
	if lookup == nil {
		return os.LookupEnv
	}
	return lookup
}
