package autostart

import (
	"bufio"
	"fmt"
	"strings"
)

// The Desktop Entry format (freedesktop.org Desktop Entry Specification 1.5)
// of an XDG autostart file.

// desktopFile renders the autostart entry that runs command.
func desktopFile(command []string) (string, error) {
	exec, err := execValue(command)
	if err != nil {
		return "", err
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Claudeflare\n" +
		"Comment=One Claude Code endpoint over several Claude accounts\n" +
		"Exec=" + exec + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n", nil
}

// parseDesktopFile reads the command of an autostart entry, and whether the
// desktop has switched it off.
func parseDesktopFile(data string) (command []string, disabled bool) {
	inMain := false
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inMain = line == "[Desktop Entry]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inMain || !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Exec":
			command = parseExec(strings.TrimSpace(value))
		case "Hidden":
			disabled = disabled || strings.TrimSpace(value) == "true"
		case "X-GNOME-Autostart-enabled":
			disabled = disabled || strings.TrimSpace(value) == "false"
		}
	}
	return command, disabled
}

// execReserved are the characters that make an Exec argument need quotes.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// execValue renders argv as an Exec value: each argument that needs it in
// double quotes with ", `, $ and \ backslash-escaped; % doubled (a lone % is
// a field code); then the string-level escape of every backslash, which the
// spec applies before the quoting rule.
func execValue(argv []string) (string, error) {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, "\n\r") {
			return "", fmt.Errorf("autostart: %q has a line break, which a desktop entry cannot hold", a)
		}
		if a == "" || strings.ContainsAny(a, execReserved) {
			var b strings.Builder
			b.WriteByte('"')
			for _, r := range a {
				if strings.ContainsRune("\"`$\\", r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteByte('"')
			a = b.String()
		}
		parts[i] = strings.ReplaceAll(a, "%", "%%")
	}
	return strings.ReplaceAll(strings.Join(parts, " "), `\`, `\\`), nil
}

// parseExec splits an Exec value back into arguments; field codes other than
// %% are dropped, as a launcher with no files to open would.
func parseExec(v string) []string {
	v = unescapeString(v)
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted && c == '\\' && i+1 < len(v) && strings.IndexByte("\"`$\\", v[i+1]) >= 0:
			i++
			cur.WriteByte(v[i])
		case c == '"':
			quoted, inArg = !quoted, true
		case !quoted && (c == ' ' || c == '\t'):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '%' && i+1 < len(v):
			i++
			if v[i] == '%' {
				cur.WriteByte('%')
				inArg = true
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// unescapeString undoes the escapes of a desktop entry string value.
func unescapeString(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}
