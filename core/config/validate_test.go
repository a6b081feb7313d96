package config

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		key    string // "" for valid
		rule   string // a part of the rule
	}{
		{"defaults", func(*Config) {}, "", ""},
		{"localhost", func(c *Config) { c.Host = "localhost" }, "", ""},
		{"ipv6 loopback", func(c *Config) { c.Host = "::1" }, "", ""},
		{"remote allowed", func(c *Config) { c.Host, c.AllowRemote = "0.0.0.0", true }, "", ""},
		{"http upstream with path", func(c *Config) { c.UpstreamURL = "http://10.0.0.2:8000/anthropic" }, "", ""},
		{"file store", func(c *Config) { c.CredentialStore = "file" }, "", ""},
		{"bounds low", func(c *Config) { c.SessionDurationMS, c.Port, c.RetentionDays = 60000, 1, 1 }, "", ""},
		{"bounds high", func(c *Config) { c.SessionDurationMS, c.Port, c.RetentionDays = 604800000, 65535, 3650 }, "", ""},

		{"strategy", func(c *Config) { c.LBStrategy = "round_robin" }, "lb_strategy", `only "session" is supported, got "round_robin"`},
		{"strategy empty", func(c *Config) { c.LBStrategy = "" }, "lb_strategy", `only "session"`},
		{"duration low", func(c *Config) { c.SessionDurationMS = 59999 }, "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 59999"},
		{"duration high", func(c *Config) { c.SessionDurationMS = 604800001 }, "session_duration_ms", "got 604800001"},
		{"port zero", func(c *Config) { c.Port = 0 }, "port", "must be between 1 and 65535, got 0"},
		{"port high", func(c *Config) { c.Port = 65536 }, "port", "got 65536"},
		{"host name", func(c *Config) { c.Host = "example.com" }, "host", `must be an IP address or "localhost", got "example.com"`},
		{"host empty", func(c *Config) { c.Host = "" }, "host", `got ""`},
		{"host bracketed", func(c *Config) { c.Host = "[::1]" }, "host", `got "[::1]"`},
		{"host remote", func(c *Config) { c.Host = "0.0.0.0" }, "host", `"0.0.0.0" is not a loopback address: set allow_remote to true`},
		{"upstream relative", func(c *Config) { c.UpstreamURL = "/v1" }, "upstream_url", "absolute http or https URL"},
		{"upstream scheme", func(c *Config) { c.UpstreamURL = "ftp://example.com" }, "upstream_url", `got "ftp://example.com"`},
		{"upstream no host", func(c *Config) { c.UpstreamURL = "https://" }, "upstream_url", "absolute"},
		{"upstream bad", func(c *Config) { c.UpstreamURL = "http://[::1" }, "upstream_url", "absolute"},
		{"store", func(c *Config) { c.CredentialStore = "vault" }, "credential_store", `must be "keychain" or "file", got "vault"`},
		{"retention", func(c *Config) { c.RetentionDays = 0 }, "retention_days", "must be between 1 and 3650, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.change(&c)
			err := c.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want *Error", err)
			}
			if e.Origin != "" || e.Key != tt.key || !strings.Contains(e.Rule, tt.rule) {
				t.Fatalf("Validate() = %#v, want key %q and rule containing %q", e, tt.key, tt.rule)
			}
		})
	}
}

func TestStrategyRuleExplains(t *testing.T) {
	t.Parallel()
	rule := checkStrategy("round_robin")
	for _, want := range []string{`only "session" is supported`, "one account", "prompt cache", "account sharing"} {
		if !strings.Contains(rule, want) {
			t.Errorf("rule %q lacks %q", rule, want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  Error
		want string
	}{
		{Error{"/home/u/.claudeflare/config.json", "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 5"},
			"/home/u/.claudeflare/config.json: session_duration_ms: must be between 60000 and 604800000 (1 minute to 7 days), got 5"},
		{Error{"environment variable PORT", "port", `must be an integer between 1 and 65535, got "abc"`},
			`environment variable PORT: port: must be an integer between 1 and 65535, got "abc"`},
		{Error{"/c.json", "", "not valid JSON: x (line 3)"}, "/c.json: not valid JSON: x (line 3)"},
		{Error{"", "port", "must be an integer, got string \"80\""}, `port: must be an integer, got string "80"`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestFromJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, raw string
		want     any    // nil when invalid
		rule     string // the whole rule when invalid
	}{
		{"port", "80", int64(80), ""},
		{"port", " 80 ", int64(80), ""},
		{"port", "8080.0", int64(8080), ""},
		{"port", "8e3", int64(8000), ""},
		{"port", `"80"`, nil, `must be an integer, got string "80"`},
		{"port", "80.5", nil, "must be an integer, got 80.5"},
		{"port", "true", nil, "must be an integer, got boolean true"},
		{"port", "null", nil, "must be an integer, got null"},
		{"port", "[80]", nil, "must be an integer, got an array"},
		{"port", "1e400", nil, "must be between 1 and 65535, got 1e400"},
		{"port", "99999999999999999999", nil, "must be between 1 and 65535, got 99999999999999999999"},
		{"port", "-1", nil, "must be between 1 and 65535, got -1"},
		{"port", "0x10", nil, `not valid JSON: "0x10"`},
		{"port", "", nil, `not valid JSON: ""`},
		{"host", `"localhost"`, "localhost", ""},
		{"host", "127", nil, "must be a string, got number 127"},
		{"host", `{"a":1}`, nil, "must be a string, got an object"},
		{"allow_remote", "true", true, ""},
		{"allow_remote", "false", false, ""},
		{"allow_remote", `"yes"`, nil, `must be true or false, got string "yes"`},
		{"allow_remote", "1", nil, "must be true or false, got number 1"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.raw, func(t *testing.T) {
			t.Parallel()
			v, rule := fieldOf(tt.key).fromJSON([]byte(tt.raw))
			if v != tt.want || rule != tt.rule {
				t.Fatalf("fromJSON(%s) = %#v, %q; want %#v, %q", tt.raw, v, rule, tt.want, tt.rule)
			}
		})
	}
}

func TestFromString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, raw string
		want     any
		rule     string
	}{
		{"port", "9090", int64(9090), ""},
		{"port", " 9090\n", int64(9090), ""},
		{"port", "abc", nil, `must be an integer between 1 and 65535, got "abc"`},
		{"port", "80.5", nil, `must be an integer between 1 and 65535, got "80.5"`},
		{"port", "0", nil, "must be between 1 and 65535, got 0"},
		{"session_duration_ms", "x", nil, `must be an integer between 60000 and 604800000 (1 minute to 7 days), got "x"`},
		{"allow_remote", "true", true, ""},
		{"allow_remote", "TRUE", true, ""},
		{"allow_remote", "1", true, ""},
		{"allow_remote", "false", false, ""},
		{"allow_remote", "0", false, ""},
		{"allow_remote", "yes", nil, `must be true, false, 1 or 0, got "yes"`},
		{"host", "localhost", "localhost", ""},
		{"host", "example.com", nil, `must be an IP address or "localhost", got "example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.raw, func(t *testing.T) {
			t.Parallel()
			v, rule := fieldOf(tt.key).fromString(tt.raw)
			if v != tt.want || rule != tt.rule {
				t.Fatalf("fromString(%q) = %#v, %q; want %#v, %q", tt.raw, v, rule, tt.want, tt.rule)
			}
		})
	}
}
