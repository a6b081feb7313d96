package claudecode

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
)

// settingsFile is a settings file as read: where it is, its bytes, its mode.
type settingsFile struct {
	path      string // absolute, as the user named it (the record's key)
	target    string // where the bytes live: path with symbolic links resolved
	exists    bool
	dirExists bool
	data      []byte
	mode      fs.FileMode
	doc       *document
}

// open reads and checks the settings file at p. A missing file is an empty
// document; a symbolic link is followed, so that a settings file kept in a
// dotfiles repository stays a link to it.
func open(p string) (*settingsFile, error) {
	abs, err := absPath(p)
	if err != nil {
		return nil, err
	}
	st := &settingsFile{path: abs, target: abs, mode: newFileMode}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		t, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("%s is a symbolic link that leads nowhere (%w): fix the link, or remove it", abs, err)
		}
		st.target = t
	}
	if fi, err := os.Stat(filepath.Dir(st.target)); err == nil && fi.IsDir() {
		st.dirExists = true
	}
	data, err := os.ReadFile(st.target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st.doc = &document{text: "{}", style: defaultStyle}
		return st, nil
	case err != nil:
		return nil, fmt.Errorf("reading Claude Code's settings: %w", err)
	}
	fi, err := os.Stat(st.target)
	if err != nil {
		return nil, fmt.Errorf("reading Claude Code's settings: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", st.target)
	}
	st.exists, st.data, st.mode = true, data, fi.Mode().Perm()
	if st.doc, err = parseDocument(abs, data); err != nil {
		return nil, err
	}
	return st, nil
}

// write replaces the settings file atomically with data, keeping its mode,
// and creates its folder (0700, as Claude Code does) if missing.
func (st *settingsFile) write(data []byte) error {
	if err := os.MkdirAll(filepath.Dir(st.target), 0o700); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", st.target, err)
	}
	if err := writeSettingsFile(st.target, data, st.mode); err != nil {
		return fmt.Errorf("writing Claude Code's settings: %w", err)
	}
	return nil
}

// writeSettingsFile writes the settings file; a test makes it fail.
var writeSettingsFile = defaultWriteSettingsFile

var defaultWriteSettingsFile = atomicfile.WriteFile

// absPath is p made absolute: the record's key for the file.
func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", p, err)
	}
	return abs, nil
}
