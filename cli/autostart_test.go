//go:build !darwin && !windows

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core"
)

// TestAutostartCommands: on writes the XDG entry running this binary by its
// absolute path (with serve in a build without a tray), status reports it,
// off removes it.
func TestAutostartCommands(t *testing.T) {
	t.Parallel()
	self, err := selfPath()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tray TrayFunc
		exec string
	}{
		{"headless build", nil, self + " serve"},
		{"tray build", func(*core.Core, TrayOptions) error { return nil }, self},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			xdg := t.TempDir()
			vars := map[string]string{"HOME": t.TempDir(), "XDG_CONFIG_HOME": xdg, "CLAUDEFLARE_HOME": t.TempDir()}
			run := func(args ...string) (int, string) {
				var out bytes.Buffer
				code := Run(&Env{Args: args, Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
					Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Tray: tt.tray})
				return code, out.String()
			}
			entry := filepath.Join(xdg, "autostart", "claudeflare.desktop")
			if code, out := run("autostart", "status"); code != 0 || !strings.Contains(out, "off (no "+entry+")") {
				t.Errorf("status before: %d %s", code, out)
			}
			if code, out := run("autostart", "on"); code != 0 || !strings.Contains(out, entry) {
				t.Fatalf("on: %d %s", code, out)
			}
			data, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "\nExec="+tt.exec+"\n") || !filepath.IsAbs(self) {
				t.Errorf("entry does not run %q:\n%s", tt.exec, data)
			}
			code, out := run("autostart", "status")
			if code != 0 || !strings.Contains(out, "on ("+entry+")") || !strings.Contains(out, "runs: "+tt.exec) || strings.Contains(out, "no longer exists") {
				t.Errorf("status: %d %s", code, out)
			}
			if code, out := run("autostart", "off"); code != 0 || !strings.Contains(out, "removed "+entry) {
				t.Errorf("off: %d %s", code, out)
			}
			if _, err := os.Stat(entry); !os.IsNotExist(err) {
				t.Errorf("entry after off: %v", err)
			}
			if code, out := run("autostart", "off"); code != 0 || !strings.Contains(out, "was not set") {
				t.Errorf("second off: %d %s", code, out)
			}
		})
	}
}

// TestAutostartStatusOfAMissingBinary: an entry whose program is gone is
// reported as such.
func TestAutostartStatusOfAMissingBinary(t *testing.T) {
	t.Parallel()
	xdg := t.TempDir()
	entry := filepath.Join(xdg, "autostart", "claudeflare.desktop")
	if err := os.MkdirAll(filepath.Dir(entry), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte("[Desktop Entry]\nType=Application\nExec=/nonexistent/claudeflare\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, t.TempDir(), "", map[string]string{"XDG_CONFIG_HOME": xdg}, "autostart", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "on (") || !strings.Contains(r.stdout, "/nonexistent/claudeflare no longer exists") {
		t.Errorf("status: %+v", r)
	}
}

func TestAutostartUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"autostart"}, {"autostart", "maybe"}, {"autostart", "on", "now"}} {
		if r := runCLI(t, t.TempDir(), "", nil, args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with usage", args, r.code, r.stderr)
		}
	}
}
