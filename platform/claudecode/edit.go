package claudecode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The keys enable sets, as gjson/sjson paths.
const (
	keyEnv        = "env"
	keyBaseURL    = "env.ANTHROPIC_BASE_URL"
	keyOAuthToken = "env.CLAUDE_CODE_OAUTH_TOKEN"
	keyStatusLine = "statusLine"
)

// credentialKeys are the env variables through which Claude Code takes a
// credential. When the user's env block sets one, enable adds no placeholder:
// their choice of mode (API key or subscription) stands.
var credentialKeys = []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"}

// Placeholder is the CLAUDE_CODE_OAUTH_TOKEN enable writes when the env block
// sets no credential. Claude Code then runs in subscription mode, so it shows
// its own messages about the 5-hour and weekly limits; the proxy removes the
// client's credential from every request and adds the serving account's, so
// this value never leaves the machine. It is plainly no token, for whoever
// reads the settings file, and for secret scanners.
const Placeholder = "claudeflare-placeholder-the-proxy-adds-the-real-credential"

// Wiring is what enable writes.
type Wiring struct {
	// BaseURL is the proxy's address, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// StatusLine, when not empty, is the command for Claude Code's
	// statusLine, set only if the user has none.
	StatusLine string
}

// statusLineSetting is Claude Code's statusLine: a command it runs, giving
// it a JSON document on standard input, whose first output line it shows.
type statusLineSetting struct {
	Type    string `json:"type"`
	Command string `json:"command"`
}

// edited is a document after an edit: its text, what enable recorded, and
// notes for the user.
type edited struct {
	text  string
	entry entry
	notes []string
	// undone are the keys applyDisable gave back; kept, those the user had changed.
	undone, kept []string
}

// applyEnable wires d to w. prev is what an earlier enable recorded for this
// file (nil if none); a key it set that the user has changed since is the
// user's now and is left alone. Applying the same wiring twice changes
// nothing.
func applyEnable(d *document, prev *entry, w Wiring) (edited, error) {
	ed := edited{text: d.text}
	if prev != nil {
		ed.entry = *prev
		ed.entry.Changes = slices.Clone(prev.Changes)
		for _, c := range prev.Changes {
			if cur := gjson.Get(ed.text, c.Path); !cur.Exists() || !sameJSON(cur.Raw, string(c.Value)) {
				ed.entry.drop(c.Path)
			}
		}
	} else {
		ed.entry.CreatedEnv = !gjson.Get(ed.text, keyEnv).Exists()
	}

	if err := ed.set(keyBaseURL, jsonString(w.BaseURL)); err != nil {
		return edited{}, err
	}
	if ed.userCredential() == "" {
		if err := ed.set(keyOAuthToken, jsonString(Placeholder)); err != nil {
			return edited{}, err
		}
	} else if ed.entry.find(keyOAuthToken) != nil {
		// The user has set a credential of their own since: ours goes.
		if err := ed.undo(*ed.entry.find(keyOAuthToken)); err != nil {
			return edited{}, err
		}
		ed.entry.drop(keyOAuthToken)
	}
	if w.StatusLine != "" {
		if gjson.Get(ed.text, keyStatusLine).Exists() && ed.entry.find(keyStatusLine) == nil {
			ed.notes = append(ed.notes, "Claude Code already has a statusLine of yours: left as it is")
		} else {
			raw, _ := json.Marshal(statusLineSetting{Type: "command", Command: w.StatusLine})
			if err := ed.set(keyStatusLine, string(raw)); err != nil {
				return edited{}, err
			}
		}
	}
	return ed, nil
}

// applyDisable undoes e in d: every key enable set that still holds what it
// wrote gets back its previous value, or goes; a key the user changed since
// is theirs and stays. An env object enable created goes once it is empty.
func applyDisable(d *document, e entry) (edited, error) {
	ed := edited{text: d.text, entry: e}
	for i := len(e.Changes) - 1; i >= 0; i-- {
		c := e.Changes[i]
		cur := gjson.Get(ed.text, c.Path)
		if !cur.Exists() || !sameJSON(cur.Raw, string(c.Value)) {
			// Never show the value: the user may have put a real token there.
			ed.notes = append(ed.notes, fmt.Sprintf("%s was changed after `claude-code enable`: left as it is", c.Path))
			ed.kept = append(ed.kept, c.Path)
			continue
		}
		if err := ed.undo(c); err != nil {
			return edited{}, err
		}
		ed.undone = append(ed.undone, c.Path)
	}
	if e.CreatedEnv && (&document{text: ed.text}).members(keyEnv) == 0 && gjson.Get(ed.text, keyEnv).IsObject() {
		if err := ed.edit(keyEnv, "", true); err != nil {
			return edited{}, err
		}
	}
	return ed, nil
}

// userCredential returns the credential variable the user's env block sets
// (not enable's own placeholder), or "".
func (ed *edited) userCredential() string {
	for _, k := range credentialKeys {
		path := keyEnv + "." + k
		if gjson.Get(ed.text, path).Exists() && ed.entry.find(path) == nil {
			return k
		}
	}
	return ""
}

// set writes raw at path and records it: a key enable already owns keeps
// its recorded previous value; any other key's current value becomes the
// previous one.
func (ed *edited) set(path, raw string) error {
	if c := ed.entry.find(path); c != nil {
		if sameJSON(gjson.Get(ed.text, path).Raw, raw) {
			return nil
		}
		c.Value = json.RawMessage(raw)
		return ed.edit(path, raw, false)
	}
	c := change{Path: path, Value: json.RawMessage(raw)}
	if cur := gjson.Get(ed.text, path); cur.Exists() {
		c.Previous = json.RawMessage(cur.Raw)
	}
	ed.entry.Changes = append(ed.entry.Changes, c)
	return ed.edit(path, raw, false)
}

// undo puts back what c replaced, or removes the key.
func (ed *edited) undo(c change) error {
	if c.Previous != nil {
		return ed.edit(c.Path, string(c.Previous), false)
	}
	return ed.edit(c.Path, "", true)
}

// edit sets (or deletes) one key with sjson, which leaves every other byte
// of the text as it was.
func (ed *edited) edit(path, raw string, del bool) error {
	var out string
	var err error
	if del {
		out, err = sjson.Delete(ed.text, path)
	} else {
		out, err = sjson.SetRaw(ed.text, path, raw)
	}
	if err != nil {
		return fmt.Errorf("editing %s: %w", path, err)
	}
	ed.text = out
	return nil
}

// jsonString is s as a JSON string, without HTML escaping (a path with & in
// it stays readable).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}
