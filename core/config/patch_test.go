package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// readJSON parses the object in path, keeping numbers as written.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, data)
	}
	return m
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestPatchKeepsOtherKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{
  "theme": {"dark": true, "sizes": [1, 2.50, 1e400]},
  "port": 9000,
  "retention_days": 1.0e1,
  "note": "caf\u00e9 <b>",
  "host": "::1"
}`)
	before := readJSON(t, path)
	c, src, err := Patch(path, map[string]json.RawMessage{
		"port":                raw("9100"),
		"session_duration_ms": raw(" 60000 "),
		"host":                raw("null"),
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9100 || c.SessionDurationMS != 60000 || c.RetentionDays != 10 || c.Host != "127.0.0.1" {
		t.Errorf("Patch = %+v", c)
	}
	if src["port"] != SourceFile || src["session_duration_ms"] != SourceFile || src["host"] != SourceDefault {
		t.Errorf("sources = %v", src)
	}

	after := readJSON(t, path)
	want := before
	want["port"] = json.Number("9100")
	want["session_duration_ms"] = json.Number("60000")
	delete(want, "host")
	if !reflect.DeepEqual(after, want) {
		t.Errorf("file after Patch = %v\nwant %v", after, want)
	}
	// Unchanged keys keep their place; new keys come last.
	data, _ := os.ReadFile(path)
	wantText := `{
  "theme": {
    "dark": true,
    "sizes": [
      1,
      2.50,
      1e400
    ]
  },
  "port": 9100,
  "retention_days": 1.0e1,
  "note": "caf\u00e9 <b>",
  "session_duration_ms": 60000
}
`
	if string(data) != wantText {
		t.Errorf("file after Patch:\n%s\nwant:\n%s", data, wantText)
	}
}

func TestPatchCreatesFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "home")
	path := filepath.Join(dir, "config.json")
	if _, _, err := Patch(path, map[string]json.RawMessage{"allow_remote": raw("true"), "host": raw(`"0.0.0.0"`)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := readJSON(t, path), map[string]any{"host": "0.0.0.0", "allow_remote": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("file = %v, want %v", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, %v; want 0700", fi.Mode(), err)
	}
}

func TestPatchWritesMode0600(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{}`)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Patch(path, map[string]json.RawMessage{"port": raw("9000")}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestPatchRefusesOverriddenKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		over map[string]string
		key  string
		vr   string
	}{
		{"env", map[string]string{"PORT": "9000"}, nil, "port", "PORT"},
		{"env null", map[string]string{"CLAUDEFLARE_HOST": "::1"}, nil, "host", "CLAUDEFLARE_HOST"},
		{"flag", nil, map[string]string{"port": "9000"}, "port", "--port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const content = `{"port": 1234}`
			path := writeConfig(t, content)
			value := raw("9100")
			if tt.key == "host" {
				value = raw("null")
			}
			_, _, err := Patch(path, map[string]json.RawMessage{tt.key: value}, envOf(tt.env), tt.over)
			e, ok := errors.AsType[*EnvOverrideError](err)
			if !ok || e.Key != tt.key || e.Var != tt.vr {
				t.Fatalf("Patch = %v, want EnvOverrideError{%s, %s}", err, tt.key, tt.vr)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("file changed to %s", data)
			}
		})
	}
	// An empty variable does not count as set.
	path := writeConfig(t, `{}`)
	if _, _, err := Patch(path, map[string]json.RawMessage{"port": raw("9100")}, envOf(map[string]string{"PORT": ""}), nil); err != nil {
		t.Errorf("Patch with PORT empty = %v", err)
	}
}

func TestEnvOverrideErrorMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  EnvOverrideError
		want string
	}{
		{EnvOverrideError{"port", "PORT"}, "port is set by the environment variable PORT, which takes precedence over config.json; change or unset the variable instead"},
		{EnvOverrideError{"port", "--port"}, "port is set on the command line by --port, which takes precedence over config.json"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPatchInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		patch  map[string]json.RawMessage
		origin string // "file" for the file's path
		key    string
		rule   string
	}{
		{"unknown key", map[string]json.RawMessage{"colour": raw(`"red"`)}, "", "colour", "unknown key; the keys are lb_strategy, session_duration_ms, port, host, upstream_url, credential_store, allow_remote, retention_days"},
		{"unknown among known", map[string]json.RawMessage{"port": raw("9000"), "zz": raw("1")}, "", "zz", "unknown key…"},
		{"port type", map[string]json.RawMessage{"port": raw(`"80"`)}, "", "port", `must be an integer, got string "80"`},
		{"port fraction", map[string]json.RawMessage{"port": raw(`80.5`)}, "", "port", "must be an integer, got 80.5"},
		{"port range", map[string]json.RawMessage{"port": raw(`0`)}, "", "port", "must be between 1 and 65535, got 0"},
		{"not JSON", map[string]json.RawMessage{"port": raw(`80,`)}, "", "port", `not valid JSON: "80,"`},
		{"strategy", map[string]json.RawMessage{"lb_strategy": raw(`"least_used"`)}, "", "lb_strategy", `only "session" is supported, got "least_used"…`},
		{"bool type", map[string]json.RawMessage{"allow_remote": raw(`"true"`)}, "", "allow_remote", `must be true or false, got string "true"`},
		{"second key bad", map[string]json.RawMessage{"port": raw("9000"), "retention_days": raw("0")}, "", "retention_days", "must be between 1 and 3650, got 0"},
		{"remote host", map[string]json.RawMessage{"host": raw(`"0.0.0.0"`)}, "", "host", `"0.0.0.0" is not a loopback address…`},
		{"bad key in file", map[string]json.RawMessage{"port": raw("9000")}, "file", "credential_store", `must be "keychain" or "file", got "vault"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			content := `{"x": 1, "port": 1234}`
			if tt.origin == "file" {
				content = `{"credential_store": "vault"}`
			}
			path := writeConfig(t, content)
			_, _, err := Patch(path, tt.patch, nil, nil)
			origin := tt.origin
			if origin == "file" {
				origin = path
			}
			checkError(t, err, origin, tt.key, tt.rule)
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("file changed to %s", data)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want 1", len(entries))
			}
		})
	}
}

func TestPatchRemoteNeedsAllowRemote(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"host": "0.0.0.0", "allow_remote": true}`)
	_, _, err := Patch(path, map[string]json.RawMessage{"allow_remote": raw("false")}, nil, nil)
	checkError(t, err, "", "host", `"0.0.0.0" is not a loopback address…`)
	c, _, err := Patch(path, map[string]json.RawMessage{"allow_remote": raw("false"), "host": raw(`"localhost"`)}, nil, nil)
	if err != nil || c.AllowRemote || c.Host != "localhost" {
		t.Errorf("Patch = %+v, %v", c, err)
	}
}

func TestPatchRepairsBadFile(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": "80", "other": 1}`)
	c, _, err := Patch(path, map[string]json.RawMessage{"port": raw("80")}, nil, nil)
	if err != nil || c.Port != 80 {
		t.Fatalf("Patch = %+v, %v", c, err)
	}
	if got, want := readJSON(t, path), map[string]any{"port": json.Number("80"), "other": json.Number("1")}; !reflect.DeepEqual(got, want) {
		t.Errorf("file = %v, want %v", got, want)
	}
}

func TestPatchInvalidJSONFile(t *testing.T) {
	t.Parallel()
	const content = `{"port": 80,}`
	path := writeConfig(t, content)
	_, _, err := Patch(path, map[string]json.RawMessage{"port": raw("81")}, nil, nil)
	checkError(t, err, path, "", "not valid JSON…")
	if data, _ := os.ReadFile(path); string(data) != content {
		t.Errorf("file changed to %s", data)
	}
}

func TestPatchEmptyWritesNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	c, src, err := Patch(path, nil, nil, nil)
	if err != nil || c != Default() || src["port"] != SourceDefault {
		t.Fatalf("Patch = %+v, %v, %v", c, src, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty Patch wrote the file: %v", err)
	}
}

func TestPatchDuplicateKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 1, "a": 1, "port": 2}`)
	if _, _, err := Patch(path, map[string]json.RawMessage{"port": raw("3")}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "{\n  \"port\": 3,\n  \"a\": 1\n}\n" {
		t.Errorf("file = %s", data)
	}
}

func TestParseValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, raw string
		want     string // JSON, or "" for an error
		rule     string
	}{
		{"port", "9090", "9090", ""},
		{"session_duration_ms", "3600000", "3600000", ""},
		{"allow_remote", "true", "true", ""},
		{"allow_remote", "0", "false", ""},
		{"host", "localhost", `"localhost"`, ""},
		{"upstream_url", "https://example.com/a?b=<c>", `"https://example.com/a?b=\u003cc\u003e"`, ""},
		{"lb_strategy", "session", `"session"`, ""},
		{"port", "abc", "", `must be an integer between 1 and 65535, got "abc"`},
		{"port", "99999", "", "must be between 1 and 65535, got 99999"},
		{"allow_remote", "maybe", "", `must be true, false, 1 or 0, got "maybe"`},
		{"lb_strategy", "round_robin", "", `only "session" is supported, got "round_robin"…`},
		{"colour", "red", "", "unknown key…"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := ParseValue(tt.key, tt.raw)
			if tt.want == "" {
				checkError(t, err, "", tt.key, tt.rule)
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ParseValue = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
