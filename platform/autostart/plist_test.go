package autostart

import (
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestLaunchAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		argv []string
	}{
		{"app bundle", []string{"/Applications/Claudeflare.app/Contents/MacOS/claudeflare"}},
		{"characters XML escapes", []string{"/Users/a&b/<x>/claudeflare", "serve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := launchAgent(tt.argv)
			// Well-formed XML, all of it.
			d := xml.NewDecoder(strings.NewReader(data))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("not well-formed: %v\n%s", err, data)
				}
			}
			for _, want := range []string{"<key>Label</key>\n\t<string>" + ID + "</string>", "<key>RunAtLoad</key>\n\t<true/>", "<key>ProgramArguments</key>"} {
				if !strings.Contains(data, want) {
					t.Errorf("no %q in\n%s", want, data)
				}
			}
			cmd, disabled := parseLaunchAgent(data)
			if !slices.Equal(cmd, tt.argv) || disabled {
				t.Errorf("parseLaunchAgent = %q, disabled %v; want %q", cmd, disabled, tt.argv)
			}
		})
	}
}

func TestParseLaunchAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string
		want     []string
		disabled bool
	}{
		{"Program only", `<plist><dict><key>Program</key><string>/bin/cf</string></dict></plist>`, []string{"/bin/cf"}, false},
		{"disabled", `<plist><dict><key>Disabled</key><true/><key>ProgramArguments</key><array><string>/bin/cf</string></array></dict></plist>`, []string{"/bin/cf"}, true},
		{"nested arrays ignored", `<plist><dict><key>X</key><dict><key>ProgramArguments</key><array><string>/no</string></array></dict><key>ProgramArguments</key><array><string>/bin/cf</string></array></dict></plist>`, []string{"/bin/cf"}, false},
		{"not a plist", `garbage`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd, disabled := parseLaunchAgent(tt.data)
			if !slices.Equal(cmd, tt.want) || disabled != tt.disabled {
				t.Errorf("parseLaunchAgent = %q, %v; want %q, %v", cmd, disabled, tt.want, tt.disabled)
			}
		})
	}
}
