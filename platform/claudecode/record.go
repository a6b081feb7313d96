package claudecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/claudeflare/claudeflare/platform/atomicfile"
)

// record is what enable did to each settings file, kept in Claudeflare's
// home folder (paths.ClaudeCodePath) so that disable, run by another process
// later, undoes exactly that and nothing else. It holds only what
// Claudeflare wrote and the values it replaced (an old ANTHROPIC_BASE_URL):
// never a copy of the file, which may hold the user's own secrets.
type record struct {
	Version int `json:"version"`
	// Settings is keyed by the settings file's absolute path.
	Settings map[string]entry `json:"settings"`
}

// recordVersion is the record's format; a newer one is not touched.
const recordVersion = 1

// entry is what enable did to one settings file.
type entry struct {
	// CreatedFile: there was no file; CreatedDir: nor its folder.
	CreatedFile bool `json:"created_file,omitempty"`
	CreatedDir  bool `json:"created_dir,omitempty"`
	// EmptyOriginal is the file's exact content when it held no setting at
	// all (white space, "{}", "{ }"), to be put back when nothing else is
	// left. A file with settings in it is never copied: it may hold secrets.
	EmptyOriginal *string `json:"empty_original,omitempty"`
	// CreatedEnv: the file had no "env" object.
	CreatedEnv bool `json:"created_env,omitempty"`
	// Changes are the keys enable set, in the order it set them.
	Changes   []change  `json:"changes"`
	EnabledAt time.Time `json:"enabled_at"`
}

// change is one key enable set.
type change struct {
	// Path is the key's sjson/gjson path, e.g. "env.ANTHROPIC_BASE_URL".
	Path string `json:"path"`
	// Value is the JSON enable wrote there.
	Value json.RawMessage `json:"value"`
	// Previous is the JSON that was there before, exactly as written; absent
	// when the key did not exist.
	Previous json.RawMessage `json:"previous,omitempty"`
}

// find returns the change of path, or nil.
func (e *entry) find(path string) *change {
	for i := range e.Changes {
		if e.Changes[i].Path == path {
			return &e.Changes[i]
		}
	}
	return nil
}

// drop removes the change of path.
func (e *entry) drop(path string) {
	out := e.Changes[:0]
	for _, c := range e.Changes {
		if c.Path != path {
			out = append(out, c)
		}
	}
	e.Changes = out
}

// loadRecord reads the record at path; a missing file is an empty record.
func loadRecord(path string) (*record, error) {
	r := &record{Version: recordVersion, Settings: map[string]entry{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%s, Claudeflare's record of what `claude-code enable` changed, is damaged (%v): "+
			"remove it and undo the change in Claude Code's settings by hand", path, err)
	}
	if r.Version > recordVersion {
		return nil, fmt.Errorf("%s was written by a newer Claudeflare (format %d): use that version", path, r.Version)
	}
	if r.Settings == nil {
		r.Settings = map[string]entry{}
	}
	return r, nil
}

// save writes the record atomically (0600), or removes the file when no
// entry is left.
func (r *record) save(path string) error {
	if len(r.Settings) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", path, err)
		}
		return nil
	}
	r.Version = recordVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the record of Claude Code's settings: %w", err)
	}
	return nil
}

// paths lists the keys of the entry's changes.
func (e entry) paths() []string {
	out := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		out = append(out, c.Path)
	}
	return out
}

// equal reports whether two entries record the same changes.
func (e entry) equal(o entry) bool {
	if e.CreatedFile != o.CreatedFile || e.CreatedDir != o.CreatedDir || !sameString(e.EmptyOriginal, o.EmptyOriginal) ||
		e.CreatedEnv != o.CreatedEnv || len(e.Changes) != len(o.Changes) {
		return false
	}
	for i := range e.Changes {
		a, b := e.Changes[i], o.Changes[i]
		if a.Path != b.Path || !bytes.Equal(a.Value, b.Value) || !bytes.Equal(a.Previous, b.Previous) {
			return false
		}
	}
	return true
}

// sameString reports whether two optional strings are equal.
func sameString(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
