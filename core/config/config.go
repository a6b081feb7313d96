// Package config loads, validates, saves and watches Claudeflare's configuration: the keys of
// config.json (docs/DESIGN.md, "Configuration"), each of which an environment variable can override.
//
// Precedence, highest first: command-line overrides (such as `serve --port`), the environment,
// config.json, the built-in defaults. A bad value is never silently replaced: Load, Patch and
// Manager report it as an *Error naming where it came from, the key and the rule it breaks.
package config

import (
	"net"
	"strconv"
	"time"
)

// The keys of config.json.
const (
	KeyLBStrategy        = "lb_strategy"
	KeySessionDurationMS = "session_duration_ms"
	KeyPort              = "port"
	KeyHost              = "host"
	KeyUpstreamURL       = "upstream_url"
	KeyCredentialStore   = "credential_store"
	KeyAllowRemote       = "allow_remote"
	KeyRetentionDays     = "retention_days"
)

// The accepted values of lb_strategy and credential_store.
const (
	StrategySession         = "session"
	CredentialStoreKeychain = "keychain"
	CredentialStoreFile     = "file"
)

// Config is the effective configuration. Its JSON form is the body of GET /api/config without
// the sources.
type Config struct {
	LBStrategy        string `json:"lb_strategy"`         // only "session"
	SessionDurationMS int64  `json:"session_duration_ms"` // 60000 … 604800000
	Port              int    `json:"port"`                // 1 … 65535
	Host              string `json:"host"`                // an IP literal or "localhost"
	UpstreamURL       string `json:"upstream_url"`        // an absolute http or https URL
	CredentialStore   string `json:"credential_store"`    // "keychain" or "file"
	AllowRemote       bool   `json:"allow_remote"`        // required for a non-loopback host
	RetentionDays     int    `json:"retention_days"`      // 1 … 3650
}

// Default returns the built-in defaults: the configuration with no config.json and no
// environment.
func Default() Config {
	return Config{
		LBStrategy:        StrategySession,
		SessionDurationMS: 5 * 60 * 60 * 1000,
		Port:              8080,
		Host:              "127.0.0.1",
		UpstreamURL:       "https://api.anthropic.com",
		CredentialStore:   CredentialStoreKeychain,
		AllowRemote:       false,
		RetentionDays:     30,
	}
}

// SessionDuration returns session_duration_ms as a time.Duration.
func (c Config) SessionDuration() time.Duration {
	return time.Duration(c.SessionDurationMS) * time.Millisecond
}

// Addr returns the listen address, host and port joined by net.JoinHostPort
// ("127.0.0.1:8080", "[::1]:8080").
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// IsLoopbackHost reports whether Host is "localhost" or a loopback address (127.0.0.0/8, ::1).
func (c Config) IsLoopbackHost() bool {
	if c.Host == "localhost" {
		return true
	}
	ip := net.ParseIP(c.Host)
	return ip != nil && ip.IsLoopback()
}

// Source says where a key's effective value came from.
type Source string

// The sources of a value, lowest precedence first.
const (
	SourceDefault Source = "default"
	SourceFile    Source = "file"
	SourceEnv     Source = "env"
	SourceFlag    Source = "flag"
)

// Sources maps each key of config.json to the source of its effective value.
type Sources map[string]Source

// kind is the JSON type of a key.
type kind int

const (
	kindString kind = iota
	kindInt
	kindBool
)

// field describes one key: its environment variable, its type, how to read and store it in a
// Config, and its rule. Values travel as string, int64 or bool, by kind.
type field struct {
	key      string
	env      string
	kind     kind
	min, max int64               // kindInt: the accepted range
	hint     string              // kindInt: the range in words, or ""
	check    func(string) string // kindString: the rule a value breaks, or ""
	get      func(*Config) any
	set      func(*Config, any)
}

// fields lists the keys in the order users see them (config show, the API).
var fields = []field{
	{key: KeyLBStrategy, env: "LB_STRATEGY", kind: kindString, check: checkStrategy,
		get: func(c *Config) any { return c.LBStrategy },
		set: func(c *Config, v any) { c.LBStrategy = v.(string) }},
	{key: KeySessionDurationMS, env: "SESSION_DURATION_MS", kind: kindInt,
		min: 60_000, max: 604_800_000, hint: "1 minute to 7 days",
		get: func(c *Config) any { return c.SessionDurationMS },
		set: func(c *Config, v any) { c.SessionDurationMS = v.(int64) }},
	{key: KeyPort, env: "PORT", kind: kindInt, min: 1, max: 65535,
		get: func(c *Config) any { return int64(c.Port) },
		set: func(c *Config, v any) { c.Port = int(v.(int64)) }},
	{key: KeyHost, env: "CLAUDEFLARE_HOST", kind: kindString, check: checkHost,
		get: func(c *Config) any { return c.Host },
		set: func(c *Config, v any) { c.Host = v.(string) }},
	{key: KeyUpstreamURL, env: "CLAUDEFLARE_UPSTREAM_URL", kind: kindString, check: checkUpstream,
		get: func(c *Config) any { return c.UpstreamURL },
		set: func(c *Config, v any) { c.UpstreamURL = v.(string) }},
	{key: KeyCredentialStore, env: "CLAUDEFLARE_CREDENTIAL_STORE", kind: kindString, check: checkCredentialStore,
		get: func(c *Config) any { return c.CredentialStore },
		set: func(c *Config, v any) { c.CredentialStore = v.(string) }},
	{key: KeyAllowRemote, env: "CLAUDEFLARE_ALLOW_REMOTE", kind: kindBool,
		get: func(c *Config) any { return c.AllowRemote },
		set: func(c *Config, v any) { c.AllowRemote = v.(bool) }},
	{key: KeyRetentionDays, env: "CLAUDEFLARE_RETENTION_DAYS", kind: kindInt, min: 1, max: 3650,
		get: func(c *Config) any { return int64(c.RetentionDays) },
		set: func(c *Config, v any) { c.RetentionDays = int(v.(int64)) }},
}

// fieldOf returns the field of key, or nil for an unknown key.
// Range is the accepted range of an integer key and that range in words
// (e.g. "1 minute to 7 days"), so that a form can say it before the value
// is sent; ok is false for a key that is not an integer.
func Range(key string) (minimum, maximum int64, hint string, ok bool) {
	f := fieldOf(key)
	if f == nil || f.kind != kindInt {
		return 0, 0, "", false
	}
	return f.min, f.max, f.hint, true
}

func fieldOf(key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// Keys returns the keys of config.json in the order users see them.
func Keys() []string {
	keys := make([]string, len(fields))
	for i := range fields {
		keys[i] = fields[i].key
	}
	return keys
}

// EnvVar returns the environment variable that overrides key (PORT for port,
// CLAUDEFLARE_HOST for host, …), or "" for an unknown key.
func EnvVar(key string) string {
	if f := fieldOf(key); f != nil {
		return f.env
	}
	return ""
}

// flagName returns the command-line flag that an override of key stands for.
func flagName(key string) string {
	b := []byte("--" + key)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}
