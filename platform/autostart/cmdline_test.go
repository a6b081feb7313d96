package autostart

import (
	"slices"
	"testing"
)

func TestCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"plain", []string{`C:\Tools\claudeflare.exe`}, `C:\Tools\claudeflare.exe`},
		{"spaces", []string{`C:\Program Files\Claudeflare\claudeflare.exe`, "serve"}, `"C:\Program Files\Claudeflare\claudeflare.exe" serve`},
		{"trailing backslash", []string{`C:\a b\`}, `"C:\a b\\"`},
		{"quote", []string{`say "hi"`}, `"say \"hi\""`},
		{"backslashes before a quote", []string{`a\"b`}, `"a\\\"b"`},
		{"empty", []string{"x", ""}, `x ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := commandLine(tt.argv)
			if got != tt.want {
				t.Errorf("commandLine(%q) = %s, want %s", tt.argv, got, tt.want)
			}
			if back := splitCommandLine(got); !slices.Equal(back, tt.argv) {
				t.Errorf("splitCommandLine(%s) = %q, want %q", got, back, tt.argv)
			}
		})
	}
}
