// Package claudecode wires Claude Code to Claudeflare through Claude Code's
// own user settings file (docs/DESIGN.md, "Claude Code"): Enable sets env.ANTHROPIC_BASE_URL (and,
// when the env block has no credential, a placeholder one) and optionally a
// statusLine; Disable undoes exactly that; Inspect says how the file stands.
//
// The file is edited as text with tidwall/sjson and read with tidwall/gjson,
// so every key, value, key order and byte of formatting that Claudeflare does
// not own is kept. Writes are atomic and keep the file's mode. A file that
// cannot be parsed is refused and never written. What Enable did is kept in
// a small record in Claudeflare's home folder, so that Disable, in another
// process and days later, knows what to undo.
package claudecode

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files names the two files involved.
type Files struct {
	// Settings is Claude Code's settings file, normally ~/.claude/settings.json.
	Settings string
	// Record is Claudeflare's record of what Enable did (paths.ClaudeCodePath).
	Record string
}

// Result says what Enable or Disable did.
type Result struct {
	// Settings is the settings file's absolute path.
	Settings string
	// Written: the settings file was changed (or removed, or created).
	Written bool
	// Removed: Disable removed the file Enable had created.
	Removed bool
	// Keys are the keys Claudeflare owns after Enable, or gave back in Disable.
	Keys []string
	// Nothing: Disable found nothing of Enable's to undo.
	Nothing bool
	// Notes are things the user should know (never a value: it may be a secret).
	Notes []string
}

// newFileMode is the mode of a settings file Enable creates: it may later
// hold the user's own tokens.
const newFileMode = 0o600

// Enable wires the settings file to w. Running it again with the same w
// changes nothing; with a new address it updates what it set before.
func Enable(f Files, w Wiring) (Result, error) {
	st, err := open(f.Settings)
	if err != nil {
		return Result{}, err
	}
	rec, err := loadRecord(f.Record)
	if err != nil {
		return Result{}, err
	}
	var prev *entry
	if e, ok := rec.Settings[st.path]; ok && st.exists {
		prev = &e
	}
	ed, err := applyEnable(st.doc, prev, w)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", st.path, err)
	}
	out := st.doc.style.render(ed.text)
	res := Result{Settings: st.path, Keys: ed.entry.paths(), Notes: ed.notes}
	if prev == nil {
		ed.entry.CreatedFile = !st.exists
		if st.exists && st.doc.members("") == 0 {
			orig := string(st.data)
			ed.entry.EmptyOriginal = &orig
		}
		ed.entry.CreatedDir = !st.dirExists
		ed.entry.EnabledAt = time.Now().UTC().Truncate(time.Second)
	}
	if st.exists && bytes.Equal(out, st.data) && prev != nil && ed.entry.equal(*prev) {
		return res, nil // already wired just so
	}

	// The record is saved first: should the settings write fail, the
	// record's keys are simply not found in the file later, and disable
	// leaves it alone; the other order could leave changes no one can undo.
	old, hadOld := rec.Settings[st.path]
	rec.Settings[st.path] = ed.entry
	if err := rec.save(f.Record); err != nil {
		return Result{}, err
	}
	if err := st.write(out); err != nil {
		if hadOld {
			rec.Settings[st.path] = old
		} else {
			delete(rec.Settings, st.path)
		}
		_ = rec.save(f.Record)
		return Result{}, err
	}
	res.Written = !st.exists || !bytes.Equal(out, st.data)
	return res, nil
}

// Disable undoes what Enable did to the settings file: keys it added go,
// values it replaced come back, a key the user changed since stays theirs.
// If Enable created the file (or the env object) and nothing else is in it,
// it goes too, so the file is as it was before Enable.
func Disable(f Files) (Result, error) {
	path, err := absPath(f.Settings)
	if err != nil {
		return Result{}, err
	}
	rec, err := loadRecord(f.Record)
	if err != nil {
		return Result{}, err
	}
	res := Result{Settings: path}
	e, ok := rec.Settings[path]
	if !ok {
		res.Nothing = true
		if st, err := open(path); err == nil && st.doc.get(keyBaseURL).Exists() {
			res.Notes = append(res.Notes, "its env.ANTHROPIC_BASE_URL was not set by `claude-code enable`: left as it is")
		}
		return res, nil
	}
	st, err := open(path)
	if err != nil {
		return Result{}, err
	}
	if !st.exists {
		delete(rec.Settings, st.path)
		res.Nothing = true
		res.Notes = append(res.Notes, "the file no longer exists")
		return res, rec.save(f.Record)
	}
	ed, err := applyDisable(st.doc, e)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", st.path, err)
	}
	res.Notes, res.Keys = ed.notes, ed.undone
	empty := (&document{text: ed.text}).members("") == 0
	switch {
	case e.CreatedFile && empty:
		if err := os.Remove(st.target); err != nil {
			return Result{}, fmt.Errorf("removing %s, which `claude-code enable` created: %w", st.target, err)
		}
		if e.CreatedDir {
			_ = os.Remove(filepath.Dir(st.target)) // only if empty: Claude Code may have filled it since
		}
		res.Written, res.Removed = true, true
	default:
		out := st.doc.style.render(ed.text)
		if e.EmptyOriginal != nil && empty {
			out = []byte(*e.EmptyOriginal)
		}
		if !bytes.Equal(out, st.data) {
			if err := st.write(out); err != nil {
				return Result{}, err
			}
			res.Written = true
		}
	}
	delete(rec.Settings, st.path)
	return res, rec.save(f.Record)
}
