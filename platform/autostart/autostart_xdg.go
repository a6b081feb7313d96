//go:build !darwin && !windows

package autostart

import (
	"errors"
	"path/filepath"
)

// The XDG Autostart Specification: a desktop entry in
// $XDG_CONFIG_HOME/autostart (default ~/.config/autostart) is started when
// the user logs in to GNOME, KDE, Xfce and the other free desktops.

// desktopFileName is the entry's file name.
const desktopFileName = "claudeflare.desktop"

// entryPath is the autostart entry's path. A relative XDG_CONFIG_HOME is
// ignored, as the XDG Base Directory spec says.
func entryPath(lookup Lookup) (string, error) {
	if v, ok := lookup("XDG_CONFIG_HOME"); ok && filepath.IsAbs(v) {
		return filepath.Join(v, "autostart", desktopFileName), nil
	}
	home, ok := lookup("HOME")
	if !ok || home == "" {
		return "", errors.New("autostart: neither XDG_CONFIG_HOME nor HOME is set")
	}
	return filepath.Join(home, ".config", "autostart", desktopFileName), nil
}

// entry is the desktop entry; 0700 is the XDG spec's mode for a
// configuration folder it creates.
var entry = entryFile{noun: "the autostart entry", path: entryPath, dirMode: 0o700,
	render: desktopFile, parse: parseDesktopFile}

func enable(lookup Lookup, command []string) (Entry, error) { return entry.enable(lookup, command) }
func disable(lookup Lookup) (Entry, bool, error)            { return entry.disable(lookup) }
func status(lookup Lookup) (Entry, bool, error)             { return entry.status(lookup) }
