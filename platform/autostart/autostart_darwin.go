//go:build darwin

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
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

func enable(lookup Lookup, command []string) (Entry, error) {
	path, err := entryPath(lookup)
	if err != nil {
		return Entry{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Entry{}, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	// launchd ignores an agent that others can write to: 0644.
	if err := atomicfile.WriteFile(path, []byte(launchAgent(command)), 0o644); err != nil {
		return Entry{}, fmt.Errorf("writing the LaunchAgent: %w", err)
	}
	return Entry{Location: path, Command: command}, nil
}

func disable(lookup Lookup) (Entry, bool, error) {
	e, exists, err := status(lookup)
	if err != nil || !exists {
		return e, false, err
	}
	if err := os.Remove(e.Location); err != nil {
		return e, false, fmt.Errorf("removing the LaunchAgent: %w", err)
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
		return e, false, fmt.Errorf("reading the LaunchAgent: %w", err)
	}
	e.Command, e.Disabled = parseLaunchAgent(string(data))
	return e, true, nil
}
