//go:build !darwin && !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
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

func enable(lookup Lookup, command []string) (Entry, error) {
	path, err := entryPath(lookup)
	if err != nil {
		return Entry{}, err
	}
	data, err := desktopFile(command)
	if err != nil {
		return Entry{}, err
	}
	// 0700: the XDG spec's mode for a configuration folder it creates.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Entry{}, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	// 0644, as desktop entries are: it holds no secret.
	if err := atomicfile.WriteFile(path, []byte(data), 0o644); err != nil {
		return Entry{}, fmt.Errorf("writing the autostart entry: %w", err)
	}
	return Entry{Location: path, Command: command}, nil
}

func disable(lookup Lookup) (Entry, bool, error) {
	e, exists, err := status(lookup)
	if err != nil || !exists {
		return e, false, err
	}
	if err := os.Remove(e.Location); err != nil {
		return e, false, fmt.Errorf("removing the autostart entry: %w", err)
	}
	return e, true, nil
}

func status(lookup Lookup) (Entry, bool, error) {
	path, err := entryPath(lookup)
	if err != nil {
		return Entry{}, false, err
	}
	e := Entry{Location: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("reading the autostart entry: %w", err)
	}
	e.Command, e.Disabled = parseDesktopFile(string(data))
	return e, true, nil
}
