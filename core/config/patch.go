package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// EnvOverrideError refuses a change to a key whose effective value comes from the environment
// or the command line: config.json cannot change it. The API answers 409 with it.
type EnvOverrideError struct {
	Key string
	// Var is the environment variable ("PORT"), or the flag ("--port") for an override.
	Var string
}

// Error says which variable or flag sets the key.
func (e *EnvOverrideError) Error() string {
	if strings.HasPrefix(e.Var, "--") {
		return fmt.Sprintf("%s is set on the command line by %s, which takes precedence over config.json", e.Key, e.Var)
	}
	return fmt.Sprintf("%s is set by the environment variable %s, which takes precedence over config.json; "+
		"change or unset the variable instead", e.Key, e.Var)
}

// Patch changes some keys of config.json and returns the new effective configuration and
// sources. patch maps keys to JSON values, as sent to PATCH /api/config or made by ParseValue; a
// null value removes the key from the file, back to its default.
//
// Patch checks every value (an unknown key or a bad value is an *Error with an empty Origin),
// refuses a key set by the environment or an override (*EnvOverrideError), and checks the
// result with the rest of the file (a bad value already in the file is an *Error naming the
// file). Only then does it write the file atomically (mode 0600, its directory created 0700 if
// missing), keeping every other key, known or not, as it was. Nothing is written when
// anything is wrong, nor when patch is empty.
//
// With WithLock, the file is read, changed and written under the lock, so that a key another
// process wrote meanwhile is kept: each change applies only its own keys.
func Patch(path string, patch map[string]json.RawMessage, lookup func(string) (string, bool), overrides map[string]string, opts ...Option) (Config, Sources, error) {
	if err := checkPatch(patch, lookup, overrides); err != nil {
		return Config{}, nil, err
	}
	if len(patch) == 0 {
		return Load(path, lookup, overrides)
	}
	release, err := collect(opts).lockFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("saving config: %w", err)
	}
	defer release()
	members, err := readFile(path) // inside the lock: what others wrote is there
	if err != nil {
		return Config{}, nil, err
	}
	members = applyPatch(members, patch)
	c, src, err := resolve(path, members, lookup, overrides)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Origin == path && patchTouches(patch, e.Key) {
			e.Origin = "" // the patch made the problem, not the file
		}
		return Config{}, nil, err
	}
	if check := collect(opts).check; check != nil {
		if err := check(c); err != nil {
			return Config{}, nil, &RefusedError{err}
		}
	}
	if err := writeFileAtomic(path, encodeFile(members)); err != nil {
		return Config{}, nil, fmt.Errorf("saving config: %w", err)
	}
	return c, src, nil
}

// checkPatch checks each key and value of patch on its own, known keys in table order.
func checkPatch(patch map[string]json.RawMessage, lookup func(string) (string, bool), overrides map[string]string) error {
	for _, key := range sortedKeys(patch) {
		f := fieldOf(key)
		if f == nil {
			return &Error{Key: key, Rule: unknownKeyRule()}
		}
		if raw := bytes.TrimSpace(patch[key]); string(raw) != "null" {
			if _, rule := f.fromJSON(raw); rule != "" {
				return &Error{Key: key, Rule: rule}
			}
		}
		if _, ok := overrides[key]; ok {
			return &EnvOverrideError{Key: key, Var: flagName(key)}
		}
		if _, ok := envValue(lookup, f); ok {
			return &EnvOverrideError{Key: key, Var: f.env}
		}
	}
	return nil
}

// patchTouches reports whether patch changes key, or allow_remote for a problem with host.
func patchTouches(patch map[string]json.RawMessage, key string) bool {
	_, ok := patch[key]
	if !ok && key == KeyHost {
		_, ok = patch[KeyAllowRemote]
	}
	return ok
}

// applyPatch returns members with patch applied: a changed key keeps its place, a new key is
// added at the end, a null value removes the key.
func applyPatch(members []member, patch map[string]json.RawMessage) []member {
	out := make([]member, 0, len(members)+len(patch))
	done := make(map[string]bool, len(patch))
	for _, m := range members {
		raw, ok := patch[m.key]
		switch {
		case !ok:
			out = append(out, m)
		case !done[m.key]: // a later duplicate of a patched key goes
			done[m.key] = true
			if v := compact(raw); string(v) != "null" {
				out = append(out, member{m.key, v})
			}
		}
	}
	for _, key := range sortedKeys(patch) {
		if v := compact(patch[key]); !done[key] && string(v) != "null" {
			out = append(out, member{key, v})
		}
	}
	return out
}

// compact returns a valid JSON value without insignificant white space.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// ParseValue converts a command-line value, as in `config set port 9090`, into the JSON value
// of key for Patch: a JSON string for string keys, a number for integer keys, true or false
// for boolean keys (which accept true, false, 1 or 0). The value is checked against the key's
// rule; a problem is an *Error with an empty Origin.
func ParseValue(key, raw string) (json.RawMessage, error) {
	f := fieldOf(key)
	if f == nil {
		return nil, &Error{Key: key, Rule: unknownKeyRule()}
	}
	v, rule := f.fromString(raw)
	if rule != "" {
		return nil, &Error{Key: key, Rule: rule}
	}
	return json.Marshal(v)
}
