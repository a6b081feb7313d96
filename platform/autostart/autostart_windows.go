//go:build windows

package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// Windows starts every command line in the user's Run key at login.
const (
	runKey    = `Software\Microsoft\Windows\CurrentVersion\Run`
	valueName = "Claudeflare"
	location  = `HKCU\` + runKey + `\` + valueName
)

func enable(_ Lookup, command []string) (Entry, error) {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return Entry{}, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(valueName, commandLine(command)); err != nil {
		return Entry{}, fmt.Errorf("writing %s: %w", location, err)
	}
	return Entry{Location: location, Command: command}, nil
}

func disable(lookup Lookup) (Entry, bool, error) {
	e, exists, err := status(lookup)
	if err != nil || !exists {
		return e, false, err
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return e, false, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.DeleteValue(valueName); err != nil {
		return e, false, fmt.Errorf("removing %s: %w", location, err)
	}
	return e, true, nil
}

func status(_ Lookup) (Entry, bool, error) {
	e := Entry{Location: location}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue(valueName)
	if errors.Is(err, registry.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("reading %s: %w", location, err)
	}
	e.Command = splitCommandLine(v)
	return e, true, nil
}
