package config

import (
	"fmt"
	"strings"
)

// FormatShow formats c for `claudeflare config show`: one line per key, in the order of Keys,
// "key = value  (source)" with keys and values aligned. The source of a value from the
// environment names its variable, "(env PORT)", and an override its flag, "(flag --port)"; a
// key missing from s shows as "(default)".
func FormatShow(c Config, s Sources) string {
	type row struct{ key, value, source string }
	rows := make([]row, len(fields))
	keyW, valW := 0, 0
	for i := range fields {
		f := &fields[i]
		r := row{key: f.key, value: fmt.Sprint(f.get(&c)), source: string(s[f.key])}
		switch s[f.key] {
		case "":
			r.source = string(SourceDefault)
		case SourceEnv:
			r.source += " " + f.env
		case SourceFlag:
			r.source += " " + flagName(f.key)
		}
		rows[i] = r
		keyW, valW = max(keyW, len(r.key)), max(valW, len(r.value))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s = %-*s  (%s)\n", keyW, r.key, valW, r.value, r.source)
	}
	return b.String()
}
