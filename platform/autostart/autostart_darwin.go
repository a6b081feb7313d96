//go:build darwin

package autostart

import (
	"errors"
	"path/filepath"
)

// A LaunchAgent in ~/Library/LaunchAgents is loaded by launchd when the user
// logs in; RunAtLoad starts the program then. It is not loaded now with
// launchctl: that would start a second instance beside the running one.

func entryPath(lookup Lookup) (string, error) {
	home, ok := lookup("HOME")
	if !ok || home == "" {
		return "", errors.New("autostart: HOME is not set")
	}
	return filepath.Join(home, "Library", "LaunchAgents", ID+".plist"), nil
}

// entry is the LaunchAgent; launchd makes no folder for it, so 0755 as
// ~/Library's own.
var entry = entryFile{noun: "the LaunchAgent", path: entryPath, dirMode: 0o755,
	render: func(command []string) (string, error) { return launchAgent(command), nil },
	parse:  parseLaunchAgent}

func enable(lookup Lookup, command []string) (Entry, error) { return entry.enable(lookup, command) }
func disable(lookup Lookup) (Entry, bool, error)            { return entry.disable(lookup) }
func status(lookup Lookup) (Entry, bool, error)             { return entry.status(lookup) }
