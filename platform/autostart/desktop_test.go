package autostart

import (
	"slices"
	"strings"
	"testing"
)

func TestExecValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"plain path", []string{"/usr/local/bin/claudeflare"}, "/usr/local/bin/claudeflare"},
		{"with an argument", []string{"/opt/cf/claudeflare", "serve"}, "/opt/cf/claudeflare serve"},
		{"space", []string{"/home/zoë/My Apps/claudeflare"}, `"/home/zoë/My Apps/claudeflare"`},
		{"quote and dollar", []string{`/tmp/a"b$c/claudeflare`}, `"/tmp/a\\"b\\$c/claudeflare"`},
		{"backslash", []string{`/tmp/a\b/claudeflare`}, `"/tmp/a\\\\b/claudeflare"`},
		{"percent", []string{"/tmp/100%/claudeflare"}, "/tmp/100%%/claudeflare"},
		{"empty argument", []string{"/bin/cf", ""}, `/bin/cf ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := execValue(tt.argv)
			if err != nil || got != tt.want {
				t.Fatalf("execValue(%q) = %q, %v; want %q", tt.argv, got, err, tt.want)
			}
			if back := parseExec(got); !slices.Equal(back, tt.argv) {
				t.Errorf("parseExec(%q) = %q, want %q back", got, back, tt.argv)
			}
		})
	}
	if _, err := execValue([]string{"/tmp/a\nb"}); err == nil {
		t.Error("a line break in the path was accepted")
	}
}

func TestParseExecFieldCodes(t *testing.T) {
	t.Parallel()
	if got := parseExec(`/usr/bin/claudeflare %U`); !slices.Equal(got, []string{"/usr/bin/claudeflare"}) {
		t.Errorf("parseExec with a field code = %q", got)
	}
	if got := parseExec(`/usr/bin/with\sspace`); !slices.Equal(got, []string{"/usr/bin/with", "space"}) {
		t.Errorf(`parseExec with \s = %q (an escaped space still separates unquoted arguments)`, got)
	}
}

func TestDesktopFile(t *testing.T) {
	t.Parallel()
	argv := []string{"/home/u/My Apps/claudeflare"}
	data, err := desktopFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"[Desktop Entry]", "Type=Application", "Name=Claudeflare", "Terminal=false",
		"X-GNOME-Autostart-enabled=true", `Exec="/home/u/My Apps/claudeflare"`} {
		if !strings.Contains(data, "\n"+line+"\n") && !strings.HasPrefix(data, line+"\n") {
			t.Errorf("no line %q in\n%s", line, data)
		}
	}
	if !strings.Contains(data, "\nComment=") {
		t.Errorf("no Comment in\n%s", data)
	}
	cmd, disabled := parseDesktopFile(data)
	if !slices.Equal(cmd, argv) || disabled {
		t.Errorf("parseDesktopFile = %q, disabled %v", cmd, disabled)
	}
}

func TestParseDesktopFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string
		want     []string
		disabled bool
	}{
		{"switched off by GNOME", "[Desktop Entry]\nExec=/bin/cf\nX-GNOME-Autostart-enabled=false\n", []string{"/bin/cf"}, true},
		{"hidden", "[Desktop Entry]\nHidden=true\nExec=/bin/cf\n", []string{"/bin/cf"}, true},
		{"other groups ignored", "# mine\n[Desktop Entry]\nExec = /bin/cf\n[Desktop Action x]\nExec=/bin/other\n", []string{"/bin/cf"}, false},
		{"no Exec", "[Desktop Entry]\nName=x\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd, disabled := parseDesktopFile(tt.data)
			if !slices.Equal(cmd, tt.want) || disabled != tt.disabled {
				t.Errorf("parseDesktopFile = %q, %v; want %q, %v", cmd, disabled, tt.want, tt.disabled)
			}
		})
	}
}
