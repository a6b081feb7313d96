package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMissingFileIsDefaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	for name, lookup := range map[string]func(string) (string, bool){
		"nil lookup":  nil,
		"empty env":   envOf(nil),
		"empty value": envOf(map[string]string{"PORT": "", "CLAUDEFLARE_HOST": "  "}),
	} {
		c, src, err := Load(path, lookup, nil)
		if err != nil {
			t.Fatalf("%s: Load = %v", name, err)
		}
		if c != Default() {
			t.Errorf("%s: Load = %+v, want defaults", name, c)
		}
		for _, k := range Keys() {
			if src[k] != SourceDefault {
				t.Errorf("%s: source of %s = %q, want default", name, k, src[k])
			}
		}
	}
}

// TestLoadEachKey sets each key alone from the file, the environment and an override.
func TestLoadEachKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		json string // value in config.json
		raw  string // value in the environment and overrides
		want func(Config) bool
	}{
		{"lb_strategy", `"session"`, "session", func(c Config) bool { return c.LBStrategy == "session" }},
		{"session_duration_ms", `60000`, "60000", func(c Config) bool { return c.SessionDurationMS == 60000 }},
		{"port", `9090`, "9090", func(c Config) bool { return c.Port == 9090 }},
		{"host", `"::1"`, "::1", func(c Config) bool { return c.Host == "::1" }},
		{"upstream_url", `"http://127.0.0.1:9999/x"`, "http://127.0.0.1:9999/x", func(c Config) bool { return c.UpstreamURL == "http://127.0.0.1:9999/x" }},
		{"credential_store", `"file"`, "file", func(c Config) bool { return c.CredentialStore == "file" }},
		{"allow_remote", `true`, "1", func(c Config) bool { return c.AllowRemote }},
		{"retention_days", `7`, "7", func(c Config) bool { return c.RetentionDays == 7 }},
	}
	for _, tt := range tests {
		for _, source := range []Source{SourceFile, SourceEnv, SourceFlag} {
			t.Run(tt.key+"/"+string(source), func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(t.TempDir(), "config.json")
				var env, over map[string]string
				switch source {
				case SourceFile:
					path = writeConfig(t, `{"`+tt.key+`": `+tt.json+`}`)
				case SourceEnv:
					env = map[string]string{EnvVar(tt.key): tt.raw}
				case SourceFlag:
					over = map[string]string{tt.key: tt.raw}
				}
				c, src, err := Load(path, envOf(env), over)
				if err != nil {
					t.Fatalf("Load = %v", err)
				}
				if !tt.want(c) {
					t.Errorf("Load = %+v", c)
				}
				for _, k := range Keys() {
					want := SourceDefault
					if k == tt.key {
						want = source
					}
					if src[k] != want {
						t.Errorf("source of %s = %q, want %q", k, src[k], want)
					}
				}
			})
		}
	}
}

func TestLoadPrecedence(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 1000, "retention_days": 10, "session_duration_ms": 100000}`)
	env := envOf(map[string]string{"PORT": "2000", "CLAUDEFLARE_RETENTION_DAYS": "20"})
	c, src, err := Load(path, env, map[string]string{"port": "3000"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3000 || src["port"] != SourceFlag {
		t.Errorf("port = %d (%s), want 3000 from flag", c.Port, src["port"])
	}
	if c.RetentionDays != 20 || src["retention_days"] != SourceEnv {
		t.Errorf("retention_days = %d (%s), want 20 from env", c.RetentionDays, src["retention_days"])
	}
	if c.SessionDurationMS != 100000 || src["session_duration_ms"] != SourceFile {
		t.Errorf("session_duration_ms = %d (%s), want 100000 from file", c.SessionDurationMS, src["session_duration_ms"])
	}
	if c.Host != "127.0.0.1" || src["host"] != SourceDefault {
		t.Errorf("host = %q (%s), want default", c.Host, src["host"])
	}
}

func TestLoadIgnoresUnknownKeys(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000, "theme": {"dark": true}, "future_key": [1, 2]}`)
	c, _, err := Load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 {
		t.Errorf("port = %d", c.Port)
	}
}

func TestLoadBadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		key     string
		rule    string // the whole rule, or a prefix ending in "…"
	}{
		{"syntax", "{\n  \"port\": 80,\n  }\n", "", "not valid JSON: invalid character '}' looking for beginning of object key string (line 3)"},
		{"truncated", `{"port": 80`, "", "not valid JSON: unexpected end of JSON input (line 1)"},
		{"empty", "", "", "not valid JSON: the file is empty (write {} for all defaults)"},
		{"array", `[1]`, "", "must hold a JSON object, got an array"},
		{"null", `null`, "", "must hold a JSON object, got null"},
		{"string", `"x"`, "", `must hold a JSON object, got string "x"`},
		{"trailing", `{} {}`, "", "not valid JSON: invalid character '{' after top-level value (line 1)"},
		{"strategy", `{"lb_strategy": "round_robin"}`, "lb_strategy", `only "session" is supported, got "round_robin"…`},
		{"strategy type", `{"lb_strategy": 1}`, "lb_strategy", "must be a string, got number 1"},
		{"duration low", `{"session_duration_ms": 5}`, "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 5"},
		{"duration fraction", `{"session_duration_ms": 60000.5}`, "session_duration_ms", "must be an integer, got 60000.5"},
		{"duration string", `{"session_duration_ms": "60000"}`, "session_duration_ms", `must be an integer, got string "60000"`},
		{"port string", `{"port": "80"}`, "port", `must be an integer, got string "80"`},
		{"port range", `{"port": 70000}`, "port", "must be between 1 and 65535, got 70000"},
		{"port null", `{"port": null}`, "port", "must be an integer, got null"},
		{"host", `{"host": "my.host"}`, "host", `must be an IP address or "localhost", got "my.host"`},
		{"host type", `{"host": false}`, "host", "must be a string, got boolean false"},
		{"host remote", `{"host": "0.0.0.0"}`, "host", `"0.0.0.0" is not a loopback address…`},
		{"upstream", `{"upstream_url": "api.anthropic.com"}`, "upstream_url", `must be an absolute http or https URL such as "https://api.anthropic.com", got "api.anthropic.com"`},
		{"store", `{"credential_store": "vault"}`, "credential_store", `must be "keychain" or "file", got "vault"`},
		{"allow_remote", `{"allow_remote": "true"}`, "allow_remote", `must be true or false, got string "true"`},
		{"retention", `{"retention_days": 0}`, "retention_days", "must be between 1 and 3650, got 0"},
		{"retention array", `{"retention_days": [30]}`, "retention_days", "must be an integer, got an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tt.content)
			_, _, err := Load(path, nil, nil)
			checkError(t, err, path, tt.key, tt.rule)
		})
	}
}

// TestLoadBadFileUnderEnv: a bad file value is reported even though the environment overrides it.
func TestLoadBadFileUnderEnv(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": "80"}`)
	_, _, err := Load(path, envOf(map[string]string{"PORT": "9090"}), nil)
	checkError(t, err, path, "port", `must be an integer, got string "80"`)
}

func TestLoadBadEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		key  string
		rule string
	}{
		{"strategy", map[string]string{"LB_STRATEGY": "random"}, "lb_strategy", `only "session" is supported, got "random"…`},
		{"duration", map[string]string{"SESSION_DURATION_MS": "5h"}, "session_duration_ms", `must be an integer between 60000 and 604800000 (1 minute to 7 days), got "5h"`},
		{"duration range", map[string]string{"SESSION_DURATION_MS": "5"}, "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 5"},
		{"port", map[string]string{"PORT": "abc"}, "port", `must be an integer between 1 and 65535, got "abc"`},
		{"port range", map[string]string{"PORT": "0"}, "port", "must be between 1 and 65535, got 0"},
		{"host", map[string]string{"CLAUDEFLARE_HOST": "my.host"}, "host", `must be an IP address or "localhost", got "my.host"`},
		{"host remote", map[string]string{"CLAUDEFLARE_HOST": "0.0.0.0"}, "host", `"0.0.0.0" is not a loopback address…`},
		{"upstream", map[string]string{"CLAUDEFLARE_UPSTREAM_URL": "ftp://x"}, "upstream_url", `must be an absolute http or https URL…`},
		{"store", map[string]string{"CLAUDEFLARE_CREDENTIAL_STORE": "vault"}, "credential_store", `must be "keychain" or "file", got "vault"`},
		{"allow_remote", map[string]string{"CLAUDEFLARE_ALLOW_REMOTE": "yes"}, "allow_remote", `must be true, false, 1 or 0, got "yes"`},
		{"retention", map[string]string{"CLAUDEFLARE_RETENTION_DAYS": "4000"}, "retention_days", "must be between 1 and 3650, got 4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, `{"port": 9000}`)
			_, _, err := Load(path, envOf(tt.vars), nil)
			checkError(t, err, "environment variable "+EnvVar(tt.key), tt.key, tt.rule)
		})
	}
}

func TestLoadBadOverride(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	_, _, err := Load(path, nil, map[string]string{"port": "http"})
	checkError(t, err, "flag --port", "port", `must be an integer between 1 and 65535, got "http"`)
	_, _, err = Load(path, nil, map[string]string{"colour": "red"})
	checkError(t, err, "flag --colour", "colour", "unknown key…")
	// A remote host from the command line is refused in the flag's name.
	_, _, err = Load(path, nil, map[string]string{"host": "0.0.0.0"})
	checkError(t, err, "flag --host", "host", `"0.0.0.0" is not a loopback address…`)
	// … unless allow_remote is set somewhere.
	c, _, err := Load(path, envOf(map[string]string{"CLAUDEFLARE_ALLOW_REMOTE": "true"}), map[string]string{"host": "0.0.0.0"})
	if err != nil || c.Host != "0.0.0.0" || !c.AllowRemote {
		t.Errorf("Load = %+v, %v; want remote host allowed", c, err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory where the file should be
	_, _, err := Load(dir, nil, nil)
	if err == nil {
		t.Fatal("Load of a directory succeeded")
	}
	if _, ok := errors.AsType[*Error](err); ok {
		t.Errorf("Load = %#v, want an I/O error, not *Error", err)
	}
}

// checkError fails t unless err is an *Error with origin and key and a rule equal to rule, or
// starting with it when rule ends in "…".
func checkError(t *testing.T, err error, origin, key, rule string) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("error = %v, want *Error", err)
	}
	matches := e.Rule == rule
	if prefix, cut := strings.CutSuffix(rule, "…"); cut {
		matches = strings.HasPrefix(e.Rule, prefix)
	}
	if e.Origin != origin || e.Key != key || !matches {
		t.Fatalf("error = %#v\nwant origin %q, key %q, rule %q", e, origin, key, rule)
	}
}
