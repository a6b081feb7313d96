package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// envOf returns a lookup function over vars, standing in for os.LookupEnv.
func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// writeConfig writes content to config.json in a new temporary directory and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefault(t *testing.T) {
	t.Parallel()
	want := Config{
		LBStrategy:        "session",
		SessionDurationMS: 18000000,
		Port:              8080,
		Host:              "127.0.0.1",
		UpstreamURL:       "https://api.anthropic.com",
		CredentialStore:   "keychain",
		AllowRemote:       false,
		RetentionDays:     30,
	}
	c := Default()
	if c != want {
		t.Fatalf("Default() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if got := c.SessionDuration(); got != 5*time.Hour {
		t.Errorf("SessionDuration() = %v, want 5h", got)
	}
	if got := c.Addr(); got != "127.0.0.1:8080" {
		t.Errorf("Addr() = %q", got)
	}
}

func TestKeysAndEnvVar(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"lb_strategy":         "LB_STRATEGY",
		"session_duration_ms": "SESSION_DURATION_MS",
		"port":                "PORT",
		"host":                "CLAUDEFLARE_HOST",
		"upstream_url":        "CLAUDEFLARE_UPSTREAM_URL",
		"credential_store":    "CLAUDEFLARE_CREDENTIAL_STORE",
		"allow_remote":        "CLAUDEFLARE_ALLOW_REMOTE",
		"retention_days":      "CLAUDEFLARE_RETENTION_DAYS",
	}
	keys := Keys()
	order := []string{"lb_strategy", "session_duration_ms", "port", "host", "upstream_url",
		"credential_store", "allow_remote", "retention_days"}
	if !slices.Equal(keys, order) {
		t.Fatalf("Keys() = %v, want %v", keys, order)
	}
	for _, k := range keys {
		if got := EnvVar(k); got != want[k] {
			t.Errorf("EnvVar(%q) = %q, want %q", k, got, want[k])
		}
	}
	if got := EnvVar("nope"); got != "" {
		t.Errorf("EnvVar(nope) = %q, want empty", got)
	}
	keys[0] = "changed"
	if Keys()[0] != "lb_strategy" {
		t.Error("Keys() shares its slice")
	}
}

func TestAddrAndLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host     string
		addr     string
		loopback bool
	}{
		{"127.0.0.1", "127.0.0.1:9090", true},
		{"127.1.2.3", "127.1.2.3:9090", true},
		{"localhost", "localhost:9090", true},
		{"::1", "[::1]:9090", true},
		{"0.0.0.0", "0.0.0.0:9090", false},
		{"::", "[::]:9090", false},
		{"192.168.1.10", "192.168.1.10:9090", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			c := Default()
			c.Host, c.Port = tt.host, 9090
			if got := c.Addr(); got != tt.addr {
				t.Errorf("Addr() = %q, want %q", got, tt.addr)
			}
			if got := c.IsLoopbackHost(); got != tt.loopback {
				t.Errorf("IsLoopbackHost() = %v, want %v", got, tt.loopback)
			}
		})
	}
}

func TestRange(t *testing.T) {
	t.Parallel()
	if lo, hi, hint, ok := Range(KeySessionDurationMS); !ok || lo != 60_000 || hi != 604_800_000 || hint != "1 minute to 7 days" {
		t.Errorf("session_duration_ms: %d %d %q %v", lo, hi, hint, ok)
	}
	if lo, hi, _, ok := Range(KeyPort); !ok || lo != 1 || hi != 65535 {
		t.Errorf("port: %d %d %v", lo, hi, ok)
	}
	for _, key := range []string{KeyHost, KeyAllowRemote, "nope"} {
		if _, _, _, ok := Range(key); ok {
			t.Errorf("%s has a range", key)
		}
	}
}
