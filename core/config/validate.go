package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Error is a bad configuration value: where it came from, the key and the rule it breaks. Its
// message reads, for example,
//
//	/home/u/.claudeflare/config.json: session_duration_ms: must be between 60000 and 604800000 (1 minute to 7 days), got 5
//	environment variable PORT: port: must be an integer between 1 and 65535, got "abc"
//	/home/u/.claudeflare/config.json: not valid JSON: invalid character '}' looking for beginning of object key string (line 3)
type Error struct {
	// Origin is the file's path, "environment variable PORT", "flag --port", or "" for a
	// value given to Patch or ParseValue (or checked by Validate).
	Origin string
	// Key is the key of config.json, or "" for a problem with the whole file.
	Key string
	// Rule is what is wrong, with the offending value.
	Rule string
}

// Error returns "origin: key: rule", leaving out the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Origin != "" {
		b.WriteString(e.Origin + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Rule)
	return b.String()
}

// Validate checks every key against its rule and that a host which is not a loopback address
// comes with allow_remote. It returns the first problem as an *Error with an empty Origin, or
// nil.
func (c Config) Validate() error {
	for i := range fields {
		f := &fields[i]
		if rule := f.checkValue(f.get(&c)); rule != "" {
			return &Error{Key: f.key, Rule: rule}
		}
	}
	if rule := checkRemote(c); rule != "" {
		return &Error{Key: KeyHost, Rule: rule}
	}
	return nil
}

// checkValue returns the rule that v, a value of f's kind, breaks, or "".
func (f *field) checkValue(v any) string {
	switch f.kind {
	case kindInt:
		if n := v.(int64); n < f.min || n > f.max {
			return f.rangeRule(false) + ", got " + strconv.FormatInt(n, 10)
		}
	case kindString:
		if f.check != nil {
			return f.check(v.(string))
		}
	}
	return ""
}

// rangeRule states the range of an integer key, "must be between 1 and 3650", or with
// integer set "must be an integer between 1 and 3650".
func (f *field) rangeRule(integer bool) string {
	s := "must be between "
	if integer {
		s = "must be an integer between "
	}
	s += fmt.Sprintf("%d and %d", f.min, f.max)
	if f.hint != "" {
		s += " (" + f.hint + ")"
	}
	return s
}

// fromJSON decodes a JSON value for f, checks it against f's rule and returns it as a value of
// f's kind, or the rule it breaks.
func (f *field) fromJSON(raw json.RawMessage) (any, string) {
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return nil, "not valid JSON: " + strconv.Quote(string(raw))
	}
	var v any
	switch f.kind {
	case kindString:
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, "must be a string, got " + describe(raw)
		}
		v = s
	case kindBool:
		switch string(raw) {
		case "true":
			v = true
		case "false":
			v = false
		default:
			return nil, "must be true or false, got " + describe(raw)
		}
	case kindInt:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return nil, "must be an integer, got " + describe(raw)
		}
		s := string(raw)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			// A JSON number in another form: 1e3 and 8080.0 are integers, 80.5 is not.
			x, err := strconv.ParseFloat(s, 64)
			switch {
			case err == nil && x != math.Trunc(x):
				return nil, "must be an integer, got " + s
			case err != nil || x < math.MinInt64 || x >= math.MaxInt64:
				return nil, f.rangeRule(false) + ", got " + s
			}
			n = int64(x)
		}
		v = n
	}
	if rule := f.checkValue(v); rule != "" {
		return nil, rule
	}
	return v, ""
}

// fromString parses a value for f from an environment variable, an override or the command
// line, checks it against f's rule and returns it as a value of f's kind, or the rule it
// breaks. Surrounding white space is ignored; booleans are true, false, 1 or 0.
func (f *field) fromString(raw string) (any, string) {
	s := strings.TrimSpace(raw)
	var v any
	switch f.kind {
	case kindString:
		v = s
	case kindBool:
		switch {
		case s == "1" || strings.EqualFold(s, "true"):
			v = true
		case s == "0" || strings.EqualFold(s, "false"):
			v = false
		default:
			return nil, fmt.Sprintf("must be true, false, 1 or 0, got %q", raw)
		}
	case kindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Sprintf("%s, got %q", f.rangeRule(true), raw)
		}
		v = n
	}
	if rule := f.checkValue(v); rule != "" {
		return nil, rule
	}
	return v, ""
}

// describe names the type and value of a JSON value for an error message: `string "80"`,
// `number 80`, `boolean true`, `null`, `an object`, `an array`.
func describe(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string " + string(raw)
	case 't', 'f':
		return "boolean " + string(raw)
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "number " + string(raw)
}

func checkStrategy(s string) string {
	if s == StrategySession {
		return ""
	}
	return fmt.Sprintf(`only "session" is supported, got %q: the session strategy keeps one account `+
		`for a whole session so the upstream sees one consistent client; switching accounts per `+
		`request wastes the prompt cache and looks like account sharing`, s)
}

func checkHost(s string) string {
	if s == "localhost" || net.ParseIP(s) != nil {
		return ""
	}
	return fmt.Sprintf(`must be an IP address or "localhost", got %q`, s)
}

func checkUpstream(s string) string {
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		return ""
	}
	return fmt.Sprintf(`must be an absolute http or https URL such as "https://api.anthropic.com", got %q`, s)
}

func checkCredentialStore(s string) string {
	if s == CredentialStoreKeychain || s == CredentialStoreFile {
		return ""
	}
	return fmt.Sprintf(`must be "keychain" or "file", got %q`, s)
}

// checkRemote returns the rule broken by a host that is not a loopback address without
// allow_remote (docs/DESIGN.md, "Configuration", remote use), or "".
func checkRemote(c Config) string {
	if c.AllowRemote || c.IsLoopbackHost() {
		return ""
	}
	return fmt.Sprintf("%q is not a loopback address: set allow_remote to true to accept other "+
		"machines (every request must then carry the client key)", c.Host)
}
