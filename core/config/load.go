package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// member is one key and its raw value in config.json, in file order.
type member struct {
	key   string
	value json.RawMessage
}

// Load returns the effective configuration and the source of each value.
//
// It reads the JSON object in path (a missing file means all defaults; unknown keys are
// ignored), then the environment through lookup (os.LookupEnv in production; nil means no
// environment; a variable set to the empty string counts as unset), then overrides, which map
// keys to raw command-line values such as {"port": "9090"} from `serve --port 9090` and have
// source SourceFlag. Precedence: flag > env > file > default.
//
// Every value is checked where it is read, so a bad value in the file is reported even when
// the environment overrides it. A bad value is an *Error naming its origin (the path,
// "environment variable PORT", "flag --port"), the key and the rule; a file that cannot be
// read is another error.
func Load(path string, lookup func(string) (string, bool), overrides map[string]string) (Config, Sources, error) {
	members, err := readFile(path)
	if err != nil {
		return Config{}, nil, err
	}
	return resolve(path, members, lookup, overrides)
}

// resolve layers the file's members, the environment and the overrides over the defaults.
func resolve(path string, members []member, lookup func(string) (string, bool), overrides map[string]string) (Config, Sources, error) {
	c := Default()
	src := make(Sources, len(fields))
	for i := range fields {
		src[fields[i].key] = SourceDefault
	}
	for _, m := range members {
		f := fieldOf(m.key)
		if f == nil {
			continue // unknown keys stay in the file and are ignored
		}
		v, rule := f.fromJSON(m.value)
		if rule != "" {
			return Config{}, nil, &Error{Origin: path, Key: f.key, Rule: rule}
		}
		f.set(&c, v)
		src[f.key] = SourceFile
	}
	for i := range fields {
		f := &fields[i]
		raw, ok := envValue(lookup, f)
		if !ok {
			continue
		}
		v, rule := f.fromString(raw)
		if rule != "" {
			return Config{}, nil, &Error{Origin: origin(path, SourceEnv, f), Key: f.key, Rule: rule}
		}
		f.set(&c, v)
		src[f.key] = SourceEnv
	}
	for _, key := range sortedKeys(overrides) {
		f := fieldOf(key)
		if f == nil {
			return Config{}, nil, &Error{Origin: "flag " + flagName(key), Key: key, Rule: unknownKeyRule()}
		}
		v, rule := f.fromString(overrides[key])
		if rule != "" {
			return Config{}, nil, &Error{Origin: origin(path, SourceFlag, f), Key: f.key, Rule: rule}
		}
		f.set(&c, v)
		src[f.key] = SourceFlag
	}
	if rule := checkRemote(c); rule != "" {
		return Config{}, nil, &Error{Origin: origin(path, src[KeyHost], fieldOf(KeyHost)), Key: KeyHost, Rule: rule}
	}
	return c, src, nil
}

// envValue returns the value of f's environment variable, and whether it is set and not empty.
func envValue(lookup func(string) (string, bool), f *field) (string, bool) {
	if lookup == nil {
		return "", false
	}
	raw, ok := lookup(f.env)
	return raw, ok && strings.TrimSpace(raw) != ""
}

// origin names where a value of f with source s came from, for an Error.
func origin(path string, s Source, f *field) string {
	switch s {
	case SourceFile:
		return path
	case SourceEnv:
		return "environment variable " + f.env
	case SourceFlag:
		return "flag " + flagName(f.key)
	}
	return ""
}

// sortedKeys returns the keys of m: the known ones in table order, then the others sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		for i := range fields {
			if fields[i].key == k {
				return i
			}
		}
		return len(fields)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

func unknownKeyRule() string {
	return "unknown key; the keys are " + strings.Join(Keys(), ", ")
}

// readFile reads the members of the JSON object in path, in file order. A missing file has
// none.
func readFile(path string) ([]member, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return parseFile(path, data)
}

// parseFile parses the JSON object of a config file; any other content is an *Error.
func parseFile(path string, data []byte) ([]member, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Origin: path, Rule: `not valid JSON: the file is empty (write {} for all defaults)`}
	}
	var v json.RawMessage // checks the syntax without converting numbers
	if err := json.Unmarshal(data, &v); err != nil {
		rule := "not valid JSON: " + err.Error()
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			rule += fmt.Sprintf(" (line %d)", 1+bytes.Count(data[:min(se.Offset, int64(len(data)))], []byte("\n")))
		}
		return nil, &Error{Origin: path, Rule: rule}
	}
	if v = bytes.TrimSpace(v); v[0] != '{' {
		return nil, &Error{Origin: path, Rule: "must hold a JSON object, got " + describe(v)}
	}
	// The content is a valid object: read its members in order, keeping each value as written.
	dec := json.NewDecoder(bytes.NewReader(data))
	var members []member
	if _, err := dec.Token(); err != nil { // {
		return nil, &Error{Origin: path, Rule: "not valid JSON: " + err.Error()}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &Error{Origin: path, Rule: "not valid JSON: " + err.Error()}
		}
		var m member
		m.key, _ = tok.(string)
		if err := dec.Decode(&m.value); err != nil {
			return nil, &Error{Origin: path, Rule: "not valid JSON: " + err.Error()}
		}
		members = append(members, m)
	}
	return members, nil
}
