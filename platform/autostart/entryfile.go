//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
)

// entryFile is a login entry that is a file: a LaunchAgent on macOS, an XDG
// desktop entry elsewhere. They differ only in where the file is, what it
// says and the mode of a folder made for it.
type entryFile struct {
	noun    string // for messages: "the LaunchAgent", "the autostart entry"
	path    func(Lookup) (string, error)
	dirMode os.FileMode
	render  func(command []string) (string, error)
	parse   func(data string) (command []string, disabled bool)
}

func (f entryFile) enable(lookup Lookup, command []string) (Entry, error) {
	path, err := f.path(lookup)
	if err != nil {
		return Entry{}, err
	}
	data, err := f.render(command)
	if err != nil {
		return Entry{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), f.dirMode); err != nil {
		return Entry{}, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	// 0644 on both: it holds no secret, and launchd ignores an agent that
	// others can write to.
	if err := atomicfile.WriteFile(path, []byte(data), 0o644); err != nil {
		return Entry{}, fmt.Errorf("writing %s: %w", f.noun, err)
	}
	return Entry{Location: path, Command: command}, nil
}

func (f entryFile) disable(lookup Lookup) (Entry, bool, error) {
	e, exists, err := f.status(lookup)
	if err != nil || !exists {
		return e, false, err
	}
	if err := os.Remove(e.Location); err != nil {
		return e, false, fmt.Errorf("removing %s: %w", f.noun, err)
	}
	return e, true, nil
}

func (f entryFile) status(lookup Lookup) (Entry, bool, error) {
	path, err := f.path(lookup)
	if err != nil {
		return Entry{}, false, err
	}
	e := Entry{Location: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("reading %s: %w", f.noun, err)
	}
	e.Command, e.Disabled = f.parse(string(data))
	return e, true, nil
}
